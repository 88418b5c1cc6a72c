/**
 * Placement groups: CreatePlacementGroup, DeletePlacementGroup and DescribePlacementGroups. What
 * each strategy means for the world's hosts is launch-placement.ts's to apply.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, type Filter, type Tag } from './filters.ts';
import { arn } from './network.ts';
import { checkId, checkTagTypes } from './scoped.ts';
import { COLL, type InstanceRecord } from './state.ts';
import { tagsFor } from './tags.ts';

export const PLACEMENT_GROUPS = 'ec2.placementGroups';

export type Strategy = 'cluster' | 'spread' | 'partition';

export interface PlacementGroupRecord {
  GroupName: string;
  GroupId: string;
  GroupArn: string;
  State: 'available';
  Strategy: Strategy;
  /** partition only. */
  PartitionCount?: number;
  /** spread only. */
  SpreadLevel?: 'host' | 'rack';
  Tags: Tag[];
}

/** AWS's bounds on a partition group's partitions. */
export const MAX_PARTITIONS = 7;

export const unknownGroup = (nameOrId: string) => new AwsError('InvalidPlacementGroup.Unknown', `The Placement Group '${nameOrId}' is unknown.`);

/** A placement group by name or id, as RunInstances and launch templates name it; an unknown one fails as on AWS. */
export function findPlacementGroup(ctx: Pick<RequestContext, 'env' | 'account' | 'region'>, by: { GroupName?: string; GroupId?: string }): PlacementGroupRecord {
  const all = ctx.env.store.list<PlacementGroupRecord>(PLACEMENT_GROUPS, ctx) as PlacementGroupRecord[];
  if (by.GroupId) {
    checkId('PlacementGroupId', 'pg', by.GroupId);
    const g = all.find((x) => x.GroupId === by.GroupId);
    if (!g) throw unknownGroup(by.GroupId);
    if (by.GroupName && by.GroupName !== g.GroupName) throw new AwsError('InvalidParameterCombination', `The placement group name '${by.GroupName}' does not match the placement group ID '${by.GroupId}'.`);
    return g;
  }
  const g = all.find((x) => x.GroupName === by.GroupName);
  if (!g) throw unknownGroup(by.GroupName ?? '');
  return g;
}

/** The instances of a group that are not terminated (nor terminating): what keeps it in use. */
const instancesIn = (ctx: RequestContext, groupId: string) =>
  ctx.env.store.list<InstanceRecord>(COLL.instances, ctx).filter((i) => i.Placement.GroupId === groupId && i.State.Name !== 'terminated' && i.State.Name !== 'shutting-down');

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

export const placementGroupHandlers = {
  CreatePlacementGroup(
    input: { GroupName?: string; Strategy?: string; PartitionCount?: number; SpreadLevel?: string; TagSpecifications?: TagSpecs; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const strategy = input.Strategy;
    if (strategy === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter strategy');
    if (!['cluster', 'spread', 'partition'].includes(strategy)) throw new AwsError('InvalidParameterValue', `Value (${strategy}) for parameter strategy is invalid. Valid values are cluster, spread, partition.`);
    if (input.GroupName !== undefined && (input.GroupName.length === 0 || input.GroupName.length > 255 || !/^[\x20-\x7e]+$/.test(input.GroupName))) {
      throw new AwsError('InvalidParameterValue', `Value (${input.GroupName}) for parameter groupName is invalid. Placement group names are 1 to 255 ASCII characters.`);
    }
    if (input.PartitionCount !== undefined) {
      if (strategy !== 'partition') throw new AwsError('InvalidParameterCombination', 'The parameter PartitionCount is only valid with the partition strategy.');
      if (!Number.isInteger(input.PartitionCount) || input.PartitionCount < 1 || input.PartitionCount > MAX_PARTITIONS) {
        throw new AwsError('InvalidParameterValue', `Value (${input.PartitionCount}) for parameter PartitionCount is invalid. Expected a value from 1 to ${MAX_PARTITIONS}.`);
      }
    }
    if (input.SpreadLevel !== undefined) {
      if (strategy !== 'spread') throw new AwsError('InvalidParameterCombination', 'The parameter SpreadLevel is only valid with the spread strategy.');
      if (input.SpreadLevel !== 'host' && input.SpreadLevel !== 'rack') throw new AwsError('InvalidParameterValue', `Value (${input.SpreadLevel}) for parameter SpreadLevel is invalid. Valid values are host, rack.`);
    }
    checkTagTypes(input.TagSpecifications, ['placement-group']);
    const tags = tagsFor(input.TagSpecifications, 'placement-group');
    const GroupId = resourceId('pg');
    // AWS names a group that the request leaves unnamed (CloudFormation's groups have none).
    const GroupName = input.GroupName ?? GroupId;
    if (ctx.env.store.list<PlacementGroupRecord>(PLACEMENT_GROUPS, ctx).some((g) => g.GroupName === GroupName)) {
      throw new AwsError('InvalidPlacementGroup.Duplicate', `The placement group '${GroupName}' already exists.`);
    }
    const group: PlacementGroupRecord = {
      GroupName,
      GroupId,
      GroupArn: arn(ctx, 'placement-group', GroupName),
      State: 'available',
      Strategy: strategy as Strategy,
      ...(strategy === 'partition' ? { PartitionCount: input.PartitionCount ?? 2 } : {}),
      ...(strategy === 'spread' ? { SpreadLevel: (input.SpreadLevel ?? 'rack') as 'host' | 'rack' } : {}),
      Tags: tags,
    };
    ctx.env.store.put(PLACEMENT_GROUPS, ctx, GroupId, group);
    return { PlacementGroup: group };
  },

  DeletePlacementGroup(input: { GroupName: string; DryRun?: boolean }, ctx: RequestContext) {
    const group = findPlacementGroup(ctx, { GroupName: input.GroupName });
    if (instancesIn(ctx, group.GroupId).length) throw new AwsError('InvalidPlacementGroup.InUse', `The placement group '${group.GroupName}' is in use and may not be deleted.`);
    ctx.env.store.delete(PLACEMENT_GROUPS, ctx, group.GroupId);
    return {};
  },

  DescribePlacementGroups(input: { GroupNames?: string[]; GroupIds?: string[]; Filters?: Filter[]; DryRun?: boolean }, ctx: RequestContext) {
    let groups = ctx.env.store.list<PlacementGroupRecord>(PLACEMENT_GROUPS, ctx) as PlacementGroupRecord[];
    if (input.GroupNames?.length) groups = [...new Set(input.GroupNames)].map((GroupName) => findPlacementGroup(ctx, { GroupName }));
    if (input.GroupIds?.length) {
      const byId = new Set(input.GroupIds.map((GroupId) => findPlacementGroup(ctx, { GroupId }).GroupId));
      groups = groups.filter((g) => byId.has(g.GroupId));
    }
    const filtered = applyFilters(groups, input.Filters, {
      'group-name': (g) => g.GroupName,
      'group-arn': (g) => g.GroupArn,
      'spread-level': (g) => g.SpreadLevel,
      state: (g) => g.State,
      strategy: (g) => g.Strategy,
    });
    return { PlacementGroups: filtered };
  },
};
