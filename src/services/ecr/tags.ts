/** Tags on repositories, by ARN (TagResource, UntagResource, ListTagsForResource). */
import type { RequestContext } from '../service.ts';
import { ecrErrors } from './errors.ts';
import { COLL, type RepositoryRecord, type Tag } from './state.ts';

const MAX_TAGS = 50;

/** A tag list as ECR accepts it: keys of 1 to 128 characters not starting with `aws:`, values up to 256, at most 50. */
export function checkTags(tags: Tag[]): Tag[] {
  for (const t of tags) {
    if (!t.Key || t.Key.length > 128) throw ecrErrors.invalidTag(`Tag key '${t.Key}' must have 1 to 128 characters.`);
    if (t.Key.toLowerCase().startsWith('aws:')) throw ecrErrors.invalidTag(`Tag key '${t.Key}' uses the reserved prefix 'aws:'.`);
    if (t.Value.length > 256) throw ecrErrors.invalidTag(`The value of tag '${t.Key}' must have at most 256 characters.`);
  }
  const byKey = new Map(tags.map((t) => [t.Key, { Key: t.Key, Value: t.Value }]));
  if (byKey.size > MAX_TAGS) throw ecrErrors.tooManyTags();
  return [...byKey.values()];
}

/** The repository an ARN names, in this account and region. */
function byArn(ctx: RequestContext, arn: string): RepositoryRecord {
  const m = /^arn:aws:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/.exec(arn);
  if (!m) throw ecrErrors.invalidParameter('resourceArn', 'must be the ARN of a repository');
  const rec = m[1] === ctx.region && m[2] === ctx.account ? ctx.env.store.mutable<RepositoryRecord>(COLL.repositories, ctx, m[3]) : undefined;
  if (!rec) throw ecrErrors.repositoryNotFound(m[3], m[2]);
  return rec;
}

export const tagHandlers = {
  TagResource(input: { resourceArn: string; tags: Tag[] }, ctx: RequestContext) {
    const rec = byArn(ctx, input.resourceArn);
    rec.tags = checkTags([...rec.tags, ...input.tags]);
    ctx.env.store.put(COLL.repositories, ctx, rec.repositoryName, rec);
    return {};
  },
  UntagResource(input: { resourceArn: string; tagKeys: string[] }, ctx: RequestContext) {
    const rec = byArn(ctx, input.resourceArn);
    rec.tags = rec.tags.filter((t) => !input.tagKeys.includes(t.Key));
    ctx.env.store.put(COLL.repositories, ctx, rec.repositoryName, rec);
    return {};
  },
  ListTagsForResource(input: { resourceArn: string }, ctx: RequestContext) {
    return { tags: byArn(ctx, input.resourceArn).tags };
  },
};
