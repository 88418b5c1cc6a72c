/**
 * AWS::CloudFormation::WaitConditionHandle and AWS::CloudFormation::WaitCondition. A handle's Ref
 * is a presigned URL on this faultline (signals.ts serves it); a wait condition completes when
 * its handle has received Count SUCCESS signals, and fails on a FAILURE signal or when its
 * Timeout passes. A wait condition with a CreationPolicy waits for SignalResource instead.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../../core/errors.ts';
import { attribute } from '../../cloudformation/handler-kit.ts';
import { DONE, wait, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { handleUrl } from './signals.ts';

/** The longest a wait condition may wait: 12 hours. */
const MAX_TIMEOUT_S = 43_200;

const handle: ResourceHandler = {
  type: 'AWS::CloudFormation::WaitConditionHandle',
  create(_props, rc) {
    const secret = randomBytes(16).toString('hex');
    return { physicalId: handleUrl(rc.endpoint, rc.stackId, rc.logicalId, secret), data: { secret } };
  },
  // A new URL is never needed: the handle has no properties to change.
  update() {},
  delete: () => DONE,
};

const waitCondition: ResourceHandler = {
  type: 'AWS::CloudFormation::WaitCondition',
  create(props, rc) {
    if (props.Handle === undefined) return { physicalId: rc.physicalName(), data: {} };
    const timeout = Number(props.Timeout);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_S) {
      throw new AwsError('ValidationError', `Timeout must be a number of seconds from 1 to ${MAX_TIMEOUT_S}; got ${props.Timeout}`);
    }
    const count = props.Count === undefined ? 1 : Number(props.Count);
    if (!Number.isInteger(count) || count < 1) throw new AwsError('ValidationError', `Count must be a positive integer; got ${props.Count}`);
    return { physicalId: String(props.Handle), data: { deadline: rc.env.clock.now() + timeout * 1000, count } };
  },
  stabilize(s, rc) {
    if (s.props.Handle === undefined) return DONE;
    const signals = rc.handleSignals(String(s.props.Handle));
    const failed = signals.find((x) => x.Status === 'FAILURE');
    if (failed) throw new AwsError('WaitConditionFailed', `WaitCondition received failed message: '${failed.Reason ?? ''}' for uniqueId: ${failed.UniqueId}`);
    const ok = signals.filter((x) => x.Status === 'SUCCESS').length;
    const count = Number(s.data.count ?? 1);
    if (ok >= count) return DONE;
    const now = rc.env.clock.now();
    const deadline = Number(s.data.deadline);
    if (now >= deadline) throw new AwsError('WaitConditionTimedOut', `WaitCondition timed out. Received ${ok} conditions when expecting ${count}`);
    // A signal wakes the stack loop at once; this poll only catches the timeout.
    return wait(deadline - now);
  },
  update() {},
  delete: () => DONE,
  getAtt(s, name, rc) {
    const data = () => JSON.stringify(Object.fromEntries(rc.handleSignals(String(s.props.Handle ?? '')).filter((x) => x.Status === 'SUCCESS').map((x) => [x.UniqueId, x.Data ?? ''])));
    return attribute({ Data: data, Id: () => s.physicalId }, name, s);
  },
};

export const waitConditionResources: ResourceHandler[] = [handle, waitCondition];
