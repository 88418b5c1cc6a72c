/**
 * A Classic load balancer's health check and instances: ConfigureHealthCheck,
 * RegisterInstancesWithLoadBalancer, DeregisterInstancesFromLoadBalancer and
 * DescribeInstanceHealth. Registrations are targets of the load balancer's implicit group (port 0:
 * the listeners' instance ports); the health loop moves their state, and DescribeInstanceHealth
 * renders Classic's InService/OutOfService from it and from the instance's EC2 state.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { COLL as EC2, type InstanceRecord } from '../ec2/state.ts';
import { classicGroup, elbErrors, findClassic, LIMITS, mutableClassic, saveClassic } from './classic-errors.ts';
import { classicKey, COLL, targetGroup, targetsOf, type HealthSettings, type LoadBalancerRecord, type TargetGroupRecord, type TargetRecord } from './state.ts';
import { deregisterTarget, registerTarget, rescheduleChecks } from './targets.ts';

export interface HealthCheckInput {
  Target: string;
  Interval: number;
  Timeout: number;
  UnhealthyThreshold: number;
  HealthyThreshold: number;
}

/** The check a load balancer has until ConfigureHealthCheck (API1/API_HealthCheck.html defaults). */
export const DEFAULT_HEALTH_CHECK: HealthCheckInput = { Target: 'TCP:80', Interval: 30, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 10 };

/**
 * `PROTOCOL:PORT` for TCP and SSL, `PROTOCOL:PORT/PATH` for HTTP and HTTPS (the path is required),
 * as health settings; the protocol in upper case, as AWS reports it.
 */
export function healthSettings(check: HealthCheckInput): { target: string; health: HealthSettings } {
  const bad = () =>
    elbErrors.validation(
      `Invalid HealthCheck Target '${check.Target}': use TCP:PORT or SSL:PORT, or HTTP:PORT/PATH or HTTPS:PORT/PATH, with a port from 1 to 65535.`,
    );
  if (check.Target.length > 1024) throw elbErrors.validation('HealthCheck Target must be at most 1024 characters long.');
  const m = /^(TCP|SSL|HTTP|HTTPS):(\d{1,5})(\/.*)?$/i.exec(check.Target);
  if (!m) throw bad();
  const protocol = m[1].toUpperCase() as HealthSettings['protocol'];
  const port = Number(m[2]);
  const path = m[3];
  if (port < 1 || port > 65535) throw bad();
  if ((protocol === 'HTTP' || protocol === 'HTTPS') !== (path !== undefined)) throw bad();
  if (check.Timeout >= check.Interval) throw elbErrors.validation('HealthCheck Timeout must be less than Interval.');
  return {
    target: `${protocol}:${port}${path ?? ''}`,
    health: {
      enabled: true,
      protocol,
      port: String(port),
      path,
      intervalSeconds: check.Interval,
      timeoutSeconds: check.Timeout,
      healthyThreshold: check.HealthyThreshold,
      unhealthyThreshold: check.UnhealthyThreshold,
      matcher: '200',
    },
  };
}

export function healthCheckView(lb: DeepReadonly<LoadBalancerRecord>, group: DeepReadonly<TargetGroupRecord>): HealthCheckInput {
  return {
    Target: lb.classic!.healthCheckTarget,
    Interval: group.health.intervalSeconds,
    Timeout: group.health.timeoutSeconds,
    UnhealthyThreshold: group.health.unhealthyThreshold,
    HealthyThreshold: group.health.healthyThreshold,
  };
}

/** Registrations still in force: not deregistered (a draining instance is no longer listed). */
export function registeredInstances(ctx: RequestContext, name: string): DeepReadonly<TargetRecord>[] {
  return targetsOf(ctx.env.store, ctx, classicKey(name)).filter((t) => t.drainingUntil === undefined);
}

const instanceList = (ctx: RequestContext, name: string) => registeredInstances(ctx, name).map((t) => ({ InstanceId: t.id }));

function ec2Instance(ctx: RequestContext, id: string): DeepReadonly<InstanceRecord> {
  const i = ctx.env.store.get<InstanceRecord>(EC2.instances, ctx, id);
  if (!i) throw elbErrors.invalidInstance(`Could not find EC2 instance ${id}.`);
  return i;
}

const FAILED = 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.';
const NOT_PASSED = 'Instance has not passed the configured HealthyThreshold number of health checks consecutively.';
const IN_PROGRESS = 'Instance registration is still in progress.';
const OTHER_ZONE = 'Instance is in the EC2 Availability Zone for which LoadBalancer is not configured to route traffic to.';
const NOT_REGISTERED = 'Instance is not currently registered with the LoadBalancer.';
const DRAINING = 'Instance deregistration currently in progress.';

/** An instance's EC2 state as DescribeInstanceHealth words it, when that keeps it out of service. */
function ec2Reason(state: string): string | undefined {
  if (state === 'pending') return 'Instance is in pending state.';
  if (state === 'stopping' || state === 'stopped') return 'Instance is in stopped state.';
  if (state === 'shutting-down' || state === 'terminated') return 'Instance is in terminated state.';
  return undefined;
}

