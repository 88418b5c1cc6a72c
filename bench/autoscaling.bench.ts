/**
 * Auto Scaling at scale on the simulated driver: G groups of S instances each over three AZs,
 * every loop running (group loops every 10 s, instance lifecycles, status checks and metrics
 * every minute). The manual clock is stepped hour by hour; in the second hour one AZ fails and
 * in the third it heals. Reports simulated hours per real second, and from the event log how long
 * the groups took to have every instance in service again (the recovery time drills measure).
 *
 *   npx tsx bench/autoscaling.bench.ts [groups=100] [size=6] [hours=4]
 */
import { AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand } from '@aws-sdk/client-auto-scaling';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { inProcess } from './in-process.ts';
import type { LoggedEvent } from '../src/core/events.ts';
import { healFault, injectFault } from '../src/world/faults.ts';

const groups = Number(process.argv[2] ?? 100);
const size = Number(process.argv[3] ?? 6);
const hours = Number(process.argv[4] ?? 4);

const { app, sdk, step, close } = await inProcess({ hostsPerZone: 16, hostCapacity: 128 });
const ec2 = new EC2Client(sdk);
const asg = new AutoScalingClient(sdk);

const t0 = performance.now();
const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
const subnets: string[] = [];
for (const [i, z] of ['a', 'b', 'c'].entries()) {
  subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i * 64}.0/18`, AvailabilityZone: `us-east-1${z}` }))).Subnet!.SubnetId!);
}
await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'lc', ImageId: 'ami-1ecae776', InstanceType: 't3.micro' }));
for (let g = 0; g < groups; g++) {
  await asg.send(
    new CreateAutoScalingGroupCommand({ AutoScalingGroupName: `g${g}`, LaunchConfigurationName: 'lc', MinSize: size, MaxSize: size * 2, VPCZoneIdentifier: subnets.join(','), HealthCheckGracePeriod: 60 }),
  );
}
const setup = performance.now() - t0;

const seq = app.env.events.list(0, 1).at(-1)?.seq ?? 0;
let faultId = '';
const perHour: number[] = [];
for (let h = 0; h < hours; h++) {
  if (h === 1) faultId = injectFault(app.env, { kind: 'az', target: 'us-east-1a' }).faultId;
  if (h === 2) healFault(app.env, faultId);
  const t = performance.now();
  step(3600);
  perHour.push((performance.now() - t) / 1000);
}

// Recovery: from the fault to the last replacement in service, per group.
const events: LoggedEvent[] = [];
for (let after = seq; ; ) {
  const page = app.env.events.list(after, 10_000);
  if (!page.length) break;
  events.push(...page);
  after = page.at(-1)!.seq;
}
const injected = Date.parse(events.find((e) => e.type === 'fault.injected')!.time);
const healed = Date.parse(events.find((e) => e.type === 'fault.healed')?.time ?? new Date(app.env.clock.now()).toISOString());
const lastBack = new Map<string, number>();
for (const e of events) {
  const t = Date.parse(e.time);
  if (e.type === 'autoscaling.instance.in-service' && t > injected && t < healed) lastBack.set(e.detail.group as string, t);
}
const rtos = [...lastBack.values()].map((t) => (t - injected) / 1000).sort((a, b) => a - b);
const count = (type: string) => events.filter((e) => e.type === type).length;

console.log(JSON.stringify({
  groups,
  size,
  instances: groups * size,
  setupSeconds: +(setup / 1000).toFixed(1),
  realSecondsPerSimulatedHour: perHour.map((s) => +s.toFixed(2)),
  simulatedHoursPerRealSecond: +(hours / perHour.reduce((a, b) => a + b, 0)).toFixed(2),
  groupsRecovered: rtos.length,
  rtoSeconds: rtos.length ? { min: rtos[0], median: rtos[Math.floor(rtos.length / 2)], max: rtos.at(-1) } : null,
  launchesFailed: count('autoscaling.launch-failed'),
  activities: count('autoscaling.activity.start'),
}, null, 1));
await close();
