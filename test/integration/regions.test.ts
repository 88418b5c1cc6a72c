import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EC2Client, DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { parseRegions } from '../../src/config.ts';

/** The commercial regions of botocore's endpoints.json, and those that AWS makes accounts opt in to. */
const OPT_IN = ['af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7', 'ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1'];
const ENABLED = ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'eu-central-1', 'eu-north-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];

describe('regions and availability zones', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('offers every commercial region through the AWS CLI, opt-in regions opted in', async () => {
    const out = await fl.aws('ec2', 'describe-regions');
    const status = Object.fromEntries(out.Regions.map((r: { RegionName: string; OptInStatus: string }) => [r.RegionName, r.OptInStatus]));
    assert.deepEqual(Object.keys(status).sort(), [...OPT_IN, ...ENABLED].sort());
    for (const r of OPT_IN) assert.equal(status[r], 'opted-in', r);
    for (const r of ENABLED) assert.equal(status[r], 'opt-in-not-required', r);
  });

  it('lists the AZs of the signing region through the SDK v3, with filters', async () => {
    const ec2 = new EC2Client({ ...fl.sdk, region: 'eu-west-1' });
    const out = await ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-name', Values: ['eu-west-1a', 'eu-west-1c'] }] }));
    assert.deepEqual(out.AvailabilityZones?.map((z) => z.ZoneName), ['eu-west-1a', 'eu-west-1c']);
    assert.equal(out.AvailabilityZones?.[0].State, 'available');
  });

  it("answers in any region with AWS's AZ names and AZ ids, filters on opt-in status, and rejects an unknown region", async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
def zones(region):
    return [[z['ZoneName'], z['ZoneId']] for z in boto3.client('ec2', region_name=region).describe_availability_zones()['AvailabilityZones']]
ec2 = boto3.client('ec2', region_name='us-west-2')
opted = [r['RegionName'] for r in ec2.describe_regions(Filters=[{'Name': 'opt-in-status', 'Values': ['opted-in']}])['Regions']]
out({
  'usw1': zones('us-west-1'), 'apne1': zones('ap-northeast-1'), 'euc1': zones('eu-central-1'), 'mxc1': zones('mx-central-1'),
  'use1': [i for _, i in zones('us-east-1')],
  'opted': sorted(opted),
  'unknown': outcome(lambda: ec2.describe_regions(RegionNames=['mars-north-1'])),
})
`);
    assert.deepEqual(out.usw1, [['us-west-1a', 'usw1-az1'], ['us-west-1b', 'usw1-az3']]);
    assert.deepEqual(out.apne1, [['ap-northeast-1a', 'apne1-az1'], ['ap-northeast-1c', 'apne1-az2'], ['ap-northeast-1d', 'apne1-az4']]);
    assert.deepEqual(out.euc1, [['eu-central-1a', 'euc1-az1'], ['eu-central-1b', 'euc1-az2'], ['eu-central-1c', 'euc1-az3']]);
    assert.deepEqual(out.mxc1, [['mx-central-1a', 'mxc1-az1'], ['mx-central-1b', 'mxc1-az2'], ['mx-central-1c', 'mxc1-az3']]);
    assert.deepEqual(out.use1, ['use1-az1', 'use1-az2', 'use1-az3', 'use1-az4', 'use1-az5', 'use1-az6']);
    assert.deepEqual(out.opted, OPT_IN);
    assert.match(out.unknown, /^InvalidParameterValue 400 Invalid region name\(s\): mars-north-1/);
  });

  it("makes a region's zones and hosts at its first use, not at start", async () => {
    const world = async () => ((await (await fetch(`${fl.url}/_faultline/world`)).json()) as { regions: { region: string; zones: { hosts: unknown[] }[] }[] }).regions;
    assert.ok(!(await world()).some((r) => r.region === 'sa-east-1'));
    await fl.python(`import boto3; boto3.client('ec2', region_name='sa-east-1').describe_vpcs()`);
    const sa = (await world()).find((r) => r.region === 'sa-east-1');
    assert.equal(sa?.zones.length, 3);
    assert.equal(sa?.zones[0].hosts.length, 8);
  });
});

describe('regions narrowed with --regions', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline({ config: { regions: parseRegions('us-east-1;af-south-1=a,b') } })));
  after(() => fl.close());

  it('lists the offered regions, and with --all-regions the opt-in regions left out as not opted in', async () => {
    const names = (out: { Regions: { RegionName: string; OptInStatus: string }[] }) => out.Regions.map((r) => `${r.RegionName} ${r.OptInStatus}`);
    assert.deepEqual(names(await fl.aws('ec2', 'describe-regions')), ['af-south-1 opted-in', 'us-east-1 opt-in-not-required']);
    const all = names(await fl.aws('ec2', 'describe-regions', '--all-regions'));
    assert.deepEqual(all, ['af-south-1 opted-in', ...OPT_IN.filter((r) => r !== 'af-south-1').map((r) => `${r} not-opted-in`), 'us-east-1 opt-in-not-required'].sort());
    const notOpted = names(await fl.aws('ec2', 'describe-regions', '--all-regions', '--filters', 'Name=opt-in-status,Values=not-opted-in'));
    assert.equal(notOpted.length, OPT_IN.length - 1);
  });

  it('refuses a call signed for a region it does not offer, and gives a narrowed region its letters', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
out({
  'west': outcome(lambda: boto3.client('ec2', region_name='us-west-2', config=no_retry).describe_vpcs()),
  'zones': [z['ZoneName'] for z in boto3.client('ec2', region_name='af-south-1').describe_availability_zones()['AvailabilityZones']],
})
`);
    assert.match(out.west, /^AuthFailure 401 The region us-west-2 is not offered by this faultline/);
    assert.deepEqual(out.zones, ['af-south-1a', 'af-south-1b']);
  });
});
