/** Tags on parameters (AddTagsToResource, RemoveTagsFromResource, ListTagsForResource with ResourceType Parameter). */
import type { RequestContext } from '../service.ts';
import { ssmErrors } from './errors.ts';
import { PARAMETERS, type ParameterRecord, type Tag } from './state.ts';

const MAX_TAGS = 50;

export function checkTags(tags: readonly Tag[]): void {
  if (new Set(tags.map((t) => t.Key)).size > MAX_TAGS) throw ssmErrors.tooManyTags();
}

/** The parameter a tagging call names (by name; the other resource types are not Parameter Store's). */
function parameter(ctx: RequestContext, input: { ResourceType: string; ResourceId: string }): ParameterRecord {
  if (input.ResourceType !== 'Parameter') throw ssmErrors.resourceType();
  const rec = ctx.env.store.mutable<ParameterRecord>(PARAMETERS, ctx, input.ResourceId);
  if (!rec) throw ssmErrors.resourceId();
  return rec;
}

export const tagHandlers = {
  AddTagsToResource(input: { ResourceType: string; ResourceId: string; Tags: Tag[] }, ctx: RequestContext) {
    const rec = parameter(ctx, input);
    const tags = new Map(rec.tags.map((t) => [t.Key, t]));
    for (const t of input.Tags) tags.set(t.Key, { Key: t.Key, Value: t.Value });
    rec.tags = [...tags.values()];
    checkTags(rec.tags);
    ctx.env.store.put(PARAMETERS, ctx, rec.Name, rec);
    return {};
  },
  RemoveTagsFromResource(input: { ResourceType: string; ResourceId: string; TagKeys: string[] }, ctx: RequestContext) {
    const rec = parameter(ctx, input);
    rec.tags = rec.tags.filter((t) => !input.TagKeys.includes(t.Key));
    ctx.env.store.put(PARAMETERS, ctx, rec.Name, rec);
    return {};
  },
  ListTagsForResource(input: { ResourceType: string; ResourceId: string }, ctx: RequestContext) {
    return { TagList: parameter(ctx, input).tags };
  },
};
