/**
 * Requests for services that faultline does not serve. Each gets an error in that service's own
 * protocol, which the AWS CLI prints as it prints AWS's errors, naming the service and saying
 * that faultline does not offer it; none is answered by S3 or by a Query service that happens to
 * know the action. Requests for S3 itself, signed or not, still reach S3.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const auth = (service: string) => `AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;
const OFFERED = 'it serves EC2, IAM, STS, S3, CloudWatch, SNS, Auto Scaling, CloudFormation, fis, Elastic Load Balancing, Elastic Load Balancing v2, Route 53, RDS, SSM, ECR and KMS';

describe('services faultline does not serve', () => {
  let fl: Faultline;
  let fingerprint: () => string;

  before(async () => {
    fl = await startFaultline();
    fingerprint = () => JSON.stringify(fl.app.env.store.sql.prepare('SELECT coll, scope, id, doc FROM docs ORDER BY coll, scope, id').all());
  });
  after(() => fl.close());

  // One of each protocol: rest-json (Lambda), JSON 1.0 and 1.1 (DynamoDB, SQS, Secrets Manager, EventBridge, Logs),
  // Query (ElastiCache) and REST-XML (CloudFront).
  const cli: { args: string[]; operation: string; code: string; service: string }[] = [
    { args: ['lambda', 'list-functions'], operation: 'ListFunctions', code: 'UnknownOperationException', service: 'AWS Lambda (lambda)' },
    { args: ['dynamodb', 'list-tables'], operation: 'ListTables', code: 'UnknownOperationException', service: 'Amazon DynamoDB (dynamodb)' },
    { args: ['sqs', 'list-queues'], operation: 'ListQueues', code: 'UnknownOperationException', service: 'Amazon Simple Queue Service (sqs)' },
    { args: ['secretsmanager', 'list-secrets'], operation: 'ListSecrets', code: 'UnknownOperationException', service: 'AWS Secrets Manager (secretsmanager)' },
    { args: ['events', 'list-rules'], operation: 'ListRules', code: 'UnknownOperationException', service: 'Amazon EventBridge (events)' },
    { args: ['logs', 'describe-log-groups'], operation: 'DescribeLogGroups', code: 'UnknownOperationException', service: 'Amazon CloudWatch Logs (logs)' },
    { args: ['elasticache', 'describe-cache-clusters'], operation: 'DescribeCacheClusters', code: 'InvalidAction', service: 'Amazon ElastiCache (elasticache)' },
    { args: ['cloudfront', 'list-distributions'], operation: 'ListDistributions', code: 'UnknownOperationException', service: 'Amazon CloudFront (cloudfront)' },
  ];

  it('the AWS CLI prints an error naming the service and saying faultline does not offer it, while S3 still answers S3 requests', async () => {
    await fl.aws('s3api', 'create-bucket', '--bucket', 'still-s3');
    const before = fingerprint();
    const [s3, ...results] = await Promise.all([fl.awsRaw('s3api', 'list-buckets'), ...cli.map((c) => fl.awsRaw(...c.args))]);
    cli.forEach((c, i) => {
      const r = results[i];
      assert.notEqual(r.code, 0, r.stdout);
      assert.equal(r.stderr.trim(), `An error occurred (${c.code}) when calling the ${c.operation} operation: faultline does not offer ${c.service}; ${OFFERED}.`);
    });
    assert.deepEqual(JSON.parse(s3.stdout).Buckets.map((b: { Name: string }) => b.Name), ['still-s3']);
    // An unsigned request is S3's: only S3's REST-XML protocol answers with a host id and an <Error> document.
    const unsigned = await fetch(fl.url + '/no-such-bucket-at-all/key');
    assert.ok(unsigned.headers.get('x-amz-id-2'));
    assert.match(await unsigned.text(), /<Error><Code>(NoSuchBucket|AccessDenied)<\/Code>/);
    assert.equal(fingerprint(), before);
  });

  it('answers in the protocol the request is in, with a 400 (SDKs retry 5xx)', async () => {
    const json = await fetch(fl.url + '/', { method: 'POST', headers: { authorization: auth('dynamodb'), 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.CreateTable' }, body: '{}' });
    assert.equal(json.status, 400);
    assert.equal(json.headers.get('content-type'), 'application/x-amz-json-1.0');
    assert.equal((await json.json()).__type, 'UnknownOperationException');

    const restJson = await fetch(fl.url + '/2015-03-31/functions/f/invocations', { method: 'POST', headers: { authorization: auth('lambda') }, body: '{}' });
    assert.equal(restJson.status, 400);
    assert.equal(restJson.headers.get('x-amzn-errortype'), 'UnknownOperationException');
    assert.match((await restJson.json()).message, /faultline does not offer AWS Lambda/);

    const q = await fetch(fl.url + '/', { method: 'POST', headers: { authorization: auth('elasticache'), 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId=c' });
    assert.equal(q.status, 400);
    assert.match(await q.text(), /<ErrorResponse><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>faultline does not offer Amazon ElastiCache \(elasticache\)/);

    // Smithy RPCv2 CBOR: a map of two text strings, __type and message.
    const cbor = await fetch(fl.url + '/service/Foo/operation/Bar', { method: 'POST', headers: { authorization: auth('arc-region-switch'), 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' }, body: new Uint8Array([0xa0]) });
    assert.equal(cbor.status, 400);
    assert.equal(cbor.headers.get('smithy-protocol'), 'rpc-v2-cbor');
    const bytes = Buffer.from(await cbor.arrayBuffer());
    assert.equal(bytes[0], 0xa2);
    assert.deepEqual(bytes.subarray(1, 8), Buffer.from([0x66, ...Buffer.from('__type')]));
    assert.ok(bytes.includes(Buffer.from('UnknownOperationException')) && bytes.includes(Buffer.from('faultline does not offer')));

    // A signing name no AWS service has still gets a clear answer, not S3's.
    const unknown = await fetch(fl.url + '/', { method: 'GET', headers: { authorization: auth('nosuchservice') } });
    assert.equal(unknown.status, 400);
    assert.match((await unknown.json()).message, /faultline does not offer nosuchservice/);
  });

  it('an unsigned request naming an unserved service by its X-Amz-Target is refused the same way', async () => {
    const r = await fetch(fl.url + '/', { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.ListSecrets' }, body: '{}' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('content-type'), 'application/x-amz-json-1.1');
    assert.match((await r.json()).message, /faultline does not offer AWS Secrets Manager \(secretsmanager\)/);
  });
});
