/**
 * The chapter's multi-AZ exercises through the AWS CLI, with the seed templates unmodified, on
 * the manual clock: multiaz.json from faultline's S3 (--template-url), terminate and
 * replacement; update-stack to multiaz-ebs.json with an image made from the running server
 * (UsePreviousValue for the password), and a replacement launched from that image;
 * multiaz-elasticip.json refused without CAPABILITY_IAM and created with it; delete-stack
 * leaving nothing behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startFaultline, type Faultline, OWN_VPCS } from '../harness.ts';

const SEED = new URL('../fixtures/aws-in-action-ch11/', import.meta.url);
const path = (name: string) => fileURLToPath(new URL(name, SEED));
const PASSWORD = 'ParameterKey=JenkinsAdminPassword,ParameterValue=secret123';

describe('CloudFormation: the multi-AZ templates through the AWS CLI', () => {
  let fl: Faultline;
  let server: { id: string; subnet: string; image: string };

  before(async () => {
    fl = await startFaultline();
    await fl.aws('ec2', 'create-key-pair', '--key-name', 'mykey');
  });
  after(() => fl.close());

  const status = async (name: string) => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', name)).Stacks[0].StackStatus;
  const physical = async (stack: string, id: string) =>
    (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', stack, '--logical-resource-id', id)).StackResourceDetail.PhysicalResourceId;
  const running = async () =>
    fl.aws(
      'ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=jenkins-multiaz', 'Name=instance-state-code,Values=16',
      '--query', 'Reservations[].Instances[].{id: InstanceId, subnet: SubnetId, image: ImageId}',
    );

  it('refuses multiaz-elasticip.json without CAPABILITY_IAM', async () => {
    const r = await fl.awsRaw('cloudformation', 'create-stack', '--stack-name', 'jenkins-elasticip', '--template-body', `file://${path('multiaz-elasticip.json')}`, '--parameters', PASSWORD);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /InsufficientCapabilitiesException.*Requires capabilities : \[CAPABILITY_IAM\]/);
  });

  it('creates multiaz.json from an S3 template URL; the group runs one server in one of its two subnets', async () => {
    await fl.aws('s3api', 'create-bucket', '--bucket', 'templates');
    await fl.aws('s3api', 'put-object', '--bucket', 'templates', '--key', 'multiaz.json', '--body', path('multiaz.json'));
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'jenkins-multiaz', '--template-url', 'https://s3.amazonaws.com/templates/multiaz.json', '--parameters', PASSWORD);
    fl.advance(5);
    assert.equal(await status('jenkins-multiaz'), 'CREATE_IN_PROGRESS', 'the group waits for its instance');
    fl.advance(60);
    const wait = await fl.awsRaw('cloudformation', 'wait', 'stack-create-complete', '--stack-name', 'jenkins-multiaz');
    assert.equal(wait.code, 0, wait.stderr);
    const subnets = [await physical('jenkins-multiaz', 'SubnetA'), await physical('jenkins-multiaz', 'SubnetB')];
    const servers = await running();
    assert.equal(servers.length, 1);
    assert.ok(subnets.includes(servers[0].subnet));
    assert.equal(servers[0].image, 'ami-1ecae776');
    server = servers[0];
  });

  it('replaces a terminated server', async () => {
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', server.id);
    fl.advance(90);
    const servers = await running();
    assert.equal(servers.length, 1);
    assert.notEqual(servers[0].id, server.id);
    server = servers[0];
  });

  it('updates the stack to multiaz-ebs.json with an image of the server; the next replacement starts from it', async () => {
    const { ImageId } = await fl.aws('ec2', 'create-image', '--instance-id', server.id, '--name', 'jenkins-snapshot');
    fl.advance(120);
    assert.equal((await fl.aws('ec2', 'describe-images', '--image-ids', ImageId)).Images[0].State, 'available');
    const lcBefore = await physical('jenkins-multiaz', 'LaunchConfiguration');
    await fl.aws(
      'cloudformation', 'update-stack', '--stack-name', 'jenkins-multiaz', '--template-body', `file://${path('multiaz-ebs.json')}`,
      '--parameters', 'ParameterKey=JenkinsAdminPassword,UsePreviousValue=true', `ParameterKey=AMISnapshot,ParameterValue=${ImageId}`,
    );
    fl.advance(30);
    assert.equal(await status('jenkins-multiaz'), 'UPDATE_COMPLETE');
    const lcAfter = await physical('jenkins-multiaz', 'LaunchConfiguration');
    assert.notEqual(lcAfter, lcBefore, 'a new ImageId replaces the launch configuration');
    const lcs = (await fl.aws('autoscaling', 'describe-launch-configurations')).LaunchConfigurations.map((l: { LaunchConfigurationName: string }) => l.LaunchConfigurationName);
    assert.deepEqual(lcs, [lcAfter], 'the old one was deleted during clean-up');
    const events = (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', 'jenkins-multiaz')).StackEvents.map((e: { LogicalResourceId: string; ResourceStatus: string }) => `${e.LogicalResourceId} ${e.ResourceStatus}`);
    const order = ['jenkins-multiaz UPDATE_COMPLETE', 'jenkins-multiaz UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'AutoScalingGroup UPDATE_COMPLETE', 'LaunchConfiguration UPDATE_COMPLETE', 'jenkins-multiaz UPDATE_IN_PROGRESS'];
    assert.deepEqual(order.map((o) => events.indexOf(o) >= 0), order.map(() => true), events.join('\n'));

    await fl.aws('ec2', 'terminate-instances', '--instance-ids', server.id);
    fl.advance(90);
    const servers = await running();
    assert.equal(servers.length, 1);
    assert.equal(servers[0].image, ImageId);

    const params = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'jenkins-multiaz')).Stacks[0].Parameters;
    assert.deepEqual(Object.fromEntries(params.map((p: { ParameterKey: string; ParameterValue: string }) => [p.ParameterKey, p.ParameterValue])), {
      KeyName: 'mykey',
      JenkinsAdminPassword: 'secret123',
      AMISnapshot: ImageId,
    });
    const none = await fl.awsRaw('cloudformation', 'update-stack', '--stack-name', 'jenkins-multiaz', '--use-previous-template',
      '--parameters', 'ParameterKey=JenkinsAdminPassword,UsePreviousValue=true', 'ParameterKey=AMISnapshot,UsePreviousValue=true', 'ParameterKey=KeyName,UsePreviousValue=true');
    assert.match(none.stderr, /ValidationError.*No updates are to be performed\./);
  });

  it('creates multiaz-elasticip.json with CAPABILITY_IAM: role, instance profile, and the URL on the Elastic IP', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'jenkins-elasticip', '--template-body', `file://${path('multiaz-elasticip.json')}`, '--parameters', PASSWORD, '--capabilities', 'CAPABILITY_IAM');
    fl.advance(90);
    const s = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'jenkins-elasticip')).Stacks[0];
    assert.equal(s.StackStatus, 'CREATE_COMPLETE', s.StackStatusReason);
    const url = s.Outputs.find((o: { OutputKey: string }) => o.OutputKey === 'JenkinsURL').OutputValue;
    assert.equal(url, `http://${await physical('jenkins-elasticip', 'ElasticIP')}:8080`);
    const profile = await physical('jenkins-elasticip', 'IamInstanceProfile');
    assert.match(profile, /^jenkins-elasticip-IamInstanceProfile-[A-Z0-9]+$/);
    const role = (await fl.aws('iam', 'get-instance-profile', '--instance-profile-name', profile)).InstanceProfile.Roles[0];
    assert.equal(role.RoleName, await physical('jenkins-elasticip', 'IamRole'));
  });

  it('deletes both stacks, leaving nothing behind', async () => {
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'jenkins-multiaz');
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'jenkins-elasticip');
    fl.advance(180);
    const deleted = (await fl.aws('cloudformation', 'list-stacks', '--stack-status-filter', 'DELETE_COMPLETE')).StackSummaries.map((x: { StackName: string }) => x.StackName).sort();
    assert.deepEqual(deleted, ['jenkins-elasticip', 'jenkins-multiaz']);
    assert.deepEqual((await fl.aws('autoscaling', 'describe-auto-scaling-groups')).AutoScalingGroups, []);
    assert.deepEqual((await fl.aws('autoscaling', 'describe-launch-configurations')).LaunchConfigurations, []);
    assert.deepEqual((await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs, []);
    assert.deepEqual((await fl.aws('ec2', 'describe-addresses')).Addresses, []);
    assert.deepEqual((await fl.aws('iam', 'list-roles')).Roles, []);
    assert.deepEqual(await running(), []);
  });
});
