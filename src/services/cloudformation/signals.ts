/**
 * Signals: SignalResource (what cfn-signal calls) for resources with a CreationPolicy, and the
 * presigned URL of a WaitConditionHandle, which takes an HTTP PUT of
 * {"Status","Reason","UniqueId","Data"} of at most 4,096 bytes. Both record the signal on the
 * resource and wake the stack loop.
 *
 * In AWS a handle's URL is a presigned S3 URL, in the bucket cloudformation-waitcondition-REGION,
 * which an instance's user data curls. Here it is that bucket and key, path-style, outside the
 * control API (which instances cannot reach), at the address where instances reach faultline:
 * its own endpoint, or under the sandbox driver the API address inside every VPC.
 */
import { errors } from '../../core/errors.ts';
import { queueStack } from '../../cloudformation/engine.ts';
import type { Signal } from '../../cloudformation/resource-handler.ts';
import { STACKS, type StackRecord } from '../../cloudformation/state.ts';
import type { WireResponse } from '../../protocols/protocol.ts';
import type { Env, RequestContext } from '../service.ts';
import { putStack, requireStack } from './lookup.ts';
import { own } from '../../core/own.ts';

export const MAX_SIGNAL_BYTES = 4096;

/** `/cloudformation-waitcondition-REGION/STACK_ARN/LOGICAL_ID`, the stack ARN URL-encoded. */
const SIGNAL_PATH = /^\/cloudformation-waitcondition-([a-z0-9-]+)\/(arn%3Aaws[^/]*)\/([^/]+)$/i;

/** Whether a request is for a wait condition handle (served by the gateway, before any service). */
export const isSignalPath = (pathname: string) => SIGNAL_PATH.test(pathname);

const STATUSES = ['SUCCESS', 'FAILURE', 'WARNING'];

function record(res: { signals?: Signal[] }, s: Signal): void {
  res.signals ??= [];
  // A repeated UniqueId replaces the earlier signal, as CloudFormation counts each id once.
  res.signals = res.signals.filter((x) => x.UniqueId !== s.UniqueId);
  res.signals.push(s);
}

export const signalHandlers = {
  SignalResource(input: { StackName: string; LogicalResourceId: string; UniqueId: string; Status: string }, ctx: RequestContext) {
    const s = requireStack(ctx, input.StackName);
    const res = own(s.resources, input.LogicalResourceId);
    if (!res) throw errors.validation(`Resource ${input.LogicalResourceId} does not exist for stack ${s.StackName}`);
    if (!STATUSES.includes(input.Status)) throw errors.validation(`Status ${input.Status} is not one of ${STATUSES.join(', ')}`);
    if (!['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS'].includes(res.ResourceStatus) || !res.work) {
      throw errors.validation(`Resource ${input.LogicalResourceId} is in ${res.ResourceStatus} state and can not be signaled`);
    }
    record(res, { UniqueId: input.UniqueId, Status: input.Status as Signal['Status'] });
    wakeWaiting(s, ctx.env.clock.now());
    putStack(ctx, s);
    queueStack(ctx.env, s.StackId);
    return {};
  },
};

/** Makes the stack loop look at its waiting resources on its next run, rather than at their deadlines. */
function wakeWaiting(s: StackRecord, now: number): void {
  for (const r of Object.values(s.resources)) if (r.work && r.work.next > now) r.work.next = now;
}

/**
 * The URL of a wait condition handle: the stack, the handle and a secret that makes it presigned.
 * `endpoint` is where instances reach faultline (the resource context's); the same path and
 * query work on every address faultline answers on.
 */
export const handleUrl = (endpoint: string, stackId: string, logicalId: string, secret: string) =>
  `${endpoint}/cloudformation-waitcondition-${stackId.split(':')[3]}/${encodeURIComponent(stackId)}/${logicalId}?Signature=${secret}`;

const json = (status: number, body: unknown): WireResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Answers a PUT to a wait condition handle's URL. */
export function handleWaitConditionSignal(env: Env, method: string, url: URL, body: Buffer): WireResponse {
  if (method !== 'PUT') return json(405, { error: 'wait condition handles take PUT' });
  if (body.length > MAX_SIGNAL_BYTES) return json(400, { error: `the signal must be at most ${MAX_SIGNAL_BYTES} bytes` });
  const [, bucketRegion = '', key = '', logicalId = ''] = SIGNAL_PATH.exec(url.pathname) ?? [];
  let stackId = '';
  try {
    stackId = decodeURIComponent(key);
  } catch {
    // not a stack ARN: answered below
  }
  const m = /^arn:aws[a-z-]*:cloudformation:([a-z0-9-]+):(\d{12}):stack\//.exec(stackId);
  if (!m || m[1] !== bucketRegion) return json(404, { error: 'no such wait condition handle' });
  const scope = { account: m[2], region: m[1] };
  let signal: Signal;
  try {
    const v = JSON.parse(body.toString('utf8'));
    if (!v || typeof v !== 'object' || !STATUSES.includes(v.Status) || typeof v.UniqueId !== 'string') throw new Error();
    signal = { Status: v.Status, UniqueId: v.UniqueId, Reason: v.Reason === undefined ? undefined : String(v.Reason), Data: v.Data === undefined ? undefined : String(v.Data) };
  } catch {
    return json(400, { error: 'the signal must be JSON: {"Status": "SUCCESS"|"FAILURE", "Reason", "UniqueId", "Data"}' });
  }
  return env.store.transaction(() => {
    const s = env.store.mutable<StackRecord>(STACKS, scope, stackId);
    const res = own(s?.resources, logicalId);
    if (!s || !res || res.ResourceType !== 'AWS::CloudFormation::WaitConditionHandle' || res.data?.secret !== url.searchParams.get('Signature')) {
      return json(403, { error: 'the URL is not a valid wait condition handle' });
    }
    record(res, signal);
    wakeWaiting(s, env.clock.now());
    env.store.put(STACKS, scope, stackId, s);
    // Every wait condition of the stack may be waiting on this handle.
    queueStack(env, stackId);
    return json(200, {});
  });
}
