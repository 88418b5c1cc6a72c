/**
 * Site-to-site VPN, as records with AWS's states and errors: customer gateways (your device),
 * virtual private gateways attached to a VPC, and VPN connections between the two, each with two
 * tunnels. A connection is `pending` for its first minutes of cloud time, then `available`; its
 * tunnels stay DOWN, since no customer device ever connects. Deleted records stay visible in
 * their `deleted` state for an hour of cloud time, as on AWS. Nothing is routed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { formatIp4, parseCidr4, parseIp4 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, selectIds, type Filter, type Tag } from './filters.ts';
import { idNotFound, requireVpc } from './network.ts';
import { checkTagTypes, iso } from './scoped.ts';
import { tagsFor } from './tags.ts';

export const VPN_COLL = {
  customerGateways: 'ec2.customerGateways',
  vpnGateways: 'ec2.vpnGateways',
  vpnConnections: 'ec2.vpnConnections',
} as const;

/** How long a new VPN connection is pending (cloud time). */
export const VPN_CONNECTION_PENDING_MS = 5 * 60_000;
/** How long deleted records stay visible (cloud time). */
const DELETED_VISIBLE_MS = 60 * 60_000;

type Deletable = { State: string; deletedAt?: number };

export interface CustomerGatewayRecord extends Deletable {
  CustomerGatewayId: string;
  Type: 'ipsec.1';
  State: 'available' | 'deleted';
  BgpAsn: string;
  BgpAsnExtended?: string;
  IpAddress?: string;
  CertificateArn?: string;
  DeviceName?: string;
  Tags: Tag[];
}

export interface VpnGatewayRecord extends Deletable {
  VpnGatewayId: string;
  Type: 'ipsec.1';
  State: 'available' | 'deleted';
  AvailabilityZone?: string;
  AmazonSideAsn: number;
  VpcAttachments: { VpcId: string; State: 'attached' | 'detached' }[];
  Tags: Tag[];
}

interface TunnelRecord {
  OutsideIpAddress: string;
  TunnelInsideCidr: string;
  PreSharedKey: string;
}

export interface VpnConnectionRecord extends Deletable {
  VpnConnectionId: string;
  Type: 'ipsec.1';
  Category: 'VPN';
  State: 'pending' | 'available' | 'deleted';
  CustomerGatewayId: string;
  VpnGatewayId: string;
  GatewayAssociationState: 'associated' | 'not-associated';
  Options: { StaticRoutesOnly: boolean; TunnelInsideIpVersion: 'ipv4'; LocalIpv4NetworkCidr: string; RemoteIpv4NetworkCidr: string; OutsideIpAddressType: 'PublicIpv4'; TunnelOptions: TunnelRecord[] };
  Routes: never[];
  Tags: Tag[];
  /** Internal: clock ms when the connection becomes available, and when it was made. */
  readyAt: number;
  createdAt: number;
}

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

const notFound = {
  customerGateway: idNotFound('CustomerGatewayID', 'customerGateway'),
  vpnGateway: idNotFound('VpnGatewayID', 'vpnGateway'),
  vpnConnection: idNotFound('VpnConnectionID', 'vpnConnection'),
};

/** Records that describe calls still show: all but those deleted more than an hour ago. */
const visible = <T extends Deletable>(ctx: RequestContext, coll: string) =>
  ctx.env.store.list<T>(coll, ctx).filter((r) => r.deletedAt === undefined || ctx.env.clock.now() - r.deletedAt < DELETED_VISIBLE_MS);

/** A live (not deleted) record, or its NotFound error. */
function live<T extends Deletable>(ctx: RequestContext, coll: string, id: string | undefined, nf: (id: string) => Error): T {
  const rec = id ? ctx.env.store.mutable<T>(coll, ctx, id) : undefined;
  if (!rec || rec.State === 'deleted') throw nf(id ?? '');
  return rec;
}

