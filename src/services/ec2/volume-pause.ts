/**
 * Paused I/O on an EBS volume, as AWS FIS's `aws:ebs:pause-volume-io` does it, and what EC2 and
 * CloudWatch show of it (Amazon EBS user guide, "Pause I/O fault injection"):
 *  - the volume's status turns `impaired` (DescribeVolumeStatus), within 120 s: here once the
 *    volume has been paused for 60 s, the same moment as the stalled-I/O check;
 *  - in AWS/EBS, `VolumeStalledIOCheck` is 1 after 60 s paused, `VolumeQueueLength` is above 0
 *    and `VolumeReadOps` / `VolumeWriteOps` are 0 while paused, published by the status tick;
 *  - the attached instance's attached-EBS status check fails once the volume has stalled.
 * Only a volume attached to an instance can be paused (FIS targets attached volumes). Under the
 * sandbox driver the volume's disk is really frozen (runtime/loop-volume.ts).
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { pausedSince, pausesOf, volumeFaults } from '../../world/faults.ts';
import { setSeries } from '../cloudwatch/metrics.store.ts';
import type { Env, RequestContext } from '../service.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { checkId } from './scoped.ts';
import { COLL, type InstanceRecord, type VolumeRecord } from './state.ts';
import { volumeNotFound } from './volumes.provider.ts';

/** Cloud ms of paused I/O after which the volume counts as stalled. */
const STALL_AFTER_MS = 60_000;
/** Requests waiting on a paused volume, as VolumeQueueLength shows them (AWS: "non-zero"). */
const PAUSED_QUEUE_LENGTH = 1;

const stalled = (since: number | undefined, now: number) => since !== undefined && now - since >= STALL_AFTER_MS;

/** Whether any EBS volume attached to the instance has stalled (its attached-EBS check fails). */
export function attachedVolumeStalled(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>, now: number): boolean {
  return pausesOf(env, scope, inst.BlockDeviceMappings.map((b) => b.Ebs.VolumeId)).some((since) => stalled(since, now));
}

/**
 * What each volume's AWS/EBS series last showed ('paused', 'stalled' or 'ok'), by account and
 * volume, so that a tick writes only what changed. In memory: after a restart, the first tick
 * writes each once more, which changes nothing that was already right.
 */
const shown = new WeakMap<object, Map<string, string>>();
export const forgetShownPauses = (env: Env) => shown.delete(env.store);

/**
 * Publishes, at a status tick, the AWS/EBS series of the region's volumes that are or were
 * paused: `VolumeStalledIOCheck` 1 once paused for 60 s, `VolumeQueueLength` above 0 and
 * `VolumeReadOps` / `VolumeWriteOps` 0 while paused; once the pause is over, the check and the
 * queue go back to 0 and the paused read and write counts end. Like every EC2 metric, it shows
 * at the minute.
 */
export function publishVolumePauses(env: Env, region: string, now: number): void {
  let mine = shown.get(env.store);
  if (!mine) shown.set(env.store, (mine = new Map()));
  const volumes = new Map<string, { account: string; volumeId: string; since?: number }>();
  for (const f of volumeFaults(env, region)) {
    const key = `${f.account}/${f.target}`;
    const v = volumes.get(key) ?? { account: f.account!, volumeId: f.target };
    if (f.healedAt === undefined) v.since = f.startedAt;
    volumes.set(key, v);
  }
  for (const [key, { account, volumeId, since }] of volumes) {
    const scope = { account, region };
    const state = since === undefined ? 'ok' : stalled(since, now) ? 'stalled' : 'paused';
    if (mine.get(key) === state) continue;
    const series = (name: string, value: number | undefined) =>
      setSeries(env, scope, { namespace: 'AWS/EBS', name, dims: [{ Name: 'VolumeId', Value: volumeId }], unit: 'Count', period: 60, ts: now, value });
    series('VolumeStalledIOCheck', state === 'stalled' ? 1 : 0);
    series('VolumeQueueLength', state === 'ok' ? 0 : PAUSED_QUEUE_LENGTH);
    series('VolumeReadOps', state === 'ok' ? undefined : 0);
    series('VolumeWriteOps', state === 'ok' ? undefined : 0);
    mine.set(key, state);
  }
}

type Status = { Name: string; Status: string };

function volumeStatus(env: Env, scope: Scope, v: DeepReadonly<VolumeRecord>, now: number) {
  const since = pausedSince(env, scope, v.VolumeId);
  const impaired = stalled(since, now);
  const provisioned = v.VolumeType === 'io1' || v.VolumeType === 'io2';
  const performance = !provisioned ? 'not-applicable' : impaired ? 'severely-degraded' : 'normal';
  const details: Status[] =
    v.State === 'creating'
      ? [{ Name: 'io-enabled', Status: 'insufficient-data' }, { Name: 'io-performance', Status: 'insufficient-data' }]
      : [{ Name: 'io-enabled', Status: impaired ? 'failed' : 'passed' }, { Name: 'io-performance', Status: performance }];
  return {
    VolumeId: v.VolumeId,
    AvailabilityZone: v.AvailabilityZone,
    AvailabilityZoneId: v.AvailabilityZoneId,
    VolumeStatus: { Status: v.State === 'creating' ? 'insufficient-data' : impaired ? 'impaired' : 'ok', Details: details },
    Events: [],
    Actions: [],
    AttachmentStatuses: v.Attachments.map((a) => ({ InstanceId: a.InstanceId, IoPerformance: performance })),
  };
}

type VolumeStatusView = ReturnType<typeof volumeStatus>;

export const volumeStatusHandlers = {
  DescribeVolumeStatus(input: { VolumeIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    for (const id of input.VolumeIds ?? []) checkId('Volume', 'vol', id);
    if (input.VolumeIds?.length && input.MaxResults !== undefined) {
      throw new AwsError('InvalidParameterCombination', 'The parameter volumeSet cannot be used with the parameter maxResults');
    }
    const volumes = selectIds(ctx.env.store.list<VolumeRecord>(COLL.volumes, ctx), input.VolumeIds, (v) => v.VolumeId, volumeNotFound);
    const now = ctx.env.clock.now();
    const statuses = volumes.map((v) => volumeStatus(ctx.env, ctx, v, now));
    const filtered = applyFilters<VolumeStatusView>(statuses, input.Filters, {
      'availability-zone': (s) => s.AvailabilityZone,
      'volume-status.status': (s) => s.VolumeStatus.Status,
      'volume-status.details-name': (s) => s.VolumeStatus.Details.map((d) => d.Name),
      'volume-status.details-status': (s) => s.VolumeStatus.Details.map((d) => d.Status),
      // Volumes here have no scheduled events or actions: those filters match nothing.
      ...Object.fromEntries(['action.code', 'action.description', 'action.event-id', 'event.description', 'event.event-id', 'event.event-type', 'event.not-after', 'event.not-before'].map((n) => [n, () => []])),
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { VolumeStatuses: page, NextToken };
  },
};
