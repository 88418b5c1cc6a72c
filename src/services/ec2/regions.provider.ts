/** Regions, availability zones and account attributes, from faultline's configuration. */
import { regionZones, type Config } from '../../config.ts';
import { AwsError } from '../../core/errors.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, type Filter } from './filters.ts';

/** AWS's zone ids are per account; faultline uses a stable short form like `use1-az1`. */
export function zoneId(region: string, letter: string): string {
  const [geo, dir, n] = region.split('-');
  return `${geo}${dir[0]}${n}-az${letter.charCodeAt(0) - 96}`;
}

/** A zone named by its name (`us-east-1a`) or its AZ ID (`use1-az1`), as its name; undefined if the region has no such zone. */
export function zoneNamed(config: Config, region: string, identifier: string): string | undefined {
  const letter = (regionZones(config, region) ?? []).find((l) => identifier === region + l || identifier === zoneId(region, l));
  return letter === undefined ? undefined : region + letter;
}

export function zonesOf(config: Config, region: string): string[] {
  return (regionZones(config, region) ?? []).map((l) => region + l);
}

export const regionHandlers = {
  DescribeRegions(input: { RegionNames?: string[]; Filters?: Filter[] }, ctx: RequestContext) {
    const known = Object.keys(ctx.env.config.regions);
    const unknown = (input.RegionNames ?? []).filter((n) => !known.includes(n));
    if (unknown.length) throw new AwsError('InvalidParameterValue', `Invalid region name(s): ${unknown.join(', ')}`);
    const all = known
      .filter((r) => !input.RegionNames?.length || input.RegionNames.includes(r))
      .map((r) => ({ RegionName: r, Endpoint: `ec2.${r}.amazonaws.com`, OptInStatus: 'opt-in-not-required' }));
    return {
      Regions: applyFilters(all, input.Filters, {
        'region-name': (r) => r.RegionName,
        endpoint: (r) => r.Endpoint,
        'opt-in-status': (r) => r.OptInStatus,
      }),
    };
  },

  DescribeAvailabilityZones(input: { ZoneNames?: string[]; ZoneIds?: string[]; Filters?: Filter[] }, ctx: RequestContext) {
    const region = ctx.region;
    const zones = (ctx.env.config.regions[region] ?? []).map((letter) => ({
      State: 'available',
      OptInStatus: 'opt-in-not-required',
      Messages: [],
      RegionName: region,
      ZoneName: region + letter,
      ZoneId: zoneId(region, letter),
      GroupName: region,
      NetworkBorderGroup: region,
      ZoneType: 'availability-zone',
    }));
    for (const name of input.ZoneNames ?? []) {
      if (!zones.some((z) => z.ZoneName === name)) throw new AwsError('InvalidParameterValue', `The availability zone '${name}' is not valid`);
    }
    for (const id of input.ZoneIds ?? []) {
      if (!zones.some((z) => z.ZoneId === id)) throw new AwsError('InvalidParameterValue', `The availability zone ID '${id}' is not valid`);
    }
    const picked = zones.filter(
      (z) => (!input.ZoneNames?.length || input.ZoneNames.includes(z.ZoneName)) && (!input.ZoneIds?.length || input.ZoneIds.includes(z.ZoneId)),
    );
    return {
      AvailabilityZones: applyFilters(picked, input.Filters, {
        'zone-name': (z) => z.ZoneName,
        'zone-id': (z) => z.ZoneId,
        state: (z) => z.State,
        'region-name': (z) => z.RegionName,
        'group-name': (z) => z.GroupName,
        'zone-type': (z) => z.ZoneType,
        'opt-in-status': (z) => z.OptInStatus,
      }),
    };
  },

  DescribeAccountAttributes(input: { AttributeNames?: string[] }) {
    const all = [
      { AttributeName: 'supported-platforms', AttributeValues: [{ AttributeValue: 'VPC' }] },
      { AttributeName: 'default-vpc', AttributeValues: [{ AttributeValue: 'none' }] },
      { AttributeName: 'max-instances', AttributeValues: [{ AttributeValue: '1000' }] },
      { AttributeName: 'vpc-max-security-groups-per-interface', AttributeValues: [{ AttributeValue: '5' }] },
      { AttributeName: 'max-elastic-ips', AttributeValues: [{ AttributeValue: '5' }] },
      { AttributeName: 'vpc-max-elastic-ips', AttributeValues: [{ AttributeValue: '5' }] },
    ];
    return { AccountAttributes: all.filter((a) => !input.AttributeNames?.length || input.AttributeNames.includes(a.AttributeName)) };
  },
};
