/**
 * Minimal SNS: topics, subscriptions and Publish. Nothing is sent anywhere: each message is
 * recorded with the subscriptions it would have reached (deliveries.ts), which is what drills and
 * tests need to see that an alarm notified.
 *
 * Simplification: every subscription is confirmed at once (PendingConfirmation "false"); AWS
 * keeps http, https and email subscriptions pending until the endpoint confirms.
 */
import { AwsError } from '../../core/errors.ts';
import { uuid } from '../../core/ids.ts';
import type { Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { authorizeTopic, defaultPolicy, type TopicCaller } from './access.ts';
import { recordDelivery } from './deliveries.ts';
import { SUBSCRIPTIONS, TOPICS, parseTopicArn, topicArn, type SubscriptionRecord, type Tag, type TopicRecord } from './state.ts';

const invalid = (what: string) => new AwsError('InvalidParameter', `Invalid parameter: ${what}`, 400);
const topicNotFound = () => new AwsError('NotFound', 'Topic does not exist', 404);

const PROTOCOLS = ['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose'];
const SETTABLE = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'ContentBasedDeduplication',
  'ArchivePolicy',
  'DataProtectionPolicy',
  'FifoThroughputScope',
]);
const FEEDBACK = /^(HTTP|Firehose|Lambda|SQS|Application)(Success|Failure)Feedback(RoleArn|SampleRate)$/;
const MAX_TAGS = 50;
const MAX_MESSAGE = 256 * 1024;
const PAGE = 100;

const DEFAULT_DELIVERY_POLICY = JSON.stringify({
  http: {
    defaultHealthyRetryPolicy: { minDelayTarget: 20, maxDelayTarget: 20, numRetries: 3, numMaxDelayRetries: 0, numNoDelayRetries: 0, numMinDelayRetries: 0, backoffFunction: 'linear' },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
  },
});

/** The topic an ARN names, if `caller` may perform `action` on it. */
function topicFromArn(env: Env, arn: string, caller: TopicCaller, action: string): { scope: Scope; topic: Readonly<TopicRecord> } {
  const parsed = parseTopicArn(arn);
  if (!parsed) throw invalid('TopicArn');
  authorizeTopic(env, parsed.scope, parsed.name, arn, caller, action);
  const topic = env.store.get<TopicRecord>(TOPICS, parsed.scope, parsed.name) as Readonly<TopicRecord> | undefined;
  if (!topic) throw topicNotFound();
  return { scope: parsed.scope, topic };
}

function checkTags(tags: readonly Tag[]): void {
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) throw new AwsError('InvalidParameter', 'Invalid parameter: Tag key length must be between 1 and 128.', 400);
    if (t.Value.length > 256) throw new AwsError('InvalidParameter', 'Invalid parameter: Tag value length must be at most 256.', 400);
  }
}

function subscriptionsOf(env: Env, scope: Scope, arn: string): Readonly<SubscriptionRecord>[] {
  return (env.store.list<SubscriptionRecord>(SUBSCRIPTIONS, scope) as Readonly<SubscriptionRecord>[]).filter((s) => s.TopicArn === arn);
}

export interface PublishInput {
  Message: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, unknown>;
  MessageGroupId?: string;
}

/**
 * Publishes to a topic: checks the caller and the message as Publish does, records its delivery
 * to every subscription, and returns the MessageId. Alarm actions call this too, with `source`
 * cloudwatch and the alarm as the caller.
 */
export function publishToTopic(env: Env, arn: string, input: PublishInput, source: string, caller: TopicCaller): { MessageId: string } {
  const { scope, topic } = topicFromArn(env, arn, caller, 'SNS:Publish');
  if (input.Message === '') throw invalid('Empty message');
  if (Buffer.byteLength(input.Message) > MAX_MESSAGE) throw invalid('Message too long');
  if (input.Subject !== undefined && (input.Subject.length === 0 || input.Subject.length > 100 || /[\r\n]/.test(input.Subject))) throw invalid('Subject');
  let structured: Record<string, unknown> | undefined;
  if (input.MessageStructure !== undefined) {
    if (input.MessageStructure !== 'json') throw invalid('MessageStructure');
    try {
      structured = JSON.parse(input.Message);
    } catch {
      throw invalid('Message Structure - JSON message body failed to parse');
    }
    if (!structured || typeof structured !== 'object' || typeof structured.default !== 'string') throw invalid('Message Structure - No default entry in JSON message body');
  }
  if (topic.Attributes.FifoTopic === 'true' && !input.MessageGroupId) throw invalid('The MessageGroupId parameter is required for FIFO topics');
  const messageId = uuid();
  recordDelivery(env, scope, {
    topicArn: arn,
    messageId,
    subject: input.Subject,
    message: input.Message,
    messageAttributes: input.MessageAttributes,
    source,
    deliveredTo: subscriptionsOf(env, scope, arn).map((s) => ({ subscriptionArn: s.SubscriptionArn, protocol: s.Protocol, endpoint: s.Endpoint, status: 'recorded' })),
  });
  env.events.emit('sns.publish', { topicArn: arn, messageId, source });
  return { MessageId: messageId };
}

