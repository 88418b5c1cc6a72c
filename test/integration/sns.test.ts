import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

interface Delivery {
  topicArn: string;
  messageId: string;
  subject?: string;
  message: string;
  source: string;
  deliveredTo: { subscriptionArn: string; protocol: string; endpoint: string }[];
}

describe('SNS (minimal) through the real clients', () => {
  let fl: Faultline;
  const deliveries = async (topicArn?: string): Promise<Delivery[]> => {
    const q = topicArn ? `?topicArn=${encodeURIComponent(topicArn)}` : '';
    return ((await (await fetch(`${fl.url}/_faultline/sns/deliveries${q}`)).json()) as { deliveries: Delivery[] }).deliveries;
  };
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('creates topics idempotently by name, lists them and reads their attributes', async () => {
    const a = await fl.aws('sns', 'create-topic', '--name', 'alerts', '--attributes', 'DisplayName=Alerts');
    assert.equal(a.TopicArn, 'arn:aws:sns:us-east-1:000000000000:alerts');
    const again = await fl.aws('sns', 'create-topic', '--name', 'alerts', '--attributes', 'DisplayName=Alerts');
    assert.equal(again.TopicArn, a.TopicArn);
    const conflict = await fl.awsRaw('sns', 'create-topic', '--name', 'alerts', '--attributes', 'DisplayName=Other');
    assert.match(conflict.stderr, /InvalidParameter.*different attributes/);
    const bad = await fl.awsRaw('sns', 'create-topic', '--name', 'no spaces');
    assert.match(bad.stderr, /InvalidParameter/);
    const topics = await fl.aws('sns', 'list-topics');
    assert.deepEqual(topics.Topics, [{ TopicArn: a.TopicArn }]);
    await fl.aws('sns', 'set-topic-attributes', '--topic-arn', a.TopicArn, '--attribute-name', 'DisplayName', '--attribute-value', 'Pager');
    const attrs = (await fl.aws('sns', 'get-topic-attributes', '--topic-arn', a.TopicArn)).Attributes;
    assert.equal(attrs.DisplayName, 'Pager');
    assert.equal(attrs.Owner, '000000000000');
    assert.equal(JSON.parse(attrs.Policy).Statement[0].Resource, a.TopicArn);
    const missing = await fl.awsRaw('sns', 'get-topic-attributes', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:nope');
    assert.match(missing.stderr, /\(NotFound\)/);
  });

  it('records subscriptions (confirmed at once) and a delivery per subscription on Publish', async () => {
    const arn = 'arn:aws:sns:us-east-1:000000000000:alerts';
    const web = await fl.aws('sns', 'subscribe', '--topic-arn', arn, '--protocol', 'https', '--notification-endpoint', 'https://hooks.example.com/x');
    const mail = await fl.aws('sns', 'subscribe', '--topic-arn', arn, '--protocol', 'email', '--notification-endpoint', 'me@example.com');
    assert.match(web.SubscriptionArn, /^arn:aws:sns:us-east-1:000000000000:alerts:[0-9a-f-]{36}$/);
    const same = await fl.aws('sns', 'subscribe', '--topic-arn', arn, '--protocol', 'email', '--notification-endpoint', 'me@example.com');
    assert.equal(same.SubscriptionArn, mail.SubscriptionArn);
    const badProto = await fl.awsRaw('sns', 'subscribe', '--topic-arn', arn, '--protocol', 'pigeon', '--notification-endpoint', 'x');
    assert.match(badProto.stderr, /InvalidParameter.*pigeon/);
    const listed = await fl.aws('sns', 'list-subscriptions-by-topic', '--topic-arn', arn);
    assert.deepEqual(listed.Subscriptions.map((s: { Endpoint: string }) => s.Endpoint).sort(), ['https://hooks.example.com/x', 'me@example.com']);
    const pub = await fl.aws('sns', 'publish', '--topic-arn', arn, '--subject', 'hello', '--message', 'the build is green');
    assert.match(pub.MessageId, /^[0-9a-f-]{36}$/);
    const [d] = await deliveries(arn);
    assert.deepEqual(
      { id: d.messageId, subject: d.subject, message: d.message, source: d.source, to: d.deliveredTo.map((t) => t.protocol).sort() },
      { id: pub.MessageId, subject: 'hello', message: 'the build is green', source: 'api', to: ['email', 'https'] },
    );
    await fl.aws('sns', 'unsubscribe', '--subscription-arn', web.SubscriptionArn);
    assert.equal((await fl.aws('sns', 'list-subscriptions')).Subscriptions.length, 1);
  });

  it('validates Publish, tags topics through boto3, and deletes topics with their subscriptions', async () => {
    const out = await fl.python(`
import boto3, json, botocore
sns = boto3.client('sns')
arn = sns.create_topic(Name='builds', Tags=[{'Key': 'team', 'Value': 'ci'}])['TopicArn']
sns.tag_resource(ResourceArn=arn, Tags=[{'Key': 'env', 'Value': 'dev'}])
tags = sorted((t['Key'], t['Value']) for t in sns.list_tags_for_resource(ResourceArn=arn)['Tags'])
def code(**kw):
    try:
        sns.publish(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
errors = {
  'missing_topic': code(TopicArn='arn:aws:sns:us-east-1:000000000000:nope', Message='x'),
  'no_default': code(TopicArn=arn, Message='{"email": "x"}', MessageStructure='json'),
  'empty': code(TopicArn=arn, Message=''),
}
ok = sns.publish(TopicArn=arn, Message='{"default": "d", "email": "e"}', MessageStructure='json')['MessageId']
sns.subscribe(TopicArn=arn, Protocol='sqs', Endpoint='arn:aws:sqs:us-east-1:000000000000:q')
sns.delete_topic(TopicArn=arn)
sns.delete_topic(TopicArn=arn)
print(json.dumps({'tags': tags, 'errors': errors, 'ok': ok,
  'topics': [t['TopicArn'] for t in sns.list_topics()['Topics']],
  'subs': [s['TopicArn'] for s in sns.list_subscriptions()['Subscriptions']]}))
`);
    assert.deepEqual(out.tags, [['env', 'dev'], ['team', 'ci']]);
    assert.deepEqual(out.errors, { missing_topic: 'NotFound', no_default: 'InvalidParameter', empty: 'InvalidParameter' });
    assert.match(out.ok, /^[0-9a-f-]{36}$/);
    assert.deepEqual(out.topics, ['arn:aws:sns:us-east-1:000000000000:alerts']);
    assert.deepEqual(out.subs, ['arn:aws:sns:us-east-1:000000000000:alerts']);
    assert.equal((await deliveries()).length, 2);
  });
});
