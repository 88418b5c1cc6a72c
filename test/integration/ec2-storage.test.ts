/**
 * Volumes, snapshots and images through boto3, on the manual clock: create and attach a volume,
 * snapshot it, image the instance, launch from the image, and clean up in AWS's order.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const PRELUDE = `
import boto3, json, botocore
ec2 = boto3.client('ec2', region_name='us-east-1')
def code(fn, **kw):
    try:
        fn(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code'] + ': ' + e.response['Error']['Message']
`;

describe('ec2 volumes, snapshots and images through boto3', () => {
  let fl: Faultline;
  let subnet: string;
  let instance: string;
  let volume: string;
  let snapshot: string;
  let image: string;

  before(async () => {
    fl = await startFaultline();
    const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.1.0.0/16')).Vpc.VpcId;
    subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.1.2.0/24', '--availability-zone', 'us-east-1b')).Subnet.SubnetId;
    const r = await fl.aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't3.small', '--subnet-id', subnet);
    instance = r.Instances[0].InstanceId;
    fl.advance(30);
  });
  after(() => fl.close());

  it('creates a volume, which becomes available and attaches only in its own zone', async () => {
    const out = await fl.python(`${PRELUDE}
v = ec2.create_volume(AvailabilityZone='us-east-1b', Size=20, VolumeType='gp3',
                      TagSpecifications=[{'ResourceType': 'volume', 'Tags': [{'Key': 'Name', 'Value': 'data'}]}])
other = ec2.create_volume(AvailabilityZone='us-east-1c', Size=1)
print(json.dumps({'id': v['VolumeId'], 'state': v['State'], 'iops': v['Iops'], 'throughput': v['Throughput'],
                  'early': code(ec2.attach_volume, VolumeId=v['VolumeId'], InstanceId='${instance}', Device='/dev/sdf'),
                  'other': other['VolumeId']}))
`);
    volume = out.id;
    assert.equal(out.state, 'creating');
    assert.equal(out.iops, 3000);
    assert.equal(out.throughput, 125);
    assert.match(out.early, /^IncorrectState/);
    fl.advance(5);
    const attached = await fl.python(`${PRELUDE}
a = ec2.attach_volume(VolumeId='${volume}', InstanceId='${instance}', Device='/dev/sdf')
print(json.dumps({'state': a['State'], 'device': a['Device'],
                  'zone': code(ec2.attach_volume, VolumeId='${out.other}', InstanceId='${instance}', Device='/dev/sdg'),
                  'busy': code(ec2.delete_volume, VolumeId='${volume}')}))
`);
    assert.equal(attached.state, 'attaching');
    assert.equal(attached.device, '/dev/sdf');
    assert.match(attached.zone, /^InvalidVolume\.ZoneMismatch/);
    assert.match(attached.busy, /^VolumeInUse/);
    fl.advance(2);
    const d = await fl.python(`${PRELUDE}
v = ec2.describe_volumes(VolumeIds=['${volume}'])['Volumes'][0]
i = ec2.describe_instances(InstanceIds=['${instance}'])['Reservations'][0]['Instances'][0]
print(json.dumps({'state': v['State'], 'att': v['Attachments'][0]['State'], 'dot': v['Attachments'][0]['DeleteOnTermination'],
                  'bdm': [[b['DeviceName'], b['Ebs']['Status']] for b in i['BlockDeviceMappings']],
                  'filtered': [x['VolumeId'] for x in ec2.describe_volumes(Filters=[{'Name': 'attachment.instance-id', 'Values': ['${instance}']}, {'Name': 'tag:Name', 'Values': ['data']}])['Volumes']]}))
`);
    assert.deepEqual(d, { state: 'in-use', att: 'attached', dot: false, bdm: [['/dev/xvda', 'attached'], ['/dev/sdf', 'attached']], filtered: [volume] });
  });

  it('snapshots a volume: pending with progress, then completed', async () => {
    const s = await fl.python(`${PRELUDE}
s = ec2.create_snapshot(VolumeId='${volume}', Description='nightly')
print(json.dumps({'id': s['SnapshotId'], 'state': s['State'], 'size': s['VolumeSize']}))
`);
    assert.equal(s.state, 'pending');
    assert.equal(s.size, 20);
    fl.advance(15);
    const mid = await fl.python(`${PRELUDE}
print(json.dumps(ec2.describe_snapshots(SnapshotIds=['${s.id}'])['Snapshots'][0]['Progress']))
`);
    assert.equal(mid, '50%');
    fl.advance(15);
    const done = await fl.python(`${PRELUDE}
s = ec2.describe_snapshots(OwnerIds=['self'])['Snapshots']
print(json.dumps([[x['SnapshotId'], x['State'], x['Progress']] for x in s]))
`);
    assert.deepEqual(done, [[s.id, 'completed', '100%']]);
  });

  it('images the instance: a snapshot per volume, pending then available, found by name', async () => {
    const out = await fl.python(`${PRELUDE}
img = ec2.create_image(InstanceId='${instance}', Name='jenkins-with-jobs', NoReboot=True)
i = ec2.describe_images(ImageIds=[img['ImageId']])['Images'][0]
print(json.dumps({'id': img['ImageId'], 'state': i['State'], 'root': i['RootDeviceName'],
                  'bdm': [[b['DeviceName'], b['Ebs']['SnapshotId'], b['Ebs']['VolumeSize'], b['Ebs']['DeleteOnTermination']] for b in i['BlockDeviceMappings']],
                  'dup': code(ec2.create_image, InstanceId='${instance}', Name='jenkins-with-jobs')}))
`);
    image = out.id;
    assert.equal(out.state, 'pending');
    assert.equal(out.root, '/dev/xvda');
    assert.deepEqual(out.bdm.map((b: unknown[]) => [b[0], b[2], b[3]]), [['/dev/xvda', 8, true], ['/dev/sdf', 20, false]]);
    assert.match(out.dup, /^InvalidAMIName\.Duplicate/);
    snapshot = out.bdm[1][1];
    fl.advance(60);
    const avail = await fl.python(`${PRELUDE}
own = ec2.describe_images(Owners=['self'], Filters=[{'Name': 'name', 'Values': ['jenkins-*']}])['Images']
snap = ec2.describe_snapshots(SnapshotIds=['${snapshot}'])['Snapshots'][0]
print(json.dumps({'images': [[i['ImageId'], i['State']] for i in own], 'snap': snap['State'], 'desc': snap['Description']}))
`);
    assert.deepEqual(avail.images, [[image, 'available']]);
    assert.equal(avail.snap, 'completed');
    assert.equal(avail.desc, `Created by CreateImage(${instance}) for ${image}`);
  });

  it('launches from the image with root and data volumes restored from its snapshots', async () => {
    const out = await fl.python(`${PRELUDE}
r = ec2.run_instances(ImageId='${image}', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId='${subnet}')
i = r['Instances'][0]
vols = ec2.describe_volumes(Filters=[{'Name': 'attachment.instance-id', 'Values': [i['InstanceId']]}])['Volumes']
print(json.dumps({'image': i['ImageId'], 'vols': sorted([[v['Attachments'][0]['Device'], v['SnapshotId'], v['Size']] for v in vols])}))
`);
    assert.equal(out.image, image);
    assert.deepEqual(out.vols.map((v: unknown[]) => [v[0], v[2]]), [['/dev/sdf', 20], ['/dev/xvda', 8]]);
    assert.equal(out.vols[0][1], snapshot);
  });

  it('keeps the snapshot while the image uses it, and deletes it after deregister', async () => {
    const out = await fl.python(`${PRELUDE}
inuse = code(ec2.delete_snapshot, SnapshotId='${snapshot}')
ec2.deregister_image(ImageId='${image}')
gone = code(ec2.describe_images, ImageIds=['${image}'])
still = ec2.describe_snapshots(SnapshotIds=['${snapshot}'])['Snapshots'][0]['State']
ec2.delete_snapshot(SnapshotId='${snapshot}')
after = code(ec2.describe_snapshots, SnapshotIds=['${snapshot}'])
print(json.dumps({'inuse': inuse, 'gone': gone, 'still': still, 'after': after}))
`);
    assert.equal(out.inuse, `InvalidSnapshot.InUse: The snapshot ${snapshot} is currently in use by ${image}`);
    assert.match(out.gone, /^InvalidAMIID\.NotFound/);
    assert.equal(out.still, 'completed');
    assert.match(out.after, /^InvalidSnapshot\.NotFound/);
  });

  it('registers an image from a snapshot, and finds Amazon Linux 2023 by owner and name', async () => {
    const out = await fl.python(`${PRELUDE}
v = ec2.create_volume(AvailabilityZone='us-east-1b', Size=4)
print(json.dumps(v['VolumeId']))
`);
    fl.advance(5);
    const snap = await fl.python(`${PRELUDE}
print(json.dumps(ec2.create_snapshot(VolumeId='${out}')['SnapshotId']))
`);
    fl.advance(30);
    const reg = await fl.python(`${PRELUDE}
img = ec2.register_image(Name='from-snap', RootDeviceName='/dev/xvda', VirtualizationType='hvm', Architecture='x86_64',
                         BlockDeviceMappings=[{'DeviceName': '/dev/xvda', 'Ebs': {'SnapshotId': '${snap}'}}])
al = ec2.describe_images(Owners=['amazon'], Filters=[{'Name': 'name', 'Values': ['al2023-ami-2023.*-x86_64']}, {'Name': 'state', 'Values': ['available']}])['Images']
legacy = ec2.describe_images(ImageIds=['ami-1ecae776'])['Images'][0]
print(json.dumps({'id': img['ImageId'], 'al': [[i['Name'], i['OwnerId'], i.get('ImageOwnerAlias'), i['RootDeviceType']] for i in al],
                  'legacy': [legacy['Name'], legacy['RootDeviceName'], legacy['VirtualizationType'], legacy['Architecture'], legacy['ImageOwnerAlias']],
                  'unknown': code(ec2.describe_images, ImageIds=['ami-0000000000000000a'])}))
`);
    assert.equal(reg.al.length, 1);
    assert.match(reg.al[0][0], /^al2023-ami-2023\./);
    assert.deepEqual(reg.al[0].slice(2), ['amazon', 'ebs']);
    assert.deepEqual(reg.legacy, ['amzn-ami-hvm-2015.09.1.x86_64-gp2', '/dev/xvda', 'hvm', 'x86_64', 'amazon']);
    assert.match(reg.unknown, /^InvalidAMIID\.NotFound/);
    fl.advance(5);
    const ready = await fl.python(`${PRELUDE}
print(json.dumps(ec2.describe_images(ImageIds=['${reg.id}'])['Images'][0]['State']))
`);
    assert.equal(ready, 'available');
  });
});
