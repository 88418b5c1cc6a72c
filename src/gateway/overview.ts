/**
 * GET /_faultline/overview: what the web console shows beside the world, across every account
 * and region, compact: alarms with their state, Auto Scaling groups with their counts and latest
 * activities, stacks with their status, load balancers with their targets' health, DB instances
 * with their status and zones, and the instances whose status checks fail. `views` (a comma list
 * of those names) limits the answer to what an event changed.
 */
import type { Env } from '../services/service.ts';
import type { Scope } from '../core/store.ts';
import { ALARMS, type AlarmRecord } from '../services/cloudwatch/alarms.state.ts';
import { COLL as ASG, type ActivityRecord, type GroupRecord, type MemberRecord } from '../services/autoscaling/state.ts';
import { STACKS, type StackRecord } from '../cloudformation/state.ts';
import { COLL as ELB, groupsOfLoadBalancer, type LoadBalancerRecord, type TargetGroupRecord, type TargetRecord } from '../services/elb/state.ts';
import { COLL as RDS, type DBInstanceRecord } from '../services/rds/state.ts';
import { COLL as EC2, type InstanceRecord } from '../services/ec2/state.ts';

export const OVERVIEW_VIEWS = ['alarms', 'groups', 'stacks', 'loadBalancers', 'dbInstances', 'impaired'] as const;
export type OverviewView = (typeof OVERVIEW_VIEWS)[number];

/** Activities shown per group, newest first. */
const ACTIVITIES = 3;

const where = (scope: Scope) => ({ account: scope.account, region: scope.region });
const scopeKey = (scope: Scope) => `${scope.account}/${scope.region}`;

function alarms(env: Env) {
  return [...env.store.scan<AlarmRecord>(ALARMS)].map(([scope, a]) => ({
    ...where(scope),
    name: a.AlarmName,
    state: a.StateValue,
    reason: a.StateReason,
    since: a.StateUpdatedTimestamp,
    metric: a.Metrics ? 'metric math' : `${a.Namespace} ${a.MetricName}`,
    dimensions: a.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(', '),
  }));
}

function groups(env: Env) {
  // One pass over members and activities, grouped by group, rather than one per group.
  const inService = new Map<string, number>();
  for (const [scope, m] of env.store.scan<MemberRecord>(ASG.instances)) {
    if (m.LifecycleState !== 'InService') continue;
    const k = `${scopeKey(scope)}/${m.AutoScalingGroupName}`;
    inService.set(k, (inService.get(k) ?? 0) + 1);
  }
  const activities = new Map<string, ActivityRecord[]>();
  for (const [scope, a] of env.store.scan<ActivityRecord>(ASG.activities)) {
    if (a.groupDeleted) continue;
    const k = `${scopeKey(scope)}/${a.AutoScalingGroupName}`;
    const list = activities.get(k) ?? [];
    list.push(a as ActivityRecord);
    activities.set(k, list);
  }
  return [...env.store.scan<GroupRecord>(ASG.groups)].map(([scope, g]) => {
    const k = `${scopeKey(scope)}/${g.AutoScalingGroupName}`;
    return {
      ...where(scope),
      name: g.AutoScalingGroupName,
      min: g.MinSize,
      max: g.MaxSize,
      desired: g.DesiredCapacity,
      inService: inService.get(k) ?? 0,
      instances: g.memberIds?.length ?? 0,
      zones: [...g.AvailabilityZones],
      status: g.Status,
      activities: (activities.get(k) ?? [])
        .sort((a, b) => b.seq - a.seq)
        .slice(0, ACTIVITIES)
        .map((a) => ({ status: a.StatusCode, description: a.Description, start: a.StartTime, end: a.EndTime })),
    };
  });
}

function stacks(env: Env) {
  return [...env.store.scan<StackRecord>(STACKS)]
    .filter(([, s]) => s.StackStatus !== 'DELETE_COMPLETE')
    .map(([scope, s]) => ({
      ...where(scope),
      name: s.StackName,
      status: s.StackStatus,
      reason: s.StackStatusReason,
      updated: new Date(s.LastUpdatedTime ?? s.CreationTime).toISOString(),
    }));
}

function loadBalancers(env: Env) {
  const targetsByGroup = new Map<string, TargetRecord[]>();
  for (const [scope, t] of env.store.scan<TargetRecord>(ELB.targets)) {
    const k = `${scopeKey(scope)}/${t.group}`;
    targetsByGroup.set(k, [...(targetsByGroup.get(k) ?? []), t as TargetRecord]);
  }
  return [...env.store.scan<LoadBalancerRecord>(ELB.loadBalancers)].map(([scope, lb]) => ({
    ...where(scope),
    name: lb.name,
    kind: lb.kind,
    scheme: lb.scheme,
    dnsName: lb.dnsName,
    zones: lb.nodes.map((n) => n.zone),
    targetGroups: groupsOfLoadBalancer(env.store, scope, lb.key).map((key) => ({
      name: env.store.get<TargetGroupRecord>(ELB.targetGroups, scope, key)?.name ?? key,
      targets: (targetsByGroup.get(`${scopeKey(scope)}/${key}`) ?? []).map((t) => ({ id: t.id, port: t.port, zone: t.zone, state: t.state, reason: t.reason })),
    })),
  }));
}

function dbInstances(env: Env) {
  return [...env.store.scan<DBInstanceRecord>(RDS.instances)].map(([scope, db]) => ({
    ...where(scope),
    id: db.DBInstanceIdentifier,
    engine: db.Engine,
    instanceClass: db.DBInstanceClass,
    status: db.DBInstanceStatus,
    multiAZ: db.MultiAZ,
    zone: db.AvailabilityZone,
    secondaryZone: db.SecondaryAvailabilityZone,
  }));
}

/** Ids of instances with a failing system or instance status check. */
function impaired(env: Env) {
  const out: string[] = [];
  for (const [, i] of env.store.scan<InstanceRecord>(EC2.instances)) {
    const c = i.statusChecks;
    if (c && (c.system.status === 'impaired' || c.instance.status === 'impaired')) out.push(i.InstanceId);
  }
  return out;
}

const readers: Record<OverviewView, (env: Env) => unknown> = { alarms, groups, stacks, loadBalancers, dbInstances, impaired };

/** The asked views (all when `views` is empty); an unknown name is an error naming the known ones. */
export function overview(env: Env, views: string | null): Record<string, unknown> {
  const asked = views ? views.split(',').map((v) => v.trim()).filter(Boolean) : [...OVERVIEW_VIEWS];
  const unknown = asked.filter((v) => !(OVERVIEW_VIEWS as readonly string[]).includes(v));
  if (unknown.length) throw new Error(`no view ${unknown.join(', ')}; views are ${OVERVIEW_VIEWS.join(', ')}`);
  // lastSeq: the event log as far as these views reflect it, where the console's stream starts.
  const out: Record<string, unknown> = { clock: new Date(env.clock.now()).toISOString(), lastSeq: env.events.lastSeq() };
  for (const v of asked as OverviewView[]) out[v] = readers[v](env);
  return out;
}
