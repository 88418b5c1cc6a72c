/**
 * The WordPress example (examples/wordpress: the book's chapter 14 template, its downloads
 * replaced by the offline stand-in) under the sandbox driver, used as its reader would: deploy it
 * with the AWS CLI, post through the load balancer's name, fail the database primary's zone, and
 * find every post served again through the same name once the database has failed over (the
 * servers keep nothing: their posts are in the Multi-AZ database, reached by its endpoint's name
 * inside the VPC), and new posts accepted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startFaultline, type Faultline } from '../harness.ts';
import { advanceUntil, sandboxSkip } from '../sandbox-support.ts';
import { answer } from '../../src/services/route53/answer.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/wordpress/wordpress.json', import.meta.url));

describe('the WordPress example (chapter 14) under the sandbox driver', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let site: URL;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    await fl.aws('ec2', 'create-key-pair', '--key-name', 'mykey');
  });
  after(() => fl?.close());

  /** One request to the site through the load balancer's name, resolved as faultline's DNS answers it now; undefined when nothing answers. */
  const send = (method: 'GET' | 'POST', path: string) =>
    new Promise<{ status: number; body: string } | undefined>((resolve) => {
      const addresses = answer(fl.app.env, { name: site.hostname, type: 'A' }).answers.map((a) => a.value);
      if (!addresses.length) return resolve(undefined);
      const req = request({ host: addresses[0], port: 80, method, path: `${site.pathname}${path}`, headers: { host: site.hostname }, timeout: 5000, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  const titles = async () => {
    const r = await send('GET', '/wp-json/wp/v2/posts');
    return r?.status === 200 ? (JSON.parse(r.body) as { title: { rendered: string } }[]).map((p) => p.title.rendered).sort() : `${r?.status} ${r?.body}`;
  };
  const until = <T,>(read: () => Promise<T>, ok: (x: T) => boolean, what: string, step: number, timeoutMs?: number) => advanceUntil((s) => fl.advance(s), read, ok, what, step, timeoutMs);

  it('deploys, serves its posts through the load balancer from the database, and keeps every post through a failover of the database', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'wordpress', '--template-body', `file://${EXAMPLE}`, '--capabilities', 'CAPABILITY_IAM',
      '--parameters', 'ParameterKey=BlogID,ParameterValue=myblog', 'ParameterKey=AdminPassword,ParameterValue=Secret-pass1', 'ParameterKey=AdminEMail,ParameterValue=admin@example.com');
    // The database takes five cloud minutes; then the group launches its servers, which boot, run
    // cfn-init (the stand-in waits for the database to answer) and cfn-signal in real time, while
    // the clock moves slowly (the group's creation policy allows ten cloud minutes).
    const groupStatus = async () => (await fl.aws('cloudformation', 'describe-stack-resources', '--stack-name', 'wordpress')).StackResources.find((r: { LogicalResourceId: string }) => r.LogicalResourceId === 'AutoScalingGroup')?.ResourceStatus;
    await until(groupStatus, (s) => s !== undefined, 'the Auto Scaling group', 30);
    const stack = await until(async () => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'wordpress')).Stacks[0], (s) => s.StackStatus !== 'CREATE_IN_PROGRESS', 'the stack', 2, 300_000);
    const events = (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', 'wordpress')).StackEvents.filter((e: { ResourceStatus: string }) => e.ResourceStatus.endsWith('FAILED'));
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', JSON.stringify(events));
    site = new URL(stack.Outputs[0].OutputValue);
    const home = await until(() => send('GET', '/'), (r) => r?.status === 200, 'the site through the load balancer', 5);
    assert.match(home!.body, /<h1>Amazon Web Services in Action - Example<\/h1>/, 'the title wp-cli\'s install stored in the database');

    for (const n of [1, 2, 3]) assert.equal((await send('POST', `/wp-admin/post?title=post-${n}`))?.status, 201);
    assert.deepEqual(await titles(), ['post-1', 'post-2', 'post-3']);

    const db = (await fl.aws('rds', 'describe-db-instances', '--db-instance-identifier', 'myblog')).DBInstances[0];
    assert.equal(db.MultiAZ, true);
    const fault = await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'az', target: db.AvailabilityZone }) });
    assert.equal(fault.status, 201, await fault.text());
    // The database fails over to its standby's zone; the load balancer takes the lost zone's server out of service.
    const moved = await until(async () => (await fl.aws('rds', 'describe-db-instances', '--db-instance-identifier', 'myblog')).DBInstances[0], (d) => d.DBInstanceStatus === 'available' && d.AvailabilityZone !== db.AvailabilityZone, 'the failover', 10);
    assert.equal(moved.AvailabilityZone, db.SecondaryAvailabilityZone);
    assert.deepEqual(await until(titles, (t) => Array.isArray(t) && t.length === 3, 'the posts after the failover', 5), ['post-1', 'post-2', 'post-3']);
    assert.equal((await send('POST', '/wp-admin/post?title=post-4'))?.status, 201);
    assert.deepEqual(await titles(), ['post-1', 'post-2', 'post-3', 'post-4']);
  });
});