const ID_FIELD: Record<string, string> = {
  [VPN_COLL.customerGateways]: 'CustomerGatewayId',
  [VPN_COLL.vpnGateways]: 'VpnGatewayId',
  [VPN_COLL.vpnConnections]: 'VpnConnectionId',
};

/** Marks a record deleted, and drops those of its kind deleted long enough ago that no call shows them, so they do not pile up. */
function markDeleted(ctx: RequestContext, coll: string, id: string, rec: Deletable): void {
  const now = ctx.env.clock.now();
  for (const old of ctx.env.store.list<Deletable & Record<string, unknown>>(coll, ctx)) {
    if (old.deletedAt !== undefined && now - old.deletedAt >= DELETED_VISIBLE_MS) ctx.env.store.delete(coll, ctx, old[ID_FIELD[coll]] as string);
  }
  rec.State = 'deleted';
  rec.deletedAt = now;
  ctx.env.store.put(coll, ctx, id, rec);
}

/** The connection as AWS shows it now: pending until its time is up. */
function connectionView(ctx: RequestContext, c: VpnConnectionRecord) {
  const state = c.State === 'pending' && ctx.env.clock.now() >= c.readyAt ? 'available' : c.State;
  return {
    ...c,
    State: state,
    CustomerGatewayConfiguration: state === 'deleted' ? undefined : customerGatewayConfiguration(c),
    VgwTelemetry: c.Options.TunnelOptions.map((t) => ({ OutsideIpAddress: t.OutsideIpAddress, Status: 'DOWN', LastStatusChange: iso(c.createdAt), StatusMessage: '', AcceptedRouteCount: 0 })),
  };
}

