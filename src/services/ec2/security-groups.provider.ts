/**
 * Security groups and their rules. Each group keeps its rules as a flat list (one target per
 * rule, each with its sgr- id, as DescribeSecurityGroupRules shows them); the grouped
 * IpPermissions and IpPermissionsEgress that DescribeSecurityGroups shows are derived from that
 * list on every write, so the stored record is always in the API's shape.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { formatCidr4, formatCidr6, parseCidr4, parseCidr6 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter, type Tag } from './filters.ts';
import { arn, liveInstances, notFound, requireSecurityGroup, requireVpc } from './network.ts';
import { COLL, type IpPermission, type SecurityGroupRecord, type SecurityGroupRuleRecord } from './state.ts';
import { tagsFor } from './tags.ts';
import { requirePrefixList } from './prefix-lists.provider.ts';
import { activePeerings } from './vpc-peering.provider.ts';
import { own } from '../../core/own.ts';
import { defaultVpcOf } from './default-vpc.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

/** IpPermission as a request carries it: every member optional. */
export interface IpPermissionInput {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: { CidrIp?: string; Description?: string }[];
  Ipv6Ranges?: { CidrIpv6?: string; Description?: string }[];
  PrefixListIds?: { PrefixListId?: string; Description?: string }[];
  UserIdGroupPairs?: { GroupId?: string; GroupName?: string; UserId?: string; VpcId?: string; Description?: string }[];
}

interface RuleRequest {
  GroupId?: string;
  GroupName?: string;
  IpPermissions?: IpPermissionInput[];
  CidrIp?: string;
  FromPort?: number;
  ToPort?: number;
  IpProtocol?: string;
  SourceSecurityGroupName?: string;
  SourceSecurityGroupOwnerId?: string;
  TagSpecifications?: TagSpecs;
  SecurityGroupRuleIds?: string[];
  DryRun?: boolean;
}

/** AWS's limit of inbound and of outbound rules per group (a quota, 60 by default). */
export const RULES_PER_DIRECTION = 60;

const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' };

function normalizeProtocol(p: string | undefined): string {
  const s = (p ?? '').trim().toLowerCase();
  if (['tcp', 'udp', 'icmp', 'icmpv6', '-1'].includes(s)) return s;
  const named = own(PROTOCOL_NAMES, s);
  if (named) return named;
  if (/^\d+$/.test(s) && Number(s) <= 255) return String(Number(s));
  throw ec2Errors.invalidParameterValue(`Invalid value '${p ?? ''}' for IP protocol. Unknown protocol.`);
}

/** The port range a rule of this protocol keeps: -1/-1 where ports do not apply. */
function portsFor(protocol: string, from: number | undefined, to: number | undefined): { FromPort: number; ToPort: number } {
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) throw ec2Errors.invalidParameterValue(`Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange`);
    if (from === -1 && to === -1) return { FromPort: 0, ToPort: 65535 };
    if (from < 0 || from > 65535) throw ec2Errors.invalidParameterValue(`Invalid value '${from}' for fromPort. Must be in the range 0-65535.`);
    if (to < 0 || to > 65535) throw ec2Errors.invalidParameterValue(`Invalid value '${to}' for toPort. Must be in the range 0-65535.`);
    if (from > to) throw ec2Errors.invalidParameterValue(`Invalid TCP/UDP port range: from port ${from} is greater than to port ${to}.`);
    return { FromPort: from, ToPort: to };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    const type = from ?? -1;
    const code = to ?? -1;
    if (type < -1 || type > 255) throw ec2Errors.invalidParameterValue(`Invalid value '${type}' for ICMP type. Must be in the range -1-255.`);
    if (code < -1 || code > 255) throw ec2Errors.invalidParameterValue(`Invalid value '${code}' for ICMP code. Must be in the range -1-255.`);
    if (type === -1 && code !== -1) throw ec2Errors.invalidParameterValue(`Invalid value '${code}' for ICMP code: the code must be -1 when the type is -1.`);
    return { FromPort: type, ToPort: code };
  }
  return { FromPort: -1, ToPort: -1 };
}

function checkDescription(d: string | undefined): void {
  if (d !== undefined && d.length > 255) throw ec2Errors.invalidParameterValue(`Invalid rule description. Valid descriptions are strings less than 256 characters`);
}

/** Rules before they get ids: one per target of each permission. */
type Draft = Omit<SecurityGroupRuleRecord, 'SecurityGroupRuleId' | 'SecurityGroupRuleArn'>;

