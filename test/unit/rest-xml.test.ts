import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { models } from '../../src/models/index.ts';
import { matchRoute } from '../../src/protocols/rest-route.ts';
import { decodeAwsChunked } from '../../src/protocols/aws-chunked.ts';
import { RestXmlProtocol } from '../../src/protocols/rest-xml.ts';
import type { WireRequest } from '../../src/protocols/protocol.ts';

const none = new Set<string>(['acl', 'delete', 'location', 'list-type', 'versionId', 'uploads']);
const route = (method: string, target: string) => {
  const [path, query = ''] = target.split('?');
  return matchRoute(models.s3, method, path, new URLSearchParams(query), none);
};

const wire = (method: string, target: string, headers: Record<string, string> = {}, body = ''): WireRequest => {
  const [path, query = ''] = target.split('?');
  return { method, path: decodeURIComponent(path), rawPath: path, query: new URLSearchParams(query), headers, body: Buffer.from(body) };
};

describe('REST-XML routing', () => {
  it('picks the operation whose template names the most of the query', () => {
    assert.deepEqual(route('GET', '/b'), { operation: 'ListObjects', labels: { Bucket: 'b' } });
    assert.deepEqual(route('GET', '/b/'), { operation: 'ListObjects', labels: { Bucket: 'b' } });
    assert.deepEqual(route('GET', '/b?list-type=2&prefix=x'), { operation: 'ListObjectsV2', labels: { Bucket: 'b' } });
    assert.deepEqual(route('GET', '/b?location'), { operation: 'GetBucketLocation', labels: { Bucket: 'b' } });
    assert.deepEqual(route('POST', '/b?delete'), { operation: 'DeleteObjects', labels: { Bucket: 'b' } });
    assert.deepEqual(route('GET', '/'), { operation: 'ListBuckets', labels: {} });
  });

  it('binds a greedy key label, decoded, and takes query members that are sub-resource names', () => {
    assert.deepEqual(route('GET', '/b/a/%2E%2E/c%20d'), { operation: 'GetObject', labels: { Bucket: 'b', Key: 'a/../c d' } });
    assert.deepEqual(route('DELETE', '/b/k?versionId=v1'), { operation: 'DeleteObject', labels: { Bucket: 'b', Key: 'k' } });
  });

  it('tells an unserved sub-resource from a method the resource does not allow', () => {
    assert.deepEqual(route('GET', '/b?acl'), { kind: 'unsupported' });
    assert.deepEqual(route('POST', '/b/k'), { kind: 'method' });
    assert.deepEqual(route('POST', '/b/k?uploads'), { kind: 'unsupported' });
  });
});

describe('REST-XML parsing and writing', () => {
  const proto = new RestXmlProtocol({ xmlNamespace: 'urn:s3', bareErrors: true, rootElements: { ListObjectsV2Output: 'ListBucketResult' } });

  it('binds headers, prefixed metadata and a raw payload', () => {
    const p = proto.parse(wire('PUT', '/b/k', { 'content-type': 'text/plain', 'x-amz-meta-color': 'red', 'content-length': '2' }, 'hi'), models.s3);
    assert.equal(p.operation, 'PutObject');
    assert.equal(p.input.ContentType, 'text/plain');
    assert.deepEqual(p.input.Metadata, { color: 'red' });
    assert.equal((p.input.Body as Buffer).toString(), 'hi');
  });

  it('unwraps aws-chunked bodies and checks their decoded length', () => {
    const chunked = { 'content-encoding': 'aws-chunked,gzip', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '5' };
    const p = proto.parse(wire('PUT', '/b/k', chunked, '5\r\nhello\r\n0\r\n\r\n'), models.s3);
    assert.equal((p.input.Body as Buffer).toString(), 'hello');
    assert.equal(p.input.ContentEncoding, 'gzip');
    assert.throws(() => proto.parse(wire('PUT', '/b/k', { ...chunked, 'x-amz-decoded-content-length': '6' }, '5\r\nhello\r\n0\r\n\r\n'), models.s3), { code: 'IncompleteBody' });
  });

  it('reads an XML payload with a flattened list', () => {
    const xml = '<Delete xmlns="urn:s3"><Object><Key>a &amp; b</Key></Object><Object><Key>c</Key></Object><Quiet>true</Quiet></Delete>';
    const p = proto.parse(wire('POST', '/b?delete', {}, xml), models.s3);
    assert.deepEqual(p.input.Delete, { Objects: [{ Key: 'a & b' }, { Key: 'c' }], Quiet: true });
  });

  it('writes flattened lists under the named root, and headers', () => {
    const out = proto.serialize(models.s3, 'ListObjectsV2', { Name: 'b', KeyCount: 1, Contents: [{ Key: 'k<', Size: 3 }], CommonPrefixes: [{ Prefix: 'p/' }] }, 'rid', wire('GET', '/b?list-type=2'));
    assert.equal(out.status, 200);
    assert.match(String(out.body), /<ListBucketResult xmlns="urn:s3"><CommonPrefixes><Prefix>p\/<\/Prefix><\/CommonPrefixes><Contents><Key>k&lt;<\/Key><Size>3<\/Size><\/Contents><KeyCount>1<\/KeyCount><Name>b<\/Name><\/ListBucketResult>/);
    const head = proto.serialize(models.s3, 'HeadObject', { ContentLength: 5, LastModified: '2024-01-02T03:04:05.000Z', Metadata: { a: 'b' } }, 'rid', wire('HEAD', '/b/k'));
    assert.equal(head.headers['last-modified'], 'Tue, 02 Jan 2024 03:04:05 GMT');
    assert.equal(head.headers['x-amz-meta-a'], 'b');
    assert.equal(head.body, '');
  });
});

describe('aws-chunked', () => {
  it('joins chunks and returns the trailers', () => {
    const raw = Buffer.from('3;chunk-signature=abc\r\nfoo\r\n2\r\nba\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n');
    const out = decodeAwsChunked(raw);
    assert.equal(out.body.toString(), 'fooba');
    assert.deepEqual(out.trailers, { 'x-amz-checksum-crc32': 'AAAA' });
  });

  it('refuses a chunk shorter than its size', () => {
    assert.throws(() => decodeAwsChunked(Buffer.from('9\r\nfoo\r\n0\r\n\r\n')), { code: 'IncompleteBody' });
  });
});
