/**
 * Private IPv4 addresses in a subnet. The first four addresses of every subnet (network, router,
 * DNS, future use) and the last (broadcast) are reserved; the rest are handed out here, lowest
 * free first, and the subnet's AvailableIpAddressCount follows. The instances provider calls
 * these inside its own request's transaction.
 */
import { AwsError } from '../../core/errors.ts';
import type { RequestContext } from '../service.ts';
import { formatIp4, ip4InCidr, parseCidr4, parseIp4, type Cidr4 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { requireSubnet } from './network.ts';
import { COLL, type SubnetRecord } from './state.ts';

/** Addresses AWS reserves in every subnet: the first four and the last. */
export const RESERVED_ADDRESSES = 5;

/** How many addresses a subnet of this block can hand out. */
export const usableAddresses = (block: Cidr4) => block.size - RESERVED_ADDRESSES;

const reserved = (block: Cidr4, ip: number) => ip < block.base + 4 || ip === block.base + block.size - 1;

function save(ctx: RequestContext, subnet: SubnetRecord, block: Cidr4, used: string[]): void {
  subnet.usedIps = used;
  subnet.AvailableIpAddressCount = usableAddresses(block) - used.length;
  ctx.env.store.put(COLL.subnets, ctx, subnet.SubnetId, subnet);
}

/**
 * Takes a private address in the subnet: `requested` if given (it must be in the subnet's range,
 * not reserved and not in use), else the lowest free one. Returns the address.
 */
export function allocatePrivateIp(ctx: RequestContext, subnetId: string, requested?: string): string {
  const subnet = ctx.env.store.mutable<SubnetRecord>(COLL.subnets, ctx, requireSubnet(ctx, subnetId).SubnetId)!;
  const block = parseCidr4(subnet.CidrBlock)!;
  const used = subnet.usedIps ?? [];
  const taken = new Set(used);
  let ip: number;
  if (requested !== undefined) {
    const n = parseIp4(requested);
    if (n === undefined) throw ec2Errors.invalidParameterValue(`Invalid value '${requested}' for privateIpAddress. It is not a valid IPv4 address.`);
    if (!ip4InCidr(block, n)) throw ec2Errors.invalidParameterValue(`Address ${requested} does not fall within the subnet's address range`);
    if (reserved(block, n)) throw ec2Errors.invalidParameterValue(`Address ${requested} is in subnet's reserved address range`);
    if (taken.has(formatIp4(n))) throw new AwsError('InvalidIPAddress.InUse', `Address ${requested} is in use.`);
    ip = n;
  } else {
    ip = -1;
    for (let n = block.base + 4; n < block.base + block.size - 1; n++) {
      if (!taken.has(formatIp4(n))) {
        ip = n;
        break;
      }
    }
    if (ip < 0) {
      throw new AwsError(
        'InsufficientFreeAddressesInSubnet',
        `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances.`,
      );
    }
  }
  const address = formatIp4(ip);
  save(ctx, subnet, block, [...used, address]);
  return address;
}

/** Gives an address back. Releasing an address that is not in use, or in a subnet that is gone, does nothing. */
export function releasePrivateIp(ctx: RequestContext, subnetId: string, ip: string): void {
  const subnet = ctx.env.store.mutable<SubnetRecord>(COLL.subnets, ctx, subnetId);
  if (!subnet?.usedIps?.includes(ip)) return;
  save(ctx, subnet, parseCidr4(subnet.CidrBlock)!, subnet.usedIps.filter((u) => u !== ip));
}
