/** SNS records: topics keyed by name and subscriptions keyed by ARN, in the topic's account and region. */
import type { Scope } from '../../core/store.ts';

export const TOPICS = 'sns.topics';
export const SUBSCRIPTIONS = 'sns.subscriptions';

export interface Tag {
  Key: string;
  Value: string;
}

export interface TopicRecord {
  TopicArn: string;
  Name: string;
  /** The attributes a caller set (DisplayName, Policy, DeliveryPolicy, FifoTopic, ...). */
  Attributes: Record<string, string>;
  Tags: Tag[];
}

export interface SubscriptionRecord {
  SubscriptionArn: string;
  TopicArn: string;
  Protocol: string;
  Endpoint: string;
  Owner: string;
  Attributes: Record<string, string>;
}

export const topicArn = (scope: Scope, name: string): string => `arn:aws:sns:${scope.region}:${scope.account}:${name}`;

/** The scope and name an SNS topic ARN names, or undefined if it is not one. */
export function parseTopicArn(arn: string): { scope: Scope; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/.exec(arn);
  return m ? { scope: { account: m[2], region: m[1] }, name: m[3] } : undefined;
}
