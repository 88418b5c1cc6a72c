/**
 * Who may use a bucket: its owner's signed requests; anonymous requests (no credentials) and
 * other accounts only as a bucket policy or a canned ACL allows. Driven through boto3 and the
 * AWS CLI (signed with two accounts' keys, and unsigned), and plain curl. The buckets here take
 * ACLs and public grants, as S3's buckets did before April 2023: made with ObjectWriter ownership
 * and without Block Public Access (s3-configurations.test.ts tests those settings).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../harness.ts';
import { awsCli } from '../clients.ts';

const run = promisify(execFile);

const OWNER = '111111111111';
const OTHER = '222222222222';

/** boto3 clients for the bucket owner, another account and nobody, and `code(fn)`: the error a call fails with, or None. */
const PRELUDE = `
import boto3, botocore, json
from botocore import UNSIGNED
from botocore.config import Config
def client(key):
    return boto3.client('s3', aws_access_key_id=key, aws_secret_access_key='x', region_name='us-east-1')
owner, other = client('${OWNER}'), client('${OTHER}')
anon = boto3.client('s3', region_name='us-east-1', config=Config(signature_version=UNSIGNED))
def code(fn):
    try:
        fn()
        return None
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
def read(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)['Body'].read().decode()
def open_bucket(name):
    owner.create_bucket(Bucket=name, ObjectOwnership='ObjectWriter')
    owner.delete_public_access_block(Bucket=name)
`;

