/**
 * Names that every JavaScript object answers to (`toString`, `constructor`, `__proto__`, ...)
 * sent where a request names something: the signature's region, the operation, parameters and
 * members, map keys, template names. Each is unknown to AWS like any other unknown name, so it
 * gets AWS's error, or is kept as the plain string it is, and creates nothing it should not.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

const auth = (service: string, region = 'us-east-1') =>
  `AWS4-HMAC-SHA256 Credential=test/20261130/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

const TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
const POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';

describe('prototype names in requests', () => {
  let fl: Faultline;
  let vpcId: string;
  let fingerprint: () => string;

  before(async () => {
    fl = await startFaultline();
    vpcId = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    await fl.aws('iam', 'create-role', '--role-name', 'names', '--assume-role-policy-document', TRUST);
    await fl.aws('s3api', 'create-bucket', '--bucket', 'names');
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'names', '--template-body', JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }));
    fl.advance(60);
    fingerprint = () => JSON.stringify(fl.app.env.store.sql.prepare('SELECT coll, scope, id, doc FROM docs ORDER BY coll, scope, id').all());
  });
  after(() => fl.close());

  async function send(o: { service: string; region?: string; method?: string; path?: string; body?: string; headers?: Record<string, string> }) {
    const res = await fetch(fl.url + (o.path ?? '/'), {
      method: o.method ?? 'POST',
      headers: { authorization: auth(o.service, o.region), 'content-type': 'application/x-www-form-urlencoded', ...o.headers },
      body: o.body,
    });
    const text = await res.text();
    // The XML protocols carry <Code>; CloudWatch's JSON carries its Query code in a header.
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? res.headers.get('x-amzn-query-error')?.split(';')[0] ?? (text.startsWith('{') ? JSON.parse(text).__type : undefined);
    return { status: res.status, text, code, headers: res.headers };
  }
  const ec2 = (body: string, region?: string) => send({ service: 'ec2', region, body: `${body}&Version=2016-11-15` });
  const query = (service: string, version: string, body: string, region?: string) => send({ service, region, body: `${body}&Version=${version}` });
  const cw = (target: string, doc: unknown, region?: string) =>
    send({ service: 'monitoring', region, body: JSON.stringify(doc), headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `GraniteServiceVersion20100801.${target}` } });
  const template = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));

  for (const name of NAMES) {
    it(`${name} as the signature's region is refused in every protocol and creates no region`, async () => {
      const before = fingerprint();
      const results = [
        await ec2('Action=CreateVpc&CidrBlock=10.9.0.0/16', name),
        await query('sns', '2010-03-31', 'Action=CreateTopic&Name=regional', name),
        await query('autoscaling', '2011-01-01', 'Action=DescribeAutoScalingGroups', name),
        await cw('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'm', Value: 1 }] }, name),
      ];
      for (const r of results) {
        assert.equal(r.status, 401, r.text);
        assert.equal(r.code, 'AuthFailure', r.text);
        assert.match(r.text, new RegExp(`region ${name} is not offered`));
      }
      assert.equal(fingerprint(), before);
      const scopes = fl.app.env.store.sql.prepare('SELECT DISTINCT scope FROM docs').all() as { scope: string }[];
      assert.ok(!scopes.some((s) => s.scope.includes(name)), JSON.stringify(scopes));
    });

    it(`${name} as the operation is an unknown action in every protocol`, async () => {
      const before = fingerprint();
      const ec2Action = await ec2(`Action=${name}`);
      assert.deepEqual([ec2Action.status, ec2Action.code], [400, 'InvalidAction'], ec2Action.text);
      for (const [service, version] of [['iam', '2010-05-08'], ['sns', '2010-03-31'], ['autoscaling', '2011-01-01'], ['cloudformation', '2010-05-15'], ['monitoring', '2010-08-01']]) {
        const r = await query(service, version, `Action=${name}`);
        assert.deepEqual([r.status, r.code], [400, 'InvalidAction'], `${service}: ${r.text}`);
      }
      const json = await cw(name, {});
      assert.equal(json.status, 400, json.text);
      assert.equal(JSON.parse(json.text).__type, 'UnknownOperationException');
      // An unsigned Query request is routed by its Action: a prototype name matches no service's action.
      const unsigned = await fetch(fl.url + '/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `Action=${name}` });
      assert.ok(unsigned.status < 500, await unsigned.text());
      assert.equal(fingerprint(), before);
    });

    it(`${name} as a parameter or member name: unknown where AWS refuses it, kept as a plain string where AWS keeps it`, async () => {
      const before = fingerprint();
      // ec2Query: unknown parameters and filters, an unknown protocol.
      const param = await ec2(`Action=DescribeVpcs&${name}=1`);
      assert.deepEqual([param.status, param.code], [400, 'UnknownParameter'], param.text);
      const filter = await ec2(`Action=DescribeVpcs&Filter.1.Name=${name}&Filter.1.Value.1=x`);
      assert.deepEqual([filter.status, filter.code], [400, 'InvalidParameterValue'], filter.text);
      const protocol = await ec2(`Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=${name}&IpPermissions.1.FromPort=1&IpPermissions.1.ToPort=2&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8`);
      assert.deepEqual([protocol.status, protocol.code], [400, 'InvalidParameterValue'], protocol.text);
      // awsQuery: an inline policy nobody put, an unknown SNS attribute, unknown template names.
      const policy = await query('iam', '2010-05-08', `Action=GetRolePolicy&RoleName=names&PolicyName=${name}`);
      assert.deepEqual([policy.status, policy.code], [404, 'NoSuchEntity'], policy.text);
      const attribute = await query('sns', '2010-03-31', `Action=CreateTopic&Name=names&Attributes.entry.1.key=${name}&Attributes.entry.1.value=x`);
      assert.deepEqual([attribute.status, attribute.code], [400, 'InvalidParameter'], attribute.text);
      const resources = { Topic: { Type: 'AWS::SNS::Topic' } };
      const cfnCases = [
        `Action=ValidateTemplate&TemplateBody=${template({ Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { Ref: name } } } } })}`,
        `Action=ValidateTemplate&TemplateBody=${template({ Resources: resources, Outputs: { Out: { Value: { 'Fn::GetAtt': [name, 'TopicName'] } } } })}`,
        `Action=ValidateTemplate&TemplateBody=${template({ Resources: { Topic: { Type: 'AWS::SNS::Topic', Condition: name } } })}`,
        `Action=CreateStack&StackName=names-2&TemplateBody=${template({ Resources: resources })}&Parameters.member.1.ParameterKey=${name}&Parameters.member.1.ParameterValue=x`,
        `Action=DescribeStackResource&StackName=names&LogicalResourceId=${name}`,
        `Action=SignalResource&StackName=names&LogicalResourceId=${name}&UniqueId=u&Status=SUCCESS`,
      ];
      for (const body of cfnCases) {
        const r = await query('cloudformation', '2010-05-15', body);
        assert.deepEqual([r.status, r.code], [400, 'ValidationError'], r.text);
      }
      // JSON: unknown members are ignored, as AWS's JSON front ends ignore them.
      const member = await cw('DescribeAlarms', { [name]: 1, AlarmNames: [name] });
      assert.equal(member.status, 200, member.text);
      assert.deepEqual(JSON.parse(member.text).MetricAlarms, []);
      // REST-XML: an element named like this is not in S3's schema.
      const xml = await send({ service: 's3', method: 'PUT', path: `/names-${name.toLowerCase().replace(/_/g, 'x')}`, body: `<CreateBucketConfiguration><${name}>x</${name}></CreateBucketConfiguration>` });
      if (name === '__proto__' || name === 'constructor') assert.deepEqual([xml.status, xml.code], [400, 'MalformedXML'], xml.text);
      else {
        // Other unknown elements are ignored, as faultline ignores any element it does not know.
        assert.equal(xml.status, 200, xml.text);
        await send({ service: 's3', method: 'DELETE', path: `/names-${name.toLowerCase()}` });
      }
      assert.equal(fingerprint(), before);
    });
  }

  it('keys that AWS stores (tags, policy names, dimensions, object metadata) keep every one of these names, __proto__ included', async () => {
    for (const name of NAMES) {
      const tag = await ec2(`Action=CreateTags&ResourceId.1=${vpcId}&Tag.1.Key=${name}&Tag.1.Value=v-${name}`);
      assert.equal(tag.status, 200, tag.text);
      const tags = await ec2(`Action=DescribeTags&Filter.1.Name=key&Filter.1.Value.1=${name}`);
      assert.match(tags.text, new RegExp(`<key>${name}</key><resourceId>${vpcId}</resourceId><resourceType>vpc</resourceType><value>v-${name}</value>`));

      const put = await query('iam', '2010-05-08', `Action=PutRolePolicy&RoleName=names&PolicyName=${name}&PolicyDocument=${encodeURIComponent(POLICY)}`);
      assert.equal(put.status, 200, put.text);
      const got = await query('iam', '2010-05-08', `Action=GetRolePolicy&RoleName=names&PolicyName=${name}`);
      assert.equal(decodeURIComponent(/<PolicyDocument>([^<]*)</.exec(got.text)![1]), POLICY);
      const listed = await query('iam', '2010-05-08', 'Action=ListRolePolicies&RoleName=names');
      assert.match(listed.text, new RegExp(`<member>${name}</member>`));

      const metric = await cw('PutMetricData', { Namespace: 'Names', MetricData: [{ MetricName: name, Value: 1, Dimensions: [{ Name: name, Value: name }] }] });
      assert.equal(metric.status, 200, metric.text);
      const metrics = JSON.parse((await cw('ListMetrics', { Namespace: 'Names', MetricName: name })).text).Metrics;
      assert.deepEqual(metrics, [{ Namespace: 'Names', MetricName: name, Dimensions: [{ Name: name, Value: name }] }]);

      const upload = await send({ service: 's3', method: 'PUT', path: `/names/${name}`, body: 'x', headers: { [`x-amz-meta-${name.toLowerCase()}`]: 'meta', 'content-type': 'text/plain' } });
      assert.equal(upload.status, 200, upload.text);
      const head = await send({ service: 's3', method: 'HEAD', path: `/names/${name}` });
      assert.equal(head.headers.get(`x-amz-meta-${name.toLowerCase()}`), 'meta');
    }
  });
});
