/**
 * Accounts are kept apart wherever an ARN names another account's resource: SNS topics (and the
 * CloudWatch alarms and Auto Scaling lifecycle hooks that publish to them) and CloudFormation's
 * service roles, each refused with the error AWS gives. Driven with two accounts' keys (a 12-digit
 * access key names that account) through boto3 and the AWS CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const TOPIC = `arn:aws:sns:us-east-1:${A}:orders`;

/** boto3 clients per account (`sns(A)`, ...), and `err(fn)`: [code, status, message] of the error a call fails with, or None. */
const PRELUDE = `
import boto3, botocore, json
def client(service, key):
    return boto3.client(service, aws_access_key_id=key, aws_secret_access_key='x', region_name='us-east-1')
sns = lambda key: client('sns', key)
def err(fn):
    try:
        fn()
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Message']]
`;

describe('account isolation across services', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  const py = (script: string) => fl.python(PRELUDE + script);
  const deliveries = async (topicArn: string) =>
    ((await (await fetch(`${fl.url}/_faultline/sns/deliveries?topicArn=${encodeURIComponent(topicArn)}`)).json()) as { deliveries: { source: string; message: string }[] }).deliveries;
  const denied = (action: string, resource = TOPIC, who = `arn:aws:iam::${B}:root`) =>
    ['AuthorizationError', 403, `User: ${who} is not authorized to perform: ${action} on resource: ${resource} because no resource-based policy allows the ${action} action`];

  it('refuses another account every action on an SNS topic by its ARN', async () => {
    const out = await py(`
a, b = sns('${A}'), sns('${B}')
a.create_topic(Name='orders')
sub = a.subscribe(TopicArn='${TOPIC}', Protocol='email', Endpoint='ops@example.com')['SubscriptionArn']
print(json.dumps({
  'publish': err(lambda: b.publish(TopicArn='${TOPIC}', Message='forged')),
  'subscribe': err(lambda: b.subscribe(TopicArn='${TOPIC}', Protocol='email', Endpoint='spy@example.com')),
  'delete': err(lambda: b.delete_topic(TopicArn='${TOPIC}')),
  'deleteMissing': err(lambda: b.delete_topic(TopicArn='arn:aws:sns:us-east-1:${A}:never-made')),
  'get': err(lambda: b.get_topic_attributes(TopicArn='${TOPIC}')),
  'set': err(lambda: b.set_topic_attributes(TopicArn='${TOPIC}', AttributeName='Policy', AttributeValue='{"Statement":[{"Effect":"Allow","Principal":"*","Action":"SNS:*","Resource":"${TOPIC}"}]}')),
  'subs': err(lambda: b.list_subscriptions_by_topic(TopicArn='${TOPIC}')),
  'tag': err(lambda: b.tag_resource(ResourceArn='${TOPIC}', Tags=[{'Key': 'owner', 'Value': 'b'}])),
  'tags': err(lambda: b.list_tags_for_resource(ResourceArn='${TOPIC}')),
  'unsubscribe': err(lambda: b.unsubscribe(SubscriptionArn=sub)),
  'stillThere': a.get_topic_attributes(TopicArn='${TOPIC}')['Attributes']['SubscriptionsConfirmed'],
  'ownerPublishes': err(lambda: a.publish(TopicArn='${TOPIC}', Message='real')),
}))
`);
    assert.deepEqual(out.publish, denied('SNS:Publish'));
    assert.deepEqual(out.subscribe, denied('SNS:Subscribe'));
    assert.deepEqual(out.delete, denied('SNS:DeleteTopic'));
    assert.deepEqual(out.deleteMissing, denied('SNS:DeleteTopic', `arn:aws:sns:us-east-1:${A}:never-made`));
    assert.deepEqual(out.get, denied('SNS:GetTopicAttributes'));
    assert.deepEqual(out.set, denied('SNS:SetTopicAttributes'));
    assert.deepEqual(out.subs, denied('SNS:ListSubscriptionsByTopic'));
    assert.deepEqual(out.tag, denied('SNS:TagResource'));
    assert.deepEqual(out.tags, denied('SNS:ListTagsForResource'));
    assert.equal(out.unsubscribe[0], 'AuthorizationError');
    assert.equal(out.stillThere, '1');
    assert.equal(out.ownerPublishes, null);
    assert.deepEqual((await deliveries(TOPIC)).map((d) => d.message), ['real']);

    // The AWS CLI, signed for the default account (another one again), sees the same refusal.
    const cli = await fl.awsRaw('sns', 'publish', '--topic-arn', TOPIC, '--message', 'forged');
    assert.match(cli.stderr, /\(AuthorizationError\) when calling the Publish operation: User: arn:aws:iam::000000000000:root is not authorized to perform: SNS:Publish/);
  });

  it('lets a topic policy open chosen actions to another account, and an explicit Deny close them', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['SNS:Publish', 'SNS:Subscribe'], Resource: TOPIC },
        { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'SNS:DeleteTopic', Resource: TOPIC },
      ],
    });
    const out = await py(`
a, b, c = sns('${A}'), sns('${B}'), sns('${C}')
a.set_topic_attributes(TopicArn='${TOPIC}', AttributeName='Policy', AttributeValue=${JSON.stringify(policy)})
sub = b.subscribe(TopicArn='${TOPIC}', Protocol='email', Endpoint='b@example.com')['SubscriptionArn']
print(json.dumps({
  'publish': err(lambda: b.publish(TopicArn='${TOPIC}', Message='from b')),
  'otherStill': err(lambda: c.publish(TopicArn='${TOPIC}', Message='from c')),
  'bDeletes': err(lambda: b.delete_topic(TopicArn='${TOPIC}')),
  'aDeletes': err(lambda: a.delete_topic(TopicArn='${TOPIC}')),
  'cUnsubscribes': err(lambda: c.unsubscribe(SubscriptionArn=sub)),
  'bUnsubscribes': err(lambda: b.unsubscribe(SubscriptionArn=sub)),
}))
`);
    assert.equal(out.publish, null);
    assert.deepEqual(out.otherStill, denied('SNS:Publish', TOPIC, `arn:aws:iam::${C}:root`));
    assert.deepEqual(out.bDeletes, ['AuthorizationError', 403, `User: arn:aws:iam::${B}:root is not authorized to perform: SNS:DeleteTopic on resource: ${TOPIC} with an explicit deny in a resource-based policy`]);
    assert.equal(out.aDeletes[0], 'AuthorizationError');
    assert.equal(out.cUnsubscribes[0], 'AuthorizationError');
    assert.equal(out.bUnsubscribes, null);
    assert.deepEqual((await deliveries(TOPIC)).map((d) => d.message), ['real', 'from b']);
  });

  it('fails a CloudWatch alarm action on another account\'s topic unless the topic\'s policy lets CloudWatch publish for that account', async () => {
    /** B's alarm on A's topic `name`, set to ALARM: the summaries of its Action history items. */
    const alarmOn = (name: string) =>
      py(`
b = client('cloudwatch', '${B}')
b.put_metric_alarm(AlarmName='watch-${name}', Namespace='App', MetricName='Errors', Statistic='Sum', Period=60, EvaluationPeriods=1,
  Threshold=1, ComparisonOperator='GreaterThanThreshold', AlarmActions=['arn:aws:sns:us-east-1:${A}:${name}'])
b.set_alarm_state(AlarmName='watch-${name}', StateValue='ALARM', StateReason='test')
print(json.dumps([i['HistorySummary'] for i in b.describe_alarm_history(AlarmName='watch-${name}', HistoryItemType='Action')['AlarmHistoryItems']]))
`);
    const out = await py(`
a = sns('${A}')
a.create_topic(Name='pager')
a.create_topic(Name='shared-pager')
a.set_topic_attributes(TopicArn='arn:aws:sns:us-east-1:${A}:shared-pager', AttributeName='Policy', AttributeValue=json.dumps({
  'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'cloudwatch.amazonaws.com'}, 'Action': 'SNS:Publish',
    'Resource': 'arn:aws:sns:us-east-1:${A}:shared-pager', 'Condition': {'StringEquals': {'aws:SourceAccount': '${B}'}}}]}))
`);
    assert.equal(out, undefined);
    const refused = await alarmOn('pager');
    const pager = `arn:aws:sns:us-east-1:${A}:pager`;
    assert.deepEqual(refused, [
      `Failed to execute action ${pager}. Received error: "User: cloudwatch.amazonaws.com is not authorized to perform: SNS:Publish on resource: ${pager} because no resource-based policy allows the SNS:Publish action"`,
    ]);
    assert.deepEqual(await deliveries(pager), []);

    const shared = `arn:aws:sns:us-east-1:${A}:shared-pager`;
    const allowed = await alarmOn('shared-pager');
    assert.deepEqual(allowed, [`Successfully executed action ${shared}`]);
    assert.deepEqual((await deliveries(shared)).map((d) => d.source), ['cloudwatch']);
  });

  it('refuses lifecycle hook targets, stack roles and other ARNs of another account', async () => {
    const trust = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: ['autoscaling.amazonaws.com', 'cloudformation.amazonaws.com', 'ec2.amazonaws.com'] }, Action: 'sts:AssumeRole' }] });
    const template = JSON.stringify({ Resources: { T: { Type: 'AWS::SNS::Topic' } } });
    const out = await py(`
iam_a, iam_b = client('iam', '${A}'), client('iam', '${B}')
for iam in (iam_a, iam_b):
    iam.create_role(RoleName='deployer', AssumeRolePolicyDocument=${JSON.stringify(trust)})
policy_a = iam_a.create_policy(PolicyName='a-only', PolicyDocument=json.dumps({'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))['Policy']['Arn']
iam_a.create_instance_profile(InstanceProfileName='a-profile')
sns('${B}').create_topic(Name='hooks')
asg_a, asg_b = client('autoscaling', '${A}'), client('autoscaling', '${B}')
for asg in (asg_a, asg_b):
    asg.create_launch_configuration(LaunchConfigurationName='lc', ImageId='ami-1ecae776', InstanceType='t2.micro')
    asg.create_auto_scaling_group(AutoScalingGroupName='g', LaunchConfigurationName='lc', MinSize=0, MaxSize=0, AvailabilityZones=['us-east-1a'])
policy_arn = asg_a.put_scaling_policy(AutoScalingGroupName='g', PolicyName='up', AdjustmentType='ChangeInCapacity', ScalingAdjustment=1)['PolicyARN']
hook = lambda target, role: err(lambda: asg_b.put_lifecycle_hook(AutoScalingGroupName='g', LifecycleHookName='h', LifecycleTransition='autoscaling:EC2_INSTANCE_LAUNCHING',
    NotificationTargetARN=target, RoleARN=role))
cfn_a, cfn_b = client('cloudformation', '${A}'), client('cloudformation', '${B}')
stack_a = cfn_a.create_stack(StackName='a-stack', TemplateBody=${JSON.stringify(template)})['StackId']
ec2_b = client('ec2', '${B}')
subnet_b = ec2_b.create_subnet(VpcId=ec2_b.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId'], CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
stack = lambda name, role: err(lambda: cfn_b.create_stack(StackName=name, TemplateBody=${JSON.stringify(template)}, RoleARN=role))
print(json.dumps({
  'hookOtherTopic': hook('arn:aws:sns:us-east-1:${A}:pager', 'arn:aws:iam::${B}:role/deployer'),
  'hookOtherRole': hook('arn:aws:sns:us-east-1:${B}:hooks', 'arn:aws:iam::${A}:role/deployer'),
  'hookMissingTopic': hook('arn:aws:sns:us-east-1:${B}:nope', 'arn:aws:iam::${B}:role/deployer'),
  'hookOwn': hook('arn:aws:sns:us-east-1:${B}:hooks', 'arn:aws:iam::${B}:role/deployer'),
  'stackOtherRole': stack('b-one', 'arn:aws:iam::${A}:role/deployer'),
  'stackMissingRole': stack('b-two', 'arn:aws:iam::${B}:role/nobody'),
  'stackOwnRole': stack('b-three', 'arn:aws:iam::${B}:role/deployer'),
  'stackByArn': err(lambda: cfn_b.describe_stacks(StackName=stack_a)),
  'deleteByArn': err(lambda: cfn_b.delete_stack(StackName=stack_a)),
  'attachOtherPolicy': err(lambda: iam_b.attach_role_policy(RoleName='deployer', PolicyArn=policy_a)),
  'otherProfile': err(lambda: ec2_b.run_instances(ImageId='ami-1ecae776', MinCount=1, MaxCount=1, InstanceType='t2.micro', SubnetId=subnet_b,
    IamInstanceProfile={'Arn': 'arn:aws:iam::${A}:instance-profile/a-profile'})),
  'otherScalingPolicy': err(lambda: asg_b.execute_policy(PolicyName=policy_arn)),
  'aStack': cfn_a.describe_stacks(StackName=stack_a)['Stacks'][0]['StackStatus'],
  'stackA': stack_a,
}))
`);
    const unable = (target: string, role: string) => [
      'ValidationError',
      400,
      `Unable to publish test message to notification target ${target} using IAM role ${role}. Please check your target and role configuration and try to put lifecycle hook again.`,
    ];
    assert.deepEqual(out.hookOtherTopic, unable(`arn:aws:sns:us-east-1:${A}:pager`, `arn:aws:iam::${B}:role/deployer`));
    assert.deepEqual(out.hookOtherRole, unable(`arn:aws:sns:us-east-1:${B}:hooks`, `arn:aws:iam::${A}:role/deployer`));
    assert.deepEqual(out.hookMissingTopic, unable(`arn:aws:sns:us-east-1:${B}:nope`, `arn:aws:iam::${B}:role/deployer`));
    assert.equal(out.hookOwn, null);
    assert.deepEqual(out.stackOtherRole, ['ValidationError', 400, `Role arn:aws:iam::${A}:role/deployer is invalid or cannot be assumed`]);
    assert.deepEqual(out.stackMissingRole, ['ValidationError', 400, `Role arn:aws:iam::${B}:role/nobody is invalid or cannot be assumed`]);
    assert.equal(out.stackOwnRole, null);
    // These held before: another account's stack, managed policy, instance profile and scaling policy are not found.
    assert.deepEqual(out.stackByArn, ['ValidationError', 400, `Stack with id ${out.stackA} does not exist`]);
    assert.equal(out.deleteByArn, null);
    assert.match(out.aStack, /^CREATE_/);
    assert.deepEqual(out.attachOtherPolicy.slice(0, 2), ['NoSuchEntity', 404]);
    assert.deepEqual(out.otherProfile.slice(0, 2), ['InvalidParameterValue', 400]);
    assert.deepEqual(out.otherScalingPolicy.slice(0, 2), ['ValidationError', 400]);
  });
});
