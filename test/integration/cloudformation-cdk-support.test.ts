/**
 * What CDK's templates and the CDK CLI need from CloudFormation, on the manual clock: template
 * Rules refusing a stack with their AssertDescription (AWS CLI), AWS::CDK::Metadata under its
 * CDKMetadataAvailable condition, Lambda-backed custom resources failing at once, and
 * DescribeStackEvents paging newest first, in strictly ordered times, with tokens that events
 * written between pages do not shift (boto3, as the CDK CLI reads them through the SDK).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const handle = { Type: 'AWS::CloudFormation::WaitConditionHandle' };

/** A rule as CDK writes CheckBootstrapVersion, on a String parameter. */
const ruled = JSON.stringify({
  Parameters: { Version: { Type: 'String' } },
  Rules: {
    CheckVersion: {
      RuleCondition: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
      Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Contains': [['1', '2', '3', '4', '5'], { Ref: 'Version' }] }] }, AssertDescription: 'CDK bootstrap stack version 6 required.' }],
    },
  },
  Resources: { Handle: handle },
});

describe('CloudFormation for CDK', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  it('refuses a stack whose rule fails, with the AssertDescription, and creates nothing; creates it when the rule holds', async () => {
    const refused = await fl.awsRaw('cloudformation', 'create-stack', '--stack-name', 'ruled', '--template-body', ruled, '--parameters', 'ParameterKey=Version,ParameterValue=5');
    assert.match(refused.stderr, /\(ValidationError\) when calling the CreateStack operation: CDK bootstrap stack version 6 required\.$/m);
    const none = await fl.awsRaw('cloudformation', 'describe-stacks', '--stack-name', 'ruled');
    assert.match(none.stderr, /Stack with id ruled does not exist/);
    const changeSet = await fl.awsRaw('cloudformation', 'create-change-set', '--stack-name', 'ruled', '--change-set-name', 'cs', '--change-set-type', 'CREATE', '--template-body', ruled, '--parameters', 'ParameterKey=Version,ParameterValue=4');
    assert.match(changeSet.stderr, /CDK bootstrap stack version 6 required\./);
    assert.deepEqual((await fl.aws('cloudformation', 'list-stacks')).StackSummaries, [], 'a refused change set leaves no stack in review either');

    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'ruled', '--template-body', ruled, '--parameters', 'ParameterKey=Version,ParameterValue=30');
    fl.advance(1);
    assert.equal((await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'ruled')).Stacks[0].StackStatus, 'CREATE_COMPLETE');
    const update = await fl.awsRaw('cloudformation', 'update-stack', '--stack-name', 'ruled', '--use-previous-template', '--parameters', 'ParameterKey=Version,ParameterValue=1');
    assert.match(update.stderr, /when calling the UpdateStack operation: CDK bootstrap stack version 6 required\./);
  });

  it('creates AWS::CDK::Metadata under CDK’s CDKMetadataAvailable condition, and does nothing with it', async () => {
    const template = JSON.stringify({
      Conditions: { CDKMetadataAvailable: { 'Fn::Or': [{ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }] } },
      Resources: {
        CDKMetadata: { Type: 'AWS::CDK::Metadata', Properties: { Analytics: 'v2:deflate64:H4sIAAAAAAAA/zPSMzQw0TNUNE' }, Metadata: { 'aws:cdk:path': 'App/CDKMetadata/Default' }, Condition: 'CDKMetadataAvailable' },
      },
    });
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'meta', '--template-body', template);
    fl.advance(0);
    const r = (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', 'meta', '--logical-resource-id', 'CDKMetadata')).StackResourceDetail;
    assert.equal(r.ResourceStatus, 'CREATE_COMPLETE');
    assert.match(r.PhysicalResourceId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('fails a Lambda-backed custom resource at once, naming Lambda, and rolls back', async () => {
    const template = JSON.stringify({
      Resources: {
        Before: handle,
        Restrict: { Type: 'Custom::VpcRestrictDefaultSG', DependsOn: 'Before', Properties: { ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider', DefaultSecurityGroupId: 'sg-1' } },
      },
    });
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'custom', '--template-body', template);
    fl.advance(0);
    const events = (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', 'custom')).StackEvents as { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string }[];
    const failed = events.find((e) => e.LogicalResourceId === 'Restrict' && e.ResourceStatus === 'CREATE_FAILED');
    assert.equal(failed?.ResourceStatusReason, 'faultline does not offer AWS Lambda, so it cannot run the Lambda-backed custom resource Restrict (ServiceToken arn:aws:lambda:us-east-1:000000000000:function:provider).');
    assert.equal((await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'custom')).Stacks[0].StackStatus, 'ROLLBACK_COMPLETE');
  });

  it('pages events newest first, 100 a page, every event once though events arrive between pages', async () => {
    const handles = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`H${i}`, handle]));
    const body = (n: number) => JSON.stringify({ Resources: handles(n) });
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'busy', '--template-body', body(40));
    fl.advance(0);
    const prelude = `
import boto3, json, os
cf = boto3.client('cloudformation', endpoint_url=os.environ['FAULTLINE_URL'])
def rest(token):
    out = []
    while token:
        page = cf.describe_stack_events(StackName='busy', NextToken=token)
        out += page['StackEvents']
        token = page.get('NextToken')
    return out
`;
    const first = await fl.python(`${prelude}
print(json.dumps(cf.describe_stack_events(StackName='busy'), default=str))`);
    // The stack changes while the reader pages: 20 more resources, 62 more events, before page 2.
    await fl.aws('cloudformation', 'update-stack', '--stack-name', 'busy', '--template-body', body(60));
    fl.advance(0);
    const later = await fl.python(`${prelude}
print(json.dumps({'rest': rest(${JSON.stringify(first.NextToken)}), 'now': cf.describe_stack_events(StackName='busy')['StackEvents']}, default=str))`);
    type E = { EventId: string; ResourceStatus: string; LogicalResourceId: string };
    const r = {
      first: first.StackEvents.length,
      read: [...first.StackEvents, ...later.rest].map((e: E) => e.EventId),
      status: [first.StackEvents[0].ResourceStatus],
      now: later.now.map((e: E) => `${e.LogicalResourceId} ${e.ResourceStatus}`),
    };
    assert.equal(r.first, 100);
    assert.equal(new Set(r.read).size, r.read.length, 'no event is read twice, and no two events share an EventId');
    // 40 resources of three events each and two stack events: the whole history as it was when paging began.
    assert.equal(r.read.length, 40 * 3 + 2);
    assert.deepEqual(r.status, ['CREATE_COMPLETE']);
    assert.deepEqual(r.now.slice(0, 2), ['busy UPDATE_COMPLETE', 'busy UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'], 'the newest event first');
    // Made in one instant of the manual clock, they still have distinct times, in their order: readers sort by Timestamp.
    const times = [...first.StackEvents, ...later.rest].map((e: { Timestamp: string }) => Date.parse(e.Timestamp));
    assert.ok(times.every((t: number, i: number) => i === 0 || t < times[i - 1]), 'timestamps decrease, newest first');
  });
});
