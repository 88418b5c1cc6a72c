/**
 * The web console with 1,000 instances in 100 Auto Scaling groups (10 each over six zones, each
 * with an alarm), on the simulated driver and the manual clock, in Chromium. Measures:
 *  - first render: from navigation start to the world showing every instance (the page's own clock);
 *  - update latency: from a fault's POST to its zone shown dark and its event in the timeline,
 *    and from a clock step that fails a zone's instances over to the step's last event shown
 *    (hundreds of events and every view read again).
 *
 *   npx tsx bench/console.bench.ts [instances=1000] [groups=100] [rounds=5]
 */
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { EC2Client, CreateVpcCommand, CreateSubnetCommand, CreateLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { inProcess } from './in-process.ts';

const instances = Number(process.argv[2] ?? 1000);
const groups = Number(process.argv[3] ?? 100);
const rounds = Number(process.argv[4] ?? 5);

execFileSync(process.execPath, ['--input-type=module', '-e', "await (await import('./scripts/build.mjs')).buildConsole()"], { cwd: new URL('../', import.meta.url).pathname, stdio: 'inherit' });
const { app, sdk, step, close } = await inProcess();
const url = sdk.endpoint;
const ec2 = new EC2Client(sdk);
const asg = new AutoScalingClient(sdk);
const cw = new CloudWatchClient(sdk);

const t0 = performance.now();
const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
const subnets: string[] = [];
for (const [i, z] of ['a', 'b', 'c', 'd', 'e', 'f'].entries()) {
  subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i * 32}.0/19`, AvailabilityZone: `us-east-1${z}` }))).Subnet!.SubnetId!);
}
await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro' } }));
const size = Math.ceil(instances / groups);
for (let g = 0; g < groups; g += 20) {
  await Promise.all(
    Array.from({ length: Math.min(20, groups - g) }, async (_, k) => {
      const name = `group-${String(g + k).padStart(3, '0')}`;
      await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: { LaunchTemplateName: 'web', Version: '$Latest' }, MinSize: size, MaxSize: size, DesiredCapacity: size, VPCZoneIdentifier: subnets.join(','), HealthCheckType: 'EC2', HealthCheckGracePeriod: 60 }));
      await cw.send(new PutMetricAlarmCommand({ AlarmName: `${name}-cpu`, Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: name }], Statistic: 'Average', Period: 60, EvaluationPeriods: 1, Threshold: 90, ComparisonOperator: 'GreaterThanThreshold' }));
    }),
  );
}
step(300);
const running = [...app.env.store.scan<{ State: { Name: string } }>('ec2.instances')].filter(([, i]) => i.State.Name === 'running').length;
console.log(`setup: ${running} running instances in ${groups} groups in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
// The page notes (its own clock) when the world first shows every instance.
await page.addInitScript((n) => {
  const w = window as unknown as { firstRender?: number };
  new MutationObserver((_, obs) => {
    if (document.querySelector('.region .summary')?.textContent?.includes(`${n} running`)) {
      w.firstRender = performance.now();
      obs.disconnect();
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}, running);
await page.goto(`${url}/_faultline/console/`);
await page.waitForFunction(() => (window as unknown as { firstRender?: number }).firstRender !== undefined, undefined, { timeout: 60_000 });
const firstRender = await page.evaluate(() => (window as unknown as { firstRender: number }).firstRender);
const nodes = await page.evaluate(() => document.getElementsByTagName('*').length);
// Where the time went: the page and its script, and the control API's reads.
const loads = await page.evaluate(() =>
  performance
    .getEntriesByType('resource')
    .filter((e) => !e.name.includes('/events/stream'))
    .map((e) => `${new URL(e.name).pathname.replace('/_faultline/', '')} ${e.startTime.toFixed(0)}–${(e as PerformanceResourceTiming).responseEnd.toFixed(0)}`),
);
console.log(`first render: ${firstRender.toFixed(0)} ms (${nodes} elements; ms from navigation: ${loads.join(', ')})`);

/** Wall time (ms) when the page first satisfies `test`, noted by the page itself. */
const whenShown = (test: string) =>
  page.evaluate(
    (src) =>
      new Promise<number>((resolve) => {
        const ok = new Function(`return (${src})`) as () => boolean;
        if (ok()) return resolve(Date.now());
        const obs = new MutationObserver(() => {
          if (ok()) {
            obs.disconnect();
            resolve(Date.now());
          }
        });
        obs.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      }),
    test,
  );
const post = (path: string, body: unknown) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

const zoneShown: number[] = [];
const eventShown: number[] = [];
for (let r = 0; r < rounds; r++) {
  const zone = `us-east-1${'abcdef'[r % 6]}`;
  const dark = whenShown(`document.querySelector('[data-zone="${zone}"][data-state="power off"]') !== null`);
  const listed = whenShown(`[...document.querySelectorAll('li[data-type="fault.injected"]')].some((li) => li.textContent.includes('${zone}'))`);
  const sent = Date.now();
  const { faultId } = await post('/_faultline/faults', { kind: 'az', target: zone });
  zoneShown.push((await dark) - sent);
  eventShown.push((await listed) - sent);
  const up = whenShown(`document.querySelector('[data-zone="${zone}"][data-state="up"]') !== null`);
  await post(`/_faultline/faults/${faultId}/heal`, {});
  await up;
}
const stat = (xs: number[]) => `median ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]} ms, max ${Math.max(...xs)} ms`;
console.log(`fault → zone shown dark: ${stat(zoneShown)}`);
console.log(`fault → event in the timeline: ${stat(eventShown)}`);

// A burst: us-east-1a fails and the clock steps 310 s: status checks, alarms, replacements.
await post('/_faultline/faults', { kind: 'az', target: 'us-east-1a' });
const before = app.env.events.lastSeq();
const stepped = Date.now();
await post('/_faultline/clock/advance', { seconds: 310 });
const stepMs = Date.now() - stepped;
const last = app.env.events.lastSeq();
const shown = await whenShown(`document.querySelector('li[data-seq="${last}"]') !== null`);
console.log(`clock step of 310 s with us-east-1a down: ${last - before} events, step ${stepMs} ms, last event shown ${shown - stepped - stepMs} ms after the step answered`);

await browser.close();
await close();
