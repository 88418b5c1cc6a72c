/**
 * The instance lifecycle and status-check loops.
 *
 * `ec2.instance` moves an instance on from the state its last API call left it in:
 * pending → running after `bootSeconds`, stopping → stopped after `stopSeconds`, shutting-down →
 * terminated after `stopSeconds`, and a terminated instance disappears after
 * `terminatedVisibleMinutes`. It is level-triggered: it reads the state and the time of the last
 * change, acts if that time is up, and otherwise asks to run again when it will be.
 *
 * `ec2.status-check` runs once a minute for each running instance, as EC2's checks do: the system
 * check fails when the host (or its zone) has lost power or network, the instance check fails
 * with it, when the instance itself has been failed, or when its boot failed for real (under the
 * sandbox driver, boot-failures.ts), and the attached-EBS check fails when the zone is down.
 * Results are kept on the instance with the time they started failing.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { instanceFaulted } from '../../world/faults.ts';
import { AwsError } from '../../core/errors.ts';
import { hostLoad } from '../../world/placement.ts';
import { placerFor } from './launch-placement.ts';
import { hostUsable, zoneHealthy } from '../../world/state.ts';
import type { Env } from '../service.ts';
import { getInterface, putInterface, reconcileAutoPublicIp, syncInstanceNetwork } from './network-interfaces.ts';
import { gmt, loopContext, loopKey, parseLoopKey } from './scoped.ts';
import { COLL, type AddressRecord, type InstanceRecord, type InstanceStateRecord, type StatusCheckResult } from './state.ts';
import { releasePrivateIp } from './subnet-addresses.ts';
import { releaseInstanceVolumes } from './volumes.provider.ts';
import { forgetPublished, publishInstanceMetrics } from './metrics.ts';
import { automaticRecoveryDue } from './auto-recovery.ts';
import { tryRecover } from './alarm-actions.ts';
import { bootFailed } from './boot-failures.ts';
import { attachedVolumeStalled, forgetShownPauses, publishVolumePauses } from './volume-pause.ts';
import { queueSpotRequest } from './spot-requests.ts';

export const INSTANCE_LOOP = 'ec2.instance';
export const STATUS_LOOP = 'ec2.status-check';
export const STATUS_INTERVAL_MS = 60_000;

export const STATE_CODES: Record<InstanceStateRecord['Name'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export const stateOf = (name: InstanceStateRecord['Name']): InstanceStateRecord => ({ Code: STATE_CODES[name], Name: name });

/** Moves an instance to a new state, stamps the time and writes the event log. The caller puts the record. */
export function setState(env: Env, scope: Scope, inst: InstanceRecord, name: InstanceStateRecord['Name']): void {
  const previous = inst.State.Name;
  inst.State = stateOf(name);
  inst.stateSince = env.clock.now();
  if (previous !== name) {
    env.events.emit('ec2.instance-state-change', { account: scope.account, region: scope.region, instanceId: inst.InstanceId, previousState: previous, state: name });
    // A spot instance's request follows its instance (spot.loop.ts).
    if (inst.SpotInstanceRequestId) queueSpotRequest(env, scope, inst.SpotInstanceRequestId);
  }
}

/** Whether the instance should hold an automatic public IP in its state. */
export const wantsPublicIp = (state: InstanceStateRecord['Name']) => state === 'pending' || state === 'running' || state === 'stopping';

/** Gives or takes the automatic public IP of each interface to match the instance's state. */
export function reconcilePublicIps(env: Env, scope: Scope, inst: InstanceRecord): void {
  for (const id of inst.networkInterfaceIds) {
    const eni = getInterface(env, scope, id);
    if (!eni) continue;
    reconcileAutoPublicIp(env, scope, eni, wantsPublicIp(inst.State.Name));
    putInterface(env, scope, eni);
  }
  syncInstanceNetwork(env, scope, inst);
}

/** Takes Elastic IPs off an instance that is terminating; the addresses stay allocated. */
export function disassociateElasticIps(env: Env, scope: Scope, inst: InstanceRecord): void {
  for (const a of env.store.list<AddressRecord>(COLL.addresses, scope)) {
    if (a.InstanceId !== inst.InstanceId && !inst.networkInterfaceIds.includes(a.NetworkInterfaceId ?? '')) continue;
    const addr = env.store.mutable<AddressRecord>(COLL.addresses, scope, a.AllocationId)!;
    const eni = addr.NetworkInterfaceId ? getInterface(env, scope, addr.NetworkInterfaceId) : undefined;
    if (eni?.Association?.AllocationId === addr.AllocationId) {
      eni.Association = undefined;
      eni.PrivateIpAddresses = eni.PrivateIpAddresses.map((p) => ({ ...p, Association: undefined }));
      putInterface(env, scope, eni);
    }
    delete addr.AssociationId;
    delete addr.InstanceId;
    delete addr.NetworkInterfaceId;
    delete addr.NetworkInterfaceOwnerId;
    delete addr.PrivateIpAddress;
    delete addr.SubnetId;
    env.store.put(COLL.addresses, scope, addr.AllocationId, addr);
  }
}

