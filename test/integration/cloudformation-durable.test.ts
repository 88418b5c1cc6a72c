/**
 * The stack loop's state is durable: a faultline stopped mid-create resumes the stack after a
 * restart from the same data directory. And CancelUpdateStack rolls a replacement back to the
 * resource the stack had.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFaultline, type Faultline } from '../harness.ts';

const TEMPLATE = `file://${fileURLToPath(new URL('../fixtures/cloudformation/server.yaml', import.meta.url))}`;

describe('CloudFormation: durable stack operations', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-cfn-'));
  let fl: Faultline;
  after(async () => {
    await fl?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const stack = async () => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'server')).Stacks[0];
  const server = async () => (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', 'server', '--logical-resource-id', 'Server')).StackResourceDetail;

  it('resumes a stack after a restart in the middle of its creation', async () => {
    fl = await startFaultline({ dataDir });
    await fl.aws('ec2', 'create-key-pair', '--key-name', 'one');
    await fl.aws('ec2', 'create-key-pair', '--key-name', 'two');
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'server', '--template-body', TEMPLATE, '--parameters', 'ParameterKey=KeyName,ParameterValue=one');
    fl.advance(5);
    assert.equal((await server()).ResourceStatus, 'CREATE_IN_PROGRESS', 'the instance is still pending');
    await fl.close();

    fl = await startFaultline({ dataDir });
    assert.equal((await stack()).StackStatus, 'CREATE_IN_PROGRESS');
    fl.advance(60);
    const s = await stack();
    assert.equal(s.StackStatus, 'CREATE_COMPLETE');
    assert.match(s.Outputs[0].OutputValue, /^10\.3\.1\.\d+$/);
  });

  it('rolls a cancelled update back to the original server', async () => {
    const original = (await server()).PhysicalResourceId;
    await fl.aws('cloudformation', 'update-stack', '--stack-name', 'server', '--use-previous-template', '--parameters', 'ParameterKey=KeyName,ParameterValue=two');
    fl.advance(1);
    const replacement = (await server()).PhysicalResourceId;
    assert.notEqual(replacement, original, 'a new key pair replaces the server; the new one is booting');
    assert.equal((await server()).ResourceStatus, 'UPDATE_IN_PROGRESS');
    await fl.aws('cloudformation', 'cancel-update-stack', '--stack-name', 'server');
    fl.advance(60);
    const s = await stack();
    assert.equal(s.StackStatus, 'UPDATE_ROLLBACK_COMPLETE');
    assert.equal((await server()).PhysicalResourceId, original);
    const states = (await fl.aws('ec2', 'describe-instances', '--instance-ids', original, replacement)).Reservations.flatMap((r: { Instances: { InstanceId: string; State: { Name: string } }[] }) => r.Instances);
    assert.deepEqual(Object.fromEntries(states.map((i: { InstanceId: string; State: { Name: string } }) => [i.InstanceId, i.State.Name])), { [original]: 'running', [replacement]: 'terminated' });
    const again = await fl.awsRaw('cloudformation', 'cancel-update-stack', '--stack-name', 'server');
    assert.match(again.stderr, /CancelUpdateStack cannot be called from current stack status/);
  });

  it('stops, modifies and starts the server for a new instance type, keeping its id', async () => {
    const id = (await server()).PhysicalResourceId;
    await fl.aws('cloudformation', 'update-stack', '--stack-name', 'server', '--use-previous-template', '--parameters', 'ParameterKey=KeyName,UsePreviousValue=true', 'ParameterKey=InstanceType,ParameterValue=t2.small');
    fl.advance(10);
    const during = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
    assert.equal(during.State.Name, 'stopping');
    fl.advance(120);
    assert.equal((await stack()).StackStatus, 'UPDATE_COMPLETE');
    assert.equal((await server()).PhysicalResourceId, id);
    const inst = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
    assert.equal(inst.InstanceType, 't2.small');
    assert.equal(inst.State.Name, 'running');
  });

  it('snapshots a volume whose DeletionPolicy is Snapshot when its stack is deleted', async () => {
    const volumeTemplate = TEMPLATE.replace('server.yaml', 'volume.yaml');
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'disk', '--template-body', volumeTemplate);
    fl.advance(30);
    const volume = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'disk')).Stacks[0].Outputs[0].OutputValue;
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'disk');
    fl.advance(30);
    assert.deepEqual((await fl.aws('ec2', 'describe-volumes', '--filters', `Name=volume-id,Values=${volume}`)).Volumes, []);
    const snaps = (await fl.aws('ec2', 'describe-snapshots', '--owner-ids', 'self', '--filters', `Name=volume-id,Values=${volume}`)).Snapshots;
    assert.equal(snaps.length, 1);
    assert.equal(snaps[0].VolumeSize, 2);
  });

  it('refuses an update that the stack policy denies, and rolls it back', async () => {
    const policy = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' },
        { Effect: 'Deny', Action: 'Update:*', Principal: '*', Resource: 'LogicalResourceId/Server' },
      ],
    });
    await fl.aws('cloudformation', 'set-stack-policy', '--stack-name', 'server', '--stack-policy-body', policy);
    assert.equal((await fl.aws('cloudformation', 'get-stack-policy', '--stack-name', 'server')).StackPolicyBody, policy);
    await fl.aws('cloudformation', 'update-stack', '--stack-name', 'server', '--use-previous-template', '--parameters', 'ParameterKey=KeyName,UsePreviousValue=true', 'ParameterKey=InstanceType,ParameterValue=t2.micro');
    fl.advance(5);
    assert.equal((await stack()).StackStatus, 'UPDATE_ROLLBACK_COMPLETE');
    const failed = (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', 'server')).StackEvents.find((e: { ResourceStatus: string }) => e.ResourceStatus === 'UPDATE_FAILED');
    assert.match(failed.ResourceStatusReason, /^Action denied by stack policy: Statement \[#2\]/);
  });

  it('deletes a stack while it is still being created', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'hasty', '--template-body', TEMPLATE, '--parameters', 'ParameterKey=KeyName,ParameterValue=one');
    fl.advance(1);
    const instance = (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', 'hasty', '--logical-resource-id', 'Server')).StackResourceDetail.PhysicalResourceId;
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'hasty');
    fl.advance(60);
    assert.match((await fl.awsRaw('cloudformation', 'describe-stacks', '--stack-name', 'hasty')).stderr, /Stack with id hasty does not exist/);
    const inst = (await fl.aws('ec2', 'describe-instances', '--instance-ids', instance)).Reservations[0].Instances[0];
    assert.equal(inst.State.Name, 'terminated');
  });
});
