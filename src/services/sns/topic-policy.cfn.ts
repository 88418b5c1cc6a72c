/**
 * CloudFormation's AWS::SNS::TopicPolicy: sets the Policy attribute of each topic it lists, and
 * gives a topic it lets go (on delete, or dropped from Topics) SNS's default policy back. Its
 * physical id (Ref, and GetAtt Id) is a generated name, as on AWS.
 */
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, isGone, policyText, strings } from '../../cloudformation/handler-kit.ts';
import { DONE, type ResourceContext, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { defaultPolicy } from './access.ts';
import { sns } from './index.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(sns, op, input, rc.request);

const setPolicy = (rc: ResourceContext, topicArn: string, policy: string) => call(rc, 'SetTopicAttributes', { TopicArn: topicArn, AttributeName: 'Policy', AttributeValue: policy });

/** Gives a topic its default policy back; a topic already deleted has nothing to restore. */
function restoreDefault(rc: ResourceContext, topicArn: string): void {
  try {
    setPolicy(rc, topicArn, defaultPolicy(topicArn, topicArn.split(':')[4]));
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}

const topicPolicy: ResourceHandler = {
  type: 'AWS::SNS::TopicPolicy',
  create(props, rc) {
    const policy = policyText(props.PolicyDocument);
    for (const t of strings(props.Topics)) setPolicy(rc, t, policy);
    return { physicalId: rc.physicalName() };
  },
  update(props, old, _changed, rc) {
    const topics = strings(props.Topics);
    const policy = policyText(props.PolicyDocument);
    for (const t of topics) setPolicy(rc, t, policy);
    for (const t of strings(old.props.Topics)) if (!topics.includes(t)) restoreDefault(rc, t);
  },
  delete(s, rc) {
    for (const t of strings(s.props.Topics)) restoreDefault(rc, t);
    return DONE;
  },
  getAtt: (s, name) => attribute({ Id: () => s.physicalId }, name, s),
};

export const snsPolicyResources: ResourceHandler[] = [topicPolicy];