/** What terminated means for the rest of the instance: interfaces, private IPs and volumes go. */
function finishTermination(env: Env, scope: Scope, inst: InstanceRecord): void {
  const ctx = loopContext(env, scope);
  disassociateElasticIps(env, scope, inst);
  for (const id of inst.networkInterfaceIds) {
    const eni = getInterface(env, scope, id);
    if (!eni) continue;
    reconcileAutoPublicIp(env, scope, eni, false);
    releasePrivateIp(ctx, eni.SubnetId, eni.PrivateIpAddress);
    env.store.delete('ec2.networkInterfaces', scope, id);
  }
  inst.networkInterfaceIds = [];
  syncInstanceNetwork(env, scope, inst);
  releaseInstanceVolumes(env, scope, inst);
  inst.hostId = undefined;
  inst.SubnetId = undefined;
  inst.VpcId = undefined;
  inst.SecurityGroups = [];
  inst.statusChecks = undefined;
}

export function instanceLoops(env: Env) {
  const secs = (n: number) => n * 1000;
  return {
    [INSTANCE_LOOP]: (key: string): number | void => {
      const { scope, id } = parseLoopKey(key);
      const inst = env.store.mutable<InstanceRecord>(COLL.instances, scope, id);
      if (!inst) return;
      const now = env.clock.now();
      const elapsed = now - inst.stateSince;
      switch (inst.State.Name) {
        case 'pending': {
          const wait = secs(env.config.bootSeconds) - elapsed;
          if (wait > 0) return wait;
          setState(env, scope, inst, 'running');
          inst.runningSince = now;
          inst.StateReason = undefined;
          inst.StateTransitionReason = '';
          inst.statusChecks = undefined;
          env.store.put(COLL.instances, scope, id, inst);
          queueStatusChecks(env, scope.region);
          return;
        }
        case 'stopping': {
          const wait = secs(env.config.stopSeconds) - elapsed;
          if (wait > 0) return wait;
          setState(env, scope, inst, 'stopped');
          inst.hostId = undefined;
          inst.statusChecks = undefined;
          reconcilePublicIps(env, scope, inst);
          env.store.put(COLL.instances, scope, id, inst);
          return;
        }
        case 'shutting-down': {
          const wait = secs(env.config.stopSeconds) - elapsed;
          if (wait > 0) return wait;
          setState(env, scope, inst, 'terminated');
          finishTermination(env, scope, inst);
          env.store.put(COLL.instances, scope, id, inst);
          return secs(env.config.terminatedVisibleMinutes * 60);
        }
        case 'terminated': {
          const wait = secs(env.config.terminatedVisibleMinutes * 60) - elapsed;
          if (wait > 0) return wait;
          env.store.delete(COLL.instances, scope, id);
          return;
        }
        default:
          return;
      }
    },

    [STATUS_LOOP]: (region: string): number | void => {
      const now = env.clock.now();
      let running = 0;
      try {
        for (const [scope, inst] of env.store.scan<InstanceRecord>(COLL.instances)) {
          if (scope.region !== region) continue;
          if (checkInstance(env, scope, inst, now)) running++;
        }
        publishVolumePauses(env, region, now);
      } catch (e) {
        forgetPublished(env);
        forgetShownPauses(env);
        throw e;
      }
      if (running) return STATUS_INTERVAL_MS - (now % STATUS_INTERVAL_MS);
    },
  };
}

/** Arms a region's status checks, at the next minute; a region with no running instance has none. */
export const queueStatusChecks = (env: Env, region: string) =>
  env.scheduler.enqueue(STATUS_LOOP, region, Math.ceil(env.clock.now() / STATUS_INTERVAL_MS) * STATUS_INTERVAL_MS);

/**
 * One instance's checks at `now`: judged from the world, written only when a result changes, and
 * published as metrics. Returns whether the instance is running.
 */
function checkInstance(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>, now: number): boolean {
  const id = inst.InstanceId;
  if (inst.State.Name !== 'running') {
    if (inst.statusChecks) {
      const rec = env.store.mutable<InstanceRecord>(COLL.instances, scope, id)!;
      rec.statusChecks = undefined;
      env.store.put(COLL.instances, scope, id, rec);
      publishInstanceMetrics(env, scope, rec, now, false, false);
    }
    return false;
  }
  const systemOk = !!inst.hostId && hostUsable(env, scope.region, inst.hostId);
  const instanceOk = systemOk && !instanceFaulted(env, id) && !bootFailed(inst);
  const ebsOk = zoneHealthy(env, scope.region, inst.Placement.AvailabilityZone) && !attachedVolumeStalled(env, scope, inst, now);
  const prev = inst.statusChecks;
  const status = (ok: boolean) => (ok ? 'ok' : 'impaired');
  let current = inst;
  if (!prev || prev.system.status !== status(systemOk) || prev.instance.status !== status(instanceOk) || prev.ebs.status !== status(ebsOk)) {
    const result = (ok: boolean, before?: DeepReadonly<StatusCheckResult>): StatusCheckResult =>
      ok ? { status: 'ok' } : { status: 'impaired', impairedSince: before?.status === 'impaired' ? before.impairedSince : now };
    const rec = env.store.mutable<InstanceRecord>(COLL.instances, scope, id)!;
    rec.statusChecks = { system: result(systemOk, prev?.system), instance: result(instanceOk, prev?.instance), ebs: result(ebsOk, prev?.ebs), checkedAt: now };
    env.store.put(COLL.instances, scope, id, rec);
    env.events.emit('ec2.status-check', { account: scope.account, region: scope.region, instanceId: id, system: status(systemOk), instance: status(instanceOk) });
    current = rec;
  }
  const initialised = inst.runningSince !== undefined && now - inst.runningSince >= env.config.statusCheckInitSeconds * 1000;
  publishInstanceMetrics(env, scope, current, now, true, initialised);
  if (automaticRecoveryDue(env, scope, current, now)) tryRecover(env, scope, id);
  return true;
}

