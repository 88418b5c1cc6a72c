/**
 * The control loops at scale on the simulated driver: N instances, each with a recovery alarm on
 * StatusCheckFailed_System, and every loop running (lifecycle, status checks and metrics every
 * minute, alarm evaluation every minute). Measures how many simulated hours pass per real
 * second when the manual clock is stepped hour by hour. In the third hour one AZ fails, so a
 * sixth of the alarms fire and their recoveries fail, and it heals in the fourth.
 *
 *   npx tsx bench/world.bench.ts [instances=10000] [hours=6]
 */
import { EC2Client, CreateVpcCommand, CreateSubnetCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { inProcess } from './in-process.ts';
import { healFault, injectFault } from '../src/world/faults.ts';

const instances = Number(process.argv[2] ?? 10_000);
const hours = Number(process.argv[3] ?? 6);

const { app, sdk, close } = await inProcess({ hostsPerZone: 32, hostCapacity: 128 });
const ec2 = new EC2Client(sdk);
const cw = new CloudWatchClient(sdk);

const t0 = performance.now();
const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!;
const zones = ['a', 'b', 'c', 'd', 'e', 'f'];
const subnets = [];
for (const [i, z] of zones.entries()) {
  subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: `10.0.${i * 32}.0/19`, AvailabilityZone: `us-east-1${z}` }))).Subnet!.SubnetId!);
}
const ids: string[] = [];
for (let i = 0; ids.length < instances; i++) {
  const n = Math.min(100, instances - ids.length);
  const r = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: n, MaxCount: n, SubnetId: subnets[i % subnets.length] }));
  ids.push(...r.Instances!.map((x) => x.InstanceId!));
}
for (let i = 0; i < ids.length; i += 50) {
  await Promise.all(
    ids.slice(i, i + 50).map((id) =>
      cw.send(
        new PutMetricAlarmCommand({
          AlarmName: `recover-${id}`,
          Namespace: 'AWS/EC2',
          MetricName: 'StatusCheckFailed_System',
          Dimensions: [{ Name: 'InstanceId', Value: id }],
          Statistic: 'Minimum',
          Period: 60,
          EvaluationPeriods: 5,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          AlarmActions: ['arn:aws:automate:us-east-1:ec2:recover'],
        }),
      ),
    ),
  );
}
const setupMs = performance.now() - t0;
console.log(`setup: ${instances} instances and ${instances} alarms in ${(setupMs / 1000).toFixed(1)} s`);

const rows: string[] = [];
let faultId = '';
for (let h = 1; h <= hours; h++) {
  const s = performance.now();
  let note = h === 1 ? 'instances boot; alarms leave INSUFFICIENT_DATA' : 'steady';
  if (h === 3) {
    faultId = injectFault(app.env, { kind: 'az', target: 'us-east-1a' }).faultId;
    note = 'us-east-1a fails: its alarms fire, recoveries fail';
  }
  if (h === 4) {
    healFault(app.env, faultId);
    note = 'us-east-1a heals: checks and alarms recover';
  }
  app.env.scheduler.advanceTo(app.env.clock.now() + 3_600_000);
  const sec = (performance.now() - s) / 1000;
  rows.push(`| ${h} | ${note} | ${sec.toFixed(1)} | ${(60 / sec).toFixed(1)} |`);
  console.log(rows.at(-1));
}
const alarms = [...app.env.store.scan<{ StateValue: string }>('cloudwatch.alarms')].reduce<Record<string, number>>((n, [, a]) => ({ ...n, [a.StateValue]: (n[a.StateValue] ?? 0) + 1 }), {});
console.log(`alarm states at the end: ${JSON.stringify(alarms)}`);
console.log('| simulated hour | what happens | real seconds | simulated hours per real minute |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
ec2.destroy();
cw.destroy();
await close();
