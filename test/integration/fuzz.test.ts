/**
 * Fuzzing the four wire protocols over HTTP. Valid requests of each protocol (ec2Query,
 * awsQuery, CloudWatch's JSON, S3's REST-XML) are mutated with a seeded PRNG (the same seed
 * sends the same mutations) and sent, one at a time, to one faultline. Every answer must be a
 * clear AWS error or a success, never a 5xx (no faults are injected, so not even AWS's own
 * InternalFailure), and a request that is refused (4xx) must leave every record as it was.
 *
 * FUZZ_SEED picks another seed and FUZZ_COUNT another number of mutated requests per protocol, to
 * explore by hand; CI runs the defaults.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { startFaultline, type Faultline } from '../harness.ts';
import { blobDir } from '../../src/services/s3/blobs.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const COUNT = Number(process.env.FUZZ_COUNT ?? 1000);

/** mulberry32: a small, fast, seedable PRNG; `next()` is uniform in [0, 1). */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * The 5xx answers AWS itself gives: EC2 running out of capacity, and S3's NotImplemented for a
 * request that names a feature (`?uploads`, `?acl`, ...) that faultline's S3 does not have.
 */
const AWS_OWN_5XX = /<Code>(InsufficientInstanceCapacity|NotImplemented)<\/Code>/;

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf'];

/** Values that break parsers and handlers: sizes, signs, encodings, prototype names. */
function oddValue(rng: Rng): string {
  return rng.pick<() => string>([
    () => '',
    () => '-1',
    () => '0',
    () => '99999999999999999999999',
    () => '-9223372036854775809',
    () => '1e308',
    () => 'NaN',
    () => 'Infinity',
    () => '0x10',
    () => 'true',
    () => 'x'.repeat(1 + rng.int(20_000)),
    () => '\u{1F600}\u0000\uFFFF\uD800é',
    () => '../../etc/passwd',
    () => '%ZZ%',
    () => '<a>&amp;</a>',
    () => '{"a":',
    () => 'vpc-00000000000000000',
    () => 'arn:aws:iam::999999999999:role/other',
    () => '2026-13-45T99:99:99Z',
    () => ' ',
    () => rng.pick(PROTO_NAMES),
  ])();
}

const auth = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

// ---- Byte-level mutations, shared by every protocol -------------------------------------

function mutateBytes(rng: Rng, body: Buffer): Buffer {
  if (!body.length) return Buffer.from(oddValue(rng));
  const out = Buffer.from(body);
  switch (rng.int(4)) {
    case 0:
      return out.subarray(0, rng.int(out.length));
    case 1:
      for (let i = 0; i < 1 + rng.int(4); i++) out[rng.int(out.length)] = rng.int(256);
      return out;
    case 2: {
      const at = rng.int(out.length);
      return Buffer.concat([out.subarray(0, at), Buffer.from(oddValue(rng)), out.subarray(at)]);
    }
    default:
      return Buffer.concat([out, out]);
  }
}

const CONTENT_TYPES = ['application/json', 'application/xml', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=latin1', 'application/x-amz-json-1.1', ''];

/** Mutations that apply to any request: method, content type, bytes of the body. */
function mutateEnvelope(rng: Rng, req: Req): void {
  switch (rng.int(3)) {
    case 0:
      req.method = rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'POST']);
      if (req.method === 'GET' || req.method === 'HEAD') req.body = Buffer.alloc(0);
      break;
    case 1:
      req.headers['content-type'] = rng.pick(CONTENT_TYPES);
      break;
    default:
      req.body = mutateBytes(rng, req.body);
  }
}

// ---- Query protocols (ec2Query and awsQuery) --------------------------------------------

type Pairs = [string, string][];

