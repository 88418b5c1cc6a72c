/** Tags on RDS resources, by ARN (AddTagsToResource, RemoveTagsFromResource, ListTagsForResource): instances, snapshots, subnet and parameter groups. */
import { AwsError } from '../../core/errors.ts';
import type { RequestContext } from '../service.ts';
import { rdsErrors } from './errors.ts';
import { COLL, type Tag } from './state.ts';

const KINDS: Record<string, { coll: string; notFound: (id: string) => AwsError }> = {
  db: { coll: COLL.instances, notFound: rdsErrors.instanceNotFound },
  snapshot: { coll: COLL.snapshots, notFound: rdsErrors.snapshotNotFound },
  subgrp: { coll: COLL.subnetGroups, notFound: rdsErrors.subnetGroupNotFound },
  pg: { coll: COLL.parameterGroups, notFound: rdsErrors.parameterGroupNotFound },
};
const MAX_TAGS = 50;

/** The record an ARN names, to change and put back. */
function resource(ctx: RequestContext, arn: string): { coll: string; id: string; rec: { tags: Tag[] } } {
  const m = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/.exec(arn);
  if (!m || m[1] !== ctx.region || m[2] !== ctx.account || !Object.hasOwn(KINDS, m[3])) throw rdsErrors.invalidValue(`Invalid resource name: ${arn}`);
  const { coll, notFound } = KINDS[m[3]];
  const id = m[4].toLowerCase();
  const rec = ctx.env.store.mutable<{ tags: Tag[] }>(coll, ctx, id);
  if (!rec) throw notFound(m[4]);
  return { coll, id, rec };
}

export const tagHandlers = {
  AddTagsToResource(input: { ResourceName: string; Tags: Tag[] }, ctx: RequestContext) {
    const { coll, id, rec } = resource(ctx, input.ResourceName);
    const tags = new Map(rec.tags.map((t) => [t.Key, t]));
    for (const t of input.Tags) tags.set(t.Key, t);
    if (tags.size > MAX_TAGS) throw new AwsError('TagQuotaPerResourceExceeded', `Cannot have more than ${MAX_TAGS} tags on a resource.`, 400);
    rec.tags = [...tags.values()];
    ctx.env.store.put(coll, ctx, id, rec);
    return {};
  },
  RemoveTagsFromResource(input: { ResourceName: string; TagKeys: string[] }, ctx: RequestContext) {
    const { coll, id, rec } = resource(ctx, input.ResourceName);
    rec.tags = rec.tags.filter((t) => !input.TagKeys.includes(t.Key));
    ctx.env.store.put(coll, ctx, id, rec);
    return {};
  },
  ListTagsForResource(input: { ResourceName: string }, ctx: RequestContext) {
    return { TagList: resource(ctx, input.ResourceName).rec.tags };
  },
};
