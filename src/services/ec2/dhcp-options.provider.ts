/**
 * DHCP options sets. Each account has, in each region, the default set AWS creates (the region's
 * internal domain and AmazonProvidedDNS), made at the account's first use of the region and
 * associated with every new VPC. AssociateDhcpOptions with `default` leaves a VPC with no set.
 * The sandbox driver writes an instance's /etc/resolv.conf from its VPC's set at every boot
 * (`resolvConf`): the search domain follows domain-name, the name servers domain-name-servers.
 */
import { errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { parseIp4, parseIp6 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter, type Tag } from './filters.ts';
import { idNotFound, requireVpc } from './network.ts';
import { internalDomain } from './public-ips.ts';
import { checkTagTypes } from './scoped.ts';
import { COLL, type VpcRecord } from './state.ts';
import { tagsFor } from './tags.ts';
import { defaultDhcpOptionsId } from './vpcs.provider.ts';

export const DHCP_OPTIONS = 'ec2.dhcpOptions';

export interface DhcpOptionsRecord {
  DhcpOptionsId: string;
  OwnerId: string;
  DhcpConfigurations: { Key: string; Values: { Value: string }[] }[];
  Tags: Tag[];
}

/** What AssociateDhcpOptions takes for "no set", and what the VPC then shows. */
const NO_OPTIONS = 'default';
const AMAZON_DNS = 'AmazonProvidedDNS';
const MAX_SERVERS = 4;

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

const notFound = idNotFound('DhcpOptionID', 'dhcpOption');

const isIp = (v: string) => parseIp4(v) !== undefined || parseIp6(v) !== undefined;

/** AWS's checks of one option: its name, how many values it takes and what they may be. */
const OPTIONS: Record<string, (values: string[]) => string | undefined> = {
  'domain-name': (v) => (v.length > 1 ? 'Only one domain name may be given' : v.some((d) => !/^[A-Za-z0-9.\- ]{1,255}$/.test(d)) ? 'Invalid domain name' : undefined),
  'domain-name-servers': (v) => (v.length > MAX_SERVERS ? `At most ${MAX_SERVERS} servers may be given` : v.some((s) => s !== AMAZON_DNS && !isIp(s)) ? 'Invalid IP address' : undefined),
  'ntp-servers': (v) => (v.length > MAX_SERVERS ? `At most ${MAX_SERVERS} servers may be given` : v.some((s) => !isIp(s)) ? 'Invalid IP address' : undefined),
  'netbios-name-servers': (v) => (v.length > MAX_SERVERS ? `At most ${MAX_SERVERS} servers may be given` : v.some((s) => parseIp4(s) === undefined) ? 'Invalid IPv4 address' : undefined),
  'netbios-node-type': (v) => (v.length !== 1 || !['1', '2', '4', '8'].includes(v[0]) ? 'Valid values are 1, 2, 4 and 8' : undefined),
  'ipv6-address-preferred-lease-time': (v) => {
    const n = Number(v[0]);
    return v.length !== 1 || !Number.isInteger(n) || n < 140 || n > 2147483647 ? 'The lease time must be between 140 and 2147483647 seconds' : undefined;
  },
};

/** The default set of an account's region, made once at its first use (default-vpc.ts). */
export function createDefaultDhcpOptions(ctx: RequestContext): void {
  const rec: DhcpOptionsRecord = {
    DhcpOptionsId: defaultDhcpOptionsId(ctx),
    OwnerId: ctx.account,
    DhcpConfigurations: [
      { Key: 'domain-name', Values: [{ Value: internalDomain(ctx.region) }] },
      { Key: 'domain-name-servers', Values: [{ Value: AMAZON_DNS }] },
    ],
    Tags: [],
  };
  ctx.env.store.put(DHCP_OPTIONS, ctx, rec.DhcpOptionsId, rec);
}

/** An instance's /etc/resolv.conf under its VPC's DHCP options; AmazonProvidedDNS is the VPC's resolver at `resolverIp`. */
export function resolvConf(store: RequestContext['env']['store'], scope: Scope, vpc: DeepReadonly<VpcRecord>, resolverIp: string): string {
  const set = store.get<DhcpOptionsRecord>(DHCP_OPTIONS, scope, vpc.DhcpOptionsId);
  const values = (key: string) => set?.DhcpConfigurations.find((c) => c.Key === key)?.Values.map((v) => v.Value) ?? [];
  const lines = [`# DHCP options ${vpc.DhcpOptionsId} of ${vpc.VpcId}, written at boot`];
  const domain = values('domain-name')[0];
  if (domain) lines.push(`search ${domain}`);
  // resolv.conf takes three name servers.
  for (const s of values('domain-name-servers').slice(0, 3)) lines.push(`nameserver ${s === AMAZON_DNS ? resolverIp : s}`);
  lines.push('options timeout:2 attempts:5');
  return lines.join('\n') + '\n';
}

export const dhcpOptionsHandlers = {
  CreateDhcpOptions(input: { DhcpConfigurations: { Key?: string; Values?: string[] }[]; TagSpecifications?: TagSpecs }, ctx: RequestContext) {
    if (!input.DhcpConfigurations?.length) throw errors.missingParameter('dhcpConfiguration');
    checkTagTypes(input.TagSpecifications, ['dhcp-options']);
    const seen = new Set<string>();
    const DhcpConfigurations = input.DhcpConfigurations.map((c) => {
      const key = c.Key ?? '';
      const check = Object.hasOwn(OPTIONS, key) ? OPTIONS[key] : undefined;
      if (!check) throw ec2Errors.invalidParameterValue(`Value (${key}) for parameter name is invalid. Unknown DHCP option`);
      if (seen.has(key)) throw ec2Errors.invalidParameterValue(`The DHCP option ${key} is given more than once.`);
      seen.add(key);
      const values = c.Values ?? [];
      if (!values.length) throw ec2Errors.invalidParameterValue(`Value for parameter ${key} is invalid. The option needs at least one value.`);
      const problem = check(values);
      if (problem) throw ec2Errors.invalidParameterValue(`Value (${values.join(', ')}) for parameter ${key} is invalid. ${problem}.`);
      return { Key: key, Values: values.map((Value) => ({ Value })) };
    });
    const rec: DhcpOptionsRecord = { DhcpOptionsId: resourceId('dopt'), OwnerId: ctx.account, DhcpConfigurations, Tags: tagsFor(input.TagSpecifications, 'dhcp-options') };
    ctx.env.store.put(DHCP_OPTIONS, ctx, rec.DhcpOptionsId, rec);
    return { DhcpOptions: rec };
  },

  DescribeDhcpOptions(input: { DhcpOptionsIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    const picked = selectIds(ctx.env.store.list<DhcpOptionsRecord>(DHCP_OPTIONS, ctx), input.DhcpOptionsIds, (d) => d.DhcpOptionsId, notFound);
    const filtered = applyFilters(picked, input.Filters, {
      'dhcp-options-id': (d) => d.DhcpOptionsId,
      key: (d) => d.DhcpConfigurations.map((c) => c.Key),
      value: (d) => d.DhcpConfigurations.flatMap((c) => c.Values.map((v) => v.Value)),
      'owner-id': (d) => d.OwnerId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { DhcpOptions: page, NextToken };
  },

  DeleteDhcpOptions(input: { DhcpOptionsId: string }, ctx: RequestContext) {
    const id = input.DhcpOptionsId;
    if (!ctx.env.store.get(DHCP_OPTIONS, ctx, id)) throw notFound(id);
    if (ctx.env.store.list<VpcRecord>(COLL.vpcs, ctx).some((v) => v.DhcpOptionsId === id)) {
      throw ec2Errors.dependencyViolation(`The dhcpOptions '${id}' has dependencies and cannot be deleted.`);
    }
    ctx.env.store.delete(DHCP_OPTIONS, ctx, id);
    return {};
  },

  AssociateDhcpOptions(input: { DhcpOptionsId: string; VpcId: string }, ctx: RequestContext) {
    if (input.DhcpOptionsId !== NO_OPTIONS && !ctx.env.store.get(DHCP_OPTIONS, ctx, input.DhcpOptionsId)) throw notFound(input.DhcpOptionsId);
    const vpc = ctx.env.store.mutable<VpcRecord>(COLL.vpcs, ctx, requireVpc(ctx, input.VpcId).VpcId)!;
    vpc.DhcpOptionsId = input.DhcpOptionsId;
    ctx.env.store.put(COLL.vpcs, ctx, vpc.VpcId, vpc);
    return {};
  },
};