function mutatePairs(rng: Rng, pairs: Pairs, actions: readonly string[]): void {
  const i = rng.int(pairs.length);
  switch (rng.int(8)) {
    case 0:
      pairs.splice(i, 1);
      break;
    case 1: {
      // The same parameter again, or the same value as the next list item (`X.1` → `X.2`).
      const next = pairs[i][0].replace(/\.(\d+)$/, (_m, n: string) => `.${Number(n) + 1}`);
      pairs.push([rng.chance(0.5) ? next : pairs[i][0], rng.chance(0.7) ? pairs[i][1] : oddValue(rng)]);
      break;
    }
    case 2:
      pairs[i][1] = oddValue(rng);
      break;
    case 3: {
      // Another segment in the key: a list index, a deeper member, a prototype name.
      const parts = pairs[i][0].split('.');
      parts.splice(rng.int(parts.length + 1), 0, rng.pick(['1', '0', '-1', '99999999', rng.pick(PROTO_NAMES), 'member', 'entry', '']));
      pairs[i][0] = parts.join('.');
      break;
    }
    case 4:
      pairs.push([rng.pick(PROTO_NAMES) + (rng.chance(0.5) ? '.1' : ''), oddValue(rng)]);
      break;
    case 5: {
      const a = pairs.find((p) => p[0] === 'Action');
      if (a) a[1] = rng.chance(0.7) ? rng.pick(actions) : rng.pick(PROTO_NAMES);
      break;
    }
    case 6: {
      const v = pairs.find((p) => p[0] === 'Version');
      if (v) v[1] = rng.pick(['', '2010-05-08', '2099-01-01', '__proto__']);
      break;
    }
    default:
      pairs[i][1] = pairs[rng.int(pairs.length)][1];
  }
}

function queryRequest(service: string, pairs: Pairs, asQueryString: boolean): Req {
  const text = new URLSearchParams(pairs).toString();
  // Node refuses a request line over 16 KiB itself (431, before faultline sees it).
  return asQueryString && text.length < 8192
    ? { method: 'GET', path: '/?' + text, headers: { authorization: auth(service) }, body: Buffer.alloc(0) }
    : { method: 'POST', path: '/', headers: { authorization: auth(service), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: Buffer.from(text) };
}

// ---- JSON (CloudWatch) -------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function oddJson(rng: Rng): Json {
  return rng.pick<() => Json>([
    () => null,
    () => [null],
    () => [],
    () => ({}),
    () => -1,
    () => 1.5,
    () => 2 ** 63,
    () => 1e308,
    () => true,
    () => oddValue(rng),
    () => ({ [rng.pick(PROTO_NAMES)]: oddValue(rng) }),
    () => JSON.parse('['.repeat(200) + ']'.repeat(200)) as Json,
  ])();
}

/** Picks a random value inside `doc` and changes it: replaced, deleted, renamed, duplicated into a list. */
function mutateJson(rng: Rng, doc: { [k: string]: Json }): void {
  let node: Json = doc;
  for (let depth = 0; depth < 6; depth++) {
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : node && typeof node === 'object' ? Object.keys(node) : [];
    if (!keys.length) break;
    const key = rng.pick(keys);
    const child: Json = (node as Record<string | number, Json>)[key];
    if (child && typeof child === 'object' && rng.chance(0.6)) {
      node = child;
      continue;
    }
    const holder = node as Record<string | number, Json>;
    switch (rng.int(5)) {
      case 0:
        if (Array.isArray(holder)) holder.splice(key as number, 1);
        else delete holder[key];
        return;
      case 1:
        // A prototype name as a member: defined as an own property so that JSON.stringify writes it.
        Object.defineProperty(holder, Array.isArray(holder) ? key : rng.pick(PROTO_NAMES), { value: oddJson(rng), enumerable: true, writable: true, configurable: true });
        return;
      case 2:
        if (Array.isArray(holder)) holder.push(child, null);
        else holder[key] = [child];
        return;
      default:
        holder[key] = oddJson(rng);
        return;
    }
  }
  Object.defineProperty(doc, rng.pick(PROTO_NAMES), { value: oddJson(rng), enumerable: true, writable: true, configurable: true });
}