/**
 * When the instance's operating system is up after its current boot, or undefined if it has not
 * started. A launch or a start boots while `pending` (`bootSeconds`), so the OS is up when the
 * instance turns `running`; a reboot, or a recovery (a reboot on new hardware), boots it again
 * while it stays `running`, for the same `bootSeconds`. These are the moments the sandbox driver
 * boots the real workload again (a new boot key, boot-failures.ts).
 */
export function osUpAt(env: Env, inst: DeepReadonly<Pick<InstanceRecord, 'runningSince' | 'lastRebootAt'>>): number | undefined {
  if (inst.runningSince === undefined) return undefined;
  const rebooted = inst.lastRebootAt !== undefined && inst.lastRebootAt >= inst.runningSince;
  return rebooted ? inst.lastRebootAt! + env.config.bootSeconds * 1000 : inst.runningSince;
}

/** Queues the lifecycle loop for an instance at `at`. */
export const queueInstance = (env: Env, scope: Scope, id: string, at: number) => env.scheduler.enqueue(INSTANCE_LOOP, loopKey(scope, id), at);

/**
 * Recovers a running instance onto another usable host in the same zone, as EC2's recover action
 * does: the instance keeps its id, private and public addresses, Elastic IP and EBS volumes, and
 * boots again there (memory is lost; status checks initialise anew). Returns the new host, or
 * undefined when the instance cannot be recovered (not running, or no capacity in the zone).
 * Whoever triggers recovery (an alarm action, simplified automatic recovery) decides when and how
 * often; this only moves the instance.
 */
export function recoverInstance(env: Env, scope: Scope, instanceId: string): string | undefined {
  const inst = env.store.mutable<InstanceRecord>(COLL.instances, scope, instanceId);
  if (!inst || inst.State.Name !== 'running') return undefined;
  // The new host keeps the instance's placement group as its strategy says, or its Dedicated Host.
  const noCapacity = () => new AwsError('InsufficientInstanceCapacity', `No capacity in ${inst.Placement.AvailabilityZone} to recover ${instanceId} to.`);
  const spot = placerFor(env, scope, inst, noCapacity, { recovering: true }).next(hostLoad(env, scope.region));
  if (!spot) return undefined;
  const host = spot.hostId;
  const now = env.clock.now();
  const from = inst.hostId;
  inst.hostId = host;
  if (spot.dedicatedHostId) inst.Placement.HostId = spot.dedicatedHostId;
  inst.runningSince = now;
  inst.lastRebootAt = now;
  inst.statusChecks = undefined;
  env.store.put(COLL.instances, scope, instanceId, inst);
  env.events.emit('ec2.instance-recovered', { account: scope.account, region: scope.region, instanceId, fromHost: from, toHost: host });
  return host;
}

/**
 * The instance shut itself down (its OS halted, or its process exited under the sandbox driver):
 * EC2 follows InstanceInitiatedShutdownBehavior, stopping it (the default for EBS-backed
 * instances) or terminating it. Returns the new state, or undefined if it was not running.
 */
export function instanceInitiatedShutdown(env: Env, scope: Scope, instanceId: string): 'stopping' | 'shutting-down' | undefined {
  const inst = env.store.mutable<InstanceRecord>(COLL.instances, scope, instanceId);
  if (!inst || inst.State.Name !== 'running') return undefined;
  const now = env.clock.now();
  const next = inst.shutdownBehavior === 'terminate' ? 'shutting-down' : 'stopping';
  setState(env, scope, inst, next);
  inst.StateTransitionReason = `User initiated (${gmt(now)})`;
  inst.StateReason = { Code: 'Client.InstanceInitiatedShutdown', Message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown' };
  if (next === 'shutting-down') {
    disassociateElasticIps(env, scope, inst);
    reconcilePublicIps(env, scope, inst);
  }
  env.store.put(COLL.instances, scope, instanceId, inst);
  queueInstance(env, scope, instanceId, now + env.config.stopSeconds * 1000);
  return next;
}
