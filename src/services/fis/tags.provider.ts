/** TagResource, UntagResource and ListTagsForResource, on experiment templates and experiments. */
import { setOwn } from '../../core/own.ts';
import type { RequestContext } from '../service.ts';
import { EXPERIMENTS, notFound, TEMPLATES, validation, type Tags } from './state.ts';

export const MAX_TAGS = 50;

/** The collection and id of the template or experiment an ARN names in this account and region. */
function taggable(ctx: RequestContext, arn: string): { coll: string; id: string } {
  const m = /^arn:aws:fis:([a-z0-9-]+):(\d{12}):(experiment-template|experiment)\/(\S+)$/.exec(arn);
  const coll = m?.[3] === 'experiment' ? EXPERIMENTS : TEMPLATES;
  if (!m || m[1] !== ctx.region || m[2] !== ctx.account || !ctx.env.store.get(coll, ctx, m[4])) throw notFound(`Resource not found: ${arn}`);
  return { coll, id: m[4] };
}

function retag(ctx: RequestContext, arn: string, change: (tags: Tags) => void): void {
  const { coll, id } = taggable(ctx, arn);
  const rec = ctx.env.store.mutable<{ tags: Tags }>(coll, ctx, id)!;
  change(rec.tags);
  if (Object.keys(rec.tags).length > MAX_TAGS) throw validation(`A resource can have at most ${MAX_TAGS} tags.`);
  ctx.env.store.put(coll, ctx, id, rec);
}

export const tagHandlers = {
  TagResource(input: { resourceArn: string; tags: Tags }, ctx: RequestContext) {
    retag(ctx, input.resourceArn, (tags) => {
      for (const [k, v] of Object.entries(input.tags)) setOwn(tags, k, v);
    });
    return {};
  },

  UntagResource(input: { resourceArn: string; tagKeys?: string[] }, ctx: RequestContext) {
    retag(ctx, input.resourceArn, (tags) => {
      for (const k of input.tagKeys ?? []) delete tags[k];
    });
    return {};
  },

  ListTagsForResource(input: { resourceArn: string }, ctx: RequestContext) {
    const { coll, id } = taggable(ctx, input.resourceArn);
    return { tags: ctx.env.store.get<{ tags: Tags }>(coll, ctx, id)!.tags };
  },
};
