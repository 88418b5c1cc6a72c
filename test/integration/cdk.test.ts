/**
 * The CDK as its users run it (issue 15): the app in examples/cdk (a VPC with an Auto
 * Scaling group and a CPU alarm; an instance with a recover alarm; a group behind an Application
 * Load Balancer), synthesised with the default
 * synthesizer, then `cdk bootstrap`, `cdk deploy --all` and `cdk destroy --all` with the CDK CLI
 * against one faultline, the resources checked through the AWS CLI, and an AZ failure that the
 * group survives. The clock is manual: while a CDK command runs, a pump steps it (the CLI waits
 * in real time, polling every 5 s), 10 s every 100 ms. To keep it cheap the app is synthesised
 * once (by deploy: bootstrap runs outside the app, destroy reads deploy's cloud assembly) and
 * the three stacks deploy and are destroyed at once (--concurrency 3).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../harness.ts';

const run = promisify(execFile);
const APP = fileURLToPath(new URL('../../examples/cdk/', import.meta.url));
const CDK = fileURLToPath(new URL('../../node_modules/aws-cdk/bin/cdk', import.meta.url));

describe('the CDK CLI against faultline', () => {
  let fl: Faultline;
  let out: string;
  before(async () => {
    fl = await startFaultline();
    out = mkdtempSync(join(tmpdir(), 'faultline-cdk-'));
  });
  after(async () => {
    await fl.close();
    rmSync(out, { recursive: true, force: true });
  });

  /** Runs a CDK CLI command in `cwd` while a pump steps the manual clock. */
  const cdk = async (cwd: string, ...args: string[]) => {
    const pump = setInterval(() => fl.advance(10), 100);
    try {
      return await run(process.execPath, [CDK, ...args, '--no-notices', '--ci'], {
        cwd,
        env: { ...fl.clientEnv, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' },
        maxBuffer: 64 << 20,
      });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      throw new Error(`cdk ${args[0]} failed:\n${(err.stderr ?? '').slice(-6000)}\n${(err.stdout ?? '').slice(-2000)}`);
    } finally {
      clearInterval(pump);
    }
  };

  const stack = async (name: string) => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', name)).Stacks[0];
  const physicalId = async (name: string, type: string) => (await fl.aws('cloudformation', 'describe-stack-resources', '--stack-name', name)).StackResources.find((r: { ResourceType: string }) => r.ResourceType === type).PhysicalResourceId as string;
  const groupInstances = async (name: string) =>
    (await fl.aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', name)).AutoScalingGroups[0].Instances as { AvailabilityZone: string; LifecycleState: string; HealthStatus: string }[];
  const control = (path: string, body: unknown) => fetch(fl.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('bootstraps, deploys the three stacks, keeps the group through an AZ failure, serves the ALB\'s targets, and destroys them', async () => {
    await cdk(out, 'bootstrap', 'aws://000000000000/us-east-1');
    assert.equal((await stack('CDKToolkit')).StackStatus, 'CREATE_COMPLETE');
    const version = await fl.aws('ssm', 'get-parameter', '--name', '/cdk-bootstrap/hnb659fds/version');
    assert.match(version.Parameter.Value, /^\d+$/);

    const deploy = await cdk(APP, 'deploy', '--all', '--concurrency', '3', '--require-approval', 'never', '--output', join(out, 'cdk.out'));
    for (const name of ['CdkWeb', 'CdkServer', 'CdkAlb']) assert.equal((await stack(name)).StackStatus, 'CREATE_COMPLETE', name);
    // The progress view shows every event of the stack, not a few of them.
    const shown = (deploy.stdout + deploy.stderr).split('\n').filter((l) => /^CdkWeb \| +\d+\/\d+ \|/.test(l)).length;
    const events = (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', 'CdkWeb')).StackEvents.length;
    assert.equal(shown, events, 'every event of the stack, from REVIEW_IN_PROGRESS on');

    // The group: two instances in service, one in each zone; its alarm scales it out.
    const group = await physicalId('CdkWeb', 'AWS::AutoScaling::AutoScalingGroup');
    fl.advance(120);
    let instances = await groupInstances(group);
    assert.deepEqual(instances.map((i) => [i.AvailabilityZone, i.LifecycleState]).sort(), [['us-east-1a', 'InService'], ['us-east-1b', 'InService']]);
    const cpu = (await fl.aws('cloudwatch', 'describe-alarms', '--alarm-names', await physicalId('CdkWeb', 'AWS::CloudWatch::Alarm'))).MetricAlarms[0];
    assert.deepEqual(cpu.Dimensions, [{ Name: 'AutoScalingGroupName', Value: group }]);
    assert.match(cpu.AlarmActions[0], /^arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:/);
    // The server: running, and its alarm recovers it.
    const server = await physicalId('CdkServer', 'AWS::EC2::Instance');
    assert.equal((await fl.aws('ec2', 'describe-instances', '--instance-ids', server)).Reservations[0].Instances[0].State.Name, 'running');
    const recover = (await fl.aws('cloudwatch', 'describe-alarms', '--alarm-names', await physicalId('CdkServer', 'AWS::CloudWatch::Alarm'))).MetricAlarms[0];
    assert.deepEqual(recover.AlarmActions, ['arn:aws:automate:us-east-1:ec2:recover']);

    // The ALB's group, on Amazon Linux 2023: both instances registered and healthy in its target group.
    const targetGroup = await physicalId('CdkAlb', 'AWS::ElasticLoadBalancingV2::TargetGroup');
    const health = (await fl.aws('elbv2', 'describe-target-health', '--target-group-arn', targetGroup)).TargetHealthDescriptions as { TargetHealth: { State: string } }[];
    assert.deepEqual(health.map((h) => h.TargetHealth.State), ['healthy', 'healthy']);
    const lb = (await fl.aws('elbv2', 'describe-load-balancers', '--load-balancer-arns', await physicalId('CdkAlb', 'AWS::ElasticLoadBalancingV2::LoadBalancer'))).LoadBalancers[0];
    assert.deepEqual([lb.Scheme, lb.Type, lb.State.Code], ['internet-facing', 'application', 'active']);

    // Zone a fails: the group replaces its instance there with one in zone b.
    assert.equal((await control('/_faultline/faults', { kind: 'az', target: 'us-east-1a' })).status, 201);
    fl.advance(600);
    instances = await groupInstances(group);
    assert.deepEqual(instances.map((i) => [i.AvailabilityZone, i.LifecycleState, i.HealthStatus]), [['us-east-1b', 'InService', 'Healthy'], ['us-east-1b', 'InService', 'Healthy']]);

    // The cloud assembly that deploy synthesised, rather than the app again.
    await cdk(out, 'destroy', '--all', '--concurrency', '3', '--force', '--app', join(out, 'cdk.out'));
    for (const name of ['CdkWeb', 'CdkServer', 'CdkAlb']) assert.match((await fl.awsRaw('cloudformation', 'describe-stacks', '--stack-name', name)).stderr, new RegExp(`Stack with id ${name} does not exist`));
    const left = (await fl.aws('ec2', 'describe-instances', '--filters', 'Name=instance-state-name,Values=pending,running,stopping,stopped')).Reservations;
    assert.deepEqual(left, [], 'no instance left running');
  });
});