export const snsHandlers = {
  CreateTopic(input: { Name: string; Attributes?: Record<string, string>; Tags?: Tag[]; DataProtectionPolicy?: string }, ctx: RequestContext) {
    const fifo = input.Attributes?.FifoTopic === 'true';
    const pattern = fifo ? /^[A-Za-z0-9_-]{1,251}\.fifo$/ : /^[A-Za-z0-9_-]{1,256}$/;
    if (!pattern.test(input.Name)) throw invalid('Topic Name');
    for (const k of Object.keys(input.Attributes ?? {})) {
      if (!SETTABLE.has(k) && !FEEDBACK.test(k) && k !== 'FifoTopic') throw invalid('Attributes Reason: Unknown attribute ' + k);
    }
    const tags = input.Tags ?? [];
    checkTags(tags);
    if (tags.length > MAX_TAGS) throw new AwsError('TagLimitExceeded', 'Could not complete request: tag quota of per resource exceeded', 400);
    const arn = topicArn(ctx, input.Name);
    const attributes = { ...(input.Attributes ?? {}), ...(input.DataProtectionPolicy ? { DataProtectionPolicy: input.DataProtectionPolicy } : {}) };
    const existing = ctx.env.store.get<TopicRecord>(TOPICS, ctx, input.Name);
    if (existing) {
      // CreateTopic is idempotent by name, as long as it asks for the same topic.
      const same = Object.entries(attributes).every(([k, v]) => existing.Attributes[k] === v);
      if (!same) throw invalid('Attributes Reason: Topic already exists with different attributes');
      const sameTags = tags.every((t) => existing.Tags.some((e) => e.Key === t.Key && e.Value === t.Value));
      if (!sameTags) throw invalid('Tags Reason: Topic already exists with different tags');
      return { TopicArn: arn };
    }
    const rec: TopicRecord = { TopicArn: arn, Name: input.Name, Attributes: attributes, Tags: tags };
    ctx.env.store.put(TOPICS, ctx, input.Name, rec);
    return { TopicArn: arn };
  },

  DeleteTopic(input: { TopicArn: string }, ctx: RequestContext) {
    const parsed = parseTopicArn(input.TopicArn);
    if (!parsed) throw invalid('TopicArn');
    authorizeTopic(ctx.env, parsed.scope, parsed.name, input.TopicArn, ctx, 'SNS:DeleteTopic');
    // Deleting a topic that does not exist succeeds, as in AWS.
    if (!ctx.env.store.get(TOPICS, parsed.scope, parsed.name)) return {};
    for (const s of subscriptionsOf(ctx.env, parsed.scope, input.TopicArn)) ctx.env.store.delete(SUBSCRIPTIONS, parsed.scope, s.SubscriptionArn);
    ctx.env.store.delete(TOPICS, parsed.scope, parsed.name);
    return {};
  },

  ListTopics(input: { NextToken?: string }, ctx: RequestContext) {
    const arns = (ctx.env.store.list<TopicRecord>(TOPICS, ctx) as Readonly<TopicRecord>[]).map((t) => t.TopicArn).sort();
    const { items, NextToken } = pageOf(arns, input.NextToken);
    return { Topics: items.map((TopicArn) => ({ TopicArn })), NextToken };
  },

  GetTopicAttributes(input: { TopicArn: string }, ctx: RequestContext) {
    const { scope, topic } = topicFromArn(ctx.env, input.TopicArn, ctx, 'SNS:GetTopicAttributes');
    const subs = subscriptionsOf(ctx.env, scope, topic.TopicArn);
    const attrs: Record<string, string> = {
      TopicArn: topic.TopicArn,
      Owner: scope.account,
      Policy: defaultPolicy(topic.TopicArn, scope.account),
      DisplayName: '',
      SubscriptionsConfirmed: String(subs.length),
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      EffectiveDeliveryPolicy: DEFAULT_DELIVERY_POLICY,
      ...topic.Attributes,
    };
    if (topic.Attributes.FifoTopic === 'true') attrs.ContentBasedDeduplication ??= 'false';
    return { Attributes: attrs };
  },

  SetTopicAttributes(input: { TopicArn: string; AttributeName: string; AttributeValue?: string }, ctx: RequestContext) {
    const { scope, topic } = topicFromArn(ctx.env, input.TopicArn, ctx, 'SNS:SetTopicAttributes');
    if (!SETTABLE.has(input.AttributeName) && !FEEDBACK.test(input.AttributeName)) throw invalid('AttributeName');
    if (input.AttributeName === 'Policy' || input.AttributeName === 'DeliveryPolicy') {
      try {
        JSON.parse(input.AttributeValue ?? '');
      } catch {
        throw invalid(`${input.AttributeName}: failed to parse JSON.`);
      }
    }
    const rec = ctx.env.store.mutable<TopicRecord>(TOPICS, scope, topic.Name)!;
    rec.Attributes[input.AttributeName] = input.AttributeValue ?? '';
    ctx.env.store.put(TOPICS, scope, topic.Name, rec);
    return {};
  },

  Subscribe(input: { TopicArn: string; Protocol: string; Endpoint?: string; Attributes?: Record<string, string>; ReturnSubscriptionArn?: boolean }, ctx: RequestContext) {
    const { scope, topic } = topicFromArn(ctx.env, input.TopicArn, ctx, 'SNS:Subscribe');
    const protocol = input.Protocol.toLowerCase();
    if (!PROTOCOLS.includes(protocol)) throw invalid(`Amazon SNS does not support this protocol string: ${input.Protocol}`);
    const endpoint = input.Endpoint ?? '';
    const ok =
      protocol === 'http'
        ? /^http:\/\/\S+$/.test(endpoint)
        : protocol === 'https'
          ? /^https:\/\/\S+$/.test(endpoint)
          : protocol === 'email' || protocol === 'email-json'
            ? /^[^@\s]+@[^@\s]+$/.test(endpoint)
            : protocol === 'sms'
              ? /^\+?[0-9][0-9 ()-]{3,}$/.test(endpoint)
              : /^arn:aws[a-z-]*:[a-z0-9-]+:/.test(endpoint);
    if (!ok) throw invalid('Endpoint');
    const existing = subscriptionsOf(ctx.env, scope, topic.TopicArn).find((s) => s.Protocol === protocol && s.Endpoint === endpoint);
    if (existing) return { SubscriptionArn: existing.SubscriptionArn };
    const arn = `${topic.TopicArn}:${uuid()}`;
    const rec: SubscriptionRecord = {
      SubscriptionArn: arn,
      TopicArn: topic.TopicArn,
      Protocol: protocol,
      Endpoint: endpoint,
      Owner: ctx.account,
      Attributes: { ...(input.Attributes ?? {}), PendingConfirmation: 'false', ConfirmationWasAuthenticated: 'true' },
    };
    ctx.env.store.put(SUBSCRIPTIONS, scope, arn, rec);
    return { SubscriptionArn: arn };
  },

  Unsubscribe(input: { SubscriptionArn: string }, ctx: RequestContext) {
    const topicPart = input.SubscriptionArn.slice(0, input.SubscriptionArn.lastIndexOf(':'));
    const parsed = parseTopicArn(topicPart);
    if (!parsed) throw invalid('SubscriptionArn');
    const sub = ctx.env.store.get<SubscriptionRecord>(SUBSCRIPTIONS, parsed.scope, input.SubscriptionArn);
    if (!sub) throw new AwsError('NotFound', 'Subscription does not exist', 404);
    // A subscription confirmed with authentication is removed by its owner or the topic's only.
    if (ctx.account !== sub.Owner && ctx.account !== parsed.scope.account) {
      throw new AwsError('AuthorizationError', `User: ${ctx.principal.arn} is not authorized to perform: SNS:Unsubscribe on resource: ${input.SubscriptionArn}`, 403);
    }
    ctx.env.store.delete(SUBSCRIPTIONS, parsed.scope, input.SubscriptionArn);
    return {};
  },

  ListSubscriptions(input: { NextToken?: string }, ctx: RequestContext) {
    const subs = (ctx.env.store.list<SubscriptionRecord>(SUBSCRIPTIONS, ctx) as Readonly<SubscriptionRecord>[])
      .slice()
      .sort((a, b) => (a.SubscriptionArn < b.SubscriptionArn ? -1 : 1));
    const { items, NextToken } = pageOf(subs, input.NextToken);
    return { Subscriptions: items.map(view), NextToken };
  },

  ListSubscriptionsByTopic(input: { TopicArn: string; NextToken?: string }, ctx: RequestContext) {
    const { scope, topic } = topicFromArn(ctx.env, input.TopicArn, ctx, 'SNS:ListSubscriptionsByTopic');
    const subs = subscriptionsOf(ctx.env, scope, topic.TopicArn)
      .slice()
      .sort((a, b) => (a.SubscriptionArn < b.SubscriptionArn ? -1 : 1));
    const { items, NextToken } = pageOf(subs, input.NextToken);
    return { Subscriptions: items.map(view), NextToken };
  },

  Publish(
    input: PublishInput & { TopicArn?: string; TargetArn?: string; PhoneNumber?: string; MessageDeduplicationId?: string },
    ctx: RequestContext,
  ) {
    const targets = [input.TopicArn, input.TargetArn, input.PhoneNumber].filter((t) => t !== undefined);
    if (targets.length !== 1) throw invalid('TopicArn or TargetArn Reason: exactly one of TopicArn, TargetArn and PhoneNumber must be given');
    if (input.PhoneNumber !== undefined) throw invalid('PhoneNumber Reason: faultline records topic deliveries only; publish to a topic');
    return publishToTopic(ctx.env, (input.TopicArn ?? input.TargetArn)!, input, 'api', ctx);
  },

  TagResource(input: { ResourceArn: string; Tags: Tag[] }, ctx: RequestContext) {
    const { scope, name, rec } = taggable(ctx, input.ResourceArn, 'SNS:TagResource');
    checkTags(input.Tags);
    const tags = new Map(rec.Tags.map((t) => [t.Key, t.Value]));
    for (const t of input.Tags) tags.set(t.Key, t.Value);
    if (tags.size > MAX_TAGS) throw new AwsError('TagLimitExceeded', 'Could not complete request: tag quota of per resource exceeded', 400);
    rec.Tags = [...tags].map(([Key, Value]) => ({ Key, Value }));
    ctx.env.store.put(TOPICS, scope, name, rec);
    return {};
  },

  ListTagsForResource(input: { ResourceArn: string }, ctx: RequestContext) {
    return { Tags: taggable(ctx, input.ResourceArn, 'SNS:ListTagsForResource').rec.Tags };
  },
};

function taggable(ctx: RequestContext, arn: string, action: string) {
  const parsed = parseTopicArn(arn);
  if (parsed) authorizeTopic(ctx.env, parsed.scope, parsed.name, arn, ctx, action);
  const rec = parsed ? ctx.env.store.mutable<TopicRecord>(TOPICS, parsed.scope, parsed.name) : undefined;
  if (!parsed || !rec) throw new AwsError('ResourceNotFound', 'Resource does not exist', 404);
  return { scope: parsed.scope, name: parsed.name, rec };
}

const view = (s: Readonly<SubscriptionRecord>) => ({ SubscriptionArn: s.SubscriptionArn, Owner: s.Owner, Protocol: s.Protocol, Endpoint: s.Endpoint, TopicArn: s.TopicArn });

function pageOf<T>(items: readonly T[], token: string | undefined): { items: T[]; NextToken?: string } {
  let from = 0;
  if (token !== undefined) {
    from = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isSafeInteger(from) || from < 0) throw invalid('NextToken');
  }
  const out = items.slice(from, from + PAGE);
  return { items: out, NextToken: from + PAGE < items.length ? Buffer.from(String(from + PAGE)).toString('base64url') : undefined };
}