describe('S3 access between accounts and for anonymous requests', () => {
  let fl: Faultline;
  let file: string;
  before(async () => {
    fl = await startFaultline();
    file = join(fl.dataDir, 'body.txt');
    writeFileSync(file, 'secret');
  });
  after(() => fl.close());

  const py = (script: string) => fl.python(PRELUDE + script);

  /** The AWS CLI signed with `key` (a 12-digit key names that account), or unsigned with 'anonymous'. */
  function cli(key: string, ...args: string[]) {
    const sign = key === 'anonymous' ? ['--no-sign-request'] : [];
    return awsCli(['--endpoint-url', fl.url, '--output', 'json', ...sign, ...args], { ...fl.clientEnv, AWS_ACCESS_KEY_ID: key });
  }
  async function ok(key: string, ...args: string[]) {
    const r = await cli(key, ...args);
    assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : {};
  }
  /** A plain, unsigned HTTP request with curl: the status and the body. */
  async function curl(method: string, path: string, data?: string): Promise<{ status: number; body: string }> {
    const verb = method === 'HEAD' ? ['-I'] : ['-X', method];
    const { stdout } = await run('curl', ['-s', ...verb, '-w', '\n%{http_code}', ...(data === undefined ? [] : ['--data-binary', data]), fl.url + path]);
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  }
  const code = (body: string) => /<Code>([^<]*)<\/Code>/.exec(body)?.[1];

  it('refuses anonymous requests to list, read, overwrite and delete a private bucket, in S3 XML', async () => {
    await py(`
open_bucket('private-a')
owner.put_object(Bucket='private-a', Key='k', Body=b'secret')
`);
    for (const [method, path, data] of [
      ['GET', '/private-a'],
      ['GET', '/private-a/k'],
      ['HEAD', '/private-a/k'],
      ['PUT', '/private-a/k', 'overwritten'],
      ['DELETE', '/private-a/k'],
      ['DELETE', '/private-a'],
      ['GET', '/'],
      ['PUT', '/anon-made-bucket'],
    ] as const) {
      const r = await curl(method, path, data);
      assert.equal(r.status, 403, `${method} ${path}: ${r.body}`);
      if (method !== 'HEAD') assert.equal(code(r.body), 'AccessDenied', `${method} ${path}`);
    }
    // A missing key is not revealed to a caller who may not list the bucket; a missing bucket is.
    assert.equal(code((await curl('GET', '/private-a/missing')).body), 'AccessDenied');
    assert.equal(code((await curl('GET', '/no-such-bucket-anywhere/k')).body), 'NoSuchBucket');
    const batch = await curl('POST', '/private-a?delete', '<Delete><Object><Key>k</Key></Object></Delete>');
    assert.equal(batch.status, 200);
    assert.match(batch.body, /<Error>(?=.*<Key>k<\/Key>)(?=.*<Code>AccessDenied<\/Code>).*<\/Error>/);

    const cliGet = await cli('anonymous', 's3api', 'get-object', '--bucket', 'private-a', '--key', 'k', join(fl.dataDir, 'out'));
    assert.match(cliGet.stderr, /\(AccessDenied\)/);

    const out = await py(`
print(json.dumps({
  'list': code(lambda: anon.list_objects_v2(Bucket='private-a')),
  'head': code(lambda: anon.head_bucket(Bucket='private-a')),
  'location': code(lambda: anon.get_bucket_location(Bucket='private-a')),
  'buckets': code(lambda: anon.list_buckets()),
  'policy': code(lambda: anon.put_bucket_policy(Bucket='private-a', Policy='{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::private-a/*"}]}')),
  'body': read(owner, 'private-a', 'k'),
  'mine': [b['Name'] for b in owner.list_buckets()['Buckets']],
}))
`);
    assert.deepEqual(out, { list: 'AccessDenied', head: '403', location: 'AccessDenied', buckets: 'AccessDenied', policy: 'AccessDenied', body: 'secret', mine: ['private-a'] });
  });

  it('refuses another account\'s signed requests to a private bucket with AccessDenied, not NoSuchBucket', async () => {
    const out = await py(`
print(json.dumps({
  'list': code(lambda: other.list_objects_v2(Bucket='private-a')),
  'get': code(lambda: other.get_object(Bucket='private-a', Key='k')),
  'put': code(lambda: other.put_object(Bucket='private-a', Key='k', Body=b'mine now')),
  'delete': code(lambda: other.delete_object(Bucket='private-a', Key='k')),
  'deleteBucket': code(lambda: other.delete_bucket(Bucket='private-a')),
  'putPolicy': code(lambda: other.put_bucket_policy(Bucket='private-a', Policy='{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::private-a/*"}]}')),
  'putAcl': code(lambda: other.put_bucket_acl(Bucket='private-a', ACL='public-read')),
  'body': read(owner, 'private-a', 'k'),
}))
`);
    assert.deepEqual(out, {
      list: 'AccessDenied',
      get: 'AccessDenied',
      put: 'AccessDenied',
      delete: 'AccessDenied',
      deleteBucket: 'AccessDenied',
      putPolicy: 'AccessDenied',
      putAcl: 'AccessDenied',
      body: 'secret',
    });
  });

  it('serves what a bucket policy for everyone allows, and nothing more', async () => {
    const readPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site-a/*' }],
    });
    const first = await py(`
open_bucket('site-a')
owner.put_object(Bucket='site-a', Key='index.html', Body=b'secret')
before = code(lambda: owner.get_bucket_policy(Bucket='site-a'))
owner.put_bucket_policy(Bucket='site-a', Policy=${JSON.stringify(readPolicy)})
print(json.dumps({'before': before, 'policy': owner.get_bucket_policy(Bucket='site-a')['Policy']}))
`);
    assert.deepEqual(first, { before: 'NoSuchBucketPolicy', policy: readPolicy });

    assert.deepEqual(await curl('GET', '/site-a/index.html'), { status: 200, body: 'secret' });
    assert.equal(code((await curl('GET', '/site-a')).body), 'AccessDenied');
    assert.equal(code((await curl('PUT', '/site-a/index.html', 'defaced')).body), 'AccessDenied');
    // Without s3:ListBucket, a missing key is AccessDenied rather than NoSuchKey.
    assert.equal(code((await curl('GET', '/site-a/missing.html')).body), 'AccessDenied');
    assert.equal(code((await curl('GET', '/site-a?policy')).body), 'AccessDenied');

    // {"AWS": "*"} is everyone too; a policy through the CLI, and an unsigned CLI listing.
    const listPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: '*' }, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::site-a/*'] },
        { Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:ListBucket', Resource: 'arn:aws:s3:::site-a' },
      ],
    });
    await ok(OWNER, 's3api', 'put-bucket-policy', '--bucket', 'site-a', '--policy', listPolicy);
    const listed = await ok('anonymous', 's3api', 'list-objects-v2', '--bucket', 'site-a');
    assert.deepEqual(listed.Contents.map((o: { Key: string }) => o.Key), ['index.html']);
    assert.equal(code((await curl('GET', '/site-a/missing.html')).body), 'NoSuchKey');

    const last = await py(`
owner.delete_bucket_policy(Bucket='site-a')
print(json.dumps({'anon': code(lambda: read(anon, 'site-a', 'index.html')), 'policy': code(lambda: owner.get_bucket_policy(Bucket='site-a'))}))
`);
    assert.deepEqual(last, { anon: 'AccessDenied', policy: 'NoSuchBucketPolicy' });
  });

  it('lets a policy grant another account, and an explicit Deny refuse even the owner', async () => {
    const policy = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::shared-a/*' },
        { Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::shared-a/report.csv' },
        // Allowed to the other account, but the policy is the owner account's alone.
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: ['s3:GetBucketPolicy', 's3:DeleteBucketPolicy'], Resource: 'arn:aws:s3:::shared-a' },
        { Effect: 'Allow', Principal: '*', Action: 's3:GetBucketObjectLockConfiguration', Resource: 'arn:aws:s3:::shared-a' },
      ],
    });
    const out = await py(`
open_bucket('shared-a')
owner.put_object(Bucket='shared-a', Key='report.csv', Body=b'secret')
owner.put_bucket_policy(Bucket='shared-a', Policy=${JSON.stringify(policy)})
other.put_object(Bucket='shared-a', Key='from-other.csv', Body=b'hello')
print(json.dumps({
  'otherReads': read(other, 'shared-a', 'report.csv'),
  'otherLists': code(lambda: other.list_objects_v2(Bucket='shared-a')),
  'anonReads': code(lambda: read(anon, 'shared-a', 'report.csv')),
  'ownerDeletes': code(lambda: owner.delete_object(Bucket='shared-a', Key='report.csv')),
  'otherDropsPolicy': code(lambda: other.delete_bucket_policy(Bucket='shared-a')),
  'anonReadsPolicy': code(lambda: anon.get_bucket_policy(Bucket='shared-a')),
  # The owner can always take back a policy that locks it out.
  'ownerDropsPolicy': code(lambda: owner.delete_bucket_policy(Bucket='shared-a')),
  'ownerDeletesAfter': code(lambda: owner.delete_object(Bucket='shared-a', Key='report.csv')),
  'keys': [o['Key'] for o in owner.list_objects_v2(Bucket='shared-a')['Contents']],
}))
`);
    assert.deepEqual(out, {
      otherReads: 'secret',
      otherLists: 'AccessDenied',
      anonReads: 'AccessDenied',
      ownerDeletes: 'AccessDenied',
      otherDropsPolicy: 'MethodNotAllowed',
      anonReadsPolicy: 'AccessDenied',
      ownerDropsPolicy: null,
      ownerDeletesAfter: null,
      keys: ['from-other.csv'],
    });
  });

  it('refuses malformed bucket policies with MalformedPolicy', async () => {
    const statement = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::shared-a/*' };
    const out = await py(`
def err(policy):
    try:
        owner.put_bucket_policy(Bucket='shared-a', Policy=policy)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
st = ${JSON.stringify(statement)}
print(json.dumps([
  err('not json'),
  err(json.dumps({'Statement': [dict(st, Resource='arn:aws:s3:::some-other-bucket/*')]})),
  err(json.dumps({'Statement': [dict(st, Resource='*')]})),
  err(json.dumps({'Statement': [dict(st, Action='ec2:RunInstances')]})),
  err(json.dumps({'Statement': [dict(st, Principal={'AWS': 'not-a-principal'})]})),
  err(json.dumps({'Statement': [dict(st, Resource='arn:aws:s3:::shared-a')]})),
  err(json.dumps({'Statement': [dict(st, Effect='Maybe')]})),
  err(json.dumps({'Version': '2012-10-17'})),
  err(json.dumps({'Statement': [st]})),
]))
`);
    assert.deepEqual(out, [
      ['MalformedPolicy', "Policies must be valid JSON and the first byte must be '{'"],
      ['MalformedPolicy', 'Policy has invalid resource'],
      ['MalformedPolicy', 'Policy has invalid resource'],
      ['MalformedPolicy', 'Policy has invalid action'],
      ['MalformedPolicy', 'Invalid principal in policy'],
      ['MalformedPolicy', 'Action does not apply to any resource(s) in statement'],
      ['MalformedPolicy', 'Invalid effect: Maybe'],
      ['MalformedPolicy', 'Missing required field Statement'],
      null,
    ]);
  });

  it('serves what canned ACLs make public, on buckets and on objects', async () => {
    await ok(OWNER, 's3api', 'create-bucket', '--bucket', 'dropbox-a', '--object-ownership', 'ObjectWriter');
    await ok(OWNER, 's3api', 'delete-public-access-block', '--bucket', 'dropbox-a');
    await ok(OWNER, 's3api', 'put-bucket-acl', '--bucket', 'dropbox-a', '--acl', 'public-read-write');
    await ok(OWNER, 's3api', 'put-object', '--bucket', 'dropbox-a', '--key', 'public.txt', '--body', file, '--acl', 'public-read');
    assert.equal((await curl('PUT', '/dropbox-a/drop.txt', 'dropped')).status, 200);
    assert.equal((await curl('DELETE', '/dropbox-a/drop.txt')).status, 204);
    assert.deepEqual(await curl('GET', '/dropbox-a/public.txt'), { status: 200, body: 'secret' });

    const out = await py(`
open_bucket('acl-a')
owner.put_object(Bucket='acl-a', Key='private.txt', Body=b'secret')
r = {'privateBefore': code(lambda: read(anon, 'acl-a', 'private.txt')), 'listBefore': code(lambda: anon.list_objects_v2(Bucket='acl-a'))}
owner.put_object_acl(Bucket='acl-a', Key='private.txt', ACL='public-read')
owner.put_bucket_acl(Bucket='acl-a', ACL='public-read')
r['privateAfter'] = read(anon, 'acl-a', 'private.txt')
r['listAfter'] = [o['Key'] for o in anon.list_objects_v2(Bucket='acl-a')['Contents']]
# Reading a bucket's listing does not let anyone write to it.
r['anonWrite'] = code(lambda: anon.put_object(Bucket='acl-a', Key='new.txt', Body=b'x'))
# An upload replaces the object's ACL, as S3 does: without one it is private again.
owner.put_object(Bucket='acl-a', Key='private.txt', Body=b'secret')
r['replaced'] = code(lambda: read(anon, 'acl-a', 'private.txt'))
owner.put_object(Bucket='acl-a', Key='members.txt', Body=b'members', ACL='authenticated-read')
r['membersOther'] = read(other, 'acl-a', 'members.txt')
r['membersAnon'] = code(lambda: read(anon, 'acl-a', 'members.txt'))
r['badCanned'] = code(lambda: owner.put_bucket_acl(Bucket='acl-a', ACL='bucket-owner-full-control'))
r['grants'] = code(lambda: owner.put_bucket_acl(Bucket='acl-a', GrantRead='uri=http://acs.amazonaws.com/groups/global/AllUsers'))
r['none'] = code(lambda: owner.put_bucket_acl(Bucket='acl-a'))
r['otherSetsAcl'] = code(lambda: other.put_object_acl(Bucket='acl-a', Key='private.txt', ACL='public-read'))
r['missingKey'] = code(lambda: owner.put_object_acl(Bucket='acl-a', Key='nope', ACL='public-read'))
# Setting an ACL with an upload needs the right to set ACLs: an anonymous writer has none.
r['anonAclUpload'] = code(lambda: anon.put_object(Bucket='dropbox-a', Key='x', Body=b'x', ACL='public-read'))
print(json.dumps(r))
`);
    assert.deepEqual(out, {
      privateBefore: 'AccessDenied',
      listBefore: 'AccessDenied',
      privateAfter: 'secret',
      listAfter: ['private.txt'],
      anonWrite: 'AccessDenied',
      replaced: 'AccessDenied',
      membersOther: 'members',
      membersAnon: 'AccessDenied',
      badCanned: 'InvalidArgument',
      grants: 'NotImplemented',
      none: 'MissingSecurityHeader',
      otherSetsAcl: 'AccessDenied',
      missingKey: 'NoSuchKey',
      anonAclUpload: 'AccessDenied',
    });
  });

  it('keeps presigned URLs working, and reads a template URL only where the caller may read it', async () => {
    const url = (await cli(OWNER, 's3', 'presign', 's3://private-a/k')).stdout.trim();
    const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', url]);
    assert.equal(stdout, 'secret\n200');

    const template = JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });
    const out = await py(`
cfn = lambda key: boto3.client('cloudformation', aws_access_key_id=key, aws_secret_access_key='x', region_name='us-east-1')
def cfn_error(key, url):
    try:
        cfn(key).validate_template(TemplateURL=url)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
owner.put_object(Bucket='private-a', Key='template.json', Body=${JSON.stringify(template)}.encode())
url = 'https://private-a.s3.amazonaws.com/template.json'
r = {'owner': cfn_error('${OWNER}', url), 'other': cfn_error('${OTHER}', url)}
owner.put_object_acl(Bucket='private-a', Key='template.json', ACL='public-read')
r['otherPublic'] = cfn_error('${OTHER}', url)
print(json.dumps(r))
`);
    assert.deepEqual(out, { owner: null, other: ['ValidationError', 'S3 error: Access Denied'], otherPublic: null });
  });
});
