/**
 * CloudFormation's API through the AWS CLI on the manual clock, with the templates in
 * test/fixtures/cloudformation: wait conditions signalled through the handle URL and
 * SignalResource, exports and imports, rollback with DeletionPolicy Retain, update rollback,
 * change sets, termination protection, template calls, unsupported types; and
 * `aws cloudformation deploy` on a running clock. cfn-lint accepts every template used.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { writeFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultline, type Faultline, OWN_VPCS, OWN_SUBNETS } from '../harness.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/cloudformation/', import.meta.url));
const SEED = fileURLToPath(new URL('../fixtures/aws-in-action-ch11/', import.meta.url));
const body = (name: string) => `file://${FIXTURES}${name}`;
const run = promisify(execFile);

type Event = { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string };

describe('CloudFormation API through the AWS CLI', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  const stack = async (name: string) => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', name)).Stacks[0];
  const events = async (name: string): Promise<Event[]> => (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', name)).StackEvents;
  const resource = async (name: string, id: string) => (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', name, '--logical-resource-id', id)).StackResourceDetail;

  it('completes wait conditions signalled through the handle URL and through SignalResource', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'signals', '--template-body', body('signals.yaml'));
    fl.advance(1);
    assert.equal((await stack('signals')).StackStatus, 'CREATE_IN_PROGRESS');
    const url = (await resource('signals', 'Handle')).PhysicalResourceId as string;
    // A presigned S3 URL in CloudFormation's bucket, as in AWS; outside the control API, so instances can reach it.
    assert.ok(url.startsWith(`${fl.url}/cloudformation-waitcondition-us-east-1/arn%3Aaws%3Acloudformation%3Aus-east-1%3A000000000000%3Astack%2Fsignals%2F`), url);
    const tooBig = await fetch(url, { method: 'PUT', body: JSON.stringify({ Status: 'SUCCESS', UniqueId: 'x', Data: 'x'.repeat(5000), Reason: '' }) });
    assert.equal(tooBig.status, 400);
    const forged = await fetch(url.replace(/Signature=\w+/, 'Signature=0'), { method: 'PUT', body: JSON.stringify({ Status: 'SUCCESS', UniqueId: 'x', Data: '', Reason: '' }) });
    assert.equal(forged.status, 403);
    const ok = await fetch(url, { method: 'PUT', body: JSON.stringify({ Status: 'SUCCESS', UniqueId: 'setup', Data: 'hello', Reason: 'done' }) });
    assert.equal(ok.status, 200);
    fl.advance(0);
    assert.equal((await resource('signals', 'Ready')).ResourceStatus, 'CREATE_COMPLETE');
    for (const id of ['i-1', 'i-2']) await fl.aws('cloudformation', 'signal-resource', '--stack-name', 'signals', '--logical-resource-id', 'Signalled', '--unique-id', id, '--status', 'SUCCESS');
    fl.advance(1);
    const s = await stack('signals');
    assert.equal(s.StackStatus, 'CREATE_COMPLETE');
    assert.equal(s.Outputs.find((o: { OutputKey: string }) => o.OutputKey === 'HandleUrl').OutputValue, url);
    const late = await fl.awsRaw('cloudformation', 'signal-resource', '--stack-name', 'signals', '--logical-resource-id', 'Signalled', '--unique-id', 'i-3', '--status', 'SUCCESS');
    assert.match(late.stderr, /ValidationError/);
  });

  it('fails a wait condition that times out, and rolls back', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'unsignalled', '--template-body', body('signals.yaml'));
    fl.advance(301);
    assert.equal((await stack('unsignalled')).StackStatus, 'ROLLBACK_COMPLETE');
    const ev = await events('unsignalled');
    assert.equal(ev.find((e) => e.LogicalResourceId === 'Ready' && e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason, 'WaitCondition timed out. Received 0 conditions when expecting 1');
    assert.equal(ev.find((e) => e.LogicalResourceId === 'Signalled' && e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason, 'Resource creation cancelled');
  });

  it('exports and imports values, and keeps an exporting stack while it is imported', async () => {
    const exports = (await fl.aws('cloudformation', 'list-exports')).Exports;
    assert.deepEqual(exports.map((e: { Name: string }) => e.Name), ['signals-topic']);
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'importer', '--template-body', body('importer.yaml'), '--parameters', 'ParameterKey=ExportName,ParameterValue=signals-topic');
    fl.advance(1);
    assert.equal((await stack('importer')).StackStatus, 'CREATE_COMPLETE');
    const alarmName = (await stack('importer')).Outputs[0].OutputValue;
    const alarm = (await fl.aws('cloudwatch', 'describe-alarms', '--alarm-names', alarmName)).MetricAlarms[0];
    assert.deepEqual(alarm.AlarmActions, [exports[0].Value]);
    assert.deepEqual((await fl.aws('cloudformation', 'list-imports', '--export-name', 'signals-topic')).Imports, ['importer']);
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'signals');
    fl.advance(1);
    const s = await stack('signals');
    assert.equal(s.StackStatus, 'DELETE_FAILED');
    assert.equal(s.StackStatusReason, 'Export signals-topic cannot be deleted as it is in use by importer');
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'importer');
    fl.advance(1);
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'signals');
    fl.advance(1);
    const deleted = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', s.StackId)).Stacks[0];
    assert.equal(deleted.StackStatus, 'DELETE_COMPLETE', 'a deleted stack stays visible by id');
    assert.deepEqual((await fl.aws('sns', 'list-topics')).Topics, []);
  });

  it('rolls back a failed create, skipping what DeletionPolicy Retain keeps', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'broken', '--template-body', body('failing.yaml'), '--parameters', 'ParameterKey=SubnetCidr,ParameterValue=10.9.0.0/24');
    fl.advance(1);
    const s = await stack('broken');
    assert.equal(s.StackStatus, 'ROLLBACK_COMPLETE');
    const ev = await events('broken');
    assert.equal(ev.find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason, 'The following resource(s) failed to create: [Subnet]. Rollback requested by user.');
    assert.match(ev.find((e) => e.LogicalResourceId === 'Subnet' && e.ResourceStatus === 'CREATE_FAILED')!.ResourceStatusReason!, /\(Service: EC2; Status Code: 400; Error Code: InvalidSubnet\.Range;/);
    assert.ok(ev.some((e) => e.LogicalResourceId === 'Kept' && e.ResourceStatus === 'DELETE_SKIPPED'));
    assert.deepEqual((await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs, []);
    const topics = (await fl.aws('sns', 'list-topics')).Topics;
    assert.equal(topics.length, 1, 'the retained topic outlives the stack');
    await fl.aws('sns', 'delete-topic', '--topic-arn', topics[0].TopicArn);
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'broken');
    fl.advance(1);

    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'kept', '--template-body', body('failing.yaml'), '--parameters', 'ParameterKey=SubnetCidr,ParameterValue=10.9.0.0/24', '--on-failure', 'DO_NOTHING');
    fl.advance(1);
    assert.equal((await stack('kept')).StackStatus, 'CREATE_FAILED');
    assert.equal((await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs.length, 1, 'DO_NOTHING keeps what was created');
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'kept');
    fl.advance(1);
    assert.deepEqual((await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs, []);
  });

  it('rolls back a failed update to the resources it had', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'net', '--template-body', body('failing.yaml'));
    fl.advance(1);
    const before = (await resource('net', 'Subnet')).PhysicalResourceId;
    await fl.aws('cloudformation', 'update-stack', '--stack-name', 'net', '--use-previous-template', '--parameters', 'ParameterKey=SubnetCidr,ParameterValue=10.9.0.0/24');
    fl.advance(1);
    const s = await stack('net');
    assert.equal(s.StackStatus, 'UPDATE_ROLLBACK_COMPLETE');
    assert.equal((await resource('net', 'Subnet')).PhysicalResourceId, before);
    assert.deepEqual(s.Parameters, [{ ParameterKey: 'SubnetCidr', ParameterValue: '10.0.0.0/24' }]);
    const subnets = (await fl.aws('ec2', 'describe-subnets', ...OWN_SUBNETS)).Subnets.map((x: { SubnetId: string }) => x.SubnetId);
    assert.deepEqual(subnets, [before]);
    const statuses = (await events('net')).map((e) => e.ResourceStatus).filter((x, i, a) => a.indexOf(x) === i);
    for (const st of ['UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_FAILED']) assert.ok(statuses.includes(st), st);
  });

  it('protects a stack from deletion while termination protection is on', async () => {
    await fl.aws('cloudformation', 'update-termination-protection', '--stack-name', 'net', '--enable-termination-protection');
    const r = await fl.awsRaw('cloudformation', 'delete-stack', '--stack-name', 'net');
    assert.match(r.stderr, /Stack \[net\] cannot be deleted while TerminationProtection is enabled/);
    await fl.aws('cloudformation', 'update-termination-protection', '--stack-name', 'net', '--no-enable-termination-protection');
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'net');
    fl.advance(1);
    const gone = (await fl.aws('cloudformation', 'list-stacks', '--stack-status-filter', 'DELETE_COMPLETE')).StackSummaries.map((x: { StackName: string }) => x.StackName);
    assert.ok(gone.includes('net'));
    const remaining = await fl.aws('cloudformation', 'describe-stacks');
    assert.deepEqual(remaining.Stacks.map((x: { StackName: string }) => x.StackName), ['unsignalled']);
  });

  it('creates and updates through change sets, with the changes and their replacement', async () => {
    const created = await fl.aws('cloudformation', 'create-change-set', '--stack-name', 'cs', '--change-set-name', 'first', '--change-set-type', 'CREATE', '--template-body', body('deploy.yaml'));
    assert.equal((await stack('cs')).StackStatus, 'REVIEW_IN_PROGRESS');
    const d = await fl.aws('cloudformation', 'describe-change-set', '--change-set-name', created.Id);
    assert.equal(d.Status, 'CREATE_COMPLETE');
    assert.equal(d.ExecutionStatus, 'AVAILABLE');
    assert.deepEqual(d.Changes.map((c: { ResourceChange: { Action: string; LogicalResourceId: string } }) => `${c.ResourceChange.Action} ${c.ResourceChange.LogicalResourceId}`).sort(), ['Add Group', 'Add Vpc']);
    await fl.aws('cloudformation', 'execute-change-set', '--change-set-name', 'first', '--stack-name', 'cs');
    fl.advance(1);
    assert.equal((await stack('cs')).StackStatus, 'CREATE_COMPLETE');

    await fl.aws('cloudformation', 'create-change-set', '--stack-name', 'cs', '--change-set-name', 'second', '--use-previous-template', '--parameters', 'ParameterKey=Cidr,ParameterValue=10.2.0.0/16');
    const u = await fl.aws('cloudformation', 'describe-change-set', '--change-set-name', 'second', '--stack-name', 'cs');
    const byId = Object.fromEntries(u.Changes.map((c: { ResourceChange: { LogicalResourceId: string } }) => [c.ResourceChange.LogicalResourceId, c.ResourceChange]));
    assert.equal(byId.Vpc.Replacement, 'True');
    assert.deepEqual(byId.Vpc.Details[0].Target, { Attribute: 'Properties', Name: 'CidrBlock', RequiresRecreation: 'Always' });
    assert.equal(byId.Group.Replacement, 'True');
    assert.equal(byId.Group.Details[0].Evaluation, 'Dynamic');
    assert.equal(byId.Group.Details[0].CausingEntity, 'Vpc');
    await fl.aws('cloudformation', 'create-change-set', '--stack-name', 'cs', '--change-set-name', 'same', '--use-previous-template');
    const same = await fl.aws('cloudformation', 'describe-change-set', '--change-set-name', 'same', '--stack-name', 'cs');
    assert.equal(same.Status, 'FAILED');
    assert.equal(same.StatusReason, "The submitted information didn't contain changes. Submit different information to create a change set.");
    const list = (await fl.aws('cloudformation', 'list-change-sets', '--stack-name', 'cs')).Summaries.map((x: { ChangeSetName: string }) => x.ChangeSetName);
    // Executing 'first' removed the stack's change sets, 'first' included, as CloudFormation does.
    assert.deepEqual(list, ['second', 'same']);
    await fl.aws('cloudformation', 'delete-change-set', '--change-set-name', 'same', '--stack-name', 'cs');
    const vpcBefore = (await resource('cs', 'Vpc')).PhysicalResourceId;
    await fl.aws('cloudformation', 'execute-change-set', '--change-set-name', 'second', '--stack-name', 'cs');
    fl.advance(1);
    assert.equal((await stack('cs')).StackStatus, 'UPDATE_COMPLETE');
    assert.notEqual((await resource('cs', 'Vpc')).PhysicalResourceId, vpcBefore);
    assert.equal((await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs.length, 1, 'the replaced VPC is deleted during clean-up');
  });

  it('summarises and validates templates, and refuses bad ones', async () => {
    const summary = await fl.aws('cloudformation', 'get-template-summary', '--template-body', `file://${SEED}multiaz-elasticip.json`);
    assert.deepEqual(summary.Capabilities, ['CAPABILITY_IAM']);
    assert.match(summary.CapabilitiesReason, /AWS::IAM::Role/);
    assert.ok(summary.ResourceTypes.includes('AWS::AutoScaling::AutoScalingGroup'));
    const pw = summary.Parameters.find((p: { ParameterKey: string }) => p.ParameterKey === 'JenkinsAdminPassword');
    assert.equal(pw.ParameterType, 'String');
    const valid = await fl.aws('cloudformation', 'validate-template', '--template-body', body('signals.yaml'));
    assert.deepEqual(valid.Parameters, [{ ParameterKey: 'Stage', DefaultValue: 'test', NoEcho: false }]);
    const bad = await fl.awsRaw('cloudformation', 'validate-template', '--template-body', '{"Resources": {"A": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Ref": "Nope"}}}}}');
    assert.match(bad.stderr, /ValidationError.*Template format error: Unresolved resource dependencies \[Nope\] in the Resources block of the template/);
    const tpl = (await fl.aws('cloudformation', 'get-template', '--stack-name', 'cs')).TemplateBody;
    assert.equal(tpl, readFileSync(`${FIXTURES}deploy.yaml`, 'utf8'));
    const missing = await fl.awsRaw('cloudformation', 'describe-stacks', '--stack-name', 'nope');
    assert.match(missing.stderr, /ValidationError.*Stack with id nope does not exist/);
    const dup = await fl.awsRaw('cloudformation', 'create-stack', '--stack-name', 'cs', '--template-body', body('deploy.yaml'));
    assert.match(dup.stderr, /AlreadyExistsException.*Stack \[cs\] already exists/);
  });

  it('fails a stack with a resource type faultline does not support, naming the type', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'lambda', '--template-body', '{"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}, "Role": "arn:aws:iam::000000000000:role/x"}}}}');
    fl.advance(1);
    assert.equal((await stack('lambda')).StackStatus, 'ROLLBACK_COMPLETE');
    const failed = (await events('lambda')).find((e) => e.ResourceStatus === 'CREATE_FAILED');
    assert.match(failed!.ResourceStatusReason!, /faultline does not support resource type AWS::Lambda::Function/);
  });

  it('is accepted by cfn-lint: every template these tests use', async () => {
    // One cfn-lint run for every file (each run spends seconds loading its schemas), its findings
    // by file: no errors (warnings allowed), but for the one file described below.
    const dir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
    try {
      // cfn-lint's JSON reader refuses the escaped surrogate pairs in multiaz-ebs.json's
      // AllowedPattern (valid JSON); the same JSON value with those characters unescaped passes.
      const text = readFileSync(SEED + 'multiaz-ebs.json', 'utf8').replace(/\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})/gi, (_, hi: string, lo: string) =>
        String.fromCharCode(parseInt(hi, 16), parseInt(lo, 16)),
      );
      assert.deepEqual(JSON.parse(text), JSON.parse(readFileSync(SEED + 'multiaz-ebs.json', 'utf8')));
      const unescaped = join(dir, 'multiaz-ebs.json');
      writeFileSync(unescaped, text);
      const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).map((f) => FIXTURES + f);
      const seeds = ['recovery.json', 'multiaz.json', 'multiaz-elasticip.json'].map((f) => SEED + f);
      const escaped = SEED + 'multiaz-ebs.json';
      const files = [...fixtures, ...seeds, unescaped, escaped];
      const out = await run('cfn-lint', ['--format', 'json', ...files]).then(
        (r) => r.stdout,
        (e: { stdout: string }) => e.stdout,
      );
      type Finding = { Filename: string; Level: string; Message: string; Rule: { Id: string } };
      const findings: Finding[] = JSON.parse(out);
      const errors = findings.filter((f) => f.Level === 'Error');
      assert.ok(findings.every((f) => files.includes(f.Filename)), out);
      assert.deepEqual(errors.filter((f) => f.Filename !== escaped), [], out);
      const first = findings.find((f) => f.Filename === escaped);
      assert.equal(first?.Rule.Id, 'E0000', out);
      assert.match(first!.Message, /^found invalid Unicode character escape code/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('aws cloudformation deploy on a running clock', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline({ clock: 'scaled', timeScale: 1 });
  });
  after(() => fl.close());

  it('creates, updates and reports no changes, through change sets', async () => {
    const deploy = (...extra: string[]) => fl.awsRaw('cloudformation', 'deploy', '--stack-name', 'web', '--template-file', `${FIXTURES}deploy.yaml`, ...extra);
    const first = await deploy();
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /Successfully created\/updated stack - web/);
    const second = await deploy('--parameter-overrides', 'Owner=ops');
    assert.equal(second.code, 0, second.stderr);
    const vpc = (await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs[0];
    assert.deepEqual(vpc.Tags, [{ Key: 'Owner', Value: 'ops' }]);
    // The CLI fails on an empty change set unless told not to.
    const third = await deploy('--parameter-overrides', 'Owner=ops');
    assert.equal(third.code, 255);
    assert.match(third.stdout + third.stderr, /No changes to deploy\. Stack web is up to date/);
    // The CLI names change sets by the wall-clock second, and leaves the empty one behind: remove it.
    for (const c of (await fl.aws('cloudformation', 'list-change-sets', '--stack-name', 'web')).Summaries) {
      if (c.Status === 'FAILED') await fl.aws('cloudformation', 'delete-change-set', '--change-set-name', c.ChangeSetId);
    }
    const quiet = await deploy('--parameter-overrides', 'Owner=ops', '--no-fail-on-empty-changeset');
    assert.equal(quiet.code, 0, quiet.stderr);
  });
});