/** `text` as a JSON object, if it is one. */
function jsonObject(text: string): { [k: string]: Json } | undefined {
  try {
    const v = JSON.parse(text) as Json;
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const CW_PREFIX = 'GraniteServiceVersion20100801';

function jsonRequest(target: string, doc: Json | string): Req {
  return {
    method: 'POST',
    path: '/',
    headers: { authorization: auth('monitoring'), 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${CW_PREFIX}.${target}` },
    body: Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)),
  };
}

// ---- REST-XML (S3) -----------------------------------------------------------------------

const S3_PATHS = ['/', '//', '/fuzz-bucket', '/fuzz-bucket/', '/fuzz-bucket/key.txt', '/fuzz-bucket/a/../b', '/fuzz-bucket//x', '/Fuzz_Bucket', '/__proto__', '/fuzz-bucket/__proto__', '/constructor/toString', '/%ZZ', '/fuzz-bucket/%E2%82', '/' + 'b'.repeat(70), '/fuzz-bucket/' + 'k'.repeat(1100), '/fuzz-bucket/%C3%A9%F0%9F%98%80'];
const S3_QUERY_KEYS = ['list-type', 'prefix', 'max-keys', 'delimiter', 'continuation-token', 'start-after', 'marker', 'delete', 'location', 'acl', 'uploads', 'tagging', 'versionId', 'encoding-type', ...PROTO_NAMES];
const S3_HEADERS = [
  'content-md5',
  'x-amz-checksum-sha256',
  'x-amz-checksum-crc32',
  'x-amz-sdk-checksum-algorithm',
  'x-amz-content-sha256',
  'x-amz-decoded-content-length',
  'content-encoding',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'x-amz-meta-__proto__',
  'x-amz-meta-constructor',
  'x-amz-acl',
  'x-amz-storage-class',
  'content-type',
];
const S3_HEADER_VALUES = ['', 'aws-chunked', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'bytes=5-1', 'bytes=-0', 'bytes=0-99999999999', '*', 'AAAA', 'not base64!', 'CRC32', 'MD5', '-1', '99999999999', 'Thu, 01 Jan 1970 00:00:00 GMT', 'private', 'GLACIER', '__proto__'];

function s3Xml(rng: Rng): string {
  return rng.pick<() => string>([
    () => '<CreateBucketConfiguration><LocationConstraint>us-west-2</LocationConstraint></CreateBucketConfiguration>',
    () => '<Delete><Object><Key>key.txt</Key></Object><Quiet>true</Quiet></Delete>',
    () => '<Delete>' + '<Object><Key>k</Key></Object>'.repeat(1001) + '</Delete>',
    () => `<Delete><${rng.pick(PROTO_NAMES)}>x</${rng.pick(PROTO_NAMES)}></Delete>`,
    () => '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>',
    () => '<Delete>' + '<Object>'.repeat(150) + '</Object>'.repeat(150) + '</Delete>',
    () => '<Delete><Object><Key></Key></Object></Delete>',
    () => '<Delete><Object>text</Object></Delete>',
  ])();
}

function mutateS3(rng: Rng, req: Req): void {
  const [path, query = ''] = req.path.split('?');
  const params = new URLSearchParams(query);
  switch (rng.int(5)) {
    case 0:
      req.path = rng.pick(S3_PATHS) + (query ? '?' + query : '');
      return;
    case 1:
      params.append(rng.pick(S3_QUERY_KEYS), rng.chance(0.5) ? '' : oddValue(rng).slice(0, 300));
      req.path = path + '?' + params.toString();
      return;
    case 2:
      req.headers[rng.pick(S3_HEADERS)] = rng.pick(S3_HEADER_VALUES);
      return;
    case 3:
      req.body = Buffer.from(s3Xml(rng));
      return;
    default:
      mutateEnvelope(rng, req);
  }
}

function s3Request(method: string, path: string, body = '', headers: Record<string, string> = {}): Req {
  return { method, path, headers: { authorization: auth('s3'), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers }, body: Buffer.from(body) };
}

// ---- The run -----------------------------------------------------------------------------

describe('fuzzing the wire protocols', { timeout: 300_000 }, () => {
  let fl: Faultline;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let port: number;
  let vpcId: string;
  let imageId: string;

  /**
   * The state, as a digest of every record, timer, event and metric in the store, and the names
   * of the S3 blob files beside it: equal digests, same state.
   */
  const reads = new Map<string, StatementSync>();
  function digest(): string {
    const h = createHash('sha256');
    const db = fl.app.env.store.sql;
    // Services create their tables on first use. `meta` holds the clock, which faultline saves by itself.
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'meta' ORDER BY name").all() as { name: string }[];
    for (const { name } of tables) {
      let read = reads.get(name);
      if (!read) reads.set(name, (read = db.prepare(`SELECT * FROM "${name}"`)));
      h.update(name);
      for (const row of read.all()) h.update(JSON.stringify(row));
    }
    return h.digest('hex');
  }

  /** The S3 blob files: written outside the store, so not in the digest. */
  function blobs(): string {
    const dir = blobDir(fl.app.env);
    return existsSync(dir) ? readdirSync(dir, { recursive: true }).sort().join() : '';
  }

  /**
   * The digest before a request, computed only when something committed since the last one:
   * SQLite's data_version, read on a second connection, moves exactly when faultline commits.
   * Requests that commit nothing (reads, refusals) then cost no digest.
   */
  let watcher: DatabaseSync;
  const version = () => (watcher.prepare('PRAGMA data_version').get() as { data_version: number }).data_version;
  let known = { version: -1, digest: '' };
  function stateNow(withBlobs: boolean): string {
    const v = version();
    if (v !== known.version) known = { version: v, digest: digest() };
    return withBlobs ? known.digest + blobs() : known.digest;
  }

  function send(req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, agent, method: req.method, path: req.path, headers: { ...req.headers, 'content-length': String(req.body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      r.setTimeout(10_000, () => r.destroy(new Error('no answer within 10 s')));
      r.on('error', reject);
      r.end(req.body);
    });
  }

  before(async () => {
    fl = await startFaultline();
    port = Number(new URL(fl.url).port);
    watcher = new DatabaseSync(fl.app.env.store.path, { readOnly: true });
    vpcId = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    imageId = (await fl.aws('ec2', 'describe-images', '--owners', 'amazon')).Images[0].ImageId;
    await fl.aws('s3api', 'create-bucket', '--bucket', 'fuzz-bucket');
  });
  after(async () => {
    watcher.close();
    agent.destroy();
    await fl.close();
  });

  /**
   * Sends requests made by `make` until `COUNT` of them were mutated (a tenth more go as they
   * are), checks each answer, and returns how many succeeded
   * and how many were refused, so a test can show that it reached past the front door.
   */
  async function fuzz(protocol: string, make: (rng: Rng) => Req): Promise<{ ok: number; refused: number }> {
    const withBlobs = protocol === 'rest-xml';
    const rng = prng(SEED ^ [...protocol].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
    const problems: string[] = [];
    let ok = 0;
    let refused = 0;
    mutated = 0;
    for (let n = 0; mutated < COUNT && problems.length < 5; n++) {
      const req = make(rng);
      const what = `#${n} ${req.method} ${req.path.slice(0, 120)} ${JSON.stringify(req.headers).slice(0, 300)} ${req.body.toString('utf8').slice(0, 300)}`;
      const before = stateNow(withBlobs);
      let res: Res;
      try {
        res = await send(req);
      } catch (e) {
        problems.push(`${what}\n  -> ${(e as Error).message}`);
        continue;
      }
      // A HEAD answer has no body to name its code; S3's only bodiless 5xx is NotImplemented.
      const own5xx = AWS_OWN_5XX.test(res.body) || (req.method === 'HEAD' && res.status === 501);
      if (res.status >= 500 && !own5xx) problems.push(`${what}\n  -> ${res.status} ${res.body.slice(0, 300)}`);
      else if (res.status >= 400) {
        refused++;
        if (stateNow(withBlobs) !== before) problems.push(`${what}\n  -> ${res.status} ${res.body.slice(0, 200)}, but the state changed`);
        if (req.method !== 'HEAD' && !/<Code>[^<]+<\/Code>|"__type"|"message"/.test(res.body) && !res.headers['x-amzn-errortype'])
          problems.push(`${what}\n  -> ${res.status} without an AWS error: ${res.body.slice(0, 200)}`);
      } else ok++;
    }
    assert.deepEqual(problems, [], `${protocol} (seed ${SEED}):\n${problems.join('\n')}`);
    return { ok, refused };
  }

  /** Valid requests, most of them mutated: 1 to 3 mutations each, none for one in ten. */
  let mutated = 0;
  const mutations = (rng: Rng) => {
    const n = rng.chance(0.1) ? 0 : 1 + rng.int(3);
    if (n) mutated++;
    return n;
  };

  it('ec2Query: no 5xx, and refused requests change nothing', async () => {
    const bases: (() => Pairs)[] = [
      () => [['Action', 'DescribeVpcs'], ['VpcId.1', vpcId], ['Filter.1.Name', 'cidr'], ['Filter.1.Value.1', '10.0.0.0/16']],
      () => [['Action', 'CreateTags'], ['ResourceId.1', vpcId], ['Tag.1.Key', 'Name'], ['Tag.1.Value', 'fuzz']],
      () => [['Action', 'CreateSubnet'], ['VpcId', vpcId], ['CidrBlock', '10.0.9.0/24'], ['AvailabilityZone', 'us-east-1a']],
      () => [['Action', 'CreateSecurityGroup'], ['GroupName', 'fuzz'], ['GroupDescription', 'fuzz'], ['VpcId', vpcId]],
      () => [['Action', 'AuthorizeSecurityGroupIngress'], ['GroupName', 'default'], ['IpPermissions.1.IpProtocol', 'tcp'], ['IpPermissions.1.FromPort', '22'], ['IpPermissions.1.ToPort', '22'], ['IpPermissions.1.IpRanges.1.CidrIp', '10.0.0.0/8']],
      () => [['Action', 'RunInstances'], ['ImageId', imageId], ['InstanceType', 't3.micro'], ['MinCount', '1'], ['MaxCount', '1'], ['TagSpecification.1.ResourceType', 'instance'], ['TagSpecification.1.Tag.1.Key', 'k'], ['TagSpecification.1.Tag.1.Value', 'v']],
      () => [['Action', 'DescribeInstances'], ['Filter.1.Name', 'instance-state-name'], ['Filter.1.Value.1', 'pending'], ['MaxResults', '5']],
      () => [['Action', 'CreateVolume'], ['AvailabilityZone', 'us-east-1a'], ['Size', '8'], ['VolumeType', 'gp3']],
      () => [['Action', 'CreateKeyPair'], ['KeyName', 'fuzz-key']],
      () => [['Action', 'CreateLaunchTemplate'], ['LaunchTemplateName', 'fuzz-lt'], ['LaunchTemplateData.ImageId', imageId], ['LaunchTemplateData.InstanceType', 't3.micro']],
      () => [['Action', 'AllocateAddress'], ['Domain', 'vpc']],
      () => [['Action', 'DescribeAvailabilityZones'], ['ZoneName.1', 'us-east-1a']],
      () => [['Action', 'CreateNetworkAclEntry'], ['NetworkAclId', 'acl-0'], ['RuleNumber', '100'], ['Protocol', '6'], ['RuleAction', 'allow'], ['Egress', 'false'], ['CidrBlock', '0.0.0.0/0']],
    ];
    const actions = ['DescribeVpcs', 'CreateVpc', 'DeleteVpc', 'CreateTags', 'DeleteTags', 'DescribeTags', 'RunInstances', 'TerminateInstances', 'DescribeImages', 'CreateRoute', 'DescribeInstanceTypes', 'ModifyVpcAttribute'];
    const r = await fuzz('ec2', (rng) => {
      const pairs = [...rng.pick(bases)(), ['Version', '2016-11-15']] as Pairs;
      const n = mutations(rng);
      const envelope = n > 0 && rng.chance(0.15);
      for (let i = envelope ? 1 : 0; i < n; i++) mutatePairs(rng, pairs, actions);
      const req = queryRequest('ec2', pairs, rng.chance(0.1));
      if (envelope) mutateEnvelope(rng, req);
      return req;
    });
    assert.ok(r.ok > COUNT / 10 && r.refused > COUNT / 10, JSON.stringify(r));
  });

  it('awsQuery (IAM, STS, SNS, Auto Scaling, CloudFormation, CloudWatch): no 5xx, and refused requests change nothing', async () => {
    const template = JSON.stringify({ Parameters: { P: { Type: 'String', Default: 'x' } }, Resources: { T: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { Ref: 'P' } } } }, Outputs: { O: { Value: { 'Fn::GetAtt': ['T', 'TopicName'] } } } });
    const bases: [string, string, () => Pairs][] = [
      ['iam', '2010-05-08', () => [['Action', 'CreateRole'], ['RoleName', 'fuzz-role'], ['AssumeRolePolicyDocument', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'], ['Tags.member.1.Key', 'k'], ['Tags.member.1.Value', 'v']]],
      ['iam', '2010-05-08', () => [['Action', 'PutRolePolicy'], ['RoleName', 'fuzz-role'], ['PolicyName', 'p'], ['PolicyDocument', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}']]],
      ['iam', '2010-05-08', () => [['Action', 'GetRolePolicy'], ['RoleName', 'fuzz-role'], ['PolicyName', 'p']]],
      ['iam', '2010-05-08', () => [['Action', 'ListRoles'], ['MaxItems', '10']]],
      ['sts', '2011-06-15', () => [['Action', 'AssumeRole'], ['RoleArn', 'arn:aws:iam::000000000000:role/fuzz-role'], ['RoleSessionName', 's'], ['DurationSeconds', '900']]],
      ['sns', '2010-03-31', () => [['Action', 'CreateTopic'], ['Name', 'fuzz-topic'], ['Attributes.entry.1.key', 'DisplayName'], ['Attributes.entry.1.value', 'd'], ['Tags.member.1.Key', 'k'], ['Tags.member.1.Value', 'v']]],
      ['sns', '2010-03-31', () => [['Action', 'SetTopicAttributes'], ['TopicArn', 'arn:aws:sns:us-east-1:000000000000:fuzz-topic'], ['AttributeName', 'DisplayName'], ['AttributeValue', 'x']]],
      ['sns', '2010-03-31', () => [['Action', 'Publish'], ['TopicArn', 'arn:aws:sns:us-east-1:000000000000:fuzz-topic'], ['Message', 'm'], ['MessageAttributes.entry.1.Name', 'a'], ['MessageAttributes.entry.1.Value.DataType', 'String'], ['MessageAttributes.entry.1.Value.StringValue', 'v']]],
      ['autoscaling', '2011-01-01', () => [['Action', 'CreateLaunchConfiguration'], ['LaunchConfigurationName', 'fuzz-lc'], ['ImageId', imageId], ['InstanceType', 't3.micro']]],
      ['autoscaling', '2011-01-01', () => [['Action', 'CreateAutoScalingGroup'], ['AutoScalingGroupName', 'fuzz-asg'], ['LaunchConfigurationName', 'fuzz-lc'], ['MinSize', '0'], ['MaxSize', '2'], ['AvailabilityZones.member.1', 'us-east-1a'], ['TerminationPolicies.member.1', 'Default'], ['Tags.member.1.Key', 'k'], ['Tags.member.1.Value', 'v']]],
      ['autoscaling', '2011-01-01', () => [['Action', 'PutScalingPolicy'], ['AutoScalingGroupName', 'fuzz-asg'], ['PolicyName', 'p'], ['PolicyType', 'TargetTrackingScaling'], ['TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType', 'ASGAverageCPUUtilization'], ['TargetTrackingConfiguration.TargetValue', '50']]],
      ['autoscaling', '2011-01-01', () => [['Action', 'EnableMetricsCollection'], ['AutoScalingGroupName', 'fuzz-asg'], ['Granularity', '1Minute'], ['Metrics.member.1', 'GroupMinSize']]],
      ['cloudformation', '2010-05-15', () => [['Action', 'CreateStack'], ['StackName', 'fuzz-stack'], ['TemplateBody', template], ['Parameters.member.1.ParameterKey', 'P'], ['Parameters.member.1.ParameterValue', 'fuzz-cfn-topic']]],
      ['cloudformation', '2010-05-15', () => [['Action', 'ValidateTemplate'], ['TemplateBody', template]]],
      ['cloudformation', '2010-05-15', () => [['Action', 'DescribeStackResource'], ['StackName', 'fuzz-stack'], ['LogicalResourceId', 'T']]],
      ['monitoring', '2010-08-01', () => [['Action', 'PutMetricData'], ['Namespace', 'Fuzz'], ['MetricData.member.1.MetricName', 'm'], ['MetricData.member.1.Value', '1'], ['MetricData.member.1.Dimensions.member.1.Name', 'd'], ['MetricData.member.1.Dimensions.member.1.Value', 'v']]],
    ];
    const actions = ['ListRoles', 'DeleteRole', 'GetCallerIdentity', 'ListTopics', 'DeleteTopic', 'DescribeAutoScalingGroups', 'DeleteAutoScalingGroup', 'DescribeStacks', 'DeleteStack', 'ListMetrics', 'GetTemplateSummary'];
    const r = await fuzz('query', (rng) => {
      const [service, version, base] = rng.pick(bases);
      const pairs = [...base(), ['Version', version]] as Pairs;
      const n = mutations(rng);
      const envelope = n > 0 && rng.chance(0.15);
      for (let i = envelope ? 1 : 0; i < n; i++) {
        // Half of the value mutations go into the CloudFormation template, where keys matter.
        const body = pairs.find((p) => p[0] === 'TemplateBody');
        const doc = body && rng.chance(0.5) ? jsonObject(body[1]) : undefined;
        if (doc) {
          mutateJson(rng, doc);
          body![1] = JSON.stringify(doc);
        } else mutatePairs(rng, pairs, actions);
      }
      const req = queryRequest(service, pairs, rng.chance(0.1));
      if (envelope) mutateEnvelope(rng, req);
      return req;
    });
    assert.ok(r.ok > COUNT / 10 && r.refused > COUNT / 10, JSON.stringify(r));
  });

  it('JSON (CloudWatch): no 5xx, and refused requests change nothing', async () => {
    const bases: [string, () => object][] = [
      ['PutMetricData', () => ({ Namespace: 'Fuzz', MetricData: [{ MetricName: 'm', Value: 1, Unit: 'Count', Dimensions: [{ Name: 'd', Value: 'v' }] }, { MetricName: 's', StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 1, Maximum: 2 } }] })],
      ['PutMetricAlarm', () => ({ AlarmName: 'fuzz-alarm', Namespace: 'Fuzz', MetricName: 'm', Statistic: 'Average', Period: 60, EvaluationPeriods: 2, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', Dimensions: [{ Name: 'd', Value: 'v' }], Tags: [{ Key: 'k', Value: 'v' }] })],
      ['DescribeAlarms', () => ({ AlarmNames: ['fuzz-alarm'], MaxRecords: 10, StateValue: 'OK' })],
      ['SetAlarmState', () => ({ AlarmName: 'fuzz-alarm', StateValue: 'ALARM', StateReason: 'fuzz' })],
      ['GetMetricStatistics', () => ({ Namespace: 'Fuzz', MetricName: 'm', StartTime: 0, EndTime: 3600, Period: 60, Statistics: ['Average', 'Maximum'], Dimensions: [{ Name: 'd', Value: 'v' }] })],
      ['GetMetricData', () => ({ StartTime: 0, EndTime: 3600, MetricDataQueries: [{ Id: 'q1', MetricStat: { Metric: { Namespace: 'Fuzz', MetricName: 'm' }, Period: 60, Stat: 'Sum' } }, { Id: 'e1', Expression: 'q1 * 2' }] })],
      ['ListMetrics', () => ({ Namespace: 'Fuzz', Dimensions: [{ Name: 'd' }] })],
      ['TagResource', () => ({ ResourceARN: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:fuzz-alarm', Tags: [{ Key: 'k2', Value: 'v' }] })],
      ['DescribeAlarmHistory', () => ({ AlarmName: 'fuzz-alarm', HistoryItemType: 'StateUpdate' })],
    ];
    const targets = ['DeleteAlarms', 'DescribeAlarmsForMetric', 'EnableAlarmActions', 'UntagResource', 'ListTagsForResource', ...PROTO_NAMES];
    const r = await fuzz('json', (rng) => {
      let [target, base] = rng.pick(bases);
      const doc = base() as { [k: string]: Json };
      let text: string | undefined;
      const n = mutations(rng);
      for (let i = 0; i < n; i++) {
        const k = rng.int(10);
        if (k === 0) target = rng.pick(targets);
        else if (k === 1) text = mutateBytes(rng, Buffer.from(text ?? JSON.stringify(doc))).toString('utf8');
        else if (k === 2) text = (text ?? JSON.stringify(doc)).replace(/"(\w+)":/, (_m, key: string) => `"${key}":1,"${key}":`);
        else mutateJson(rng, doc);
      }
      const req = jsonRequest(target, text ?? doc);
      if (n > 0 && rng.chance(0.1)) mutateEnvelope(rng, req);
      return req;
    });
    assert.ok(r.ok > COUNT / 10 && r.refused > COUNT / 10, JSON.stringify(r));
  });

  it('REST-XML (S3): no 5xx, and refused requests change nothing', async () => {
    const bases: (() => Req)[] = [
      () => s3Request('PUT', '/fuzz-bucket/key.txt', 'hello', { 'content-type': 'text/plain', 'x-amz-meta-colour': 'blue' }),
      () => s3Request('GET', '/fuzz-bucket/key.txt'),
      () => s3Request('HEAD', '/fuzz-bucket/key.txt'),
      () => s3Request('GET', '/fuzz-bucket?list-type=2&prefix=k&max-keys=10'),
      () => s3Request('GET', '/fuzz-bucket?prefix=&delimiter=/&marker=a'),
      () => s3Request('POST', '/fuzz-bucket?delete', '<Delete><Object><Key>gone.txt</Key></Object></Delete>', { 'content-type': 'application/xml' }),
      () => s3Request('PUT', '/fuzz-bucket-2', '<CreateBucketConfiguration><LocationConstraint>us-west-2</LocationConstraint></CreateBucketConfiguration>'),
      () => s3Request('DELETE', '/fuzz-bucket/other.txt'),
      () => s3Request('GET', '/fuzz-bucket?location'),
      () => s3Request('GET', '/'),
    ];
    const r = await fuzz('rest-xml', (rng) => {
      const req = rng.pick(bases)();
      for (let i = mutations(rng); i > 0; i--) mutateS3(rng, req);
      return req;
    });
    assert.ok(r.ok > COUNT / 10 && r.refused > COUNT / 10, JSON.stringify(r));
  });
});
