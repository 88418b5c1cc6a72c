/**
 * The spot request loop: one step per request, level-triggered. It takes the steps of an
 * interruption that are due (spot-interruptions.ts), then brings the request in line with its
 * instance, as AWS's request lifecycle goes:
 *
 * - an open request is evaluated (EVALUATION_MS after it is made) and fulfilled by a launch,
 *   unless it is not yet valid (not-scheduled-yet), its maximum price is below the spot price
 *   (price-too-low), or the zone has no capacity (capacity-not-available, evaluated again every
 *   minute); past ValidUntil it expires (schedule-expired);
 * - an active request whose instance is stopped is `disabled` (instance-stopped-*); after an
 *   interruption for capacity or price the instance is started again when capacity returns
 *   (evaluated every minute, from a minute after it stopped); one stopped by the user or by an FIS
 *   experiment stays stopped until the user starts it;
 * - an active request whose instance is gone (instance-terminated-*) closes if it is one-time,
 *   and opens again if it is persistent, to launch a new instance a minute later.
 *
 * Instance state changes queue the request's step (instance.loop.ts setState), so the request
 * follows its instance whoever changed it.
 */
import { AwsError } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { instanceHandlers } from './instances.provider.ts';
import { regionZones } from '../../config.ts';
import { loopContext, parseLoopKey } from './scoped.ts';
import { interruptionStep } from './spot-interruptions.ts';
import { spotPrice, spotPriceIn } from './spot-prices.ts';
import { getSpotRequest, putSpotRequest, setStatus, SPOT_LOOP, type SpotRequestRecord } from './spot-requests.ts';
import { zoneId } from './regions.provider.ts';
import { COLL, type InstanceRecord, type SubnetRecord } from './state.ts';

/** How often EC2 looks again for capacity for an open request or an interrupted, stopped instance. */
const REEVALUATE_MS = 60_000;

/** The spot price the request must meet: in its zone, or (with no zone asked for) the region's lowest. */
function priceToMeet(env: Env, scope: Scope, req: SpotRequestRecord): string {
  const ctx = loopContext(env, scope);
  const run = req.runInput as { InstanceType?: string; SubnetId?: string; Placement?: { AvailabilityZone?: string } };
  const type = run.InstanceType ?? 'm1.small';
  const zone = run.Placement?.AvailabilityZone ?? (run.SubnetId ? env.store.get<SubnetRecord>(COLL.subnets, scope, run.SubnetId)?.AvailabilityZone : undefined);
  if (zone) return spotPriceIn(ctx, type, zone);
  const prices = (regionZones(env.config, scope.region) ?? []).map((l) => spotPrice(type, zoneId(scope.region, l)));
  return prices.sort((a, b) => Number(a) - Number(b))[0];
}

/** Evaluates an open request: launches its instance when it can; returns when to look again. */
function evaluate(env: Env, scope: Scope, req: SpotRequestRecord, now: number): number | undefined {
  const until = Date.parse(req.ValidUntil);
  if (now >= until) return void setStatus(env, req, 'cancelled', 'schedule-expired');
  const from = req.ValidFrom ? Date.parse(req.ValidFrom) : undefined;
  if (from !== undefined && now < from) {
    setStatus(env, req, 'open', 'not-scheduled-yet');
    return from;
  }
  if (req.evaluateAt !== undefined && now < req.evaluateAt) return req.evaluateAt;
  const price = priceToMeet(env, scope, req);
  if (Number(req.SpotPrice) < Number(price)) {
    setStatus(env, req, 'open', 'price-too-low', `Your Spot request price of ${req.SpotPrice} is lower than the minimum required Spot request fulfillment price of ${price}.`);
    return until;
  }
  try {
    const input = { ...req.runInput, MinCount: 1, MaxCount: 1, spotRequestId: req.SpotInstanceRequestId } as Parameters<typeof instanceHandlers.RunInstances>[0];
    const inst = instanceHandlers.RunInstances(input, loopContext(env, scope)).Instances[0];
    req.InstanceId = inst.InstanceId;
    req.LaunchedAvailabilityZone = inst.Placement.AvailabilityZone;
    req.LaunchedAvailabilityZoneId = inst.Placement.AvailabilityZoneId;
    delete req.evaluateAt;
    delete req.interruption;
    setStatus(env, req, 'active', 'fulfilled');
    return undefined;
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    if (e.code !== 'InsufficientInstanceCapacity') return void setStatus(env, req, 'failed', 'bad-parameters', e.message);
    setStatus(env, req, 'open', 'capacity-not-available');
    req.evaluateAt = now + REEVALUATE_MS;
    return Math.min(req.evaluateAt, until);
  }
}

/** Brings the request in line with its instance; returns when to look again, if it must. */
function reconcile(env: Env, scope: Scope, req: SpotRequestRecord, now: number): number | undefined {
  if (req.State === 'closed' || req.State === 'cancelled' || req.State === 'failed') return undefined;
  if (req.State === 'open') return evaluate(env, scope, req, now);
  const inst = req.InstanceId ? env.store.get<InstanceRecord>(COLL.instances, scope, req.InstanceId) : undefined;
  const state = inst?.State.Name ?? 'terminated';
  const i = req.interruption;
  const interrupted = i?.done && i.instanceId === req.InstanceId ? i.by : undefined;
  if (state === 'pending' || state === 'running') {
    // Started again after a stop: the interruption that stopped it is over.
    if (interrupted) delete req.interruption;
    if (!i?.noticed || interrupted) setStatus(env, req, 'active', 'fulfilled');
    return undefined;
  }
  if (state === 'stopping' || state === 'stopped') {
    setStatus(env, req, 'disabled', `instance-stopped-${interrupted ?? 'by-user'}`);
    if (state !== 'stopped' || !interrupted || interrupted === 'by-experiment') return undefined;
    const retryAt = Math.max(inst!.stateSince + REEVALUATE_MS, now);
    if (now < retryAt) return retryAt;
    try {
      instanceHandlers.StartInstances({ InstanceIds: [inst!.InstanceId] }, loopContext(env, scope));
      return undefined;
    } catch (e) {
      if (!(e instanceof AwsError) || e.code !== 'InsufficientInstanceCapacity') throw e;
      return now + REEVALUATE_MS;
    }
  }
  const code = `instance-terminated-${interrupted ?? 'by-user'}`;
  if (req.Type === 'one-time') return void setStatus(env, req, 'closed', code);
  setStatus(env, req, 'open', code);
  req.evaluateAt = now + REEVALUATE_MS;
  return req.evaluateAt;
}

export function spotLoops(env: Env) {
  return {
    [SPOT_LOOP]: (key: string): number | void => {
      const { scope, id } = parseLoopKey(key);
      const req = getSpotRequest(env, scope, id);
      if (!req) return;
      const now = env.clock.now();
      const wakes = [interruptionStep(env, scope, req, now), reconcile(env, scope, req, now)].filter((t): t is number => t !== undefined && t > now);
      putSpotRequest(env, scope, req);
      if (wakes.length) return Math.min(...wakes) - now;
    },
  };
}
