/**
 * StackSets (SELF_MANAGED) through boto3 on the manual clock: a stack set deployed to two
 * accounts in two regions as real stacks in each, updated, an operation in which one account of
 * one region fails (stopping the operation with FailureToleranceCount 0, going on with 1), an
 * instance deleted, the administration and execution roles AWS asks for, and what faultline
 * refuses (SERVICE_MANAGED, a busy or non-empty stack set).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const TEMPLATE = readFileSync(new URL('../fixtures/cloudformation/stack-sets/topics.yaml', import.meta.url), 'utf8');

const PRELUDE = `${BOTO3_PRELUDE}
cfn = boto3.client('cloudformation', config=no_retry)
TEMPLATE = ${JSON.stringify(TEMPLATE)}
ACCOUNTS = ['111111111111', '222222222222']
REGIONS = ['us-east-1', 'eu-west-1']
def client(service, account, region): return boto3.client(service, region_name=region, aws_access_key_id=account, aws_secret_access_key='x', config=no_retry)
def operation(op): return cfn.describe_stack_set_operation(StackSetName='topics', OperationId=op)['StackSetOperation']
def results(op): return [(r['Account'], r['Region'], r['Status'], r.get('StatusReason')) for r in cfn.list_stack_set_operation_results(StackSetName='topics', OperationId=op)['Summaries']]
def instances(): return {'%s/%s' % (i['Account'], i['Region']): [i['Status'], i['StackInstanceStatus']['DetailedStatus']] for i in cfn.list_stack_instances(StackSetName='topics')['Summaries']}
def topics(): return {'%s/%s' % (a, r): sorted(t['TopicArn'].split(':')[-1] for t in client('sns', a, r).list_topics()['Topics']) for a in ACCOUNTS for r in REGIONS}
def params(**given): return [{'ParameterKey': k, 'ParameterValue': v} for k, v in given.items()]
`;

describe('CloudFormation StackSets', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  it('needs the administration role, then deploys to two accounts in two regions as real stacks', async () => {
    const r = await fl.python(`${PRELUDE}
set_id = cfn.create_stack_set(StackSetName='topics', TemplateBody=TEMPLATE, Parameters=params(Prefix='alerts'))['StackSetId']
first = cfn.create_stack_instances(StackSetName='topics', Accounts=ACCOUNTS, Regions=REGIONS)['OperationId']
advance(1)
no_role = dict(op=operation(first), results=results(first))
cfn.delete_stack_instances(StackSetName='topics', Accounts=ACCOUNTS, Regions=REGIONS, RetainStacks=True)
advance(1)
trust = json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'cloudformation.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]})
boto3.client('iam').create_role(RoleName='AWSCloudFormationStackSetAdministrationRole', AssumeRolePolicyDocument=trust)
client('iam', '111111111111', 'us-east-1').create_role(RoleName='AWSCloudFormationStackSetExecutionRole', AssumeRolePolicyDocument=trust)
no_exec = cfn.create_stack_instances(StackSetName='topics', Accounts=ACCOUNTS, Regions=['us-east-1'])['OperationId']
advance(1)
no_exec = dict(op=operation(no_exec)['Status'], results=results(no_exec))
client('iam', '222222222222', 'us-east-1').create_role(RoleName='AWSCloudFormationStackSetExecutionRole', AssumeRolePolicyDocument=trust)
busy = cfn.create_stack_instances(StackSetName='topics', Accounts=ACCOUNTS, Regions=REGIONS,
    OperationPreferences={'RegionOrder': ['eu-west-1', 'us-east-1'], 'MaxConcurrentCount': 1})['OperationId']
refused = outcome(lambda: cfn.update_stack_set(StackSetName='topics', UsePreviousTemplate=True, Parameters=params(Prefix='x')))
advance(1)
stacks = {}
for i in cfn.list_stack_instances(StackSetName='topics')['Summaries']:
    s = client('cloudformation', i['Account'], i['Region']).describe_stacks(StackName=i['StackId'])['Stacks'][0]
    stacks['%s/%s' % (i['Account'], i['Region'])] = [s['StackName'], s['StackStatus'], s['Outputs'][0]['OutputValue']]
out(dict(set_id=set_id, no_role=no_role, no_exec=no_exec, refused=refused, op=operation(busy), results=results(busy),
    instances=sorted(instances().values()), stacks=stacks, topics=sorted(map(list, topics().values())),
    set=cfn.describe_stack_set(StackSetName='topics')['StackSet']))
`);
    assert.match(r.set_id, /^topics:[0-9a-f-]{36}$/);
    assert.equal(r.no_role.op.Status, 'FAILED');
    assert.equal(r.no_role.op.StatusReason, "Account 000000000000 should have 'AWSCloudFormationStackSetAdministrationRole' role with trust relationship to CloudFormation service.");
    assert.equal(r.no_role.results.length, 4);
    assert.ok(r.no_role.results.every((x: string[]) => x[2] === 'FAILED'));
    // One account of two has the execution role.
    assert.equal(r.no_exec.op, 'FAILED');
    assert.deepEqual(r.no_exec.results.map((x: string[]) => x.slice(0, 3)), [
      ['111111111111', 'us-east-1', 'SUCCEEDED'],
      ['222222222222', 'us-east-1', 'FAILED'],
    ]);
    assert.equal(r.no_exec.results[1][3], "Account 222222222222 should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'.");
    assert.match(r.refused, /^OperationInProgressException 409 Another Operation on StackSet arn:aws:cloudformation:us-east-1:000000000000:stackset\/topics:[0-9a-f-]+ is in progress$/);
    assert.equal(r.op.Status, 'SUCCEEDED');
    assert.equal(r.op.Action, 'CREATE');
    // Regions in RegionOrder, accounts in the order given.
    assert.deepEqual(r.results.map((x: string[]) => x.slice(0, 3)), [
      ['111111111111', 'eu-west-1', 'SUCCEEDED'],
      ['222222222222', 'eu-west-1', 'SUCCEEDED'],
      ['111111111111', 'us-east-1', 'SUCCEEDED'],
      ['222222222222', 'us-east-1', 'SUCCEEDED'],
    ]);
    assert.deepEqual(r.instances, Array(4).fill(['CURRENT', 'SUCCEEDED']));
    for (const [where, [name, status, topic]] of Object.entries(r.stacks) as [string, string[]][]) {
      const [account, region] = where.split('/');
      assert.match(name, /^StackSet-topics-[0-9a-f-]{36}$/);
      assert.equal(status, 'CREATE_COMPLETE');
      assert.equal(topic, `arn:aws:sns:${region}:${account}:alerts-${region}`);
    }
    assert.deepEqual(r.topics, [['alerts-eu-west-1'], ['alerts-eu-west-1'], ['alerts-us-east-1'], ['alerts-us-east-1']]);
    assert.equal(r.set.PermissionModel, 'SELF_MANAGED');
    assert.equal(r.set.ExecutionRoleName, 'AWSCloudFormationStackSetExecutionRole');
    assert.deepEqual(r.set.Regions.sort(), ['eu-west-1', 'us-east-1']);
  });

  it('updates every instance, then honours FailureToleranceCount when one account of a region fails', async () => {
    const r = await fl.python(`${PRELUDE}
update = cfn.update_stack_set(StackSetName='topics', UsePreviousTemplate=True, Parameters=params(Prefix='pages'),
    OperationPreferences={'MaxConcurrentPercentage': 100, 'RegionConcurrencyType': 'PARALLEL'})['OperationId']
pending = instances()
advance(1)
updated = dict(op=operation(update)['Status'], instances=sorted(instances().values()), topics=sorted(map(list, topics().values())))
strict = cfn.update_stack_set(StackSetName='topics', UsePreviousTemplate=True, Parameters=params(Prefix='pages', Fail='yes'),
    OperationPreferences={'RegionOrder': ['eu-west-1', 'us-east-1'], 'FailureToleranceCount': 0, 'MaxConcurrentCount': 1})['OperationId']
advance(1)
strict = dict(op=operation(strict), results=results(strict), instances=instances())
tolerant = cfn.update_stack_set(StackSetName='topics', UsePreviousTemplate=True, Parameters=params(Prefix='pages', Fail='yes'),
    OperationPreferences={'RegionOrder': ['eu-west-1', 'us-east-1'], 'FailureToleranceCount': 1, 'MaxConcurrentCount': 2})['OperationId']
advance(1)
tolerant = dict(op=operation(tolerant), results=results(tolerant), instances=instances(),
    instance=cfn.describe_stack_instance(StackSetName='topics', StackInstanceAccount='222222222222', StackInstanceRegion='eu-west-1')['StackInstance'])
ops = [(o['Action'], o['Status']) for o in cfn.list_stack_set_operations(StackSetName='topics')['Summaries']]
out(dict(pending=sorted(pending.values()), updated=updated, strict=strict, tolerant=tolerant, ops=ops,
    stop=outcome(lambda: cfn.stop_stack_set_operation(StackSetName='topics', OperationId=update))))
`);
    assert.deepEqual(r.pending, Array(4).fill(['OUTDATED', 'PENDING']));
    assert.equal(r.updated.op, 'SUCCEEDED');
    assert.deepEqual(r.updated.instances, Array(4).fill(['CURRENT', 'SUCCEEDED']));
    assert.deepEqual(r.updated.topics, [['pages-eu-west-1'], ['pages-eu-west-1'], ['pages-us-east-1'], ['pages-us-east-1']]);

    // Tolerance 0: the failure in eu-west-1 stops the operation; us-east-1 is never started.
    assert.equal(r.strict.op.Status, 'FAILED');
    assert.equal(r.strict.op.StatusDetails.FailedStackInstancesCount, 1);
    assert.deepEqual(r.strict.results.map((x: string[]) => x.slice(0, 3)), [
      ['111111111111', 'eu-west-1', 'SUCCEEDED'],
      ['222222222222', 'eu-west-1', 'FAILED'],
      ['111111111111', 'us-east-1', 'CANCELLED'],
      ['222222222222', 'us-east-1', 'CANCELLED'],
    ]);
    assert.match(r.strict.results[1][3], /^ResourceLogicalId:Broken, ResourceType:AWS::SNS::Topic, ResourceStatusReason:Invalid parameter: Topic Name/);
    assert.deepEqual(r.strict.instances, {
      '111111111111/eu-west-1': ['CURRENT', 'SUCCEEDED'],
      '222222222222/eu-west-1': ['OUTDATED', 'FAILED'],
      '111111111111/us-east-1': ['OUTDATED', 'CANCELLED'],
      '222222222222/us-east-1': ['OUTDATED', 'CANCELLED'],
    });

    // Tolerance 1: the same failure is tolerated, and the operation goes on to us-east-1.
    assert.equal(r.tolerant.op.Status, 'SUCCEEDED');
    assert.deepEqual(r.tolerant.results.map((x: string[]) => x[2]), ['SUCCEEDED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    assert.equal(r.tolerant.instance.Status, 'OUTDATED');
    assert.equal(r.tolerant.instance.StackInstanceStatus.DetailedStatus, 'FAILED');
    assert.match(r.tolerant.instance.StatusReason, /^ResourceLogicalId:Broken/);
    assert.deepEqual(r.ops.slice(0, 3), [['UPDATE', 'SUCCEEDED'], ['UPDATE', 'FAILED'], ['UPDATE', 'SUCCEEDED']]);
    assert.match(r.stop, /^InvalidOperationException 400 /);
  });

  it('deletes an instance and its stack, and refuses what faultline and AWS refuse', async () => {
    const r = await fl.python(`${PRELUDE}
stack_id = cfn.describe_stack_instance(StackSetName='topics', StackInstanceAccount='111111111111', StackInstanceRegion='us-east-1')['StackInstance']['StackId']
op = cfn.delete_stack_instances(StackSetName='topics', Accounts=['111111111111'], Regions=['us-east-1'], RetainStacks=False)['OperationId']
advance(1)
deleted = dict(op=operation(op)['Status'], instances=sorted(instances()),
    stack=client('cloudformation', '111111111111', 'us-east-1').describe_stacks(StackName=stack_id)['Stacks'][0]['StackStatus'],
    topics=topics()['111111111111/us-east-1'],
    missing=outcome(lambda: cfn.describe_stack_instance(StackSetName='topics', StackInstanceAccount='111111111111', StackInstanceRegion='us-east-1')))
refusals = dict(
    service_managed=outcome(lambda: cfn.create_stack_set(StackSetName='org', TemplateBody=TEMPLATE, PermissionModel='SERVICE_MANAGED', AutoDeployment={'Enabled': True, 'RetainStacksOnAccountRemoval': False})),
    ous=outcome(lambda: cfn.create_stack_instances(StackSetName='topics', DeploymentTargets={'OrganizationalUnitIds': ['ou-abcd-12345678']}, Regions=['us-east-1'])),
    both=outcome(lambda: cfn.create_stack_instances(StackSetName='topics', Accounts=ACCOUNTS, Regions=REGIONS, OperationPreferences={'MaxConcurrentCount': 1, 'MaxConcurrentPercentage': 50})),
    not_empty=outcome(lambda: cfn.delete_stack_set(StackSetName='topics')),
    duplicate=outcome(lambda: cfn.create_stack_set(StackSetName='topics', TemplateBody=TEMPLATE)),
    unknown=outcome(lambda: cfn.describe_stack_set(StackSetName='nope')))
cfn.delete_stack_instances(StackSetName='topics', Accounts=ACCOUNTS, Regions=REGIONS, RetainStacks=False)
advance(1)
cfn.delete_stack_set(StackSetName='topics')
out(dict(deleted=deleted, refusals=refusals, topics=topics(),
    active=cfn.list_stack_sets(Status='ACTIVE')['Summaries'], gone=[s['Status'] for s in cfn.list_stack_sets(Status='DELETED')['Summaries']]))
`);
    assert.equal(r.deleted.op, 'SUCCEEDED');
    assert.deepEqual(r.deleted.instances, ['111111111111/eu-west-1', '222222222222/eu-west-1', '222222222222/us-east-1']);
    assert.equal(r.deleted.stack, 'DELETE_COMPLETE');
    assert.deepEqual(r.deleted.topics, []);
    assert.match(r.deleted.missing, /^StackInstanceNotFoundException 404 /);
    assert.match(r.refusals.service_managed, /^ValidationError 400 faultline has no AWS Organizations/);
    assert.match(r.refusals.ous, /^ValidationError 400 faultline has no AWS Organizations/);
    assert.match(r.refusals.both, /^ValidationError 400 /);
    assert.equal(r.refusals.not_empty, 'StackSetNotEmptyException 409 StackSet topics is not empty');
    assert.equal(r.refusals.duplicate, 'NameAlreadyExistsException 409 StackSet topics already exists');
    assert.equal(r.refusals.unknown, 'StackSetNotFoundException 404 StackSet nope not found');
    assert.deepEqual(Object.values(r.topics), [[], [], [], []]);
    assert.deepEqual(r.active, []);
    assert.deepEqual(r.gone, ['DELETED']);
  });
});
