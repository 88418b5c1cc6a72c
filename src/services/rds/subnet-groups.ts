/** DB subnet groups (spec rds.md §6): subnets of one VPC covering at least two AZs, named in lower case. */
import { pageOf } from '../../core/paging.ts';
import type { DeepReadonly } from '../../core/store.ts';
import { defaultVpcOf } from '../ec2/default-vpc.ts';
import { COLL as EC2, type SubnetRecord } from '../ec2/state.ts';
import type { RequestContext } from '../service.ts';
import { rdsErrors } from './errors.ts';
import { COLL, type DBInstanceRecord, type SubnetGroupRecord, type Tag } from './state.ts';

export const subnetGroupArn = (ctx: RequestContext, name: string) => `arn:aws:rds:${ctx.region}:${ctx.account}:subgrp:${name}`;

function checkName(name: string): string {
  const lower = name.toLowerCase();
  if (!/^[a-z0-9 ._-]{1,255}$/.test(lower)) throw rdsErrors.invalidValue(`The parameter DBSubnetGroupName is not a valid identifier. Only letters, digits, spaces, periods, underscores and hyphens are allowed, at most 255.`);
  if (lower === 'default') throw rdsErrors.invalidValue('DBSubnetGroupName must not be "Default".');
  return lower;
}

export function findSubnetGroup(ctx: RequestContext, name: string): DeepReadonly<SubnetGroupRecord> {
  const g = ctx.env.store.get<SubnetGroupRecord>(COLL.subnetGroups, ctx, name.toLowerCase());
  if (!g) throw rdsErrors.subnetGroupNotFound(name);
  return g;
}

/** The subnets given, all in one VPC and covering at least two AZs. */
function subnetsOf(ctx: RequestContext, ids: readonly string[]): SubnetGroupRecord['Subnets'] {
  const subnets = [...new Set(ids)].map((id) => {
    const s = ctx.env.store.get<SubnetRecord>(EC2.subnets, ctx, id);
    if (!s) throw rdsErrors.invalidSubnet(`The subnet ${id} does not exist.`);
    return s;
  });
  if (new Set(subnets.map((s) => s.VpcId)).size > 1) throw rdsErrors.invalidSubnet('Some of the subnets to be used for this DB Subnet Group are in different VPCs.');
  const zones = new Set(subnets.map((s) => s.AvailabilityZone));
  if (zones.size < 2) throw rdsErrors.notEnoughAzs(zones.size);
  return subnets.map((s) => ({ SubnetIdentifier: s.SubnetId, SubnetAvailabilityZone: { Name: s.AvailabilityZone }, SubnetStatus: 'Active' as const }));
}

const vpcOf = (ctx: RequestContext, subnetId: string) => ctx.env.store.get<SubnetRecord>(EC2.subnets, ctx, subnetId)!.VpcId;

/**
 * The subnet group of a DB instance created without one: as RDS does, a group named `default`
 * over the default VPC's default subnets, made at its first use.
 */
export function defaultSubnetGroup(ctx: RequestContext): DeepReadonly<SubnetGroupRecord> {
  const existing = ctx.env.store.get<SubnetGroupRecord>(COLL.subnetGroups, ctx, 'default');
  if (existing) return existing;
  const vpc = defaultVpcOf(ctx);
  if (!vpc) throw rdsErrors.noDefaultVpc();
  const ids = ctx.env.store.list<SubnetRecord>(EC2.subnets, ctx).filter((s) => s.VpcId === vpc.VpcId && s.DefaultForAz).map((s) => s.SubnetId);
  const g: SubnetGroupRecord = {
    DBSubnetGroupName: 'default',
    DBSubnetGroupDescription: 'default',
    VpcId: vpc.VpcId,
    SubnetGroupStatus: 'Complete',
    Subnets: subnetsOf(ctx, ids),
    DBSubnetGroupArn: subnetGroupArn(ctx, 'default'),
    tags: [],
  };
  ctx.env.store.put(COLL.subnetGroups, ctx, 'default', g);
  return g;
}

