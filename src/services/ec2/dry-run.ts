/**
 * DryRun, answered once for every EC2 operation whose input has it. The handler runs as for a
 * real request (every check it makes, including its own refusals such as UnauthorizedOperation),
 * and then, instead of its answer, DryRunOperation is thrown: the request's store transaction
 * rolls back, so nothing it wrote stays. faultline evaluates no IAM identity policies for EC2, so
 * a caller is refused only where a handler refuses (an Amazon-owned snapshot, say).
 */
import type { ServiceModel } from '../../protocols/model.ts';
import type { Handler } from '../service.ts';
import { ec2Errors } from './errors.ts';

const takesDryRun = (model: ServiceModel, operation: string): boolean => {
  const input = model.operations[operation]?.input?.shape;
  const shape = input ? model.shapes[input] : undefined;
  return !!shape && shape.type === 'structure' && Object.hasOwn(shape.members ?? {}, 'DryRun');
};

/** The handlers, each operation that takes DryRun wrapped to answer it. */
export function answeringDryRun(model: ServiceModel, handlers: Record<string, Handler>): Record<string, Handler> {
  return Object.fromEntries(
    Object.entries(handlers).map(([operation, handler]): [string, Handler] => {
      if (!takesDryRun(model, operation)) return [operation, handler];
      return [
        operation,
        (input: { DryRun?: boolean }, ctx) => {
          const out = handler(input, ctx);
          if (input?.DryRun) throw ec2Errors.dryRun();
          return out;
        },
      ];
    }),
  );
}
