/**
 * A boot time after every start, reboot and recovery, seen as AWS shows it: the instance status
 * check says `initializing` while the operating system boots (`bootSeconds`, the same setting as
 * at launch), then `ok`. Here the boot (90 s) outlasts the checks' own initialisation (60 s), so
 * what the test sees after a reboot or a recovery is the boot. (A start boots while `pending`,
 * for the same `bootSeconds`, as it already did.) SDK v3, manual clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  RebootInstancesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';
import { injectFault } from '../../src/world/faults.ts';

const BOOT = 90;
const INIT = 60;

describe('boot time after a reboot and a recovery', () => {
  let fl: Faultline;
  let ec2: EC2Client;
  let id: string;
  /** [state, system check, instance check] as DescribeInstanceStatus reports them. */
  const status = async () => {
    const s = (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }))).InstanceStatuses![0];
    return [s.InstanceState!.Name, s.SystemStatus!.Status, s.InstanceStatus!.Status];
  };

  before(async () => {
    fl = await startFaultline({ config: { bootSeconds: BOOT, statusCheckInitSeconds: INIT } });
    ec2 = new EC2Client({ ...fl.sdk, maxAttempts: 1 });
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    id = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances![0].InstanceId!;
    fl.advance(BOOT + INIT);
    assert.deepEqual(await status(), ['running', 'ok', 'ok']);
  });
  after(() => fl.close());

  it('reports the instance check initializing while a reboot boots the OS again, the system check ok', async () => {
    await ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(await status(), ['running', 'ok', 'initializing']);
    fl.advance(BOOT - 1);
    assert.deepEqual(await status(), ['running', 'ok', 'initializing']);
    fl.advance(1);
    assert.deepEqual(await status(), ['running', 'ok', 'ok']);
  });

  it('boots again after a recovery onto new hardware: initializing for the boot, then ok', async () => {
    const host = fl.app.env.store.get<{ hostId: string }>('ec2.instances', { account: '000000000000', region: 'us-east-1' }, id)!.hostId;
    injectFault(fl.app.env, { kind: 'host', target: host, region: 'us-east-1' });
    // Impaired at the next status tick, recovered by simplified automatic recovery 300 s later.
    let recovered: number | undefined;
    for (let s = 0; s < 420 && recovered === undefined; s += 10) {
      fl.advance(10);
      const e = fl.app.env.events.list().find((x) => x.type === 'ec2.instance-recovered' && x.detail.instanceId === id);
      if (e) recovered = Date.parse(e.time);
    }
    assert.ok(recovered, 'the instance was recovered');
    const at = (seconds: number) => fl.app.env.scheduler.advanceTo(recovered! + seconds * 1000);
    at(INIT);
    assert.deepEqual(await status(), ['running', 'ok', 'initializing']);
    at(BOOT - 1);
    assert.deepEqual(await status(), ['running', 'ok', 'initializing']);
    at(BOOT);
    assert.deepEqual(await status(), ['running', 'ok', 'ok']);
  });
});