/** The configuration AWS gives for the customer's device: the tunnels' addresses and keys. */
function customerGatewayConfiguration(c: VpnConnectionRecord): string {
  const tunnels = c.Options.TunnelOptions.map((t) => {
    const inside = parseCidr4(t.TunnelInsideCidr)!;
    return (
      `<ipsec_tunnel><customer_gateway><tunnel_inside_address><ip_address>${formatIp4(inside.base + 2)}</ip_address><network_mask>255.255.255.252</network_mask><network_cidr>30</network_cidr></tunnel_inside_address></customer_gateway>` +
      `<vpn_gateway><tunnel_outside_address><ip_address>${t.OutsideIpAddress}</ip_address></tunnel_outside_address><tunnel_inside_address><ip_address>${formatIp4(inside.base + 1)}</ip_address><network_mask>255.255.255.252</network_mask><network_cidr>30</network_cidr></tunnel_inside_address></vpn_gateway>` +
      `<ike><authentication_protocol>sha1</authentication_protocol><encryption_protocol>aes-128-cbc</encryption_protocol><lifetime>28800</lifetime><perfect_forward_secrecy>group2</perfect_forward_secrecy><mode>main</mode><pre_shared_key>${t.PreSharedKey}</pre_shared_key></ike></ipsec_tunnel>`
    );
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<vpn_connection id="${c.VpnConnectionId}"><customer_gateway_id>${c.CustomerGatewayId}</customer_gateway_id><vpn_gateway_id>${c.VpnGatewayId}</vpn_gateway_id><vpn_connection_type>ipsec.1</vpn_connection_type>${tunnels.join('')}</vpn_connection>`;
}

const checkType = (type: string | undefined) => {
  if (type !== 'ipsec.1') throw ec2Errors.invalidParameterValue(`Value (${type}) for parameter type is invalid. Valid values: ipsec.1`);
};

/** Private ASNs AWS accepts for the Amazon side, besides the public ones it owns. */
const amazonSideAsnOk = (n: number) => (n >= 64512 && n <= 65534) || (n >= 4200000000 && n <= 4294967294) || [7224, 9059, 10124, 17493].includes(n);

/** A tunnel: its outside address (from the documentation range 203.0.113.0/24), inside /30 and key. */
function tunnel(id: string, n: number, spec: { TunnelInsideCidr?: string; PreSharedKey?: string } | undefined): TunnelRecord {
  const h = createHash('sha256').update(`${id}/${n}`).digest();
  let inside = spec?.TunnelInsideCidr;
  if (inside !== undefined) {
    const c = parseCidr4(inside);
    if (!c || c.prefix !== 30 || !(c.base >>> 16 === 0xa9fe)) throw ec2Errors.invalidParameterValue(`The tunnel inside CIDR ${inside} is invalid. It must be a /30 in 169.254.0.0/16.`);
  } else inside = `169.254.${h[1]}.${h[2] & 0xfc}/30`;
  const key = spec?.PreSharedKey;
  if (key !== undefined && !/^[A-Za-z1-9_.][A-Za-z0-9_.]{7,63}$/.test(key)) {
    throw ec2Errors.invalidParameterValue('The pre-shared key must be 8 to 64 characters of letters, digits, periods and underscores, and cannot start with zero.');
  }
  return {
    OutsideIpAddress: formatIp4(parseIp4('203.0.113.0')! + 1 + (h[0] % 254)),
    TunnelInsideCidr: inside,
    PreSharedKey: key ?? randomBytes(24).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 32).replace(/^0/, 'a'),
  };
}

const attachedVpc = (g: { VpcAttachments: readonly { VpcId: string; State: string }[] }) => g.VpcAttachments.find((a) => a.State === 'attached')?.VpcId;

/** Whether a VPN gateway is attached to the VPC (DeleteVpc refuses then). */
export const vpcHasVpnGateway = (ctx: RequestContext, vpcId: string) =>
  ctx.env.store.list<VpnGatewayRecord>(VPN_COLL.vpnGateways, ctx).some((g) => g.State !== 'deleted' && attachedVpc(g) === vpcId);

export const vpnHandlers = {
  CreateCustomerGateway(
    input: { Type: string; BgpAsn?: number; BgpAsnExtended?: number; IpAddress?: string; PublicIp?: string; CertificateArn?: string; DeviceName?: string; TagSpecifications?: TagSpecs },
    ctx: RequestContext,
  ) {
    checkType(input.Type);
    if (input.BgpAsn !== undefined && input.BgpAsnExtended !== undefined) throw ec2Errors.invalidParameterCombination('Only one of BgpAsn and BgpAsnExtended may be given.');
    if (input.BgpAsn !== undefined && (input.BgpAsn < 1 || input.BgpAsn > 2147483647)) throw ec2Errors.invalidParameterValue(`Value (${input.BgpAsn}) for parameter bgpAsn is invalid. It must be between 1 and 2147483647.`);
    if (input.BgpAsnExtended !== undefined && (input.BgpAsnExtended < 2147483648 || input.BgpAsnExtended > 4294967295)) {
      throw ec2Errors.invalidParameterValue(`Value (${input.BgpAsnExtended}) for parameter bgpAsnExtended is invalid. It must be between 2147483648 and 4294967295.`);
    }
    const ip = input.IpAddress ?? input.PublicIp;
    if (ip === undefined && input.CertificateArn === undefined) throw errors.missingParameter('ipAddress');
    if (ip !== undefined && parseIp4(ip) === undefined) throw ec2Errors.invalidParameterValue(`Value (${ip}) for parameter ipAddress is invalid. Invalid Format.`);
    checkTagTypes(input.TagSpecifications, ['customer-gateway']);
    const BgpAsn = String(input.BgpAsnExtended ?? input.BgpAsn ?? 65000);
    // AWS answers a request for a gateway like an existing one with that gateway.
    const same = ctx.env.store
      .list<CustomerGatewayRecord>(VPN_COLL.customerGateways, ctx)
      .find((g) => g.State === 'available' && g.IpAddress === ip && g.BgpAsn === BgpAsn && g.CertificateArn === input.CertificateArn);
    if (same) return { CustomerGateway: same };
    const rec: CustomerGatewayRecord = {
      CustomerGatewayId: resourceId('cgw'),
      Type: 'ipsec.1',
      State: 'available',
      BgpAsn,
      BgpAsnExtended: input.BgpAsnExtended === undefined ? undefined : BgpAsn,
      IpAddress: ip,
      CertificateArn: input.CertificateArn,
      DeviceName: input.DeviceName,
      Tags: tagsFor(input.TagSpecifications, 'customer-gateway'),
    };
    ctx.env.store.put(VPN_COLL.customerGateways, ctx, rec.CustomerGatewayId, rec);
    return { CustomerGateway: rec };
  },

  DescribeCustomerGateways(input: { CustomerGatewayIds?: string[]; Filters?: Filter[] }, ctx: RequestContext) {
    const picked = selectIds(visible<CustomerGatewayRecord>(ctx, VPN_COLL.customerGateways), input.CustomerGatewayIds, (g) => g.CustomerGatewayId, notFound.customerGateway);
    const CustomerGateways = applyFilters(picked, input.Filters, {
      'bgp-asn': (g) => g.BgpAsn,
      'customer-gateway-id': (g) => g.CustomerGatewayId,
      'ip-address': (g) => g.IpAddress,
      state: (g) => g.State,
      type: (g) => g.Type,
    });
    return { CustomerGateways };
  },

  DeleteCustomerGateway(input: { CustomerGatewayId: string }, ctx: RequestContext) {
    const rec = live<CustomerGatewayRecord>(ctx, VPN_COLL.customerGateways, input.CustomerGatewayId, notFound.customerGateway);
    const user = ctx.env.store.list<VpnConnectionRecord>(VPN_COLL.vpnConnections, ctx).find((c) => c.State !== 'deleted' && c.CustomerGatewayId === rec.CustomerGatewayId);
    if (user) throw ec2Errors.incorrectState(`The customer gateway ${rec.CustomerGatewayId} is in use by VPN connection ${user.VpnConnectionId}.`);
    markDeleted(ctx, VPN_COLL.customerGateways, rec.CustomerGatewayId, rec);
    return {};
  },

  CreateVpnGateway(input: { Type: string; AvailabilityZone?: string; AmazonSideAsn?: number; TagSpecifications?: TagSpecs }, ctx: RequestContext) {
    checkType(input.Type);
    const asn = input.AmazonSideAsn ?? 64512;
    if (!amazonSideAsnOk(asn)) throw ec2Errors.invalidParameterValue(`Value (${asn}) for parameter amazonSideAsn is invalid. It must be a private ASN (64512-65534 or 4200000000-4294967294) or one of Amazon's.`);
    checkTagTypes(input.TagSpecifications, ['vpn-gateway']);
    const rec: VpnGatewayRecord = {
      VpnGatewayId: resourceId('vgw'),
      Type: 'ipsec.1',
      State: 'available',
      AvailabilityZone: input.AvailabilityZone,
      AmazonSideAsn: asn,
      VpcAttachments: [],
      Tags: tagsFor(input.TagSpecifications, 'vpn-gateway'),
    };
    ctx.env.store.put(VPN_COLL.vpnGateways, ctx, rec.VpnGatewayId, rec);
    // AWS answers while the gateway is still pending; it is available by the next describe.
    return { VpnGateway: { ...rec, State: 'pending' } };
  },

  DescribeVpnGateways(input: { VpnGatewayIds?: string[]; Filters?: Filter[] }, ctx: RequestContext) {
    const picked = selectIds(visible<VpnGatewayRecord>(ctx, VPN_COLL.vpnGateways), input.VpnGatewayIds, (g) => g.VpnGatewayId, notFound.vpnGateway);
    const VpnGateways = applyFilters(picked, input.Filters, {
      'amazon-side-asn': (g) => g.AmazonSideAsn,
      'attachment.state': (g) => g.VpcAttachments.map((a) => a.State),
      'attachment.vpc-id': (g) => g.VpcAttachments.map((a) => a.VpcId),
      'availability-zone': (g) => g.AvailabilityZone,
      state: (g) => g.State,
      type: (g) => g.Type,
      'vpn-gateway-id': (g) => g.VpnGatewayId,
    });
    return { VpnGateways };
  },

  AttachVpnGateway(input: { VpnGatewayId: string; VpcId: string }, ctx: RequestContext) {
    const gw = live<VpnGatewayRecord>(ctx, VPN_COLL.vpnGateways, input.VpnGatewayId, notFound.vpnGateway);
    const vpc = requireVpc(ctx, input.VpcId);
    const current = attachedVpc(gw);
    if (current) throw new AwsError('VpnGatewayAttachmentLimitExceeded', `The VPN gateway ${gw.VpnGatewayId} is already attached to ${current}; a VPN gateway can be attached to one VPC.`);
    if (vpcHasVpnGateway(ctx, vpc.VpcId)) throw ec2Errors.invalidParameterValue(`The VPC ${vpc.VpcId} already has a VPN gateway attached.`);
    gw.VpcAttachments = [{ VpcId: vpc.VpcId, State: 'attached' }];
    ctx.env.store.put(VPN_COLL.vpnGateways, ctx, gw.VpnGatewayId, gw);
    return { VpcAttachment: { VpcId: vpc.VpcId, State: 'attaching' } };
  },

  DetachVpnGateway(input: { VpnGatewayId: string; VpcId: string }, ctx: RequestContext) {
    const gw = live<VpnGatewayRecord>(ctx, VPN_COLL.vpnGateways, input.VpnGatewayId, notFound.vpnGateway);
    if (attachedVpc(gw) !== input.VpcId) {
      throw new AwsError('InvalidVpnGatewayAttachment.NotFound', `The attachment with vpn gateway ID '${gw.VpnGatewayId}' and vpc ID '${input.VpcId}' does not exist`);
    }
    gw.VpcAttachments = [{ VpcId: input.VpcId, State: 'detached' }];
    ctx.env.store.put(VPN_COLL.vpnGateways, ctx, gw.VpnGatewayId, gw);
    return {};
  },

  DeleteVpnGateway(input: { VpnGatewayId: string }, ctx: RequestContext) {
    const gw = live<VpnGatewayRecord>(ctx, VPN_COLL.vpnGateways, input.VpnGatewayId, notFound.vpnGateway);
    const vpc = attachedVpc(gw);
    if (vpc) throw ec2Errors.incorrectState(`The VPN gateway ${gw.VpnGatewayId} is attached to ${vpc}; detach it first.`);
    const user = ctx.env.store.list<VpnConnectionRecord>(VPN_COLL.vpnConnections, ctx).find((c) => c.State !== 'deleted' && c.VpnGatewayId === gw.VpnGatewayId);
    if (user) throw ec2Errors.incorrectState(`The VPN gateway ${gw.VpnGatewayId} is in use by VPN connection ${user.VpnConnectionId}.`);
    markDeleted(ctx, VPN_COLL.vpnGateways, gw.VpnGatewayId, gw);
    return {};
  },

  CreateVpnConnection(
    input: {
      Type: string;
      CustomerGatewayId: string;
      VpnGatewayId?: string;
      TransitGatewayId?: string;
      VpnConcentratorId?: string;
      Options?: { StaticRoutesOnly?: boolean; TunnelInsideIpVersion?: string; TunnelOptions?: { TunnelInsideCidr?: string; PreSharedKey?: string }[] };
      TagSpecifications?: TagSpecs;
    },
    ctx: RequestContext,
  ) {
    checkType(input.Type);
    const cgw = live<CustomerGatewayRecord>(ctx, VPN_COLL.customerGateways, input.CustomerGatewayId, notFound.customerGateway);
    if (input.VpnGatewayId && input.TransitGatewayId) throw ec2Errors.invalidParameterCombination('Only one of VpnGatewayId and TransitGatewayId may be given.');
    if (input.TransitGatewayId) throw new AwsError('InvalidTransitGatewayID.NotFound', `The transitGateway ID '${input.TransitGatewayId}' does not exist`);
    if (!input.VpnGatewayId) throw errors.missingParameter('vpnGatewayId or transitGatewayId');
    const vgw = live<VpnGatewayRecord>(ctx, VPN_COLL.vpnGateways, input.VpnGatewayId, notFound.vpnGateway);
    if (input.Options?.TunnelInsideIpVersion !== undefined && input.Options.TunnelInsideIpVersion !== 'ipv4') throw ec2Errors.unsupported('faultline VPN tunnels are IPv4 inside.');
    const specs = input.Options?.TunnelOptions ?? [];
    if (specs.length > 2) throw ec2Errors.invalidParameterValue('A VPN connection has two tunnels; at most two tunnel options may be given.');
    checkTagTypes(input.TagSpecifications, ['vpn-connection']);
    const now = ctx.env.clock.now();
    const VpnConnectionId = resourceId('vpn');
    const tunnels = [tunnel(VpnConnectionId, 0, specs[0]), tunnel(VpnConnectionId, 1, specs[1])];
    if (tunnels[0].TunnelInsideCidr === tunnels[1].TunnelInsideCidr) throw ec2Errors.invalidParameterValue('The two tunnels need different inside CIDRs.');
    const rec: VpnConnectionRecord = {
      VpnConnectionId,
      Type: 'ipsec.1',
      Category: 'VPN',
      State: 'pending',
      CustomerGatewayId: cgw.CustomerGatewayId,
      VpnGatewayId: vgw.VpnGatewayId,
      GatewayAssociationState: 'associated',
      Options: {
        StaticRoutesOnly: input.Options?.StaticRoutesOnly ?? false,
        TunnelInsideIpVersion: 'ipv4',
        LocalIpv4NetworkCidr: '0.0.0.0/0',
        RemoteIpv4NetworkCidr: '0.0.0.0/0',
        OutsideIpAddressType: 'PublicIpv4',
        TunnelOptions: tunnels,
      },
      Routes: [],
      Tags: tagsFor(input.TagSpecifications, 'vpn-connection'),
      readyAt: now + VPN_CONNECTION_PENDING_MS,
      createdAt: now,
    };
    ctx.env.store.put(VPN_COLL.vpnConnections, ctx, VpnConnectionId, rec);
    return { VpnConnection: connectionView(ctx, rec) };
  },

  DescribeVpnConnections(input: { VpnConnectionIds?: string[]; Filters?: Filter[] }, ctx: RequestContext) {
    const views = visible<VpnConnectionRecord>(ctx, VPN_COLL.vpnConnections).map((c) => connectionView(ctx, c as VpnConnectionRecord));
    const picked = selectIds(views, input.VpnConnectionIds, (c) => c.VpnConnectionId, notFound.vpnConnection);
    const VpnConnections = applyFilters(picked, input.Filters, {
      'customer-gateway-id': (c) => c.CustomerGatewayId,
      'option.static-routes-only': (c) => c.Options.StaticRoutesOnly,
      state: (c) => c.State,
      type: (c) => c.Type,
      'vpn-connection-id': (c) => c.VpnConnectionId,
      'vpn-gateway-id': (c) => c.VpnGatewayId,
    });
    return { VpnConnections };
  },

  DeleteVpnConnection(input: { VpnConnectionId: string }, ctx: RequestContext) {
    const c = live<VpnConnectionRecord>(ctx, VPN_COLL.vpnConnections, input.VpnConnectionId, notFound.vpnConnection);
    markDeleted(ctx, VPN_COLL.vpnConnections, c.VpnConnectionId, c);
    return {};
  },
};
