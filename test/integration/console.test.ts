/**
 * The web console in real Chromium (Debian's `chromium`, driven by playwright-core), against one
 * faultline on the manual clock and the simulated driver: a group of one instance over two zones,
 * with an alarm on the instance's system status check. The page loads from faultline alone and
 * shows the zones and the instance on its host; a zone failed from the keyboard goes dark without
 * a reload; stepping the clock from the page brings the status check, the alarm and the
 * replacement in the other zone into the timeline, in order; heal works; axe-core finds no
 * violation; a drill started from the page shows its report and offers it for download.
 * One browser for the file; every wait is on page state, with a real-time deadline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startFaultline, type Faultline } from '../harness.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const WAIT = { timeout: 30_000 };

/**
 * A drill whose setup makes a stack from an uploaded template; the API answering is its steady
 * state; it powers off an empty zone for a minute.
 */
const DRILL = `name: console drill
setup:
  - stack:
      name: console-topic
      template: ./topic.json
experiment:
  template:
    actions:
      Zone:
        actionId: faultline:az:power-off
        parameters: {availabilityZoneIdentifier: us-east-1f, duration: PT1M}
probes:
  - name: api
    aws:
      service: sts
      operation: GetCallerIdentity
      condition: Account
recovery: {checks: 1, window: 120}
targets:
  AZ: {rtoInSecs: 60, rpoInSecs: 0}
`;

const TOPIC = JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });

