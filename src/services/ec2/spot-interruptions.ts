/**
 * Spot interruptions, as EC2 gives them: first an EC2 instance rebalance recommendation, then the
 * two-minute interruption notice, then the interruption itself, each on the clock.
 *
 * - The recommendation: IMDS `events/recommendations/rebalance` answers `{"noticeTime": ...}` (404
 *   before), and an `EC2 Instance Rebalance Recommendation` event is logged.
 * - The notice, two minutes before: IMDS `spot/instance-action` answers `{"action", "time"}`
 *   (and `spot/termination-time` the time, for a termination; both 404 before), the request's
 *   status becomes marked-for-termination (or marked-for-stop), and an `EC2 Spot Instance
 *   Interruption Warning` event is logged. Both events carry EventBridge's envelope as AWS
 *   sends it.
 * - The interruption: the instance shuts down as the request's InstanceInterruptionBehavior says
 *   (terminate, or stop; hibernate stops it too), with StateReason Server.SpotInstanceTermination
 *   or Server.SpotInstanceShutdown, and the request loop (spot.loop.ts) moves the request on.
 *
 * `faultline interrupt-spot` (the control API) and FIS's aws:ec2:send-spot-instance-interruptions
 * start one; the request loop runs its steps when they are due.
 */
import { AwsError } from '../../core/errors.ts';
import { uuid } from '../../core/ids.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { disassociateElasticIps, queueInstance, reconcilePublicIps, setState } from './instance.loop.ts';
import { gmt } from './scoped.ts';
import { getSpotRequest, putSpotRequest, queueSpotRequest, setStatus, SPOT_REQUESTS, type InterruptedBy, type Interruption, type SpotRequestRecord } from './spot-requests.ts';
import { COLL, type InstanceRecord } from './state.ts';

/** The interruption notice comes this long before the interruption. */
export const NOTICE_MS = 120_000;

/** ISO 8601 without milliseconds, as IMDS and EventBridge write times. */
const seconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const actionOf = (req: DeepReadonly<SpotRequestRecord>) => req.InstanceInterruptionBehavior;

/**
 * Interrupts a running spot instance `afterMs` from now (at least two minutes): the rebalance
 * recommendation at once, the notice two minutes before the interruption. Returns the steps' times.
 */
export function interruptSpotInstance(env: Env, scope: Scope, instanceId: string, opts: { afterMs?: number; by: InterruptedBy }): Interruption & { spotInstanceRequestId: string; action: string } {
  const afterMs = opts.afterMs ?? NOTICE_MS;
  if (!(afterMs >= NOTICE_MS)) throw new AwsError('InvalidParameter', 'a spot interruption comes at least 120 seconds after its rebalance recommendation (the two-minute notice)', 400);
  const inst = env.store.get<InstanceRecord>(COLL.instances, scope, instanceId);
  if (!inst) throw new AwsError('NotFound', `no instance ${instanceId} in ${scope.account}/${scope.region}`, 404);
  if (inst.InstanceLifecycle !== 'spot' || !inst.SpotInstanceRequestId) throw new AwsError('InvalidParameter', `${instanceId} is an on-demand instance: only spot instances are interrupted`, 400);
  if (inst.State.Name !== 'pending' && inst.State.Name !== 'running') throw new AwsError('IncorrectState', `${instanceId} is ${inst.State.Name}: only a pending or running spot instance can be interrupted`, 409);
  const req = getSpotRequest(env, scope, inst.SpotInstanceRequestId);
  if (!req) throw new AwsError('NotFound', `no spot request ${inst.SpotInstanceRequestId} for ${instanceId}`, 404);
  if (req.interruption && !req.interruption.done && req.interruption.instanceId === instanceId) {
    throw new AwsError('IncorrectState', `${instanceId} is already being interrupted (at ${seconds(req.interruption.at)})`, 409);
  }
  const now = env.clock.now();
  req.interruption = { instanceId, recommendedAt: now, noticeAt: now + afterMs - NOTICE_MS, at: now + afterMs, by: opts.by };
  // The steps due now happen now, so that IMDS and the event log show them as this call returns.
  const next = interruptionStep(env, scope, req, now);
  putSpotRequest(env, scope, req);
  if (next !== undefined) queueSpotRequest(env, scope, req.SpotInstanceRequestId, next);
  return { ...req.interruption, spotInstanceRequestId: req.SpotInstanceRequestId, action: actionOf(req) };
}

/**
 * The control API's interruption (`faultline interrupt-spot`): of the instance wherever it runs,
 * `afterSeconds` from now (120 by default), for capacity (the default) or for price.
 */
