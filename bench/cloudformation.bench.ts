/**
 * How long a 200-resource template takes to create, and to delete, on the manual clock: one VPC
 * with subnets, route table associations, network ACL entries, security groups with rules,
 * instances, alarms and topics. The clock is stepped as far as the stack needs (instances boot in
 * 30 cloud seconds); the time measured is real time. Target: under 2 s to create.
 *
 *   npx tsx bench/cloudformation.bench.ts [resources=200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.ts';
import { cloudformation } from '../src/services/cloudformation/index.ts';
import { requestContext } from '../src/cloudformation/evaluation.ts';

const target = Number(process.argv[2] ?? 200);

function template(n: number): string {
  const r: Record<string, unknown> = {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
    Igw: { Type: 'AWS::EC2::InternetGateway' },
    Attach: { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: { Ref: 'Vpc' }, InternetGatewayId: { Ref: 'Igw' } } },
    Routes: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' } } },
    Default: { Type: 'AWS::EC2::Route', DependsOn: 'Attach', Properties: { RouteTableId: { Ref: 'Routes' }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'Igw' } } },
    Acl: { Type: 'AWS::EC2::NetworkAcl', Properties: { VpcId: { Ref: 'Vpc' } } },
  };
  const families = [
    (i: number) => ({ [`Subnet${i}`]: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: { 'Fn::Select': [i % 3, { 'Fn::GetAZs': '' }] } } } }),
    (i: number) => ({ [`Assoc${i}`]: { Type: 'AWS::EC2::SubnetRouteTableAssociation', Properties: { SubnetId: { Ref: `Subnet${i}` }, RouteTableId: { Ref: 'Routes' } } } }),
    (i: number) => ({ [`Entry${i}`]: { Type: 'AWS::EC2::NetworkAclEntry', Properties: { NetworkAclId: { Ref: 'Acl' }, RuleNumber: 100 + i, Protocol: 6, RuleAction: 'allow', Egress: false, CidrBlock: '0.0.0.0/0', PortRange: { From: 1000 + i, To: 1000 + i } } } }),
    (i: number) => ({ [`Group${i}`]: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: `g${i}`, VpcId: { Ref: 'Vpc' }, SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIp: '0.0.0.0/0' }] } } }),
    (i: number) => ({ [`Server${i}`]: { Type: 'AWS::EC2::Instance', Properties: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro', SubnetId: { Ref: `Subnet${i}` }, SecurityGroupIds: [{ Ref: `Group${i}` }] } } }),
    (i: number) => ({ [`Alarm${i}`]: { Type: 'AWS::CloudWatch::Alarm', Properties: { Namespace: 'AWS/EC2', MetricName: 'StatusCheckFailed_System', Statistic: 'Minimum', Period: 60, EvaluationPeriods: 5, ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, Dimensions: [{ Name: 'InstanceId', Value: { Ref: `Server${i}` } }] } } }),
    (i: number) => ({ [`Topic${i}`]: { Type: 'AWS::SNS::Topic' } }),
  ];
  for (let i = 0; Object.keys(r).length < n; i++) {
    for (const f of families) {
      if (Object.keys(r).length >= n) break;
      Object.assign(r, f(i));
    }
  }
  return JSON.stringify({ Resources: r });
}

const dataDir = mkdtempSync(join(tmpdir(), 'faultline-cfn-bench-'));
const app = createApp({ dataDir, clock: 'manual', log: () => {} });
const { env } = app;
const ctx = requestContext(env, { account: env.config.defaultAccount, region: 'us-east-1' });
const body = template(target);
const status = (id: string) => env.store.transaction(() => (cloudformation.handlers.DescribeStacks({ StackName: id }, ctx) as { Stacks: { StackStatus: string }[] }).Stacks[0].StackStatus);

function until(id: string, done: string): { ms: number; cloudSeconds: number } {
  const t0 = performance.now();
  const c0 = env.clock.now();
  for (let i = 0; i < 100 && status(id).endsWith('IN_PROGRESS'); i++) env.scheduler.advanceTo(env.clock.now() + 5_000);
  const s = status(id);
  if (s !== done) throw new Error(`stack ended ${s}`);
  return { ms: performance.now() - t0, cloudSeconds: (env.clock.now() - c0) / 1000 };
}

const t0 = performance.now();
const { StackId } = env.store.transaction(() => cloudformation.handlers.CreateStack({ StackName: 'bench', TemplateBody: body }, ctx) as { StackId: string });
const accepted = performance.now() - t0;
const created = until(StackId, 'CREATE_COMPLETE');
const count = env.store.transaction(() => (cloudformation.handlers.DescribeStackResources({ StackName: 'bench' }, ctx) as { StackResources: { ResourceStatus: string }[] }).StackResources.filter((r) => r.ResourceStatus === 'CREATE_COMPLETE').length);
if (count !== target) throw new Error(`only ${count} resources were created`);
env.store.transaction(() => cloudformation.handlers.DeleteStack({ StackName: 'bench' }, ctx));
const deleted = until(StackId, 'DELETE_COMPLETE');
console.log(`${target} resources: CreateStack answered in ${accepted.toFixed(0)} ms; created in ${(accepted + created.ms).toFixed(0)} ms real (${created.cloudSeconds} cloud s); deleted in ${deleted.ms.toFixed(0)} ms real (${deleted.cloudSeconds} cloud s)`);
await app.close();
rmSync(dataDir, { recursive: true, force: true });