describe('the web console', () => {
  let fl: Faultline;
  let browser: Browser;
  let page: Page;
  let first: string;
  const requests: string[] = [];

  before(async () => {
    // Serve the console built from the sources under test (the tests run src/ through tsx).
    execFileSync(process.execPath, ['--input-type=module', '-e', "await (await import('./scripts/build.mjs')).buildConsole()"], { cwd: ROOT, stdio: 'inherit' });
    fl = await startFaultline();
    await fl.python(`
import os, boto3
kw = dict(endpoint_url=os.environ['FAULTLINE_URL'], region_name='us-east-1')
ec2 = boto3.client('ec2', **kw)
asg = boto3.client('autoscaling', **kw)
vpc = ec2.create_vpc(CidrBlock='10.1.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.1.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.1.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
ec2.create_launch_template(LaunchTemplateName='web', LaunchTemplateData={'ImageId': 'ami-1ecae776', 'InstanceType': 't2.micro'})
asg.create_auto_scaling_group(AutoScalingGroupName='web', LaunchTemplate={'LaunchTemplateName': 'web', 'Version': '$Latest'},
  MinSize=1, MaxSize=1, DesiredCapacity=1, VPCZoneIdentifier=a + ',' + b, HealthCheckType='EC2', HealthCheckGracePeriod=600)
print('{}')
`);
    fl.advance(30 + 600 + 60);
    first = (
      await fl.python(`
import json, os, boto3
kw = dict(endpoint_url=os.environ['FAULTLINE_URL'], region_name='us-east-1')
i = boto3.client('autoscaling', **kw).describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]['Instances'][0]['InstanceId']
boto3.client('cloudwatch', **kw).put_metric_alarm(AlarmName='web-system', Namespace='AWS/EC2', MetricName='StatusCheckFailed_System',
  Dimensions=[{'Name': 'InstanceId', 'Value': i}], Statistic='Maximum', Period=60, EvaluationPeriods=1, Threshold=0, ComparisonOperator='GreaterThanThreshold')
print(json.dumps(i))
`)
    ) as string;
    fl.advance(120);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    // The page's content security policy would refuse axe-core's injected source.
    const context = await browser.newContext({ bypassCSP: true, acceptDownloads: true });
    page = await context.newPage();
    page.on('request', (r) => void requests.push(r.url()));
  });
  after(async () => {
    await browser?.close();
    await fl?.close();
  });

  const zone = (z: string) => page.locator(`[data-zone="${z}"]`);
  const shownClock = async () => Date.parse((await page.locator('[data-clock]').getAttribute('datetime'))!);

  it('loads from faultline alone and shows the zones, the instance on its host, the group and the alarm', async () => {
    await page.goto(`${fl.url}/_faultline/console`);
    assert.equal(page.url(), `${fl.url}/_faultline/console/`);
    await page.locator(`section[aria-label="zone us-east-1a"] li.host [data-instance="${first}"]`).waitFor(WAIT);
    for (const z of ['us-east-1a', 'us-east-1b', 'us-east-1f']) assert.equal(await zone(z).getAttribute('data-state'), 'up');
    assert.equal(await page.locator(`[data-instance="${first}"]`).getAttribute('data-state'), 'running');
    assert.match(await page.locator('tr[data-group="web"]').innerText(), /1 \/ 1/);
    assert.equal(await page.locator('tr[data-alarm="web-system"]').getAttribute('data-state'), 'OK');
    // Every request went to faultline: no CDN, no font, no script from elsewhere.
    const elsewhere = requests.filter((u) => !/^(data|blob):/.test(u) && new URL(u).origin !== fl.url);
    assert.deepEqual(elsewhere, []);
    assert.ok(requests.some((u) => u.endsWith('/console.js')) && requests.some((u) => u.endsWith('/console.css')));
  });

  it('fails a zone from the keyboard and shows it dark without a reload', async () => {
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await zone('us-east-1a').focus();
    await page.keyboard.press('Enter');
    // Focus moves to the actions; the first one fails the zone's power.
    await page.waitForFunction(() => document.activeElement?.textContent === 'Fail: power off', undefined, WAIT);
    await page.keyboard.press('Enter');
    await page.locator('[data-zone="us-east-1a"][data-state="power off"]').waitFor(WAIT);
    await page.locator('li[data-type="fault.injected"]').waitFor(WAIT);
    assert.equal(await page.locator('[data-host="h-us-east-1a-01"]').getAttribute('data-state'), 'zone down');
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
  });

  it('steps the clock from the page; the timeline shows the status check, the alarm and the replacement, in order', async () => {
    const before = await shownClock();
    await page.getByLabel('seconds').fill('310');
    await page.getByRole('button', { name: 'Step' }).click();
    await page.waitForFunction((t) => Date.parse(document.querySelector('[data-clock]')!.getAttribute('datetime')!) === t, before + 310_000, WAIT);
    // The replacement runs in the other zone, and the alarm is in ALARM.
    await page.locator('section[aria-label="zone us-east-1b"] [data-instance][data-state="running"]').waitFor(WAIT);
    await page.locator('tr[data-alarm="web-system"][data-state="ALARM"]').waitFor(WAIT);
    const replacement = await page.locator('section[aria-label="zone us-east-1b"] [data-instance]').getAttribute('data-instance');
    assert.notEqual(replacement, first);

    const timeline = await page.locator('li.event').evaluateAll((lis) => lis.map((li) => ({ seq: Number(li.getAttribute('data-seq')), type: li.getAttribute('data-type')!, text: li.textContent! })));
    const seqs = timeline.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'events in the order they happened');
    const at = (type: string, text: string) => timeline.findIndex((e) => e.type === type && e.text.includes(text));
    const fault = at('fault.injected', 'us-east-1a');
    const check = at('ec2.status-check', `${first}: system check impaired`);
    const alarm = at('cloudwatch.alarm.state', 'web-system: OK → ALARM');
    const launch = at('autoscaling.activity.start', `Launching a new EC2 instance: ${replacement}`);
    assert.ok(fault >= 0 && check > fault && alarm > check && launch > check, JSON.stringify({ fault, check, alarm, launch }));
  });

  it('heals the zone from the page', async () => {
    await zone('us-east-1a').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Heal' }).click();
    await page.locator('[data-zone="us-east-1a"][data-state="up"]').waitFor(WAIT);
    await page.locator('li[data-type="fault.healed"]').waitFor(WAIT);
    assert.deepEqual((await (await fetch(`${fl.url}/_faultline/faults`)).json()).faults, []);
  });

  it('has no accessibility violations (axe-core, WCAG 2.1 A and AA)', async () => {
    // With the actions panel open, failed states shown and every region expanded.
    await zone('us-east-1a').focus();
    await page.keyboard.press('Enter');
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
    await page.addScriptTag({ content: readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8') });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    assert.deepEqual(violations, []);
  });

  it('starts a drill from the page, shows its RTO and RPO against the targets, and downloads its report', async () => {
    await page.getByLabel('or its text').fill(DRILL);
    // The setup's template is named (not the experiment's template map), then uploaded.
    const named = page.locator('ul.named-templates li');
    await named.filter({ hasText: './topic.json: – not given yet' }).waitFor(WAIT);
    assert.equal(await named.count(), 1);
    await page.getByLabel('Templates it names').setInputFiles({ name: 'topic.json', mimeType: 'application/json', buffer: Buffer.from(TOPIC) });
    await named.filter({ hasText: './topic.json: ✓ given' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Start drill' }).click();
    // The API never fails, so RTO is 0; with no data and no instances there is no RPO, which breaches its target.
    const drill = page.locator('article.drill[data-status="breached"]');
    await drill.waitFor({ timeout: 120_000 });
    assert.match(await drill.locator('h3').innerText(), /console drill\s+✕ target breached/);
    assert.match(await drill.locator('[data-rto]').innerText(), /^0 s \(target 60 s\)/);
    assert.match(await drill.locator('[data-rpo]').innerText(), /^not measured \(target 0 s\)/);
    assert.ok((await drill.locator('table.drill-timeline tbody tr').count()) > 0);
    const [download] = await Promise.all([page.waitForEvent('download', WAIT), drill.getByRole('button', { name: 'Download JSON report' }).click()]);
    const report = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    assert.equal(report.drill.name, 'console drill');
    assert.equal(report.status, 'breached');
    assert.equal(report.exitCode, 1);
    // The setup made its stack from the uploaded template.
    const stack = (await fl.python(`
import json, os, boto3
s = boto3.client('cloudformation', endpoint_url=os.environ['FAULTLINE_URL'], region_name='us-east-1').describe_stacks(StackName='console-topic')['Stacks'][0]
print(json.dumps(s['StackStatus']))
`)) as string;
    assert.equal(stack, 'CREATE_COMPLETE');
  });
});
