/**
 * Processes, metrics collection and the fixed lists: SuspendProcesses, ResumeProcesses,
 * EnableMetricsCollection, DisableMetricsCollection, and the Describe calls whose answers are
 * constants or, for features faultline does not emulate (warm pools, instance refresh,
 * notifications), empty.
 */
import type { RequestContext } from '../service.ts';
import { asErrors } from './errors.ts';
import { GROUP_METRIC_NAMES } from './group.loop.ts';
import { findGroup, liveGroup } from './groups.provider.ts';
import { queueGroup } from './queue.ts';
import { causeTime, COLL, PROCESSES, type ProcessName } from './state.ts';
import { TERMINATION_POLICIES } from './termination-policy.ts';

function processNames(names: string[] | undefined): ProcessName[] {
  if (!names?.length) return [...PROCESSES];
  const bad = names.filter((n) => !(PROCESSES as readonly string[]).includes(n));
  if (bad.length) throw asErrors.validation(`Invalid scaling process name(s): ${bad.join(', ')}. Valid names are ${PROCESSES.join(', ')}.`);
  return names as ProcessName[];
}

export const processHandlers = {
  SuspendProcesses(input: { AutoScalingGroupName: string; ScalingProcesses?: string[] }, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    const reason = `User suspended at ${causeTime(ctx.env.clock.now())}`;
    for (const p of processNames(input.ScalingProcesses)) {
      if (!g.SuspendedProcesses.some((s) => s.ProcessName === p)) g.SuspendedProcesses.push({ ProcessName: p, SuspensionReason: reason });
    }
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    ctx.env.events.emit('autoscaling.processes.suspended', { account: ctx.account, region: ctx.region, group: g.AutoScalingGroupName, processes: g.SuspendedProcesses.map((s) => s.ProcessName) });
    return {};
  },

  ResumeProcesses(input: { AutoScalingGroupName: string; ScalingProcesses?: string[] }, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    const resume = processNames(input.ScalingProcesses);
    g.SuspendedProcesses = g.SuspendedProcesses.filter((s) => !resume.includes(s.ProcessName));
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    ctx.env.events.emit('autoscaling.processes.resumed', { account: ctx.account, region: ctx.region, group: g.AutoScalingGroupName, processes: resume });
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return {};
  },

  EnableMetricsCollection(input: { AutoScalingGroupName: string; Metrics?: string[]; Granularity: string }, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    if (input.Granularity !== '1Minute') throw asErrors.validation(`Invalid granularity ${input.Granularity}: the only valid value is 1Minute.`);
    const metrics = input.Metrics?.length ? input.Metrics : GROUP_METRIC_NAMES;
    const bad = metrics.filter((m) => !GROUP_METRIC_NAMES.includes(m));
    if (bad.length) throw asErrors.validation(`Invalid metric name(s): ${bad.join(', ')}.`);
    for (const m of metrics) if (!g.EnabledMetrics.some((e) => e.Metric === m)) g.EnabledMetrics.push({ Metric: m, Granularity: '1Minute' });
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return {};
  },

  DisableMetricsCollection(input: { AutoScalingGroupName: string; Metrics?: string[] }, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    g.EnabledMetrics = input.Metrics?.length ? g.EnabledMetrics.filter((e) => !input.Metrics!.includes(e.Metric)) : [];
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    return {};
  },

  DescribeScalingProcessTypes() {
    return { Processes: PROCESSES.map((ProcessName) => ({ ProcessName })) };
  },

  DescribeTerminationPolicyTypes() {
    return { TerminationPolicyTypes: [...TERMINATION_POLICIES].sort() };
  },

  DescribeMetricCollectionTypes() {
    return { Metrics: GROUP_METRIC_NAMES.map((Metric) => ({ Metric })), Granularities: [{ Granularity: '1Minute' }] };
  },

  DescribeAutoScalingNotificationTypes() {
    return {
      AutoScalingNotificationTypes: [
        'autoscaling:EC2_INSTANCE_LAUNCH',
        'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
        'autoscaling:EC2_INSTANCE_TERMINATE',
        'autoscaling:EC2_INSTANCE_TERMINATE_ERROR',
        'autoscaling:TEST_NOTIFICATION',
      ],
    };
  },

  DescribeNotificationConfigurations(input: { AutoScalingGroupNames?: string[] }, ctx: RequestContext) {
    for (const n of input.AutoScalingGroupNames ?? []) findGroup(ctx, n);
    return { NotificationConfigurations: [] };
  },

  DescribeWarmPool(input: { AutoScalingGroupName: string }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    return { Instances: [] };
  },

  DescribeInstanceRefreshes(input: { AutoScalingGroupName: string }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    return { InstanceRefreshes: [] };
  },
};
