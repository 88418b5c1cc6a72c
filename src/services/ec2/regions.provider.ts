/** Regions, availability zones and account attributes, from faultline's configuration and the region table. */
import { regionZones, type Config } from '../../config.ts';
import { AwsError } from '../../core/errors.ts';
import { own } from '../../core/own.ts';
import { REGIONS } from '../../models/ec2-catalogue.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, type Filter } from './filters.ts';
import { defaultVpcOf } from './default-vpc.ts';

// How AZ IDs shorten a region's direction word (ap-southeast-2: apse2).
const DIRECTIONS: Record<string, string> = { north: 'n', south: 's', east: 'e', west: 'w', central: 'c', northeast: 'ne', southeast: 'se', northwest: 'nw', southwest: 'sw' };

/**
 * The AZ ID of a zone: AWS's, from the region table (faultline's account maps a region's AZ
 * letters to its AZ IDs in order); for a zone the table lacks (`--regions` can name any letter),
 * the same form, numbered by the letter.
 */
export function zoneId(region: string, letter: string): string {
  const known = own(REGIONS, region)?.zones.find(([l]) => l === letter);
  if (known) return known[1];
  const parts = region.split('-');
  const short = parts[0] + parts.slice(1, -1).map((p) => DIRECTIONS[p] ?? p[0]).join('') + parts[parts.length - 1];
  return `${short}-az${letter.charCodeAt(0) - 96}`;
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
  DescribeRegions(input: { RegionNames?: string[]; Filters?: Filter[]; AllRegions?: boolean }, ctx: RequestContext) {
    // The regions this faultline offers are enabled (an opt-in region is opted in); the opt-in
    // regions that `--regions` left out are there but not opted in, listed only with AllRegions
    // or by name, as AWS lists a region the account has not enabled.
    const offered = Object.keys(ctx.env.config.regions);
    const optInStatus = (r: string) => (!offered.includes(r) ? 'not-opted-in' : own(REGIONS, r)?.optIn ? 'opted-in' : 'opt-in-not-required');
    const disabled = Object.keys(REGIONS).filter((r) => REGIONS[r].optIn && !offered.includes(r));
    const known = [...offered, ...disabled].sort();
    const unknown = (input.RegionNames ?? []).filter((n) => !known.includes(n));
    if (unknown.length) throw new AwsError('InvalidParameterValue', `Invalid region name(s): ${unknown.join(', ')}`);
    const listed = input.RegionNames?.length ? known.filter((r) => input.RegionNames!.includes(r)) : input.AllRegions ? known : offered.sort();
    const all = listed.map((r) => ({ RegionName: r, Endpoint: `ec2.${r}.amazonaws.com`, OptInStatus: optInStatus(r) }));
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
    const zones = (regionZones(ctx.env.config, region) ?? []).map((letter) => ({
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

  DescribeAccountAttributes(input: { AttributeNames?: string[] }, ctx: RequestContext) {
    const all = [
      { AttributeName: 'supported-platforms', AttributeValues: [{ AttributeValue: 'VPC' }] },
      { AttributeName: 'default-vpc', AttributeValues: [{ AttributeValue: defaultVpcOf(ctx)?.VpcId ?? 'none' }] },
      { AttributeName: 'max-instances', AttributeValues: [{ AttributeValue: '1000' }] },
      { AttributeName: 'vpc-max-security-groups-per-interface', AttributeValues: [{ AttributeValue: '5' }] },
      { AttributeName: 'max-elastic-ips', AttributeValues: [{ AttributeValue: '5' }] },
      { AttributeName: 'vpc-max-elastic-ips', AttributeValues: [{ AttributeValue: '5' }] },
    ];
    return { AccountAttributes: all.filter((a) => !input.AttributeNames?.length || input.AttributeNames.includes(a.AttributeName)) };
  },
};
