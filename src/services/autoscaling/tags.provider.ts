/**
 * A group's tags: CreateOrUpdateTags, DeleteTags and DescribeTags. Tags with PropagateAtLaunch
 * go on the instances the group launches from then on; instances already running keep theirs.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { asErrors, pageOf } from './errors.ts';
import { liveGroup } from './groups.provider.ts';
import { COLL, type GroupRecord, type GroupTag } from './state.ts';

export const MAX_TAGS = 50;

type TagInput = { ResourceId?: string; ResourceType?: string; Key: string; Value?: string; PropagateAtLaunch?: boolean };

/** Checks new tags and merges them over `existing` (same key replaces). */
export function checkTags(add: readonly GroupTag[], existing: readonly DeepReadonly<GroupTag>[]): GroupTag[] {
  const out = new Map(existing.map((t) => [t.Key, { ...t }]));
  for (const t of add) {
    if (!t.Key || t.Key.length > 128) throw asErrors.validation(`Tag key must be between 1 and 128 characters: '${t.Key}'.`);
    if (t.Value.length > 256) throw asErrors.validation(`Tag value must be at most 256 characters (key '${t.Key}').`);
    if (t.Key.toLowerCase().startsWith('aws:')) throw asErrors.validation(`Tag keys starting with 'aws:' are reserved for internal use: '${t.Key}'.`);
    out.set(t.Key, { Key: t.Key, Value: t.Value, PropagateAtLaunch: t.PropagateAtLaunch });
  }
  if (out.size > MAX_TAGS) throw asErrors.limitExceeded(`The quota of ${MAX_TAGS} tags per Auto Scaling group would be exceeded.`);
  return [...out.values()];
}

/** Tags by group: each must name an Auto Scaling group as its resource. */
function byGroup(tags: readonly TagInput[]): Map<string, TagInput[]> {
  const out = new Map<string, TagInput[]>();
  for (const t of tags) {
    if (!t.ResourceId) throw asErrors.validation('ResourceId must be specified: the name of the Auto Scaling group.');
    if (t.ResourceType !== undefined && t.ResourceType !== 'auto-scaling-group') throw asErrors.validation(`Invalid ResourceType ${t.ResourceType}: only auto-scaling-group is supported.`);
    out.set(t.ResourceId, [...(out.get(t.ResourceId) ?? []), t]);
  }
  return out;
}

export const tagHandlers = {
  CreateOrUpdateTags(input: { Tags: TagInput[] }, ctx: RequestContext) {
    const changes = [...byGroup(input.Tags)].map(([name, tags]) => {
      const g = liveGroup(ctx, name);
      g.Tags = checkTags(
        tags.map((t) => ({ Key: t.Key, Value: t.Value ?? '', PropagateAtLaunch: t.PropagateAtLaunch ?? g.Tags.find((x) => x.Key === t.Key)?.PropagateAtLaunch ?? false })),
        g.Tags,
      );
      return g;
    });
    for (const g of changes) ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    return {};
  },

  DeleteTags(input: { Tags: TagInput[] }, ctx: RequestContext) {
    const changes = [...byGroup(input.Tags)].map(([name, tags]) => {
      const g = liveGroup(ctx, name);
      g.Tags = g.Tags.filter((t) => !tags.some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)));
      return g;
    });
    for (const g of changes) ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    return {};
  },

  DescribeTags(input: { Filters?: { Name?: string; Values?: string[] }[]; MaxRecords?: number; NextToken?: string }, ctx: RequestContext) {
    let rows = ctx.env.store
      .list<GroupRecord>(COLL.groups, ctx)
      .flatMap((g) => g.Tags.map((t) => ({ ResourceId: g.AutoScalingGroupName, ResourceType: 'auto-scaling-group', Key: t.Key, Value: t.Value, PropagateAtLaunch: t.PropagateAtLaunch })));
    for (const f of input.Filters ?? []) {
      const values = f.Values ?? [];
      const field: Record<string, (r: (typeof rows)[number]) => string> = {
        'auto-scaling-group': (r) => r.ResourceId,
        key: (r) => r.Key,
        value: (r) => r.Value,
        'propagate-at-launch': (r) => String(r.PropagateAtLaunch),
      };
      const get = field[f.Name ?? ''];
      if (!get) throw asErrors.validation(`The filter '${f.Name}' is not valid. Valid filters are auto-scaling-group, key, value and propagate-at-launch.`);
      rows = rows.filter((r) => values.includes(get(r)));
    }
    rows.sort((a, b) => a.ResourceId.localeCompare(b.ResourceId) || a.Key.localeCompare(b.Key));
    const { items, NextToken } = pageOf(rows, input.NextToken, input.MaxRecords, 50, 100);
    return { Tags: items, NextToken };
  },
};