export const view = (g: DeepReadonly<SubnetGroupRecord>) => ({ ...g, SupportedNetworkTypes: ['IPV4'] });

export const subnetGroupHandlers = {
  CreateDBSubnetGroup(input: { DBSubnetGroupName: string; DBSubnetGroupDescription: string; SubnetIds: string[]; Tags?: Tag[] }, ctx: RequestContext) {
    const name = checkName(input.DBSubnetGroupName);
    if (ctx.env.store.get(COLL.subnetGroups, ctx, name)) throw rdsErrors.subnetGroupExists(name);
    const subnets = subnetsOf(ctx, input.SubnetIds);
    const g: SubnetGroupRecord = {
      DBSubnetGroupName: name,
      DBSubnetGroupDescription: input.DBSubnetGroupDescription,
      VpcId: vpcOf(ctx, subnets[0].SubnetIdentifier),
      SubnetGroupStatus: 'Complete',
      Subnets: subnets,
      DBSubnetGroupArn: subnetGroupArn(ctx, name),
      tags: input.Tags ?? [],
    };
    ctx.env.store.put(COLL.subnetGroups, ctx, name, g);
    return { DBSubnetGroup: view(g) };
  },
  ModifyDBSubnetGroup(input: { DBSubnetGroupName: string; DBSubnetGroupDescription?: string; SubnetIds: string[] }, ctx: RequestContext) {
    const g = structuredClone(findSubnetGroup(ctx, input.DBSubnetGroupName)) as SubnetGroupRecord;
    const subnets = subnetsOf(ctx, input.SubnetIds);
    const vpc = vpcOf(ctx, subnets[0].SubnetIdentifier);
    if (vpc !== g.VpcId) throw rdsErrors.invalidSubnet(`The new subnets are not in the same VPC as the DB subnet group (${g.VpcId}).`);
    // Subnets that instances sit in must stay.
    for (const i of ctx.env.store.list<DBInstanceRecord>(COLL.instances, ctx).filter((i) => i.DBSubnetGroupName === g.DBSubnetGroupName)) {
      for (const p of [i.placement.primary, i.placement.standby]) {
        if (p && !subnets.some((s) => s.SubnetIdentifier === p.subnetId)) throw rdsErrors.subnetInUse(p.subnetId, i.DBInstanceIdentifier);
      }
    }
    g.Subnets = subnets;
    if (input.DBSubnetGroupDescription !== undefined) g.DBSubnetGroupDescription = input.DBSubnetGroupDescription;
    ctx.env.store.put(COLL.subnetGroups, ctx, g.DBSubnetGroupName, g);
    return { DBSubnetGroup: view(g) };
  },
  DeleteDBSubnetGroup(input: { DBSubnetGroupName: string }, ctx: RequestContext) {
    const g = findSubnetGroup(ctx, input.DBSubnetGroupName);
    if (ctx.env.store.list<DBInstanceRecord>(COLL.instances, ctx).some((i) => i.DBSubnetGroupName === g.DBSubnetGroupName)) throw rdsErrors.subnetGroupInUse(g.DBSubnetGroupName);
    ctx.env.store.delete(COLL.subnetGroups, ctx, g.DBSubnetGroupName);
    return {};
  },
  DescribeDBSubnetGroups(input: { DBSubnetGroupName?: string; Marker?: string; MaxRecords?: number }, ctx: RequestContext) {
    const groups = input.DBSubnetGroupName !== undefined ? [findSubnetGroup(ctx, input.DBSubnetGroupName)] : ctx.env.store.list<SubnetGroupRecord>(COLL.subnetGroups, ctx);
    const page = pageOf(groups.map(view), input.Marker, input.MaxRecords ?? 100, () => rdsErrors.invalidValue('The marker is not valid.'));
    return { DBSubnetGroups: page.items, Marker: page.next };
  },
};
