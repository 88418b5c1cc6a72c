/**
 * Paused I/O on an EBS volume, as AWS FIS's `aws:ebs:pause-volume-io` does it, and what EC2 and
 * CloudWatch show of it (Amazon EBS user guide, "Pause I/O fault injection"):
 *  - the volume's status turns `impaired` (DescribeVolumeStatus), within 120 s: here once the
 *    volume has been paused for 60 s, the same moment as the stalled-I/O check;
 *  - in AWS/EBS, `VolumeStalledIOCheck` is 1 after 60 s paused, `VolumeQueueLength` is above 0
 *    and `VolumeReadOps` / `VolumeWriteOps` are 0 while paused;
 *  - the attached instance's attached-EBS status check fails once the volume has stalled.
 * Only a volume attached to an instance can be paused (FIS targets attached volumes). Under the
 * sandbox driver the volume's disk is really frozen (runtime/loop-volume.ts).
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { activeFaults, type FaultRecord } from '../../world/faults.ts';
import { setSeries } from '../cloudwatch/metrics.store.ts';
import type { Env, RequestContext } from '../service.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { checkId, dryRun } from './scoped.ts';
import { COLL, type InstanceRecord, type VolumeRecord } from './state.ts';
import { volumeNotFound } from './volumes.provider.ts';

/** Cloud ms of paused I/O after which the volume counts as stalled. */
export const STALL_AFTER_MS = 60_000;
/** Requests waiting on a paused volume, as VolumeQueueLength shows them (AWS: "non-zero"). */
const PAUSED_QUEUE_LENGTH = 1;

const pauses = (env: Env, scope: Scope) =>
  activeFaults(env).filter((f) => f.kind === 'volume' && f.account === scope.account && f.region === scope.region);

/** When the volume's I/O was paused, if it is now. */
export function pausedSince(env: Env, scope: Scope, volumeId: string): number | undefined {
  return pauses(env, scope).find((f) => f.target === volumeId)?.startedAt;
}

const stalled = (since: number | undefined, now: number) => since !== undefined && now - since >= STALL_AFTER_MS;

/** Whether any EBS volume attached to the instance has stalled (its attached-EBS check fails). */
export function attachedVolumeStalled(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>, now: number): boolean {
  const paused = pauses(env, scope);
  if (!paused.length) return false;
  return inst.BlockDeviceMappings.some((b) => stalled(paused.find((f) => f.target === b.Ebs.VolumeId)?.startedAt, now));
}

/** Checks that a volume's I/O can be paused: it exists in the account and region, and is attached. */
export function checkPausable(env: Env, scope: Scope, volumeId: string): void {
  if (!/^vol-[0-9a-f]+$/.test(volumeId)) throw volumeNotFound(volumeId);
  const v = env.store.get<VolumeRecord>(COLL.volumes, scope, volumeId);
  if (!v) throw volumeNotFound(volumeId);
  if (!v.Attachments.length) throw new AwsError('IncorrectState', `The volume '${volumeId}' is not attached to an instance: only an attached volume's I/O can be paused.`, 409);
  if (pausedSince(env, scope, volumeId) !== undefined) throw new AwsError('IncorrectState', `The volume '${volumeId}' already has its I/O paused.`, 409);
}

/**
 * Publishes the volume's I/O metrics for a pause at `now` (`paused` false: the pause is over,
 * the stalled check and the queue go back to 0 and the paused read and write counts end).
 * Returns when the volume will count as stalled, if that is still to come.
 */
export function publishPause(env: Env, f: FaultRecord, now: number, paused: boolean): number | undefined {
  const scope = { account: f.account!, region: f.region };
  const series = (name: string, value: number | undefined) =>
    setSeries(env, scope, { namespace: 'AWS/EBS', name, dims: [{ Name: 'VolumeId', Value: f.target }], unit: 'Count', period: 60, ts: now, value });
  const isStalled = paused && stalled(f.startedAt, now);
  series('VolumeStalledIOCheck', isStalled ? 1 : 0);
  series('VolumeQueueLength', paused ? PAUSED_QUEUE_LENGTH : 0);
  series('VolumeReadOps', paused ? 0 : undefined);
  series('VolumeWriteOps', paused ? 0 : undefined);
  return paused && !isStalled ? f.startedAt + STALL_AFTER_MS : undefined;
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
    dryRun(input);
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
