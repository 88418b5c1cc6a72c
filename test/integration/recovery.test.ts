/**
 * The chapter's first mechanism, end to end on a manual clock through the AWS CLI: a CloudWatch
 * alarm on StatusCheckFailed_System recovers an instance whose host fails, keeping its identity.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../harness.ts';

const run = promisify(execFile);

describe('EC2 recovery through a CloudWatch alarm', () => {
  let fl: Faultline;
  let subnetId: string;
  const faultline = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: fl.clientEnv });
  const control = async (path: string, body: unknown) => (await fetch(fl.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

  before(async () => {
    fl = await startFaultline();
    const vpc = await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16');
    const subnet = await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc.Vpc.VpcId, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a');
    subnetId = subnet.Subnet.SubnetId;
  });
  after(() => fl.close());

  async function launch(type = 't2.micro'): Promise<string> {
    const r = await fl.aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', type, '--subnet-id', subnetId);
    return r.Instances[0].InstanceId;
  }

  async function recoveryAlarm(name: string, instanceId: string) {
    await fl.aws(
      'cloudwatch', 'put-metric-alarm', '--alarm-name', name, '--namespace', 'AWS/EC2', '--metric-name', 'StatusCheckFailed_System',
      '--dimensions', `Name=InstanceId,Value=${instanceId}`, '--statistic', 'Minimum', '--period', '60', '--evaluation-periods', '5',
      '--comparison-operator', 'GreaterThanThreshold', '--threshold', '0', '--alarm-actions', 'arn:aws:automate:us-east-1:ec2:recover',
    );
  }

  const hostOf = (id: string) => (fl.app.env.store.get('ec2.instances', { account: '000000000000', region: 'us-east-1' }, id) as { hostId: string }).hostId;
  const alarmState = async (name: string) => (await fl.aws('cloudwatch', 'describe-alarms', '--alarm-names', name)).MetricAlarms[0].StateValue;

  it('recovers the instance onto another host in the same AZ, keeping id, IPs, EIP and volumes', async () => {
    const id = await launch();
    fl.advance(60);
    const eip = await fl.aws('ec2', 'allocate-address', '--domain', 'vpc');
    await fl.aws('ec2', 'associate-address', '--instance-id', id, '--allocation-id', eip.AllocationId);
    await recoveryAlarm('recover-me', id);
    fl.advance(240); // past the status checks' initialisation: healthy points arrive
    assert.equal(await alarmState('recover-me'), 'OK');
    const before = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
    const hostBefore = hostOf(id);

    const { stdout } = await faultline('fail', 'host', '--instance', id);
    assert.match(stdout, new RegExp(`host ${hostBefore} failed`));
    fl.advance(60);
    const status = await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id);
    assert.equal(status.InstanceStatuses[0].SystemStatus.Status, 'impaired');
    const stats = await fl.aws(
      'cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/EC2', '--metric-name', 'StatusCheckFailed_System',
      '--dimensions', `Name=InstanceId,Value=${id}`, '--statistics', 'Maximum', '--period', '60',
      '--start-time', new Date(fl.app.env.clock.now() - 300_000).toISOString(), '--end-time', new Date(fl.app.env.clock.now() + 60_000).toISOString(),
    );
    assert.ok(stats.Datapoints.some((d: { Maximum: number }) => d.Maximum === 1), JSON.stringify(stats.Datapoints));

    fl.advance(300); // five failing minutes: the alarm fires and the instance is recovered
    const history = await fl.aws('cloudwatch', 'describe-alarm-history', '--alarm-name', 'recover-me');
    const items = history.AlarmHistoryItems.map((h: { HistoryItemType: string; HistorySummary: string }) => `${h.HistoryItemType}: ${h.HistorySummary}`);
    assert.ok(items.includes('StateUpdate: Alarm updated from OK to ALARM'), items.join('\n'));
    assert.ok(items.includes('Action: Successfully executed action arn:aws:automate:us-east-1:ec2:recover'), items.join('\n'));

    const afterRecovery = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
    assert.equal(afterRecovery.State.Name, 'running');
    assert.equal(afterRecovery.PrivateIpAddress, before.PrivateIpAddress);
    assert.equal(afterRecovery.PublicIpAddress, eip.PublicIp);
    assert.deepEqual(afterRecovery.BlockDeviceMappings.map((b: { Ebs: { VolumeId: string } }) => b.Ebs.VolumeId), before.BlockDeviceMappings.map((b: { Ebs: { VolumeId: string } }) => b.Ebs.VolumeId));
    assert.notEqual(hostOf(id), hostBefore);
    assert.match(hostOf(id), /^h-us-east-1a-/);

    fl.advance(240); // the checks initialise again on the new host and pass; the alarm clears
    const healed = await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id);
    assert.equal(healed.InstanceStatuses[0].SystemStatus.Status, 'ok');
    assert.equal(await alarmState('recover-me'), 'OK');
  });

  it('fails to recover during an AZ outage and says so in the alarm history', async () => {
    const id = await launch();
    fl.advance(60);
    await recoveryAlarm('recover-in-dead-az', id);
    fl.advance(240);
    const fault = await control('/_faultline/faults', { kind: 'az', target: 'us-east-1a' });
    fl.advance(360);
    assert.equal(await alarmState('recover-in-dead-az'), 'ALARM');
    const history = await fl.aws('cloudwatch', 'describe-alarm-history', '--alarm-name', 'recover-in-dead-az', '--history-item-type', 'Action');
    assert.match(history.AlarmHistoryItems[0].HistorySummary, /^Failed to execute action arn:aws:automate:us-east-1:ec2:recover\. Received error: .*no healthy host in us-east-1a/);
    await control(`/_faultline/faults/${fault.faultId}/heal`, {});
  });

  it('refuses to recover a t1.micro, in the alarm history', async () => {
    const id = await launch('t1.micro');
    fl.advance(60);
    await recoveryAlarm('recover-t1', id);
    fl.advance(240);
    await control('/_faultline/faults', { kind: 'host', instance: id });
    fl.advance(360);
    const history = await fl.aws('cloudwatch', 'describe-alarm-history', '--alarm-name', 'recover-t1', '--history-item-type', 'Action');
    assert.match(history.AlarmHistoryItems[0].HistorySummary, /Failed to execute action .*t1\.micro does not support recovery/);
  });
});
