/**
 * CloudFormation's AWS::S3::BucketPolicy and AWS::SNS::TopicPolicy, driven with boto3 on the
 * manual clock: the policies a stack puts take effect (an anonymous GET of an object), change
 * with an update, and go with the stack (the topic's default policy comes back); a policy on a
 * bucket or topic that does not exist, or a malformed one, fails and rolls the stack back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const BUCKET = 'cfn-policies-site';

/** A bucket and a topic (both kept when the stack goes), with a policy on each. */
function template(bucketPolicy: unknown, topicPolicy: unknown) {
  return JSON.stringify({
    Resources: {
      // A public bucket policy needs Block Public Access off, as on S3 since April 2023.
      Site: {
        Type: 'AWS::S3::Bucket',
        DeletionPolicy: 'Retain',
        Properties: {
          BucketName: BUCKET,
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false },
        },
      },
      SitePolicy: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'Site' }, PolicyDocument: bucketPolicy } },
      Alerts: { Type: 'AWS::SNS::Topic', DeletionPolicy: 'Retain', Properties: { TopicName: 'cfn-policies-alerts' } },
      AlertsPolicy: { Type: 'AWS::SNS::TopicPolicy', Properties: { Topics: [{ Ref: 'Alerts' }], PolicyDocument: topicPolicy } },
    },
    Outputs: {
      BucketPolicyRef: { Value: { Ref: 'SitePolicy' } },
      TopicPolicyRef: { Value: { Ref: 'AlertsPolicy' } },
      TopicPolicyId: { Value: { 'Fn::GetAtt': ['AlertsPolicy', 'Id'] } },
    },
  });
}

const publicRead = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: { 'Fn::Sub': 'arn:aws:s3:::${Site}/*' } }],
};
const publishFrom = (service: string) => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'events', Effect: 'Allow', Principal: { Service: service }, Action: 'sns:Publish', Resource: { Ref: 'Alerts' } }],
});

/** boto3 clients, signed and anonymous; `anon_get(key)` is the object's body or the error code. */
const PRELUDE = `
import boto3, botocore, json
from botocore import UNSIGNED
from botocore.config import Config
cfn, s3, sns = boto3.client('cloudformation'), boto3.client('s3'), boto3.client('sns')
anon = boto3.client('s3', config=Config(signature_version=UNSIGNED))
def anon_get(key):
    try:
        return anon.get_object(Bucket='${BUCKET}', Key=key)['Body'].read().decode()
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
def stack(name):
    return cfn.describe_stacks(StackName=name)['Stacks'][0]
def topic_policy():
    arn = sns.create_topic(Name='cfn-policies-alerts')['TopicArn']
    return json.loads(sns.get_topic_attributes(TopicArn=arn)['Attributes']['Policy'])
def bucket_policy():
    try:
        return json.loads(s3.get_bucket_policy(Bucket='${BUCKET}')['Policy'])
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
`;

