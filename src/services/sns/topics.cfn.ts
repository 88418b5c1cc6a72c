/** CloudFormation's AWS::SNS::Topic (with inline subscriptions) and AWS::SNS::Subscription, through SNS's handlers. */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry, tagsOf } from '../../cloudformation/handler-kit.ts';
import { DONE, type ResourceContext, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { sns } from './index.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(sns, op, input, rc.request);

type Sub = { Endpoint: string; Protocol: string };

const topic: ResourceHandler = {
  type: 'AWS::SNS::Topic',
  create(props, rc) {
    const fifo = props.FifoTopic === true || props.FifoTopic === 'true';
    const name = String(props.TopicName ?? rc.physicalName({ maxLength: fifo ? 251 : 256 }) + (fifo && !props.TopicName ? '.fifo' : ''));
    const attributes: Record<string, string> = {};
    if (props.DisplayName !== undefined) attributes.DisplayName = String(props.DisplayName);
    if (fifo) attributes.FifoTopic = 'true';
    if (props.KmsMasterKeyId !== undefined) attributes.KmsMasterKeyId = String(props.KmsMasterKeyId);
    const out = call(rc, 'CreateTopic', { Name: name, Attributes: Object.keys(attributes).length ? attributes : undefined, Tags: tagsOf(props.Tags).length ? tagsOf(props.Tags) : undefined });
    for (const s of (props.Subscription ?? []) as Sub[]) call(rc, 'Subscribe', { TopicArn: out.TopicArn, Protocol: s.Protocol, Endpoint: s.Endpoint });
    return { physicalId: out.TopicArn, data: { name } };
  },
  update(props, old, changed, rc) {
    const other = changed.filter((c) => c !== 'DisplayName' && c !== 'Subscription');
    if (other.length) throw new AwsError('NotUpdatable', `faultline cannot update ${other.join(', ')} of a topic in place yet.`);
    if (changed.includes('DisplayName')) call(rc, 'SetTopicAttributes', { TopicArn: old.physicalId, AttributeName: 'DisplayName', AttributeValue: String(props.DisplayName ?? '') });
    if (changed.includes('Subscription')) {
      const before = (old.props.Subscription ?? []) as Sub[];
      for (const s of (props.Subscription ?? []) as Sub[]) {
        if (!before.some((b) => b.Protocol === s.Protocol && b.Endpoint === s.Endpoint)) call(rc, 'Subscribe', { TopicArn: old.physicalId, Protocol: s.Protocol, Endpoint: s.Endpoint });
      }
    }
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteTopic', { TopicArn: s.physicalId })),
  getAtt: (s, name) => attribute({ TopicArn: () => s.physicalId, TopicName: () => s.data.name }, name, s),
};

const subscription: ResourceHandler = {
  type: 'AWS::SNS::Subscription',
  create(props, rc) {
    const out = call(rc, 'Subscribe', { TopicArn: props.TopicArn, Protocol: props.Protocol, Endpoint: props.Endpoint, ReturnSubscriptionArn: true });
    return { physicalId: out.SubscriptionArn };
  },
  // A subscription still pending confirmation has no ARN, and nothing to unsubscribe.
  delete: (s, rc) => (s.physicalId.startsWith('arn:') ? deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'Unsubscribe', { SubscriptionArn: s.physicalId })) : DONE),
};

export const snsResources: ResourceHandler[] = [topic, subscription];
