import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EC2Client, DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';

describe('regions and availability zones', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('lists the configured regions through the AWS CLI', async () => {
    const out = await fl.aws('ec2', 'describe-regions');
    assert.deepEqual(out.Regions.map((r: { RegionName: string }) => r.RegionName).sort(), ['eu-west-1', 'us-east-1', 'us-west-2']);
  });

  it('lists the AZs of the signing region through the SDK v3, with filters', async () => {
    const ec2 = new EC2Client({ ...fl.sdk, region: 'eu-west-1' });
    const out = await ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-name', Values: ['eu-west-1a', 'eu-west-1c'] }] }));
    assert.deepEqual(out.AvailabilityZones?.map((z) => z.ZoneName), ['eu-west-1a', 'eu-west-1c']);
    assert.equal(out.AvailabilityZones?.[0].State, 'available');
  });

  it('lists AZs through boto3 and rejects an unknown region name', async () => {
    const out = await fl.python(`
import boto3, json, botocore
ec2 = boto3.client('ec2', region_name='us-west-2')
zones = [z['ZoneName'] for z in ec2.describe_availability_zones()['AvailabilityZones']]
try:
    ec2.describe_regions(RegionNames=['mars-north-1'])
    code = None
except botocore.exceptions.ClientError as e:
    code = e.response['Error']['Code']
print(json.dumps({'zones': zones, 'code': code}))
`);
    assert.deepEqual(out, { zones: ['us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2d'], code: 'InvalidParameterValue' });
  });
});
