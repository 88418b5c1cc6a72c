/**
 * The chapter's recovery.json through the AWS CLI, unmodified, on the manual clock: the key pair,
 * create-stack with the password parameter, the stack's events and outputs, the instance, its
 * Elastic IP and the recovery alarm; then the failures the chapter warns of (a short password, a
 * missing key pair) and delete-stack leaving nothing behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline, OWN_VPCS } from '../harness.ts';

const SEED = new URL('../fixtures/aws-in-action-ch11/', import.meta.url);
const template = (name: string) => `file://${new URL(name, SEED).pathname}`;

describe('CloudFormation: recovery.json through the AWS CLI', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  const stack = async (name: string) => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', name)).Stacks[0];

  it('refuses a password shorter than 8 characters, and one with a symbol', async () => {
    const short = await fl.awsRaw('cloudformation', 'create-stack', '--stack-name', 'short', '--template-body', template('recovery.json'), '--parameters', 'ParameterKey=JenkinsAdminPassword,ParameterValue=abc');
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /ValidationError.*Parameter 'JenkinsAdminPassword' must contain at least 8 characters/);
    const symbol = await fl.awsRaw('cloudformation', 'create-stack', '--stack-name', 'symbol', '--template-body', template('recovery.json'), '--parameters', 'ParameterKey=JenkinsAdminPassword,ParameterValue=secret!pass');
    assert.match(symbol.stderr, /Parameter JenkinsAdminPassword must match pattern \[a-zA-Z0-9\]\*/);
  });

  it('fails and rolls back when key pair mykey does not exist', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'nokey', '--template-body', template('recovery.json'), '--parameters', 'ParameterKey=JenkinsAdminPassword,ParameterValue=secret123');
    fl.advance(1);
    const s = await stack('nokey');
    assert.equal(s.StackStatus, 'ROLLBACK_COMPLETE');
    const events = (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', 'nokey')).StackEvents;
    const rollback = events.find((e: { ResourceStatus: string }) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS');
    assert.equal(rollback.ResourceStatusReason, 'Parameter validation failed: parameter value mykey for parameter name KeyName does not exist. Rollback requested by user.');
    const update = await fl.awsRaw('cloudformation', 'update-stack', '--stack-name', 'nokey', '--use-previous-template', '--parameters', 'ParameterKey=JenkinsAdminPassword,ParameterValue=other1234');
    assert.match(update.stderr, /Stack:arn:aws:cloudformation:us-east-1:\d{12}:stack\/nokey\/[0-9a-f-]+ is in ROLLBACK_COMPLETE state and can not be updated\./);
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'nokey');
    fl.advance(1);
  });

  it('creates the stack: the server runs, the Elastic IP is its address, the alarm watches it', async () => {
    await fl.aws('ec2', 'create-key-pair', '--key-name', 'mykey');
    const { StackId } = await fl.aws('cloudformation', 'create-stack', '--stack-name', 'jenkins-recovery', '--template-body', template('recovery.json'), '--parameters', 'ParameterKey=JenkinsAdminPassword,ParameterValue=secret123');
    assert.match(StackId, /^arn:aws:cloudformation:us-east-1:\d{12}:stack\/jenkins-recovery\//);
    assert.equal((await stack('jenkins-recovery')).StackStatus, 'CREATE_IN_PROGRESS');
    fl.advance(1);
    assert.equal((await stack('jenkins-recovery')).StackStatus, 'CREATE_IN_PROGRESS');
    fl.advance(60);
    const s = await stack('jenkins-recovery');
    assert.equal(s.StackStatus, 'CREATE_COMPLETE', JSON.stringify(s));
    const outputs = Object.fromEntries(s.Outputs.map((o: { OutputKey: string; OutputValue: string }) => [o.OutputKey, o.OutputValue]));
    const resources = (await fl.aws('cloudformation', 'describe-stack-resources', '--stack-name', 'jenkins-recovery')).StackResources;
    const physical = (id: string) => resources.find((r: { LogicalResourceId: string }) => r.LogicalResourceId === id).PhysicalResourceId;
    assert.equal(resources.length, 20);
    assert.ok(resources.every((r: { ResourceStatus: string }) => r.ResourceStatus === 'CREATE_COMPLETE'));
    assert.equal(outputs.JenkinsURL, `http://${physical('ElasticIP')}:8080`);
    assert.equal(outputs.User, 'admin');
    assert.equal(outputs.Password, 'secret123');
    const inst = (await fl.aws('ec2', 'describe-instances', '--instance-ids', physical('Server'))).Reservations[0].Instances[0];
    assert.equal(inst.State.Name, 'running');
    assert.equal(inst.PublicIpAddress, physical('ElasticIP'));
    assert.equal(inst.KeyName, 'mykey');
    const alarm = (await fl.aws('cloudwatch', 'describe-alarms', '--alarm-names', physical('RecoveryAlarm'))).MetricAlarms[0];
    assert.deepEqual(alarm.AlarmActions, ['arn:aws:automate:us-east-1:ec2:recover']);
    assert.deepEqual(alarm.Dimensions, [{ Name: 'InstanceId', Value: physical('Server') }]);
    const events = (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', 'jenkins-recovery')).StackEvents;
    const last = events[events.length - 1];
    assert.equal(last.ResourceStatus, 'CREATE_IN_PROGRESS');
    assert.equal(last.ResourceStatusReason, 'User Initiated');
    assert.equal(events[0].ResourceStatus, 'CREATE_COMPLETE');
    assert.equal(events[0].LogicalResourceId, 'jenkins-recovery');
  });

  it('deletes the stack, leaving nothing behind', async () => {
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'jenkins-recovery');
    fl.advance(120);
    const gone = await fl.awsRaw('cloudformation', 'describe-stacks', '--stack-name', 'jenkins-recovery');
    assert.match(gone.stderr, /Stack with id jenkins-recovery does not exist/);
    const vpcs = (await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs;
    assert.deepEqual(vpcs, []);
    const alarms = (await fl.aws('cloudwatch', 'describe-alarms')).MetricAlarms;
    assert.deepEqual(alarms, []);
    const addresses = (await fl.aws('ec2', 'describe-addresses')).Addresses;
    assert.deepEqual(addresses, []);
  });
});
