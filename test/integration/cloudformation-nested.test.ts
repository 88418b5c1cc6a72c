/**
 * Nested stacks (AWS::CloudFormation::Stack) through boto3 on the manual clock, with templates
 * in faultline's S3 under the URL forms AWS takes: a tree of three levels created with outputs
 * passed up, updated, rolled back as a unit (a child that fails, and a sibling that fails after
 * the child updated), a child failure rolling back a create, termination protection, and delete.
 * Then a template that `aws cloudformation package` made, uploading the child template to S3 and
 * rewriting its TemplateURL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/cloudformation/nested/', import.meta.url));

const PRELUDE = `${BOTO3_PRELUDE}
cfn = boto3.client('cloudformation', config=no_retry)
s3 = boto3.client('s3', config=no_retry)
def stack(name): return cfn.describe_stacks(StackName=name)['Stacks'][0]
def status(name): return stack(name)['StackStatus']
def outputs(name): return {o['OutputKey']: o['OutputValue'] for o in stack(name).get('Outputs', [])}
def resource(name, logical): return cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical)['StackResourceDetail']
def child(name, logical): return resource(name, logical)['PhysicalResourceId']
def events(name): return [(e['LogicalResourceId'], e['ResourceStatus'], e.get('ResourceStatusReason')) for e in cfn.describe_stack_events(StackName=name)['StackEvents']]
def statuses(name): return [e[1] for e in reversed(events(name)) if e[0] == stack(name)['StackName']]
URLS = dict(
    NetUrl='https://templates.s3.amazonaws.com/net.yaml',
    AppUrl='https://s3.us-east-1.amazonaws.com/templates/app.yaml',
    LeafUrl=url + '/templates/leaf.yaml',
)
def params(**given): return [{'ParameterKey': k, 'ParameterValue': v} for k, v in {**URLS, **given}.items()]
`;

describe('CloudFormation nested stacks', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
    const files = Object.fromEntries(['root', 'net', 'app', 'leaf'].map((n) => [n, readFileSync(join(FIXTURES, `${n}.yaml`), 'utf8')]));
    await fl.python(`${PRELUDE}
s3.create_bucket(Bucket='templates')
for name, body in json.loads(${JSON.stringify(JSON.stringify(files))}).items():
    s3.put_object(Bucket='templates', Key=name + '.yaml', Body=body.encode())
`);
  });
  after(() => fl.close());

  it('creates a tree of real stacks, passing outputs up through GetAtt', async () => {
    const r = await fl.python(`${PRELUDE}
root_id = cfn.create_stack(StackName='tree', TemplateURL='https://templates.s3.amazonaws.com/root.yaml', Parameters=params(TopicName='alerts'))['StackId']
advance(1)
net, app = child('tree', 'Net'), child('tree', 'App')
leaf = child(app, 'Leaf')
listed = {s['StackName']: s for s in cfn.list_stacks()['StackSummaries']}
out(dict(root_id=root_id, root=stack('tree'), net=stack(net), app=stack(app), leaf=stack(leaf), outputs=outputs('tree'),
    topics=[t['TopicArn'] for t in boto3.client('sns').list_topics()['Topics']],
    leaf_value=boto3.client('ssm').get_parameter(Name=outputs(leaf)['ParameterName'])['Parameter']['Value'],
    listed=[listed[s]['ParentId'] for s in (stack(net)['StackName'], stack(leaf)['StackName'])],
    described=sorted(s['StackName'] for s in cfn.describe_stacks()['Stacks']),
    net_events=[e[1:] for e in reversed(events('tree')) if e[0] == 'Net']))
`);
    assert.equal(r.root.StackStatus, 'CREATE_COMPLETE');
    assert.match(r.net.StackName, /^tree-Net-[A-Z0-9]{12}$/);
    assert.match(r.leaf.StackName, /^tree-App-[A-Z0-9]{12}-Leaf-[A-Z0-9]{12}$/);
    for (const s of [r.net, r.app, r.leaf]) {
      assert.equal(s.StackStatus, 'CREATE_COMPLETE');
      assert.equal(s.RootId, r.root_id);
    }
    assert.equal(r.net.ParentId, r.root_id);
    assert.equal(r.leaf.ParentId, r.app.StackId);
    assert.equal(r.root.ParentId, undefined);
    // The stack's Tags and the resource's own pass on to the child; TimeoutInMinutes is the child's.
    assert.deepEqual(r.net.Tags, [{ Key: 'tier', Value: 'net' }]);
    assert.equal(r.app.TimeoutInMinutes, 10);
    const topic = 'arn:aws:sns:us-east-1:000000000000:alerts';
    assert.deepEqual(r.topics, [topic]);
    assert.equal(r.outputs.TopicArn, topic);
    assert.equal(r.outputs.NetId, r.net.StackId);
    assert.equal(r.leaf_value, topic);
    assert.equal(r.outputs.LeafParameter, r.leaf.Outputs[0].OutputValue);
    assert.deepEqual(r.listed, [r.root_id, r.app.StackId]);
    assert.equal(r.described.length, 4);
    assert.deepEqual(r.net_events, [
      ['CREATE_IN_PROGRESS', null],
      ['CREATE_IN_PROGRESS', 'Resource creation Initiated'],
      ['CREATE_COMPLETE', null],
    ]);
  });

  it('updates a child when its parameters change', async () => {
    const r = await fl.python(`${PRELUDE}
net = child('tree', 'Net')
cfn.update_stack(StackName='tree', UsePreviousTemplate=True, Parameters=params(TopicName='alarms'))
advance(1)
out(dict(root=statuses('tree')[-3:], net=statuses(net)[-4:], same_id=child('tree', 'Net') == net, outputs=outputs('tree'),
    leaf_value=boto3.client('ssm').get_parameter(Name=outputs('tree')['LeafParameter'])['Parameter']['Value'],
    topics=[t['TopicArn'] for t in boto3.client('sns').list_topics()['Topics']]))
`);
    assert.deepEqual(r.root, ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    assert.deepEqual(r.net.slice(-3), ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    assert.equal(r.same_id, true);
    const topic = 'arn:aws:sns:us-east-1:000000000000:alarms';
    assert.equal(r.outputs.TopicArn, topic);
    // The new output flowed through App into the grandchild.
    assert.equal(r.leaf_value, topic);
    assert.deepEqual(r.topics, [topic]);
  });

  it('rolls the tree back when a child fails its update, and when a sibling fails after the child updated', async () => {
    const r = await fl.python(`${PRELUDE}
net = child('tree', 'Net')
cfn.update_stack(StackName='tree', UsePreviousTemplate=True, Parameters=params(TopicName='bad name!'))
advance(1)
failed = dict(root=status('tree'), net=status(net), reason=[e[2] for e in events('tree') if e[0] == 'Net' and e[1] == 'UPDATE_FAILED'][0],
    topic=outputs('tree')['TopicArn'])
cfn.update_stack(StackName='tree', UsePreviousTemplate=True, Parameters=params(TopicName='pages', Broken='yes'))
advance(0)
midway = dict(net=status(net), root=status('tree'))
advance(2)
out(dict(failed=failed, midway=midway, root=statuses('tree')[-4:], net=statuses(net)[-6:], outputs=outputs('tree'),
    topics=[t['TopicArn'] for t in boto3.client('sns').list_topics()['Topics']]))
`);
    assert.equal(r.failed.root, 'UPDATE_ROLLBACK_COMPLETE');
    assert.equal(r.failed.net, 'UPDATE_ROLLBACK_COMPLETE');
    assert.match(r.failed.reason, /^Embedded stack arn:aws:cloudformation:us-east-1:000000000000:stack\/tree-Net-\w+\/[0-9a-f-]+ was not successfully updated\. Currently in UPDATE_ROLLBACK_IN_PROGRESS with reason: The following resource\(s\) failed to update: \[Topic\]\.$/);
    assert.equal(r.failed.topic, 'arn:aws:sns:us-east-1:000000000000:alarms');
    // The child's update completed before the wait condition timed out; the parent's rollback rolls it back.
    assert.deepEqual(r.midway, { net: 'UPDATE_COMPLETE', root: 'UPDATE_IN_PROGRESS' });
    assert.deepEqual(r.root, ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    assert.deepEqual(r.net, ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    assert.equal(r.outputs.TopicArn, 'arn:aws:sns:us-east-1:000000000000:alarms');
    assert.deepEqual(r.topics, ['arn:aws:sns:us-east-1:000000000000:alarms']);
  });

  it('rolls back a create whose child fails, deleting the child, and refuses a TemplateURL S3 does not serve', async () => {
    const r = await fl.python(`${PRELUDE}
cfn.create_stack(StackName='broken', TemplateURL=URLS['NetUrl'].replace('net', 'root'), Parameters=params(TopicName='bad name!'))
advance(1)
net = child('broken', 'Net')
foreign = params(TopicName='x', NetUrl='https://example.com/templates/net.yaml')
cfn.create_stack(StackName='foreign', TemplateURL=URLS['AppUrl'].replace('app', 'root'), Parameters=foreign)
advance(1)
out(dict(root=statuses('broken'), net=statuses(net), net_id=net,
    reason=[e[2] for e in events('broken') if e[0] == 'Net' and e[1] == 'CREATE_FAILED'][0],
    foreign=[e[2] for e in events('foreign') if e[0] == 'Net' and e[1] == 'CREATE_FAILED'][0],
    foreign_status=status('foreign')))
`);
    assert.deepEqual(r.root, ['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    assert.deepEqual(r.net, ['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    assert.equal(r.reason, `Embedded stack ${r.net_id} was not successfully created: The following resource(s) failed to create: [Topic].`);
    assert.equal(r.foreign, 'TemplateURL must be an Amazon S3 URL.');
    assert.equal(r.foreign_status, 'ROLLBACK_COMPLETE');
  });

  it('keeps termination protection on the root, and deletes the whole tree', async () => {
    const r = await fl.python(`${PRELUDE}
net = child('tree', 'Net')
app = child('tree', 'App')
leaf = child(app, 'Leaf')
root = stack('tree')['StackId']
nested = outcome(lambda: cfn.update_termination_protection(StackName=net, EnableTerminationProtection=True))
cfn.update_termination_protection(StackName='tree', EnableTerminationProtection=True)
protected = dict(leaf=stack(leaf)['EnableTerminationProtection'], delete=outcome(lambda: cfn.delete_stack(StackName=net)))
cfn.update_termination_protection(StackName='tree', EnableTerminationProtection=False)
cfn.delete_stack(StackName='tree')
advance(1)
out(dict(nested=nested, protected=protected, statuses=[status(s) for s in (net, app, leaf)], root=[e[1] for e in events(root) if e[0] == 'tree'][:2],
    topics=boto3.client('sns').list_topics()['Topics'], parameters=boto3.client('ssm').describe_parameters()['Parameters'],
    remaining=[s['StackName'] for s in cfn.describe_stacks()['Stacks']]))
`);
    assert.match(r.nested, /^ValidationError 400 .*is a nested stack/);
    assert.equal(r.protected.leaf, true);
    assert.match(r.protected.delete, /^ValidationError 400 Stack \[tree-Net-\w+\] cannot be deleted while TerminationProtection is enabled$/);
    assert.deepEqual(r.statuses, ['DELETE_COMPLETE', 'DELETE_COMPLETE', 'DELETE_COMPLETE']);
    assert.deepEqual(r.root, ['DELETE_COMPLETE', 'DELETE_IN_PROGRESS']);
    assert.deepEqual(r.topics, []);
    assert.deepEqual(r.parameters, []);
    assert.deepEqual(r.remaining.sort(), ['broken', 'foreign']);
  });

  it('creates a stack from what `aws cloudformation package` uploaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nested-package-'));
    try {
      writeFileSync(join(dir, 'net.yaml'), readFileSync(join(FIXTURES, 'net.yaml')));
      writeFileSync(join(dir, 'main.yaml'), 'Resources:\n  Net:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: net.yaml\n      Parameters:\n        TopicName: packaged\nOutputs:\n  TopicArn:\n    Value: !GetAtt Net.Outputs.TopicArn\n');
      await fl.awsRaw('cloudformation', 'package', '--template-file', join(dir, 'main.yaml'), '--s3-bucket', 'templates', '--output-template-file', join(dir, 'packaged.yaml'));
      const packaged = readFileSync(join(dir, 'packaged.yaml'), 'utf8');
      // With --endpoint-url, the CLI names the object on that endpoint.
      assert.match(packaged, new RegExp(`TemplateURL: ${fl.url}/templates/\\w+\\.template`));
      // `deploy` itself is tested in cloudformation-api.test.ts: its waiters cost half a minute of real time here.
      const r = await fl.python(`${PRELUDE}
cfn.create_stack(StackName='packaged', TemplateBody=${JSON.stringify(packaged)})
advance(1)
out(dict(outputs=outputs('packaged'), child=stack(child('packaged', 'Net'))['StackStatus']))
`);
      assert.deepEqual(r, { outputs: { TopicArn: 'arn:aws:sns:us-east-1:000000000000:packaged' }, child: 'CREATE_COMPLETE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