function findGroupInVpc(ctx: RequestContext, vpcId: string, ref: { GroupId?: string; GroupName?: string }): DeepReadonly<SecurityGroupRecord> {
  if (ref.GroupId) {
    const g = requireSecurityGroup(ctx, ref.GroupId);
    // A group of a peered VPC may be named, as on AWS.
    const peered = activePeerings(ctx.env, ctx).some((p) => [p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId].sort().join() === [vpcId, g.VpcId].sort().join());
    if (g.VpcId !== vpcId && !peered) throw new AwsError('InvalidGroup.NotFound', 'You have specified two resources that belong to different networks.');
    return g;
  }
  const g = ctx.env.store.list<SecurityGroupRecord>(COLL.securityGroups, ctx).find((s) => s.VpcId === vpcId && s.GroupName === ref.GroupName);
  if (!g) throw notFound.securityGroup(ref.GroupName ?? '');
  return g;
}

function expand(ctx: RequestContext, group: DeepReadonly<SecurityGroupRecord>, isEgress: boolean, perms: IpPermissionInput[], tags: Tag[]): Draft[] {
  const out: Draft[] = [];
  for (const p of perms) {
    const IpProtocol = normalizeProtocol(p.IpProtocol);
    const ports = portsFor(IpProtocol, p.FromPort, p.ToPort);
    const base = { GroupId: group.GroupId, GroupOwnerId: group.OwnerId, IsEgress: isEgress, IpProtocol, ...ports, Tags: tags };
    const before = out.length;
    for (const r of p.IpRanges ?? []) {
      const c = parseCidr4(r.CidrIp, false);
      if (!c) throw ec2Errors.invalidParameterValue(`CIDR block ${r.CidrIp ?? ''} is malformed`);
      checkDescription(r.Description);
      out.push({ ...base, CidrIpv4: formatCidr4(c), Description: r.Description });
    }
    for (const r of p.Ipv6Ranges ?? []) {
      const c = parseCidr6(r.CidrIpv6, false);
      if (!c) throw ec2Errors.invalidParameterValue(`CIDR block ${r.CidrIpv6 ?? ''} is malformed`);
      checkDescription(r.Description);
      out.push({ ...base, CidrIpv6: formatCidr6(c), Description: r.Description });
    }
    for (const r of p.PrefixListIds ?? []) {
      requirePrefixList(ctx, r.PrefixListId ?? '');
      checkDescription(r.Description);
      out.push({ ...base, PrefixListId: r.PrefixListId, Description: r.Description });
    }
    for (const r of p.UserIdGroupPairs ?? []) {
      if (!r.GroupId && !r.GroupName) throw errors.missingParameter('groupId');
      if (r.UserId && r.UserId !== ctx.account) throw notFound.securityGroup(r.GroupId ?? r.GroupName ?? '');
      const ref = findGroupInVpc(ctx, group.VpcId, r);
      checkDescription(r.Description);
      out.push({ ...base, ReferencedGroupInfo: { GroupId: ref.GroupId, UserId: ref.OwnerId, ...(ref.VpcId !== group.VpcId ? { VpcId: ref.VpcId } : {}) }, Description: r.Description });
    }
    if (out.length === before) {
      throw ec2Errors.invalidParameterValue(
        `Invalid value for IpPermissions: each permission must name at least one source or destination (IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs)`,
      );
    }
  }
  return out;
}

/** The permissions a request names, from IpPermissions or from the legacy flat members. */
function permissionsOf(ctx: RequestContext, group: DeepReadonly<SecurityGroupRecord>, input: RuleRequest): IpPermissionInput[] {
  const flat = input.CidrIp !== undefined || input.IpProtocol !== undefined || input.SourceSecurityGroupName !== undefined || input.FromPort !== undefined;
  if (flat && input.IpPermissions?.length) {
    throw ec2Errors.invalidParameterCombination('The parameter IpPermissions cannot be used with the parameters CidrIp, IpProtocol, FromPort, ToPort or SourceSecurityGroupName');
  }
  if (!flat) return input.IpPermissions ?? [];
  if (input.SourceSecurityGroupName !== undefined) {
    if (input.CidrIp !== undefined) throw ec2Errors.invalidParameterCombination('The parameter CidrIp cannot be used with the parameter SourceSecurityGroupName');
    const src = findGroupInVpc(ctx, group.VpcId, { GroupName: input.SourceSecurityGroupName });
    // Naming only a source group authorizes every protocol and port from it.
    const pair = [{ GroupId: src.GroupId, UserId: input.SourceSecurityGroupOwnerId }];
    if (input.IpProtocol === undefined) {
      return ['tcp', 'udp'].map((p) => ({ IpProtocol: p, FromPort: 0, ToPort: 65535, UserIdGroupPairs: pair })).concat([{ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, UserIdGroupPairs: pair }]);
    }
    return [{ IpProtocol: input.IpProtocol, FromPort: input.FromPort, ToPort: input.ToPort, UserIdGroupPairs: pair }];
  }
  return [{ IpProtocol: input.IpProtocol, FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: [{ CidrIp: input.CidrIp }] }];
}