describe('CloudFormation bucket and topic policies', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  const py = (script: string) => fl.python(PRELUDE + script);

  it('puts, updates and removes a bucket policy and a topic policy with the stack', async () => {
    await py(`cfn.create_stack(StackName='site', TemplateBody=${JSON.stringify(template(publicRead, publishFrom('events.amazonaws.com')))})`);
    fl.advance(1);
    const created = await py(`
s3.put_object(Bucket='${BUCKET}', Key='index.html', Body=b'hello')
s3.put_object(Bucket='${BUCKET}', Key='public/page.html', Body=b'page')
s = stack('site')
print(json.dumps({'status': s['StackStatus'], 'outputs': {o['OutputKey']: o['OutputValue'] for o in s['Outputs']},
  'get': anon_get('index.html'), 'bucketPolicy': bucket_policy(), 'topicPolicy': topic_policy()}))
`);
    assert.equal(created.status, 'CREATE_COMPLETE');
    assert.equal(created.get, 'hello');
    assert.equal(created.outputs.BucketPolicyRef, BUCKET);
    assert.match(created.outputs.TopicPolicyRef, /^site-AlertsPolicy-[A-Z0-9]+$/);
    assert.equal(created.outputs.TopicPolicyId, created.outputs.TopicPolicyRef);
    assert.deepEqual(created.bucketPolicy.Statement[0].Resource, `arn:aws:s3:::${BUCKET}/*`);
    assert.deepEqual(created.topicPolicy.Statement[0].Principal, { Service: 'events.amazonaws.com' });
    assert.match(created.topicPolicy.Statement[0].Resource, /^arn:aws:sns:us-east-1:\d{12}:cfn-policies-alerts$/);

    // The bucket policy as a JSON string this time: only public/ is readable now.
    const narrowed = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/public/*` }] };
    await py(`cfn.update_stack(StackName='site', TemplateBody=${JSON.stringify(template(JSON.stringify(narrowed), publishFrom('cloudwatch.amazonaws.com')))})`);
    fl.advance(1);
    const updated = await py(`
print(json.dumps({'status': stack('site')['StackStatus'], 'root': anon_get('index.html'), 'page': anon_get('public/page.html'),
  'bucketPolicy': bucket_policy(), 'topicPolicy': topic_policy()}))
`);
    assert.equal(updated.status, 'UPDATE_COMPLETE');
    assert.equal(updated.root, 'AccessDenied');
    assert.equal(updated.page, 'page');
    assert.deepEqual(updated.bucketPolicy, narrowed);
    assert.deepEqual(updated.topicPolicy.Statement[0].Principal, { Service: 'cloudwatch.amazonaws.com' });

    await py(`cfn.delete_stack(StackName='site')`);
    fl.advance(1);
    const deleted = await py(`
print(json.dumps({'stacks': [s['StackStatus'] for s in cfn.list_stacks()['StackSummaries'] if s['StackName'] == 'site'],
  'page': anon_get('public/page.html'), 'bucketPolicy': bucket_policy(), 'topicPolicy': topic_policy()}))
`);
    assert.deepEqual(deleted.stacks, ['DELETE_COMPLETE']);
    assert.equal(deleted.page, 'AccessDenied');
    assert.equal(deleted.bucketPolicy, 'NoSuchBucketPolicy');
    assert.equal(deleted.topicPolicy.Id, '__default_policy_ID');
  });

  it('fails policies on a missing bucket or topic, or with a malformed document, and rolls back', async () => {
    const missingTopic = 'arn:aws:sns:us-east-1:000000000000:no-such-topic';
    const templates = {
      'no-bucket': { P: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: 'no-such-bucket-here', PolicyDocument: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::no-such-bucket-here/*' }] } } } },
      'bad-action': {
        B: { Type: 'AWS::S3::Bucket' },
        P: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'B' }, PolicyDocument: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ec2:RunInstances', Resource: { 'Fn::Sub': 'arn:aws:s3:::${B}/*' } }] } } },
      },
      'no-topic': { P: { Type: 'AWS::SNS::TopicPolicy', Properties: { Topics: [missingTopic], PolicyDocument: { Statement: [] } } } },
      'bad-json': {
        T: { Type: 'AWS::SNS::Topic' },
        P: { Type: 'AWS::SNS::TopicPolicy', Properties: { Topics: [{ Ref: 'T' }], PolicyDocument: '{"Statement": [' } },
      },
    };
    await py(Object.entries(templates).map(([name, resources]) => `cfn.create_stack(StackName='${name}', TemplateBody=${JSON.stringify(JSON.stringify({ Resources: resources }))})`).join('\n'));
    fl.advance(1);
    const out = await py(`
out = {}
for name in ${JSON.stringify(Object.keys(templates))}:
    failed = [e['ResourceStatusReason'] for e in cfn.describe_stack_events(StackName=name)['StackEvents'] if e['LogicalResourceId'] == 'P' and e['ResourceStatus'] == 'CREATE_FAILED']
    out[name] = {'status': stack(name)['StackStatus'], 'reason': failed}
print(json.dumps(out))
`);
    const reason = (message: string, service: string, status: number, code: string) => [`${message} (Service: ${service}; Status Code: ${status}; Error Code: ${code}; Request ID: cloudformation)`];
    assert.deepEqual(out, {
      'no-bucket': { status: 'ROLLBACK_COMPLETE', reason: reason('The specified bucket does not exist', 'S3', 404, 'NoSuchBucket') },
      'bad-action': { status: 'ROLLBACK_COMPLETE', reason: reason('Policy has invalid action', 'S3', 400, 'MalformedPolicy') },
      'no-topic': { status: 'ROLLBACK_COMPLETE', reason: reason('Topic does not exist', 'SNS', 404, 'NotFound') },
      'bad-json': { status: 'ROLLBACK_COMPLETE', reason: reason('Invalid parameter: Policy: failed to parse JSON.', 'SNS', 400, 'InvalidParameter') },
    });
  });
});
