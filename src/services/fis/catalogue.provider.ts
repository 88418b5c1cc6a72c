/** ListActions, GetAction, ListTargetResourceTypes and GetTargetResourceType, answered from the catalogue. */
import type { RequestContext } from '../service.ts';
import type { ActionSpec } from './action.ts';
import { ACTIONS, actionSpec } from './catalogue.ts';
import { RESOURCE_TYPES, resourceType, type ResourceType } from './targets.ts';
import { actionArn, notFound, page } from './state.ts';

const actionTargets = (a: ActionSpec) => (a.target ? { [a.target.key]: { resourceType: a.target.resourceType } } : {});

const actionView = (a: ActionSpec, ctx: RequestContext) => ({
  id: a.id,
  arn: actionArn(ctx, a.id),
  description: a.description,
  parameters: Object.fromEntries(Object.entries(a.parameters).map(([k, p]) => [k, { description: p.description, required: p.required }])),
  targets: actionTargets(a),
  tags: {},
});

const typeView = (t: ResourceType) => ({ resourceType: t.resourceType, description: t.description, parameters: t.parameters });

export const catalogueHandlers = {
  ListActions(input: { maxResults?: number; nextToken?: string }, ctx: RequestContext) {
    const { items, nextToken } = page(ACTIONS, input.maxResults, input.nextToken);
    return { actions: items.map((a) => ({ id: a.id, arn: actionArn(ctx, a.id), description: a.description, targets: actionTargets(a), tags: {} })), nextToken };
  },

  GetAction(input: { id: string }, ctx: RequestContext) {
    const a = actionSpec(input.id);
    if (!a) throw notFound(`Action not found: ${input.id}`);
    return { action: actionView(a, ctx) };
  },

  ListTargetResourceTypes(input: { maxResults?: number; nextToken?: string }) {
    const { items, nextToken } = page(RESOURCE_TYPES, input.maxResults, input.nextToken);
    return { targetResourceTypes: items.map((t) => ({ resourceType: t.resourceType, description: t.description })), nextToken };
  },

  GetTargetResourceType(input: { resourceType: string }) {
    const t = resourceType(input.resourceType);
    if (!t) throw notFound(`Target resource type not found: ${input.resourceType}`);
    return { targetResourceType: typeView(t) };
  },
};