const target = (r: Draft | DeepReadonly<Draft>) => r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId ?? r.ReferencedGroupInfo?.GroupId ?? '';
const ruleKey = (r: Draft | DeepReadonly<Draft>) => [r.IsEgress, r.IpProtocol, r.FromPort, r.ToPort, target(r)].join('|');

/** `peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW`, as AWS describes a rule in errors. */
function describeRule(r: Draft): string {
  const proto = r.IpProtocol === '-1' ? 'ALL' : r.IpProtocol.toUpperCase();
  const ports =
    r.IpProtocol === 'tcp' || r.IpProtocol === 'udp'
      ? `, from port: ${r.FromPort}, to port: ${r.ToPort}`
      : r.IpProtocol.startsWith('icmp')
        ? `, type: ${r.FromPort}, code: ${r.ToPort}`
        : '';
  return `peer: ${target(r)}, ${proto}${ports}, ALLOW`;
}

/** Groups rules into the IpPermission lists DescribeSecurityGroups shows. */
export function permissionsFrom(rules: readonly DeepReadonly<SecurityGroupRuleRecord>[], egress: boolean): IpPermission[] {
  const byKey = new Map<string, IpPermission>();
  for (const r of rules) {
    if (r.IsEgress !== egress) continue;
    const key = `${r.IpProtocol}|${r.FromPort}|${r.ToPort}`;
    let p = byKey.get(key);
    if (!p) {
      const ported = r.IpProtocol === 'tcp' || r.IpProtocol === 'udp' || r.IpProtocol === 'icmp' || r.IpProtocol === 'icmpv6';
      p = { IpProtocol: r.IpProtocol, ...(ported ? { FromPort: r.FromPort, ToPort: r.ToPort } : {}), IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
      byKey.set(key, p);
    }
    const d = r.Description !== undefined ? { Description: r.Description } : {};
    if (r.CidrIpv4) p.IpRanges.push({ CidrIp: r.CidrIpv4, ...d });
    else if (r.CidrIpv6) p.Ipv6Ranges.push({ CidrIpv6: r.CidrIpv6, ...d });
    else if (r.PrefixListId) p.PrefixListIds.push({ PrefixListId: r.PrefixListId, ...d });
    else if (r.ReferencedGroupInfo) p.UserIdGroupPairs.push({ GroupId: r.ReferencedGroupInfo.GroupId, UserId: r.ReferencedGroupInfo.UserId, ...d });
  }
  return [...byKey.values()];
}

function save(ctx: RequestContext, g: SecurityGroupRecord): void {
  g.IpPermissions = permissionsFrom(g.rules ?? [], false);
  g.IpPermissionsEgress = permissionsFrom(g.rules ?? [], true);
  ctx.env.store.put(COLL.securityGroups, ctx, g.GroupId, g);
}

function withIds(ctx: RequestContext, drafts: Draft[]): SecurityGroupRuleRecord[] {
  return drafts.map((d) => {
    const id = resourceId('sgr');
    const rule: SecurityGroupRuleRecord = { SecurityGroupRuleId: id, SecurityGroupRuleArn: arn(ctx, 'security-group-rule', id), ...d };
    if (rule.Description === undefined) delete rule.Description;
    return rule;
  });
}

/**
 * Creates and stores a security group with AWS's default rules: all outbound traffic (IPv6 too
 * when the VPC has an IPv6 block), and for a VPC's default group, all inbound traffic from itself.
 */
export function createSecurityGroupRecord(
  ctx: RequestContext,
  opts: { vpcId: string; name: string; description: string; tags: Tag[]; isDefault?: boolean; ipv6?: boolean },
): SecurityGroupRecord {
  const GroupId = resourceId('sg');
  const base = { GroupId, GroupOwnerId: ctx.account, FromPort: -1, ToPort: -1, IpProtocol: '-1', Tags: [] };
  const drafts: Draft[] = [{ ...base, IsEgress: true, CidrIpv4: '0.0.0.0/0' }];
  if (opts.ipv6) drafts.push({ ...base, IsEgress: true, CidrIpv6: '::/0' });
  if (opts.isDefault) drafts.unshift({ ...base, IsEgress: false, ReferencedGroupInfo: { GroupId, UserId: ctx.account } });
  const g: SecurityGroupRecord = {
    GroupId,
    GroupName: opts.name,
    Description: opts.description,
    VpcId: opts.vpcId,
    OwnerId: ctx.account,
    SecurityGroupArn: arn(ctx, 'security-group', GroupId),
    IpPermissions: [],
    IpPermissionsEgress: [],
    Tags: opts.tags,
    rules: withIds(ctx, drafts),
  };
  save(ctx, g);
  return g;
}

/**
 * The group a request names by GroupId, or by (legacy) GroupName: AWS's names a group of the
 * default VPC; faultline also takes a name that is unique in the region.
 */
function groupOf(ctx: RequestContext, input: { GroupId?: string; GroupName?: string }): DeepReadonly<SecurityGroupRecord> {
  if (input.GroupId) return requireSecurityGroup(ctx, input.GroupId);
  if (input.GroupName === undefined) throw errors.missingParameter('groupId');
  const named = ctx.env.store.list<SecurityGroupRecord>(COLL.securityGroups, ctx).filter((g) => g.GroupName === input.GroupName);
  if (named.length === 1) return named[0];
  const inDefault = named.find((g) => g.VpcId === defaultVpcOf(ctx)?.VpcId);
  if (inDefault) return inDefault;
  if (!named.length) throw notFound.securityGroup(input.GroupName);
  throw ec2Errors.invalidParameterValue(`More than one VPC has a security group named '${input.GroupName}': name the group by GroupId`);
}

/** Whether another group's rules, a live instance or a network interface depend on the group. */
function dependents(ctx: RequestContext, g: DeepReadonly<SecurityGroupRecord>): boolean {
  const referenced = ctx.env.store
    .list<SecurityGroupRecord>(COLL.securityGroups, ctx)
    .some((o) => o.GroupId !== g.GroupId && (o.rules ?? []).some((r) => r.ReferencedGroupInfo?.GroupId === g.GroupId));
  if (referenced) return true;
  if (liveInstances(ctx).some((i) => (i.SecurityGroups ?? []).some((s) => s.GroupId === g.GroupId))) return true;
  // A network interface that outlives its instance still holds its groups.
  const enis = ctx.env.store.list<{ Groups?: { GroupId?: string }[] }>('ec2.networkInterfaces', ctx);
  return enis.some((n) => (n.Groups ?? []).some((s) => s.GroupId === g.GroupId));
}

/** Deletes a group without the user-facing checks; DeleteVpc uses it for the default group. */
export function removeSecurityGroupRecord(ctx: RequestContext, groupId: string): void {
  ctx.env.store.delete(COLL.securityGroups, ctx, groupId);
}

function authorize(ctx: RequestContext, input: RuleRequest, egress: boolean) {
  const g = groupOf(ctx, input);
  const perms = permissionsOf(ctx, g, input);
  if (!perms.length) throw errors.missingParameter('ipPermissions');
  const drafts = expand(ctx, g, egress, perms, tagsFor(input.TagSpecifications, 'security-group-rule'));
  const existing = new Set((g.rules ?? []).map(ruleKey));
  for (const d of drafts) {
    const k = ruleKey(d);
    if (existing.has(k)) throw new AwsError('InvalidPermission.Duplicate', `the specified rule "${describeRule(d)}" already exists`);
    existing.add(k);
  }
  const count = (g.rules ?? []).filter((r) => r.IsEgress === egress).length + drafts.length;
  if (count > RULES_PER_DIRECTION) throw new AwsError('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
  const rec = ctx.env.store.mutable<SecurityGroupRecord>(COLL.securityGroups, ctx, g.GroupId)!;
  const added = withIds(ctx, drafts);
  rec.rules = [...(rec.rules ?? []), ...added];
  save(ctx, rec);
  return { Return: true, SecurityGroupRules: added };
}

function revoke(ctx: RequestContext, input: RuleRequest, egress: boolean) {
  const g = groupOf(ctx, input);
  const rules = g.rules ?? [];
  let gone: DeepReadonly<SecurityGroupRuleRecord>[];
  if (input.SecurityGroupRuleIds?.length) {
    gone = input.SecurityGroupRuleIds.map((id) => {
      const r = rules.find((x) => x.SecurityGroupRuleId === id && x.IsEgress === egress);
      if (!r) throw new AwsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
      return r;
    });
  } else {
    const perms = permissionsOf(ctx, g, input);
    if (!perms.length) throw errors.missingParameter('ipPermissions');
    const drafts = expand(ctx, g, egress, perms, []);
    // In a non-default VPC, one unknown rule fails the call and nothing is revoked.
    gone = drafts.map((d) => {
      const r = rules.find((x) => ruleKey(x) === ruleKey(d));
      if (!r) throw new AwsError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
      return r;
    });
  }
  const ids = new Set(gone.map((r) => r.SecurityGroupRuleId));
  const rec = ctx.env.store.mutable<SecurityGroupRecord>(COLL.securityGroups, ctx, g.GroupId)!;
  rec.rules = (rec.rules ?? []).filter((r) => !ids.has(r.SecurityGroupRuleId));
  save(ctx, rec);
  return {
    Return: true,
    RevokedSecurityGroupRules: gone.map((r) => ({
      SecurityGroupRuleId: r.SecurityGroupRuleId,
      GroupId: r.GroupId,
      IsEgress: r.IsEgress,
      IpProtocol: r.IpProtocol,
      FromPort: r.FromPort,
      ToPort: r.ToPort,
      CidrIpv4: r.CidrIpv4,
      CidrIpv6: r.CidrIpv6,
      PrefixListId: r.PrefixListId,
      ReferencedGroupId: r.ReferencedGroupInfo?.GroupId,
      Description: r.Description,
    })),
  };
}

const groupName = (ctx: RequestContext, id: string) => ctx.env.store.get<SecurityGroupRecord>(COLL.securityGroups, ctx, id)?.GroupName;

function permissionFilters(prefix: string, egress: boolean) {
  type G = DeepReadonly<SecurityGroupRecord>;
  type R = DeepReadonly<SecurityGroupRuleRecord>;
  const rulesOf = (g: G): readonly R[] => (g.rules ?? []).filter((r) => r.IsEgress === egress);
  const ported = (r: R) => ['tcp', 'udp', 'icmp', 'icmpv6'].includes(r.IpProtocol);
  return (ctx: RequestContext) => ({
    [`${prefix}.cidr`]: (g: G) => rulesOf(g).map((r) => r.CidrIpv4),
    [`${prefix}.ipv6-cidr`]: (g: G) => rulesOf(g).map((r) => r.CidrIpv6),
    [`${prefix}.prefix-list-id`]: (g: G) => rulesOf(g).map((r) => r.PrefixListId),
    [`${prefix}.protocol`]: (g: G) => rulesOf(g).map((r) => r.IpProtocol),
    [`${prefix}.from-port`]: (g: G) => rulesOf(g).filter(ported).map((r) => r.FromPort),
    [`${prefix}.to-port`]: (g: G) => rulesOf(g).filter(ported).map((r) => r.ToPort),
    [`${prefix}.group-id`]: (g: G) => rulesOf(g).map((r) => r.ReferencedGroupInfo?.GroupId),
    [`${prefix}.group-name`]: (g: G) => rulesOf(g).map((r) => (r.ReferencedGroupInfo ? groupName(ctx, r.ReferencedGroupInfo.GroupId) : undefined)),
    [`${prefix}.user-id`]: (g: G) => rulesOf(g).map((r) => r.ReferencedGroupInfo?.UserId),
  });
}
const ingressFilters = permissionFilters('ip-permission', false);
const egressFilters = permissionFilters('egress.ip-permission', true);

export const securityGroupHandlers = {
  CreateSecurityGroup(input: { GroupName: string; Description: string; VpcId?: string; TagSpecifications?: TagSpecs; DryRun?: boolean }, ctx: RequestContext) {
    const vpcId = input.VpcId ?? defaultVpcOf(ctx)?.VpcId;
    if (!vpcId) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
    const vpc = requireVpc(ctx, vpcId);
    const name = input.GroupName;
    if (!name.length || name.length > 255) throw ec2Errors.invalidParameterValue(`Value (${name}) for parameter GroupName is invalid. Length must be between 1 and 255 characters.`);
    if (name.toLowerCase().startsWith('sg-')) throw ec2Errors.invalidParameterValue(`Group names may not be in the format sg-*`);
    if (name === 'default') throw ec2Errors.invalidParameterValue(`Cannot use reserved security group name: default`);
    if (!/^[\x20-\x7e]*$/.test(name) || !/^[\x20-\x7e]*$/.test(input.Description)) {
      throw ec2Errors.invalidParameterValue(`Invalid security group name or description: only ASCII characters are allowed`);
    }
    if (input.Description.length > 255) throw ec2Errors.invalidParameterValue(`Value for parameter GroupDescription is invalid. Length must be at most 255 characters.`);
    if (ctx.env.store.list<SecurityGroupRecord>(COLL.securityGroups, ctx).some((g) => g.VpcId === vpc.VpcId && g.GroupName === name)) {
      throw new AwsError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpc.VpcId}'`);
    }
    const tags = tagsFor(input.TagSpecifications, 'security-group');
    const g = createSecurityGroupRecord(ctx, { vpcId: vpc.VpcId, name, description: input.Description, tags, ipv6: !!vpc.Ipv6CidrBlockAssociationSet?.length });
    return { GroupId: g.GroupId, SecurityGroupArn: g.SecurityGroupArn, Tags: g.Tags.length ? g.Tags : undefined };
  },

  DeleteSecurityGroup(input: { GroupId?: string; GroupName?: string; DryRun?: boolean }, ctx: RequestContext) {
    if (!input.GroupId && input.GroupName === undefined) throw errors.missingParameter('groupName or groupId');
    const g = groupOf(ctx, input);
    if (g.GroupName === 'default') {
      throw new AwsError('CannotDelete', `the specified group: "${g.GroupId}" name: "default" cannot be deleted by a user`);
    }
    if (dependents(ctx, g)) throw ec2Errors.dependencyViolation(`resource ${g.GroupId} has a dependent object`);
    removeSecurityGroupRecord(ctx, g.GroupId);
    return { Return: true, GroupId: g.GroupId };
  },

  DescribeSecurityGroups(
    input: { GroupIds?: string[]; GroupNames?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    for (const id of input.GroupIds ?? []) if (!id.startsWith('sg-')) throw new AwsError('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
    let groups = selectIds(ctx.env.store.list<SecurityGroupRecord>(COLL.securityGroups, ctx), input.GroupIds, (g) => g.GroupId, notFound.securityGroup);
    if (input.GroupNames?.length) {
      const missing = input.GroupNames.filter((n) => !groups.some((g) => g.GroupName === n));
      if (missing.length) throw notFound.securityGroup(missing.join(', '));
      groups = groups.filter((g) => input.GroupNames!.includes(g.GroupName));
    }
    const filtered = applyFilters(groups, input.Filters, {
      'group-id': (g) => g.GroupId,
      'group-name': (g) => g.GroupName,
      description: (g) => g.Description,
      'vpc-id': (g) => g.VpcId,
      'owner-id': (g) => g.OwnerId,
      ...ingressFilters(ctx),
      ...egressFilters(ctx),
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { SecurityGroups: page, NextToken };
  },

  DescribeSecurityGroupRules(
    input: { SecurityGroupRuleIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const all = ctx.env.store.list<SecurityGroupRecord>(COLL.securityGroups, ctx).flatMap((g) => g.rules ?? []);
    const picked = selectIds(all, input.SecurityGroupRuleIds, (r) => r.SecurityGroupRuleId, (ids) =>
      new AwsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${ids}' does not exist`),
    );
    const filtered = applyFilters(picked, input.Filters, {
      'group-id': (r) => r.GroupId,
      'security-group-rule-id': (r) => r.SecurityGroupRuleId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { SecurityGroupRules: page, NextToken };
  },

  AuthorizeSecurityGroupIngress: (input: RuleRequest, ctx: RequestContext) => authorize(ctx, input, false),
  AuthorizeSecurityGroupEgress: (input: RuleRequest, ctx: RequestContext) => authorize(ctx, input, true),
  RevokeSecurityGroupIngress: (input: RuleRequest, ctx: RequestContext) => revoke(ctx, input, false),
  RevokeSecurityGroupEgress: (input: RuleRequest, ctx: RequestContext) => revoke(ctx, input, true),
};
