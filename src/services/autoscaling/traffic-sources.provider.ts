/**
 * Attaching load balancers and target groups to a group: AttachLoadBalancers,
 * AttachLoadBalancerTargetGroups, AttachTrafficSources, their Detach calls, and the Describe
 * calls that show each attachment's State. The three families are views of one list on the group
 * (traffic-sources.ts); the handlers record the change and queue the group, whose loop registers
 * and deregisters the instances.
 */
import type { RequestContext } from '../service.ts';
import { asErrors, pageOf } from './errors.ts';
import { findGroup, liveGroup } from './groups.provider.ts';
import { queueGroup } from './queue.ts';
import { COLL, type GroupRecord, type TrafficSourceType } from './state.ts';
import { attachmentStates, attachSources, checkSourcesExist, detachSources, MAX_PER_CALL, requestedSources, type SourceId } from './traffic-sources.ts';

type Input = { AutoScalingGroupName: string; LoadBalancerNames?: string[]; TargetGroupARNs?: string[]; TrafficSources?: { Identifier?: string; Type?: string }[] };

function change(ctx: RequestContext, input: Input, what: string, apply: (g: GroupRecord, sources: SourceId[]) => void): Record<string, never> {
  const g = liveGroup(ctx, input.AutoScalingGroupName);
  const sources = requestedSources(input);
  if (sources.length > MAX_PER_CALL) throw asErrors.validation(`You can specify up to ${MAX_PER_CALL} ${what} per call.`);
  apply(g, sources);
  ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
  ctx.env.events.emit('autoscaling.traffic-sources', { account: ctx.account, region: ctx.region, group: g.AutoScalingGroupName, sources: g.trafficSources ?? [] });
  queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
  return {};
}

const attach = (ctx: RequestContext, input: Input, what: string) =>
  change(ctx, input, what, (g, sources) => {
    checkSourcesExist(ctx, sources);
    attachSources(g, sources, 'Adding');
  });
const detach = (ctx: RequestContext, input: Input, what: string) => change(ctx, input, what, (g, sources) => detachSources(g, sources));

function states(ctx: RequestContext, input: { AutoScalingGroupName: string; NextToken?: string; MaxRecords?: number }, type: TrafficSourceType | undefined, limit: number) {
  const g = findGroup(ctx, input.AutoScalingGroupName);
  return pageOf(attachmentStates(g, type), input.NextToken, input.MaxRecords, limit, limit);
}

export const trafficSourceHandlers = {
  AttachLoadBalancers: (input: Input, ctx: RequestContext) => attach(ctx, { AutoScalingGroupName: input.AutoScalingGroupName, LoadBalancerNames: input.LoadBalancerNames }, 'load balancers'),
  DetachLoadBalancers: (input: Input, ctx: RequestContext) => detach(ctx, { AutoScalingGroupName: input.AutoScalingGroupName, LoadBalancerNames: input.LoadBalancerNames }, 'load balancers'),
  AttachLoadBalancerTargetGroups: (input: Input, ctx: RequestContext) => attach(ctx, { AutoScalingGroupName: input.AutoScalingGroupName, TargetGroupARNs: input.TargetGroupARNs }, 'target groups'),
  DetachLoadBalancerTargetGroups: (input: Input, ctx: RequestContext) => detach(ctx, { AutoScalingGroupName: input.AutoScalingGroupName, TargetGroupARNs: input.TargetGroupARNs }, 'target groups'),
  AttachTrafficSources: (input: Input, ctx: RequestContext) => attach(ctx, { AutoScalingGroupName: input.AutoScalingGroupName, TrafficSources: input.TrafficSources }, 'traffic sources'),
  DetachTrafficSources: (input: Input, ctx: RequestContext) => detach(ctx, { AutoScalingGroupName: input.AutoScalingGroupName, TrafficSources: input.TrafficSources }, 'traffic sources'),

  DescribeLoadBalancers(input: { AutoScalingGroupName: string; NextToken?: string; MaxRecords?: number }, ctx: RequestContext) {
    const { items, NextToken } = states(ctx, input, 'elb', 100);
    return { LoadBalancers: items.map((s) => ({ LoadBalancerName: s.Identifier, State: s.State })), NextToken };
  },

  DescribeLoadBalancerTargetGroups(input: { AutoScalingGroupName: string; NextToken?: string; MaxRecords?: number }, ctx: RequestContext) {
    const { items, NextToken } = states(ctx, input, 'elbv2', 100);
    return { LoadBalancerTargetGroups: items.map((s) => ({ LoadBalancerTargetGroupARN: s.Identifier, State: s.State })), NextToken };
  },

  DescribeTrafficSources(input: { AutoScalingGroupName: string; TrafficSourceType?: string; NextToken?: string; MaxRecords?: number }, ctx: RequestContext) {
    const type = input.TrafficSourceType;
    if (type !== undefined && type !== 'elb' && type !== 'elbv2' && type !== 'vpc-lattice') throw asErrors.validation(`Invalid traffic source type: ${type}. Valid types are elb, elbv2 and vpc-lattice.`);
    // No VPC Lattice sources can be attached, so asking for them lists none.
    const { items, NextToken } = type === 'vpc-lattice' ? { items: [], NextToken: undefined } : states(ctx, input, type as TrafficSourceType | undefined, 50);
    return { TrafficSources: items.map((s) => ({ TrafficSource: s.Identifier, Identifier: s.Identifier, Type: s.Type, State: s.State })), NextToken };
  },
};
