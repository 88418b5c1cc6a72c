/**
 * Regenerates the console's screenshots in docs/screenshots/, which the README shows:
 *   npx tsx scripts/screenshots.ts
 * It builds the console, starts a faultline in this process on the manual clock (simulated
 * driver), deploys a group of three over three zones with an alarm, and an instance with a
 * recover alarm, then photographs in Chromium (Debian's `chromium`):
 *  - console-world.png: the world at rest;
 *  - console-zone-failed.png: us-east-1a powered off, five cloud minutes later: its hosts dark,
 *    the alarms in ALARM, the group's replacement in another zone and the timeline;
 *  - console-drill.png: a drill started from the page, with its report.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { EC2Client, CreateVpcCommand, CreateSubnetCommand, CreateLaunchTemplateCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
// The benchmarks' in-process faultline on the manual clock is what this script needs too.
import { inProcess } from '../bench/in-process.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const OUT = `${ROOT}docs/screenshots`;
const WAIT = { timeout: 60_000 };

/**
 * The drill the page starts: the server's host loses power; its recover alarm brings it back on
 * another host with the same volume, which the probe sees as the same lineage (RPO 0).
 */
const drill = (server: string) => `name: server host power-off
experiment:
  template:
    targets:
      Server:
        resourceType: aws:ec2:instance
        resourceTags: {Name: server}
        filters: [{path: State.Name, values: [running]}]
        selectionMode: ALL
    actions:
      PowerOffHost:
        actionId: faultline:host:power-off
        parameters: {duration: PT1H}
        targets: {Instances: Server}
probes:
  - name: server
    aws:
      service: ec2
      operation: DescribeInstanceStatus
      parameters: {InstanceIds: [${server}]}
      condition: "length(InstanceStatuses[?SystemStatus.Status=='ok' && InstanceStatus.Status=='ok']) > \`0\`"
      instances: "InstanceStatuses[?SystemStatus.Status=='ok'].InstanceId"
recovery: {checks: 2, window: 600}
targets:
  Hardware: {rtoInSecs: 600, rpoInSecs: 0}
`;

execFileSync(process.execPath, ['--input-type=module', '-e', "await (await import('./scripts/build.mjs')).buildConsole()"], { cwd: ROOT, stdio: 'inherit' });
mkdirSync(OUT, { recursive: true });
const fl = await inProcess();
const ec2 = new EC2Client(fl.sdk);
const asg = new AutoScalingClient(fl.sdk);
const cw = new CloudWatchClient(fl.sdk);
/** A world-changing control request, which the control API takes as JSON. */
async function control(path: string, body: object): Promise<void> {
  const r = await fetch(fl.sdk.endpoint + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  for (const [i, z] of ['a', 'b', 'c'].entries()) {
    subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: `us-east-1${z}` }))).Subnet!.SubnetId!);
  }
  await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: 'ami-1ecae776', InstanceType: 't3.micro' } }));
  await asg.send(
    new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'web', LaunchTemplate: { LaunchTemplateName: 'web', Version: '$Latest' }, MinSize: 3, MaxSize: 3, DesiredCapacity: 3, VPCZoneIdentifier: subnets.join(','), HealthCheckType: 'EC2', HealthCheckGracePeriod: 60 }),
  );
  await cw.send(
    new PutMetricAlarmCommand({ AlarmName: 'web-cpu-high', Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web' }], Statistic: 'Average', Period: 300, EvaluationPeriods: 1, Threshold: 80, ComparisonOperator: 'GreaterThanThreshold' }),
  );
  const db = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, SubnetId: subnets[0], TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'server' }] }] }))).Instances![0]!.InstanceId!;
  await cw.send(
    new PutMetricAlarmCommand({ AlarmName: 'server-recover', Namespace: 'AWS/EC2', MetricName: 'StatusCheckFailed_System', Dimensions: [{ Name: 'InstanceId', Value: db }], Statistic: 'Maximum', Period: 60, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: ['arn:aws:automate:us-east-1:ec2:recover'] }),
  );
  fl.step(300);
  const members = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] }))).AutoScalingGroups![0]!.Instances!;
  if (members.length !== 3) throw new Error(`the group has ${members.length} instances, not 3`);

  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(`${fl.sdk.endpoint}/_faultline/console/`);
  await page.locator('tr[data-group="web"]').waitFor(WAIT);
  await page.locator(`[data-instance="${db}"][data-state="running"]`).waitFor(WAIT);
  await page.screenshot({ path: `${OUT}/console-world.png` });

  await control('/_faultline/faults', { kind: 'az', target: 'us-east-1a', region: 'us-east-1' });
  fl.step(300);
  await page.locator('[data-zone="us-east-1a"][data-state="power off"]').waitFor(WAIT);
  await page.locator('tr[data-alarm="server-recover"][data-state="ALARM"]').waitFor(WAIT);
  await page.locator('tr[data-group="web"]', { hasText: '3 / 3' }).waitFor(WAIT);
  await page.screenshot({ path: `${OUT}/console-zone-failed.png` });

  await control('/_faultline/faults/heal-all', {});
  fl.step(600);
  await page.getByLabel('or its text').fill(drill(db));
  await page.getByRole('button', { name: 'Start drill' }).click();
  const report = page.locator('article.drill[data-status]:not([data-status="running"])');
  await report.waitFor({ timeout: 300_000 }).catch(async (e) => {
    throw new Error(`${(e as Error).message}\n${await (await fetch(`${fl.sdk.endpoint}/_faultline/drills`)).text()}\n${await page.locator('main').innerText()}`);
  });
  await report.evaluate((e) => e.scrollIntoView());
  await page.screenshot({ path: `${OUT}/console-drill.png` });
  console.log(`screenshots written to ${OUT}`);
} finally {
  await browser.close();
  await fl.close();
}