/** Classic's view of one registration (API1/API_InstanceState.html). */
function instanceState(id: string, t: DeepReadonly<TargetRecord> | undefined, inst: DeepReadonly<InstanceRecord> | undefined, zones: readonly string[], health: DeepReadonly<HealthSettings>, now: number) {
  const out = (State: string, ReasonCode: string, Description: string) => ({ InstanceId: id, State, ReasonCode, Description });
  if (!t || (t.drainingUntil !== undefined && t.drainingUntil <= now)) return out('OutOfService', 'ELB', NOT_REGISTERED);
  if (t.drainingUntil !== undefined) return out('InService', 'ELB', DRAINING);
  const ec2 = ec2Reason(inst?.State.Name ?? 'terminated');
  if (ec2) return out('OutOfService', 'Instance', ec2);
  if (t.zone !== undefined && !zones.includes(t.zone)) return out('OutOfService', 'ELB', OTHER_ZONE);
  switch (t.state) {
    case 'healthy':
      return out('InService', 'N/A', 'N/A');
    case 'unhealthy':
      return out('OutOfService', 'Instance', t.failures >= health.unhealthyThreshold ? FAILED : NOT_PASSED);
    default:
      return out('OutOfService', 'Instance', IN_PROGRESS);
  }
}

type Instances = { InstanceId: string }[];

export const classicHealthHandlers = {
  ConfigureHealthCheck(input: { LoadBalancerName: string; HealthCheck: HealthCheckInput }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    const { target, health } = healthSettings(input.HealthCheck);
    const group = classicGroup(ctx, lb.name);
    group.health = health;
    lb.classic!.healthCheckTarget = target;
    ctx.env.store.put(COLL.targetGroups, ctx, group.key, group);
    rescheduleChecks(ctx.env, ctx, group.key, health.intervalSeconds);
    saveClassic(ctx, lb);
    return { HealthCheck: healthCheckView(lb, group) };
  },

  RegisterInstancesWithLoadBalancer(input: { LoadBalancerName: string; Instances: Instances }, ctx: RequestContext) {
    const lb = findClassic(ctx, input.LoadBalancerName);
    const registered = new Set(registeredInstances(ctx, lb.name).map((t) => t.id));
    const ids = [...new Set(input.Instances.map((i) => i.InstanceId))];
    const zones = ids.map((id) => {
      const inst = ec2Instance(ctx, id);
      if (inst.State.Name !== 'running') throw elbErrors.invalidInstance(`EC2 instance ${id} is not in running state.`);
      if (inst.VpcId !== lb.vpcId) throw elbErrors.invalidInstance(`EC2 instance ${id} is not in the load balancer's VPC ${lb.vpcId}.`);
      return inst.Placement.AvailabilityZone;
    });
    const added = ids.filter((id) => !registered.has(id)).length;
    if (registered.size + added > LIMITS.instances) throw elbErrors.validation(`A Classic Load Balancer can have at most ${LIMITS.instances} registered instances.`);
    ids.forEach((id, n) => registerTarget(ctx.env, ctx, lb.key, { id, port: 0, zone: zones[n] }));
    return { Instances: instanceList(ctx, lb.name) };
  },

  DeregisterInstancesFromLoadBalancer(input: { LoadBalancerName: string; Instances: Instances }, ctx: RequestContext) {
    const lb = findClassic(ctx, input.LoadBalancerName);
    for (const i of input.Instances) ec2Instance(ctx, i.InstanceId);
    for (const i of input.Instances) deregisterTarget(ctx.env, ctx, lb.key, i.InstanceId, 0);
    return { Instances: instanceList(ctx, lb.name) };
  },

  DescribeInstanceHealth(input: { LoadBalancerName: string; Instances?: Instances }, ctx: RequestContext) {
    const lb = findClassic(ctx, input.LoadBalancerName);
    const group = targetGroup(ctx.env.store, ctx, lb.key)!;
    const targets = new Map(targetsOf(ctx.env.store, ctx, lb.key).map((t) => [t.id, t]));
    const now = ctx.env.clock.now();
    const zones = lb.nodes.map((n) => n.zone);
    const asked = input.Instances?.length ? [...new Set(input.Instances.map((i) => i.InstanceId))] : undefined;
    if (asked) {
      const found = asked.map((id) => ec2Instance(ctx, id));
      return { InstanceStates: asked.map((id, n) => instanceState(id, targets.get(id), found[n], zones, group.health, now)) };
    }
    // Without Instances: every registered instance, less the terminated ones (CLB/elb-healthchecks.html).
    const states = [...targets.values()]
      .filter((t) => t.drainingUntil === undefined || t.drainingUntil > now)
      .map((t) => ({ t, inst: ctx.env.store.get<InstanceRecord>(EC2.instances, ctx, t.id) }))
      .filter(({ inst }) => inst !== undefined && inst.State.Name !== 'terminated')
      .map(({ t, inst }) => instanceState(t.id, t, inst, zones, group.health, now));
    return { InstanceStates: states };
  },
};
