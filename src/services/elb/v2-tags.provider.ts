/**
 * Tags on any ELBv2 resource (load balancer, target group, listener, rule): AddTags, RemoveTags,
 * DescribeTags. An ARN that names nothing gives that resource's own NotFound error.
 */
import type { RequestContext } from '../service.ts';
import { arnKind } from './arns.ts';
import { COLL, type Tag } from './state.ts';
import { v2Errors } from './v2-errors.ts';
import { findListener, findLoadBalancer, findRule, findTargetGroup } from './v2-views.ts';

const MAX_TAGS = 50;

/** Checks tags being added and merges them over `existing` (the same key replaces its value). */
export function checkNewTags(add: readonly Tag[], existing: readonly Tag[]): Tag[] {
  const keys = add.map((t) => t.Key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup !== undefined) throw v2Errors.duplicateTagKeys(`Tag key '${dup}' is duplicated`);
  const out = new Map(existing.map((t) => [t.Key, { ...t }]));
  for (const t of add) {
    if (t.Key.toLowerCase().startsWith('aws:')) throw v2Errors.validation(`Tag key '${t.Key}' cannot start with 'aws:'`);
    if ((t.Value ?? '').length > 256) throw v2Errors.validation(`Tag value of key '${t.Key}' cannot be longer than 256 characters`);
    out.set(t.Key, { Key: t.Key, Value: t.Value ?? '' });
  }
  if (out.size > MAX_TAGS) throw v2Errors.tooMany('Tags', `A resource can have at most ${MAX_TAGS} tags`);
  return [...out.values()];
}

/** The record an ARN names and its collection, or the resource's NotFound error. */
function taggable(ctx: RequestContext, arn: string): { coll: string; record: { tags: Tag[] } } {
  const kind = arnKind(arn);
  const pick = (coll: string, record: unknown) => ({ coll, record: structuredClone(record) as { tags: Tag[] } });
  switch (kind) {
    case 'loadbalancer':
      return pick(COLL.loadBalancers, findLoadBalancer(ctx, arn));
    case 'targetgroup':
      return pick(COLL.targetGroups, findTargetGroup(ctx, arn));
    case 'listener':
      return pick(COLL.listeners, findListener(ctx, arn));
    case 'listener-rule':
      return pick(COLL.rules, findRule(ctx, arn));
    default:
      throw v2Errors.validation(`'${arn}' is not a valid ELB resource ARN`);
  }
}

export const tagHandlers = {
  AddTags(input: { ResourceArns: string[]; Tags: Tag[] }, ctx: RequestContext) {
    const changes = input.ResourceArns.map((arn) => {
      const t = taggable(ctx, arn);
      t.record.tags = checkNewTags(input.Tags, t.record.tags);
      return [arn, t] as const;
    });
    for (const [arn, t] of changes) ctx.env.store.put(t.coll, ctx, arn, t.record);
    return {};
  },

  RemoveTags(input: { ResourceArns: string[]; TagKeys: string[] }, ctx: RequestContext) {
    const changes = input.ResourceArns.map((arn) => {
      const t = taggable(ctx, arn);
      t.record.tags = t.record.tags.filter((tag) => !input.TagKeys.includes(tag.Key));
      return [arn, t] as const;
    });
    for (const [arn, t] of changes) ctx.env.store.put(t.coll, ctx, arn, t.record);
    return {};
  },

  DescribeTags(input: { ResourceArns: string[] }, ctx: RequestContext) {
    if (input.ResourceArns.length > 20) throw v2Errors.validation('At most 20 resource ARNs can be given');
    return { TagDescriptions: input.ResourceArns.map((arn) => ({ ResourceArn: arn, Tags: taggable(ctx, arn).record.tags })) };
  },
};