export function interruptSpotInstanceAnywhere(env: Env, input: { instance?: unknown; afterSeconds?: unknown; reason?: unknown }) {
  const { instance, afterSeconds, reason = 'capacity' } = input;
  if (typeof instance !== 'string' || !/^i-[0-9a-f]+$/.test(instance)) throw new AwsError('InvalidParameter', 'give instance: the id of a spot instance (i-...)', 400);
  if (afterSeconds !== undefined && typeof afterSeconds !== 'number') throw new AwsError('InvalidParameter', 'afterSeconds must be a number of seconds, at least 120', 400);
  if (reason !== 'capacity' && reason !== 'price') throw new AwsError('InvalidParameter', 'reason must be capacity or price', 400);
  let scope: Scope | undefined;
  for (const [where, inst] of env.store.scan<InstanceRecord>(COLL.instances)) if (inst.InstanceId === instance) scope = where;
  if (!scope) throw new AwsError('NotFound', `no instance ${instance} in any account`, 404);
  const by = reason === 'price' ? 'by-price' : 'no-capacity';
  return env.store.transaction(() => interruptSpotInstance(env, scope, instance, { afterMs: afterSeconds === undefined ? undefined : afterSeconds * 1000, by }));
}

/** EventBridge's envelope of an EC2 event about one instance. */
function ec2Event(scope: Scope, now: number, detailType: string, instanceId: string, detail: Record<string, unknown>) {
  return {
    version: '0',
    id: uuid(),
    'detail-type': detailType,
    source: 'aws.ec2',
    account: scope.account,
    time: seconds(now),
    region: scope.region,
    resources: [`arn:aws:ec2:${scope.region}:${scope.account}:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, ...detail },
  };
}

/**
 * Takes the steps of the request's interruption that are due at `now`; returns when the next one
 * is due, or undefined once the interruption has happened. The caller puts the request.
 */
export function interruptionStep(env: Env, scope: Scope, req: SpotRequestRecord, now: number): number | undefined {
  const i = req.interruption;
  if (!i || i.done) return undefined;
  const id = i.instanceId;
  if (!i.recommended && now >= i.recommendedAt) {
    i.recommended = true;
    env.events.emit('ec2.rebalance-recommendation', ec2Event(scope, now, 'EC2 Instance Rebalance Recommendation', id, {}));
  }
  if (!i.noticed && now >= i.noticeAt) {
    i.noticed = true;
    setStatus(env, req, 'active', actionOf(req) === 'terminate' ? 'marked-for-termination' : 'marked-for-stop');
    env.events.emit('ec2.spot-interruption-warning', ec2Event(scope, now, 'EC2 Spot Instance Interruption Warning', id, { 'instance-action': actionOf(req) }));
  }
  if (now < i.at) return i.noticed ? i.at : i.noticeAt;
  i.done = true;
  interrupt(env, scope, id, actionOf(req), now);
  return undefined;
}

/** The interruption itself: EC2 shuts the instance down, whatever its termination or stop protection. */
function interrupt(env: Env, scope: Scope, instanceId: string, action: string, now: number): void {
  const inst = env.store.mutable<InstanceRecord>(COLL.instances, scope, instanceId);
  if (!inst || (inst.State.Name !== 'pending' && inst.State.Name !== 'running')) return;
  const terminate = action === 'terminate';
  setState(env, scope, inst, terminate ? 'shutting-down' : 'stopping');
  inst.StateTransitionReason = `Service initiated (${gmt(now)})`;
  inst.StateReason = terminate
    ? { Code: 'Server.SpotInstanceTermination', Message: 'Server.SpotInstanceTermination: Spot instance termination' }
    : { Code: 'Server.SpotInstanceShutdown', Message: 'Server.SpotInstanceShutdown: Spot instance shutdown' };
  if (terminate) {
    disassociateElasticIps(env, scope, inst);
    reconcilePublicIps(env, scope, inst);
  }
  env.store.put(COLL.instances, scope, instanceId, inst);
  queueInstance(env, scope, instanceId, now + env.config.stopSeconds * 1000);
}

/** The interruption of this instance, if one has begun. */
function interruptionOf(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>): DeepReadonly<{ req: SpotRequestRecord; i: Interruption }> | undefined {
  if (!inst.SpotInstanceRequestId) return undefined;
  const req = env.store.get<SpotRequestRecord>(SPOT_REQUESTS, scope, inst.SpotInstanceRequestId);
  const i = req?.interruption;
  return req && i && i.instanceId === inst.InstanceId ? { req, i } : undefined;
}

/** Whether EC2 has sent this instance a rebalance recommendation (Auto Scaling's capacity rebalancing reads it). */
export const rebalanceRecommended = (env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>): boolean => !!interruptionOf(env, scope, inst)?.i.recommended;

/** What the instance metadata service adds for a spot instance being interrupted: `spot/` and `events/recommendations/`. */
export function spotMetadata(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>): Record<string, Record<string, string | Record<string, string>>> {
  const found = interruptionOf(env, scope, inst);
  if (!found) return {};
  const { req, i } = found;
  const out: Record<string, Record<string, string | Record<string, string>>> = {};
  if (i.recommended) out.events = { recommendations: { rebalance: JSON.stringify({ noticeTime: seconds(i.recommendedAt) }) } };
  if (i.noticed) {
    const time = seconds(i.at);
    out.spot = { 'instance-action': JSON.stringify({ action: actionOf(req), time }), ...(actionOf(req) === 'terminate' ? { 'termination-time': time } : {}) };
  }
  return out;
}
