/**
 * Spot prices: deterministic, constant in time, one per instance type and zone, always below the
 * type's on-demand price, so that scripts and tests see the same figures every run.
 *
 * faultline has no price list, so the on-demand price is a notional one, fitted to AWS's us-east-1
 * Linux prices of m5.large ($0.096) and c5.large ($0.085): $0.037 per vCPU-hour plus $0.00275 per
 * GiB-hour (r5.large comes out at 0.118 against AWS's 0.126), and a fifth of that for burstable
 * types (t3.micro 0.0154 against 0.0104). The spot price is 30 % to 45 % of it, as spot discounts commonly run, chosen within that
 * range by a hash of the type and the zone's id: zones differ, and a zone keeps its price.
 * DescribeSpotPriceHistory answers the price in force: one entry per type, zone and product.
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../../core/errors.ts';
import { regionZones } from '../../config.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, paginate, type Filter } from './filters.ts';
import { instanceType, type InstanceTypeSpec } from './instance-types.ts';
import { instanceTypeCatalogue } from '../../models/ec2-catalogue.ts';
import { zoneId } from './regions.provider.ts';
import { iso } from './scoped.ts';

/** The products faultline prices: it runs Linux only, inside VPCs or not. */
export const PRODUCTS = ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'] as const;

const dollars = (n: number) => n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');

/** The notional on-demand price of a type, $ an hour. */
function onDemand(t: InstanceTypeSpec): number {
  const full = 0.037 * t.vcpus + 0.00275 * (t.memoryMiB / 1024);
  return t.burstable ? full / 5 : full;
}

/** The default maximum price of a spot request: the on-demand price, as on AWS. */
export const onDemandPrice = (typeName: string): string => dollars(round4(onDemand(instanceType(typeName)!)));

const round4 = (n: number) => Math.max(0.0001, Math.round(n * 10_000) / 10_000);

/** The spot price of a type in a zone (by its zone id, `use1-az1`), $ an hour. */
export function spotPrice(typeName: string, azId: string): string {
  const t = instanceType(typeName)!;
  const share = createHash('sha256').update(`${typeName}/${azId}`).digest().readUInt32BE(0) / 2 ** 32;
  return dollars(round4(onDemand(t) * (0.3 + 0.15 * share)));
}

/** The spot price of a type in a zone of the request's region, by the zone's name. */
export const spotPriceIn = (ctx: RequestContext, typeName: string, zone: string): string => spotPrice(typeName, zoneId(ctx.region, zone.slice(ctx.region.length)));

/** Whether a maximum price (a decimal string) is a positive number. */
export function checkMaxPrice(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value.trim()) || !(n > 0)) throw new AwsError('InvalidParameterValue', `Invalid value '${value}' for spotPrice. Spot price must be a positive number.`);
  return n;
}

export const maxPriceTooLow = (max: string, price: string) =>
  new AwsError('SpotMaxPriceTooLow', `Your Spot request price of ${max} is lower than the minimum required Spot request fulfillment price of ${price}.`);

interface PriceEntry {
  AvailabilityZone: string;
  AvailabilityZoneId: string;
  InstanceType: string;
  ProductDescription: string;
  SpotPrice: string;
  Timestamp: string;
}

export const spotPriceHandlers = {
  DescribeSpotPriceHistory(
    input: { InstanceTypes?: string[]; ProductDescriptions?: string[]; AvailabilityZone?: string; AvailabilityZoneId?: string; StartTime?: Date; EndTime?: Date; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const unknown = (input.InstanceTypes ?? []).filter((n) => !instanceType(n));
    if (unknown.length) throw new AwsError('InvalidParameterValue', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
    const letters = regionZones(ctx.env.config, ctx.region) ?? [];
    const zones = letters.map((l) => ({ name: ctx.region + l, id: zoneId(ctx.region, l) }));
    if (input.AvailabilityZone !== undefined && !zones.some((z) => z.name === input.AvailabilityZone)) {
      throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${input.AvailabilityZone}]`);
    }
    const start = input.StartTime ? new Date(input.StartTime).getTime() : undefined;
    const end = input.EndTime ? new Date(input.EndTime).getTime() : undefined;
    if (start !== undefined && end !== undefined && end < start) throw new AwsError('InvalidParameterValue', 'The end time must be after the start time.');
    // A constant price has one entry, stamped with the hour it is read for (the end of the range, or now).
    const stamp = iso(Math.floor(Math.min(end ?? Infinity, ctx.env.clock.now()) / 3_600_000) * 3_600_000);
    const types = input.InstanceTypes?.length ? input.InstanceTypes : instanceTypeCatalogue().types.map((t) => t.InstanceType);
    const products = input.ProductDescriptions?.length ? input.ProductDescriptions.filter((p) => (PRODUCTS as readonly string[]).includes(p)) : PRODUCTS;
    const entries: PriceEntry[] = [];
    for (const z of zones) {
      if ((input.AvailabilityZone && z.name !== input.AvailabilityZone) || (input.AvailabilityZoneId && z.id !== input.AvailabilityZoneId)) continue;
      for (const type of types) {
        const price = spotPrice(type, z.id);
        for (const product of products) entries.push({ AvailabilityZone: z.name, AvailabilityZoneId: z.id, InstanceType: type, ProductDescription: product, SpotPrice: price, Timestamp: stamp });
      }
    }
    const filtered = applyFilters(entries, input.Filters, {
      'availability-zone': (e) => e.AvailabilityZone,
      'instance-type': (e) => e.InstanceType,
      'product-description': (e) => e.ProductDescription,
      'spot-price': (e) => e.SpotPrice,
      timestamp: (e) => e.Timestamp,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults ?? 1000, input.NextToken, 5, 1000);
    return { SpotPriceHistory: page, NextToken: NextToken ?? '' };
  },
};
