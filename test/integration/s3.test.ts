import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectsCommand,
  DeleteObjectCommand,
  DeleteBucketCommand,
  HeadObjectCommand,
  HeadBucketCommand,
  GetBucketLocationCommand,
  ListBucketsCommand,
} from '@aws-sdk/client-s3';
import { startFaultline, type Faultline } from '../harness.ts';
import { readObjectByUrl, parseObjectUrl } from '../../src/services/s3/urls.ts';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(fl: Faultline, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Raw> {
  const { port } = new URL(fl.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An Authorization header naming the default account's key, as the CLI's signed requests do (faultline reads the key, not the signature). */
const SIGNED = { authorization: 'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' };

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Blob files under the data directory's s3/ folder. */
function blobFiles(fl: Faultline): string[] {
  const dir = join(fl.dataDir, 's3');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)));
}

describe('S3', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('makes a bucket, copies a file up and down and lists it with the AWS CLI', async () => {
    const r = await fl.awsRaw('s3', 'mb', 's3://cli-bucket');
    assert.equal(r.code, 0, r.stderr);
    const file = join(fl.dataDir, 'hello.txt');
    writeFileSync(file, 'hello from the cli\n');
    const cp = await fl.awsRaw('s3', 'cp', file, 's3://cli-bucket/docs/hello.txt');
    assert.equal(cp.code, 0, cp.stderr);
    const buckets = await fl.awsRaw('s3', 'ls');
    assert.match(buckets.stdout, /cli-bucket/);
    const top = await fl.awsRaw('s3', 'ls', 's3://cli-bucket/');
    assert.match(top.stdout, /PRE docs\//);
    const inner = await fl.awsRaw('s3', 'ls', 's3://cli-bucket/docs/');
    assert.match(inner.stdout, /\s19 hello\.txt/);
    const down = join(fl.dataDir, 'back.txt');
    const get = await fl.awsRaw('s3', 'cp', 's3://cli-bucket/docs/hello.txt', down);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(readFileSync(down, 'utf8'), 'hello from the cli\n');

    const head = await fl.aws('s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'docs/hello.txt');
    assert.equal(head.ContentLength, 19);
    assert.equal(head.ETag, `"${md5('hello from the cli\n')}"`);
    assert.equal(head.ContentType, 'text/plain');
    const loc = await fl.aws('s3api', 'get-bucket-location', '--bucket', 'cli-bucket');
    assert.equal(loc.LocationConstraint, null);
  });

  it('serves a public-read object put with the CLI to a plain HTTP GET, path style and virtual-host style', async () => {
    // Public objects need a bucket that takes ACLs and does not block public access, as on S3 since April 2023.
    await fl.aws('s3api', 'create-bucket', '--bucket', 'web-bucket', '--object-ownership', 'ObjectWriter');
    await fl.aws('s3api', 'delete-public-access-block', '--bucket', 'web-bucket');
    const file = join(fl.dataDir, 'index.html');
    writeFileSync(file, '<h1>hi</h1>');
    await fl.aws('s3api', 'put-object', '--bucket', 'web-bucket', '--key', 'site/index.html', '--body', file, '--content-type', 'text/html', '--metadata', 'color=blue', '--acl', 'public-read');

    const path = await http(fl, 'GET', '/web-bucket/site/index.html');
    assert.equal(path.status, 200);
    assert.equal(path.body, '<h1>hi</h1>');
    assert.equal(path.headers['content-type'], 'text/html');
    assert.equal(path.headers['x-amz-meta-color'], 'blue');
    assert.equal(path.headers['etag'], `"${md5('<h1>hi</h1>')}"`);

    const vhost = await http(fl, 'GET', '/site/index.html', { host: 'web-bucket.s3.amazonaws.com' });
    assert.equal(vhost.status, 200);
    assert.equal(vhost.body, '<h1>hi</h1>');

    const head = await http(fl, 'HEAD', '/web-bucket/site/index.html');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '11');
    assert.equal(head.body, '');

    const ranged = await http(fl, 'GET', '/web-bucket/site/index.html', { range: 'bytes=4-6' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.body, 'hi<');
    assert.equal(ranged.headers['content-range'], 'bytes 4-6/11');
  });

  it('answers unknown routes and missing things with S3 error documents', async () => {
    const missingKey = await http(fl, 'GET', '/web-bucket/nope.txt', SIGNED);
    assert.equal(missingKey.status, 404);
    assert.match(missingKey.body, /<Error><Code>NoSuchKey<\/Code>.*<Key>nope.txt<\/Key>.*<RequestId>/);

    const missingBucket = await http(fl, 'GET', '/no-such-bucket-here/x');
    assert.equal(missingBucket.status, 404);
    assert.match(missingBucket.body, /<Code>NoSuchBucket<\/Code>.*<BucketName>no-such-bucket-here<\/BucketName>/);

    const headMissing = await http(fl, 'HEAD', '/web-bucket/nope.txt', SIGNED);
    assert.equal(headMissing.status, 404);
    assert.equal(headMissing.body, '');

    const post = await http(fl, 'POST', '/web-bucket/site/index.html', {}, 'x');
    assert.equal(post.status, 405);
    assert.match(post.body, /<Code>MethodNotAllowed<\/Code>.*<Method>POST<\/Method><ResourceType>OBJECT<\/ResourceType>/);

    const multipart = await http(fl, 'POST', '/web-bucket/big.bin?uploads');
    assert.equal(multipart.status, 501);
    assert.match(multipart.body, /<Code>NotImplemented<\/Code><Message>[^<]*faultline does not implement in S3<\/Message>/);

    const acl = await http(fl, 'GET', '/web-bucket?acl');
    assert.equal(acl.status, 501);
    assert.match(acl.body, /<Code>NotImplemented<\/Code>/);

    const badXml = await http(fl, 'POST', '/web-bucket?delete', { 'content-type': 'application/xml' }, '<Delete><Object>');
    assert.equal(badXml.status, 400);
    assert.match(badXml.body, /<Code>MalformedXML<\/Code>/);
  });

  it('creates regional buckets, lists with prefixes and pages, and fails as S3 does, through boto3', async () => {
    const out = await fl.python(`
import boto3, botocore, json
s3 = boto3.client('s3', region_name='us-west-2')
def code(fn):
    try:
        fn()
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
s3.create_bucket(Bucket='west-bucket', CreateBucketConfiguration={'LocationConstraint': 'us-west-2'})
keys = ['a/1.txt', 'a/2.txt', 'a/b/3.txt', 'c.txt', 'd/4.txt', 'odd key+/../ü.txt']
for k in keys:
    s3.put_object(Bucket='west-bucket', Key=k, Body=k.encode(), Metadata={'Source': 'boto3'})
pages = s3.get_paginator('list_objects_v2').paginate(Bucket='west-bucket', Delimiter='/', PaginationConfig={'PageSize': 2})
walked = [([o['Key'] for o in p.get('Contents', [])], [c['Prefix'] for c in p.get('CommonPrefixes', [])]) for p in pages]
under_a = s3.list_objects_v2(Bucket='west-bucket', Prefix='a/', Delimiter='/')
after = s3.list_objects_v2(Bucket='west-bucket', StartAfter='a/b/3.txt', MaxKeys=2)
head = s3.head_object(Bucket='west-bucket', Key='odd key+/../ü.txt')
body = s3.get_object(Bucket='west-bucket', Key='odd key+/../ü.txt')['Body'].read().decode()
print(json.dumps({
  'location': s3.get_bucket_location(Bucket='west-bucket')['LocationConstraint'],
  'all': [o['Key'] for o in s3.list_objects_v2(Bucket='west-bucket')['Contents']],
  'walked': walked,
  'underA': [[o['Key'] for o in under_a['Contents']], [c['Prefix'] for c in under_a['CommonPrefixes']]],
  'after': [[o['Key'] for o in after['Contents']], after['IsTruncated'], after['KeyCount']],
  'meta': head['Metadata'], 'len': head['ContentLength'], 'body': body,
  'notEmpty': code(lambda: s3.delete_bucket(Bucket='west-bucket')),
  'ownedByYou': code(lambda: s3.create_bucket(Bucket='west-bucket', CreateBucketConfiguration={'LocationConstraint': 'us-west-2'})),
  'noRegion': code(lambda: s3.create_bucket(Bucket='west-bucket-2')),
  'invalidName': code(lambda: s3.create_bucket(Bucket='Not_Valid', CreateBucketConfiguration={'LocationConstraint': 'us-west-2'})),
  'noKey': code(lambda: s3.get_object(Bucket='west-bucket', Key='missing')),
  'noBucket': code(lambda: s3.list_objects_v2(Bucket='missing-bucket-zz')),
  'headNoKey': code(lambda: s3.head_object(Bucket='west-bucket', Key='missing')),
  'deleted': [d['Key'] for d in s3.delete_objects(Bucket='west-bucket', Delete={'Objects': [{'Key': k} for k in keys]})['Deleted']],
  'emptyDelete': code(lambda: s3.delete_bucket(Bucket='west-bucket')),
  'gone': code(lambda: s3.head_bucket(Bucket='west-bucket')),
}))
`);
    assert.equal(out.location, 'us-west-2');
    assert.deepEqual(out.all, ['a/1.txt', 'a/2.txt', 'a/b/3.txt', 'c.txt', 'd/4.txt', 'odd key+/../ü.txt']);
    assert.deepEqual(out.walked, [
      [['c.txt'], ['a/']],
      [[], ['d/', 'odd key+/']],
    ]);
    assert.deepEqual(out.underA, [['a/1.txt', 'a/2.txt'], ['a/b/']]);
    assert.deepEqual(out.after, [['c.txt', 'd/4.txt'], true, 2]);
    assert.deepEqual(out.meta, { source: 'boto3' });
    assert.equal(out.len, Buffer.byteLength('odd key+/../ü.txt'));
    assert.equal(out.body, 'odd key+/../ü.txt');
    assert.deepEqual(out.notEmpty, ['BucketNotEmpty', 409]);
    assert.deepEqual(out.ownedByYou, ['BucketAlreadyOwnedByYou', 409]);
    assert.deepEqual(out.noRegion, ['IllegalLocationConstraintException', 400]);
    assert.deepEqual(out.invalidName, ['InvalidBucketName', 400]);
    assert.deepEqual(out.noKey, ['NoSuchKey', 404]);
    assert.deepEqual(out.noBucket, ['NoSuchBucket', 404]);
    assert.deepEqual(out.headNoKey, ['404', 404]);
    assert.equal(out.deleted.length, 6);
    assert.equal(out.emptyDelete, null);
    assert.deepEqual(out.gone, ['404', 404]);
  });

  it('works through the SDK for JavaScript v3, and keeps accounts apart', async () => {
    const s3 = new S3Client({ ...fl.sdk, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-bucket' }));
    for (const k of ['k1', 'k2', 'k3', 'k4', 'k5']) await s3.send(new PutObjectCommand({ Bucket: 'sdk-bucket', Key: k, Body: `body of ${k}`, ContentType: 'text/plain' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'k3' }));
    assert.equal(await got.Body!.transformToString(), 'body of k3');
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(got.ContentLength, 10);

    const p1 = await s3.send(new ListObjectsV2Command({ Bucket: 'sdk-bucket', MaxKeys: 2 }));
    assert.deepEqual(p1.Contents?.map((o) => o.Key), ['k1', 'k2']);
    assert.equal(p1.IsTruncated, true);
    const p2 = await s3.send(new ListObjectsV2Command({ Bucket: 'sdk-bucket', MaxKeys: 2, ContinuationToken: p1.NextContinuationToken }));
    assert.deepEqual(p2.Contents?.map((o) => o.Key), ['k3', 'k4']);
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'sdk-bucket', Marker: 'k3' }));
    assert.deepEqual(v1.Contents?.map((o) => o.Key), ['k4', 'k5']);
    assert.equal(v1.IsTruncated, false);

    await s3.send(new DeleteObjectCommand({ Bucket: 'sdk-bucket', Key: 'k3' }));
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'sdk-bucket', Key: 'k3' })), (e: Error) => e.name === 'NotFound');
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'k3' })), (e: Error) => e.name === 'NoSuchKey');

    const other = new S3Client({ ...fl.sdk, forcePathStyle: true, credentials: { accessKeyId: '111111111111', secretAccessKey: 'x' } });
    await assert.rejects(other.send(new CreateBucketCommand({ Bucket: 'sdk-bucket' })), (e: Error) => e.name === 'BucketAlreadyExists');
    await assert.rejects(other.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'k1' })), (e: Error) => e.name === 'AccessDenied');

    await assert.rejects(s3.send(new DeleteBucketCommand({ Bucket: 'sdk-bucket' })), (e: Error) => e.name === 'BucketNotEmpty');
    for (const k of ['k1', 'k2', 'k4', 'k5']) await s3.send(new DeleteObjectCommand({ Bucket: 'sdk-bucket', Key: k }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'sdk-bucket' }));
    await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: 'sdk-bucket' })), (e: Error) => e.name === 'NoSuchBucket');

    const west = new S3Client({ ...fl.sdk, region: 'eu-west-1', forcePathStyle: true });
    await west.send(new CreateBucketCommand({ Bucket: 'sdk-eu-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    assert.equal((await west.send(new GetBucketLocationCommand({ Bucket: 'sdk-eu-bucket' }))).LocationConstraint, 'eu-west-1');
    assert.equal((await west.send(new HeadBucketCommand({ Bucket: 'sdk-eu-bucket' }))).BucketRegion, 'eu-west-1');
    const mine = await s3.send(new ListBucketsCommand({}));
    assert.equal(mine.Buckets?.find((b) => b.Name === 'sdk-eu-bucket')?.BucketRegion, 'eu-west-1');
    assert.equal((await other.send(new ListBucketsCommand({}))).Buckets?.length ?? 0, 0);
  });

  it('rejects a corrupt upload without keeping a record or a file, and deletes replaced files on the clock', async () => {
    await fl.aws('s3api', 'create-bucket', '--bucket', 'blob-bucket');
    fl.advance(1); // lets earlier tests' released files go first
    const before = blobFiles(fl).length;
    const bad = await http(fl, 'PUT', '/blob-bucket/k', { ...SIGNED, 'content-md5': createHash('md5').update('other').digest('base64') }, 'payload');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /<Code>BadDigest<\/Code>/);
    assert.equal(blobFiles(fl).length, before);
    assert.equal((await http(fl, 'GET', '/blob-bucket/k', SIGNED)).status, 404);

    assert.equal((await http(fl, 'PUT', '/blob-bucket/k', SIGNED, 'first')).status, 200);
    assert.equal((await http(fl, 'PUT', '/blob-bucket/k', SIGNED, 'second')).status, 200);
    assert.equal(blobFiles(fl).length, before + 2);
    fl.advance(1);
    assert.equal(blobFiles(fl).length, before + 1);
    assert.equal((await http(fl, 'GET', '/blob-bucket/k', SIGNED)).body, 'second');
  });

  it('accepts aws-chunked uploads with a trailing checksum', async () => {
    const data = 'chunked payload';
    const body = `a;chunk-signature=x\r\n${data.slice(0, 10)}\r\n5\r\n${data.slice(10)}\r\n0\r\nx-amz-checksum-sha256:${createHash('sha256').update(data).digest('base64')}\r\n\r\n`;
    const put = await http(fl, 'PUT', '/blob-bucket/chunked', {
      ...SIGNED,
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
      'x-amz-trailer': 'x-amz-checksum-sha256',
    }, body);
    assert.equal(put.status, 200, put.body);
    const got = await http(fl, 'GET', '/blob-bucket/chunked', { ...SIGNED, 'x-amz-checksum-mode': 'ENABLED' });
    assert.equal(got.body, data);
    assert.equal(got.headers['x-amz-checksum-sha256'], createHash('sha256').update(data).digest('base64'));
    assert.equal(got.headers['content-encoding'], undefined);
  });

  it('reads objects by their S3 URLs for other services', async () => {
    await fl.aws('s3api', 'put-object', '--bucket', 'web-bucket', '--key', 'templates/stack.json', '--body', join(fl.dataDir, 'index.html'));
    const env = fl.app.env;
    const owner = { account: '000000000000', arn: 'arn:aws:iam::000000000000:root', userId: '000000000000', accessKeyId: 'test' };
    for (const url of [
      'https://s3.amazonaws.com/web-bucket/templates/stack.json',
      'https://web-bucket.s3.amazonaws.com/templates/stack.json',
      'https://s3.us-east-1.amazonaws.com/web-bucket/templates/stack.json',
      'https://web-bucket.s3.us-west-2.amazonaws.com/templates/stack.json',
      `${fl.url}/web-bucket/templates/stack.json`,
    ]) {
      assert.equal(readObjectByUrl(env, url, owner).toString(), '<h1>hi</h1>', url);
    }
    assert.deepEqual(parseObjectUrl('https://b.s3-eu-west-1.amazonaws.com/a/b%20c'), { bucket: 'b', key: 'a/b c' });
    assert.throws(() => readObjectByUrl(env, 'https://web-bucket.s3.amazonaws.com/missing', owner), { code: 'NoSuchKey' });
    const other = { account: '111111111111', arn: 'arn:aws:iam::111111111111:root', userId: '111111111111', accessKeyId: '111111111111' };
    assert.throws(() => readObjectByUrl(env, 'https://s3.amazonaws.com/web-bucket/templates/stack.json', other), { code: 'AccessDenied' });
  });
});
