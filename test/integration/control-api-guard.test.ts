/**
 * What a web page in the user's browser can no longer do to faultline, through real HTTP
 * requests: drive it from another origin (CSRF), read it through a name it rebinds to this
 * machine (DNS rebinding), or change the world with a form. The real clients still work: the
 * AWS CLI, the SDK v3 with S3 virtual hosts (bucket.localhost), and the `faultline` command.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { request, Agent } from 'node:http';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startFaultline, type Faultline, OWN_VPCS } from '../harness.ts';

const run = promisify(execFile);

describe('control API guard against browsers', () => {
  let fl: Faultline;
  let port: number;
  let vpcId: string;

  /** One request with exactly these headers (Host included), as a browser or a form would send it. */
  const raw = (method: string, path: string, headers: Record<string, string>, body = '') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers }, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const own = () => `127.0.0.1:${port}`;
  const vpcs = async () => (await fl.aws('ec2', 'describe-vpcs', '--vpc-ids', vpcId)).Vpcs.length;
  const cli = (...args: string[]) => run(process.execPath, ['bin/faultline.mjs', ...args], { env: fl.clientEnv });

  before(async () => {
    fl = await startFaultline();
    port = Number(new URL(fl.url).port);
    vpcId = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
  });
  after(() => fl.close());

  it('refuses a page of another origin: it cannot reset faultline, read the world or call the AWS API', async () => {
    const reset = await raw('POST', '/_faultline/reset', { host: own(), origin: 'http://evil.example', 'content-type': 'application/json' }, '{}');
    assert.equal(reset.status, 403);
    assert.match(JSON.parse(reset.body).error, /other origins/);
    assert.equal(await vpcs(), 1, 'the world was not reset');
    const world = await raw('GET', '/_faultline/world', { host: own(), origin: 'http://evil.example' });
    assert.equal(world.status, 403);
    assert.doesNotMatch(world.body, /us-east-1a/);
    // A sandboxed frame or a file:// page sends Origin: null.
    assert.equal((await raw('GET', '/_faultline/world', { host: own(), origin: 'null' })).status, 403);
    // A form on another site posting an AWS action: refused before it runs.
    const form = await raw('POST', '/', { host: own(), origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, 'Action=DeleteVpc&Version=2016-11-15&VpcId=' + vpcId);
    assert.equal(form.status, 403);
    assert.match(form.body, /<Code>AccessDenied<\/Code>/);
    assert.equal(await vpcs(), 1);
    // A page faultline served itself (its own origin) is not another origin.
    assert.equal((await raw('GET', '/_faultline/world', { host: own(), origin: `http://${own()}` })).status, 200);
  });

  it('refuses a Host that is not its own (DNS rebinding), and serves S3 virtual hosts: the SDK v3 on bucket.localhost and bucket.s3.REGION.amazonaws.com', async () => {
    const world = await raw('GET', '/_faultline/world', { host: `evil.example:${port}` });
    assert.equal(world.status, 403);
    assert.match(JSON.parse(world.body).error, /evil\.example/);
    const ec2 = await raw('GET', '/?Action=DescribeVpcs&Version=2016-11-15', { host: `evil.example:${port}` });
    assert.equal(ec2.status, 403);
    assert.match(ec2.body, /<Code>AccessDenied<\/Code>/);
    assert.doesNotMatch(ec2.body, new RegExp(vpcId));
    // The control API answers only at faultline's own address, not at an AWS or S3 host name.
    assert.equal((await raw('GET', '/_faultline/world', { host: 'bucket.s3.amazonaws.com' })).status, 403);
    assert.equal((await raw('GET', '/_faultline/world', { host: `bucket.localhost:${port}` })).status, 403);
    for (const host of [own(), `localhost:${port}`, `[::1]:${port}`]) assert.equal((await raw('GET', '/_faultline/health', { host })).status, 200, host);
    // The SDK addresses a bucket as a virtual host of any endpoint that is not an IP address.
    // These names are looked up here as a browser (localhost) or a hosts file (AWS) would.
    const lookup = (_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => (opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
    const hosts: string[] = [];
    const s3At = (endpoint: string) => {
      const s3 = new S3Client({ ...fl.sdk, endpoint, forcePathStyle: false, requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup } as never) }) });
      s3.middlewareStack.add((next) => async (args) => {
        hosts.push((args.request as { hostname: string }).hostname);
        return next(args);
      }, { step: 'finalizeRequest', name: 'recordHost' });
      return s3;
    };
    const local = s3At(`http://localhost:${port}`);
    await local.send(new CreateBucketCommand({ Bucket: 'vhost-bucket' }));
    await local.send(new PutObjectCommand({ Bucket: 'vhost-bucket', Key: 'k.txt', Body: 'virtual' }));
    const aws = s3At(`http://s3.us-east-1.amazonaws.com:${port}`);
    assert.equal(await (await aws.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'k.txt' }))).Body!.transformToString(), 'virtual');
    assert.deepEqual([...new Set(hosts)], ['vhost-bucket.localhost', 'vhost-bucket.s3.us-east-1.amazonaws.com']);
  });

  it('changes the world only on a JSON POST: a form or text POST is refused; the faultline command works', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const r = await raw('POST', '/_faultline/reset', { host: own(), 'content-type': type }, '{}');
      assert.equal(r.status, 415, type);
      assert.match(JSON.parse(r.body).error, /application\/json/);
    }
    assert.equal((await raw('POST', '/_faultline/reset', { host: own() })).status, 415, 'no content type');
    const huge = await raw('POST', '/_faultline/faults', { host: own(), 'content-type': 'application/json' }, JSON.stringify({ pad: 'x'.repeat(fl.app.env.config.maxRequestBytes) }));
    assert.equal(huge.status, 413, 'a body over the size limit');
    assert.match(JSON.parse(huge.body).error, /at most \d+ bytes/);
    assert.equal(await vpcs(), 1, 'the world was not reset');
    const { stdout } = await cli('fail', 'az', 'us-east-1b');
    const faultId = /^(fault-[0-9a-f]+): az us-east-1b failed/.exec(stdout)?.[1];
    assert.ok(faultId, stdout);
    const status = JSON.parse((await cli('status', '--json')).stdout);
    assert.equal(status.regions.find((r: { region: string }) => r.region === 'us-east-1').zones.find((z: { zone: string }) => z.zone === 'us-east-1b').power, 'off');
    assert.deepEqual(JSON.parse((await cli('heal', '--all')).stdout).healed, [faultId]);
    const advanced = JSON.parse((await cli('advance', '60')).stdout);
    assert.equal(advanced.mode, 'manual');
  });

  it("answers moto's reset path as moto does, under the same guard: test suites written for moto reset faultline between tests", async () => {
    const foreign = await raw('POST', '/moto-api/reset', { host: own(), origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(await vpcs(), 1, 'a page of another origin did not reset it');
    assert.deepEqual(await raw('GET', '/moto-api/reset', { host: own() }), { status: 400, body: '{"Error":"Need to POST to reset Moto"}' });
    // As moto's own clients call it: a bare POST, no content type.
    assert.deepEqual(await raw('POST', '/moto-api/reset', { host: own() }), { status: 200, body: '{"status":"ok"}' });
    assert.deepEqual((await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs, []);
  });
});
