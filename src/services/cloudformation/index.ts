/**
 * CloudFormation: the API (stacks, templates, change sets, signals, stack sets) over awsQuery,
 * the loop of stack sets' operations, and the stack loop of the engine in src/cloudformation/,
 * given the resource handlers of every service.
 */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import { stackLoops } from '../../cloudformation/engine.ts';
import type { Service } from '../service.ts';
import { changeSetHandlers } from './change-sets.provider.ts';
import { engineDeps } from './registry.ts';
import { signalHandlers } from './signals.ts';
import { stackSetLoops } from './stack-sets.ts';
import { stackSetHandlers } from './stack-sets.provider.ts';
import { stackHandlers } from './stacks.provider.ts';
import { templateHandlers } from './templates.provider.ts';

export const cloudformation: Service = {
  signingName: 'cloudformation',
  model: models.cloudformation,
  protocols: [new QueryProtocol('query')],
  handlers: { ...stackHandlers, ...templateHandlers, ...changeSetHandlers, ...signalHandlers, ...stackSetHandlers },
  loops: (env) => ({ ...stackLoops(env, engineDeps), ...stackSetLoops(env) }),
};
