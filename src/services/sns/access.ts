/**
 * Who may act on a topic. The topic's own account may do anything (faultline keeps no identity
 * policies to say otherwise); another account, or a service acting for a resource (a CloudWatch
 * alarm), needs the topic's access policy to allow the action. The default policy allows the
 * owner's account only, through its `AWS:SourceOwner` condition, so that an alarm of the same
 * account may publish and an alarm of another may not, as in AWS. An explicit Deny refuses
 * everyone.
 */
import { AwsError } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import { evaluatePolicy, type Caller } from '../iam/resource-policy.ts';
import type { Env, Principal } from '../service.ts';
import { TOPICS, parseTopicArn, type TopicRecord } from './state.ts';

/** A principal calling SNS, or a service publishing for a resource of `account` (`sourceArn`). */
export type TopicCaller = { principal: Principal } | { service: string; account: string; sourceArn: string };

/** The access policy a topic has when nobody set one, as GetTopicAttributes shows it. */
export function defaultPolicy(arn: string, account: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': account } },
      },
    ],
  });
}

const callerName = (c: TopicCaller) => ('principal' in c ? c.principal.arn : c.service);

/**
 * Refuses `caller` the action (`SNS:Publish`, ...) on the topic `arn` of `scope` with SNS's
 * AuthorizationError, unless the topic's account is the caller's or the topic's policy allows
 * it. A topic that does not exist has no policy: another account is refused, not told.
 */
export function authorizeTopic(env: Env, scope: Scope, name: string, arn: string, caller: TopicCaller, action: string): void {
  const topic = env.store.get<TopicRecord>(TOPICS, scope, name);
  const account = 'principal' in caller ? caller.principal.account : caller.account;
  // The topic's own account learns that it does not exist (NotFound, from the caller).
  if (!topic && account === scope.account) return;
  const policy = topic ? (topic.Attributes.Policy ?? defaultPolicy(arn, scope.account)) : undefined;
  const who: Caller = 'principal' in caller ? { kind: 'aws', principal: caller.principal } : { kind: 'service', service: caller.service };
  const context = 'principal' in caller ? undefined : { 'aws:SourceAccount': caller.account, 'aws:SourceOwner': caller.account, 'aws:SourceArn': caller.sourceArn };
  const decision = evaluatePolicy(policy, { caller: who, action, resource: arn, context });
  const owner = 'principal' in caller && caller.principal.account === scope.account;
  if (decision === 'allow' || (owner && decision === 'none')) return;
  const why = decision === 'deny' ? 'with an explicit deny in a resource-based policy' : `because no resource-based policy allows the ${action} action`;
  throw new AwsError('AuthorizationError', `User: ${callerName(caller)} is not authorized to perform: ${action} on resource: ${arn} ${why}`, 403);
}

/** Whether a publish by `caller` to the topic `arn` would be accepted: the topic exists and its policy lets the caller publish. */
export function topicAccepts(env: Env, arn: string, caller: TopicCaller): boolean {
  const parsed = parseTopicArn(arn);
  if (!parsed || !env.store.get<TopicRecord>(TOPICS, parsed.scope, parsed.name)) return false;
  try {
    authorizeTopic(env, parsed.scope, parsed.name, arn, caller, 'SNS:Publish');
    return true;
  } catch (e) {
    if (e instanceof AwsError) return false;
    throw e;
  }
}
