/** STS: GetCallerIdentity and AssumeRole. */
import type { RequestContext } from '../service.ts';
import { iamErrors } from '../iam/errors.ts';
import { ROLES, iamScope, nameKey, type RoleRecord } from '../iam/state.ts';
import { DEFAULT_SESSION_SECONDS, issueRoleSession } from './sessions.ts';
import { trustAllows } from './trust.ts';

/** A session assumed from another session ("role chaining") lasts at most an hour. */
const CHAINED_MAX_SECONDS = 3600;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/(?:[^/]+\/)*)([\w+=,.@-]+)$/;

export const sessionHandlers = {
  GetCallerIdentity(_input: unknown, ctx: RequestContext) {
    return { UserId: ctx.principal.userId, Account: ctx.principal.account, Arn: ctx.principal.arn };
  },

  AssumeRole(input: { RoleArn: string; RoleSessionName: string; DurationSeconds?: number }, ctx: RequestContext) {
    const denied = () =>
      iamErrors.accessDenied(`User: ${ctx.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`);
    const m = ROLE_ARN.exec(input.RoleArn);
    if (!m) throw iamErrors.validation(`${input.RoleArn} is invalid`);
    const role = ctx.env.store.get<RoleRecord>(ROLES, iamScope(m[1]), nameKey(m[3]));
    if (!role || role.Arn !== input.RoleArn || !trustAllows(role.AssumeRolePolicyDocument, ctx.principal)) throw denied();
    const seconds = input.DurationSeconds ?? DEFAULT_SESSION_SECONDS;
    if (ctx.principal.arn.includes(':assumed-role/') && seconds > CHAINED_MAX_SECONDS)
      throw iamErrors.validation('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    if (seconds > role.MaxSessionDuration) throw iamErrors.validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    return issueRoleSession(ctx.env, m[1], role.RoleName, input.RoleSessionName, seconds);
  },
};
