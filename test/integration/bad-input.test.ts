/**
 * Malformed and hostile requests across the protocols. Each must get AWS's error code and HTTP
 * status, the server must stay up, and the state must be exactly as it was.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const scopeHeader = (service: string, region = 'us-east-1') =>
  `AWS4-HMAC-SHA256 Credential=test/20261124/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

describe('bad input', () => {
  let fl: Faultline;
  let vpcId: string;
  let fingerprint: () => string;

  before(async () => {
    fl = await startFaultline();
    const vpc = await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16');
    vpcId = vpc.Vpc.VpcId;
    await fl.aws('ec2', 'create-tags', '--resources', vpcId, '--tags', 'Key=Name,Value=main');
    // Every record in the store, so a test can prove a refused request changed nothing.
    fingerprint = () =>
      JSON.stringify(
        (fl.app.env.store.sql.prepare('SELECT coll, scope, id, doc FROM docs ORDER BY coll, scope, id').all() as unknown[]),
      );
  });
  after(() => fl.close());

  async function send(opts: { service: string; body?: string | Buffer; method?: string; path?: string; headers?: Record<string, string> }) {
    const res = await fetch(fl.url + (opts.path ?? '/'), {
      method: opts.method ?? 'POST',
      headers: { authorization: scopeHeader(opts.service), 'content-type': 'application/x-www-form-urlencoded', ...opts.headers },
      body: typeof opts.body === 'string' || opts.body === undefined ? opts.body : new Uint8Array(opts.body),
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  const ec2 = (body: string) => send({ service: 'ec2', body: body + '&Version=2016-11-15' });
  const iam = (body: string) => send({ service: 'iam', body: body + '&Version=2010-05-08' });
  const sts = (body: string) => send({ service: 'sts', body: body + '&Version=2011-06-15' });
  const cw = (target: string, body: string) =>
    send({ service: 'monitoring', body, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `GraniteServiceVersion20100801.${target}` } });
  const s3 = (method: string, path: string, body?: string) => send({ service: 's3', method, path, body, headers: { 'content-type': 'application/xml' } });
  // XML protocols carry <Code>; the JSON protocol carries the query-compatible code in a header.
  const code = (text: string, headers?: Headers) =>
    /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? headers?.get('x-amzn-query-error')?.split(';')[0] ?? (JSON.parse(text || '{}').__type as string | undefined)?.split('#').pop();

  const cases: { name: string; run: () => Promise<{ status: number; text: string; headers: Headers }>; status: number; code: string }[] = [
    { name: 'EC2 unknown action', run: () => ec2('Action=LaunchRockets'), status: 400, code: 'InvalidAction' },
    { name: 'EC2 no action', run: () => ec2('Foo=bar'), status: 400, code: 'MissingAction' },
    { name: 'EC2 integer that is not a number', run: () => ec2('Action=DescribeVpcs&MaxResults=abc'), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 integer beyond 64 bits', run: () => ec2('Action=DescribeVpcs&MaxResults=99999999999999999999999'), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 boolean that is not a boolean', run: () => ec2('Action=DescribeVpcs&DryRun=perhaps'), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 MaxResults out of range', run: () => ec2('Action=DescribeVpcs&MaxResults=1'), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 forged NextToken', run: () => ec2('Action=DescribeVpcs&MaxResults=5&NextToken=%21%21'), status: 400, code: 'InvalidNextToken' },
    { name: 'EC2 unknown filter', run: () => ec2('Action=DescribeVpcs&Filter.1.Name=colour&Filter.1.Value.1=red'), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 missing required parameter', run: () => ec2('Action=CreateTags&Tag.1.Key=a&Tag.1.Value=b'), status: 400, code: 'MissingParameter' },
    { name: 'EC2 tag on an id that does not exist', run: () => ec2('Action=CreateTags&ResourceId.1=vpc-00000000000000000&Tag.1.Key=a&Tag.1.Value=b'), status: 400, code: 'InvalidID' },
    { name: 'EC2 tag batch with one bad id tags nothing', run: () => ec2(`Action=CreateTags&ResourceId.1=${vpcId}&ResourceId.2=nonsense-1&Tag.1.Key=a&Tag.1.Value=b`), status: 400, code: 'InvalidID' },
    { name: 'EC2 tag key over 127 characters', run: () => ec2(`Action=CreateTags&ResourceId.1=${vpcId}&Tag.1.Key=${'k'.repeat(200)}&Tag.1.Value=b`), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 reserved aws: tag key', run: () => ec2(`Action=CreateTags&ResourceId.1=${vpcId}&Tag.1.Key=aws:x&Tag.1.Value=b`), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 unknown region name', run: () => ec2('Action=DescribeRegions&RegionName.1=mars-1'), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 region faultline does not offer', run: () => send({ service: 'ec2', body: 'Action=DescribeVpcs', headers: { authorization: scopeHeader('ec2', 'ap-south-9') } }), status: 401, code: 'AuthFailure' },
    { name: 'EC2 scalar where a list is expected', run: () => ec2('Action=DescribeVpcs&VpcId=vpc-1'), status: 400, code: 'InvalidParameterValue' },
    { name: 'EC2 parameter the action does not know', run: () => ec2('Action=DescribeVpcs&Colour=red'), status: 400, code: 'UnknownParameter' },
    { name: 'EC2 body with a JSON content type', run: () => send({ service: 'ec2', body: '{"Action":"DescribeVpcs"}', headers: { 'content-type': 'application/json' } }), status: 415, code: 'UnsupportedMediaType' },
    { name: 'EC2 body that is not UTF-8', run: () => send({ service: 'ec2', body: Buffer.from([0x41, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x3d, 0xff, 0xfe]) }), status: 400, code: 'MalformedQueryString' },
    { name: 'EC2 oversized request', run: () => ec2('Action=DescribeVpcs&Junk=' + 'x'.repeat(11 * 1024 * 1024)), status: 413, code: 'RequestEntityTooLarge' },
    { name: 'IAM unknown action', run: () => iam('Action=MakeMeAdmin'), status: 400, code: 'InvalidAction' },
    { name: 'IAM missing required parameter', run: () => iam('Action=CreateRole&AssumeRolePolicyDocument=%7B%7D'), status: 400, code: 'ValidationError' },
    { name: 'IAM role name over 64 characters', run: () => iam(`Action=GetRole&RoleName=${'r'.repeat(65)}`), status: 400, code: 'ValidationError' },
    { name: 'IAM role that does not exist', run: () => iam('Action=GetRole&RoleName=nobody'), status: 404, code: 'NoSuchEntity' },
    { name: 'IAM policy document that is not JSON', run: () => iam('Action=CreateRole&RoleName=r1&AssumeRolePolicyDocument=%7Bnot-json'), status: 400, code: 'MalformedPolicyDocument' },
    { name: 'STS session duration out of range', run: () => sts('Action=AssumeRole&RoleArn=arn:aws:iam::000000000000:role/x&RoleSessionName=s&DurationSeconds=5'), status: 400, code: 'ValidationError' },
    { name: 'CloudWatch body that is not JSON', run: () => cw('DescribeAlarms', '{"AlarmNames": ['), status: 400, code: 'SerializationException' },
    { name: 'CloudWatch unknown target', run: () => cw('LaunchRockets', '{}'), status: 400, code: 'UnknownOperationException' },
    { name: 'CloudWatch string where a number is expected', run: () => cw('DescribeAlarms', '{"MaxRecords": "ten"}'), status: 400, code: 'SerializationException' },
    { name: 'CloudWatch NaN metric value', run: () => cw('PutMetricData', '{"Namespace":"App","MetricData":[{"MetricName":"m","Value":"NaN"}]}'), status: 400, code: 'InvalidParameterValue' },
    { name: 'CloudWatch alarm period that is not allowed', run: () => cw('PutMetricAlarm', '{"AlarmName":"a","Namespace":"App","MetricName":"m","Statistic":"Average","Period":45,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold"}'), status: 400, code: 'ValidationError' },
    { name: 'S3 bucket name with capitals', run: () => s3('PUT', '/Bad_Bucket'), status: 400, code: 'InvalidBucketName' },
    { name: 'S3 object in a bucket that does not exist', run: () => s3('GET', '/no-such-bucket-here/key'), status: 404, code: 'NoSuchBucket' },
    { name: 'S3 method it does not serve', run: () => s3('PATCH', '/some-bucket'), status: 405, code: 'MethodNotAllowed' },
    { name: 'S3 malformed XML create configuration', run: () => s3('PUT', '/good-bucket-name', '<CreateBucketConfiguration><LocationConstraint>'), status: 400, code: 'MalformedXML' },
    { name: 'CloudWatch null in a list of metrics', run: () => cw('PutMetricData', '{"Namespace":"App","MetricData":[null]}'), status: 400, code: 'SerializationException' },
    { name: 'CloudWatch null in a list of dimensions', run: () => cw('PutMetricData', '{"Namespace":"App","MetricData":[{"MetricName":"m","Value":1,"Dimensions":[null]}]}'), status: 400, code: 'SerializationException' },
    { name: 'CloudWatch null in a list of alarm names', run: () => cw('DeleteAlarms', '{"AlarmNames":[null]}'), status: 400, code: 'SerializationException' },
    { name: 'S3 XML nested more than 100 levels', run: () => s3('PUT', '/deep-bucket', `<CreateBucketConfiguration>${'<a>'.repeat(150)}${'</a>'.repeat(150)}</CreateBucketConfiguration>`), status: 400, code: 'MalformedXML' },
    { name: 'S3 XML with an external entity', run: () => s3('PUT', '/xxe-bucket', '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CreateBucketConfiguration><LocationConstraint>&xxe;</LocationConstraint></CreateBucketConfiguration>'), status: 400, code: 'MalformedXML' },
    { name: 'S3 XML with an internal entity', run: () => s3('PUT', '/dtd-bucket', '<!DOCTYPE c [<!ENTITY r "us-west-2">]><CreateBucketConfiguration><LocationConstraint>&r;</LocationConstraint></CreateBucketConfiguration>'), status: 400, code: 'MalformedXML' },
    { name: 'S3 XML element named __proto__', run: () => s3('POST', '/some-bucket?delete', '<Delete><__proto__><Key>k</Key></__proto__></Delete>'), status: 400, code: 'MalformedXML' },
    { name: 'S3 path that starts with //', run: () => s3('GET', '//some-bucket/key'), status: 400, code: 'InvalidURI' },
    { name: 'S3 path that is //', run: () => s3('GET', '//'), status: 400, code: 'InvalidURI' },
    { name: 'EC2 broken percent-encoding', run: () => ec2('Action=DescribeVpcs&Filter.1.Name=%ZZ&Filter.1.Value.1=%'), status: 400, code: 'InvalidParameterValue' },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}, state unchanged`, async () => {
      const before = fingerprint();
      const r = await c.run();
      assert.equal(r.status, c.status, r.text);
      assert.equal(code(r.text, r.headers), c.code, r.text);
      if (r.text.startsWith('<')) assert.match(r.text, /<RequestI[dD]>[0-9a-zA-Z-]+<\/RequestI[dD]>/);
      assert.equal(fingerprint(), before);
    });
  }

  it('the control API refuses a negative clock step and a body that is not JSON', async () => {
    const neg = await fetch(fl.url + '/_faultline/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"seconds": -5}' });
    assert.equal(neg.status, 400);
    const junk = await fetch(fl.url + '/_faultline/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'seconds=5' });
    assert.equal(junk.status, 400);
    const unknown = await fetch(fl.url + '/_faultline/nothing');
    assert.equal(unknown.status, 404);
  });

  it('the AWS CLI sees AWS error codes, and the server still answers afterwards', async () => {
    const r = await fl.awsRaw('ec2', 'describe-vpcs', '--filters', 'Name=colour,Values=red');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /InvalidParameterValue/);
    const vpcs = await fl.aws('ec2', 'describe-vpcs', '--vpc-ids', vpcId);
    assert.deepEqual(vpcs.Vpcs[0].Tags, [{ Key: 'Name', Value: 'main' }]);
  });
});
