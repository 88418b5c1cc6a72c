/**
 * Systems Manager parameters in CloudFormation through the AWS CLI, on the manual clock: a
 * template whose image parameter reads the Amazon Linux 2 public parameter the CDK uses (the
 * instance boots from the region's built-in image and DescribeStacks shows ResolvedValue), an
 * `{{resolve:ssm:...}}` reference to the account's own parameter, and an AWS::SSM::Parameter
 * resource (generated name, tags, Ref and GetAtt, updated in place, deleted with the stack); a
 * missing parameter and a Secrets Manager reference refused at the call with nothing created.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { builtinImages } from '../../src/services/ec2/builtin-images.ts';

let fl: Faultline;
before(async () => {
  fl = await startFaultline();
});
after(() => fl.close());

const AL2 = '/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2';

const template = (value: string) =>
  JSON.stringify({
    Parameters: {
      ImageId: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: AL2 },
    },
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
      Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.1.0/24' } },
      Server: { Type: 'AWS::EC2::Instance', Properties: { ImageId: { Ref: 'ImageId' }, InstanceType: '{{resolve:ssm:/app/instance-type}}', SubnetId: { Ref: 'Subnet' } } },
      ServerId: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: { 'Fn::Join': ['/', [{ Ref: 'Server' }, value]] }, Tags: { team: 'web' } } },
    },
    Outputs: {
      Name: { Value: { Ref: 'ServerId' } },
      Value: { Value: { 'Fn::GetAtt': ['ServerId', 'Value'] } },
      Type: { Value: { 'Fn::GetAtt': ['ServerId', 'Type'] } },
    },
  });

test('an SSM-typed image parameter, a dynamic reference and an AWS::SSM::Parameter resource', async () => {
  await fl.aws('ssm', 'put-parameter', '--name', '/app/instance-type', '--value', 't3.micro', '--type', 'String');
  await fl.aws('cloudformation', 'create-stack', '--stack-name', 'app', '--template-body', template('v1'));
  fl.advance(120);
  const stack = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'app')).Stacks[0];
  const evs = (await fl.aws('cloudformation', 'describe-stack-events', '--stack-name', 'app')).StackEvents.filter((e: { ResourceStatusReason?: string }) => e.ResourceStatusReason).map((e: { LogicalResourceId: string; ResourceStatusReason: string }) => `${e.LogicalResourceId}: ${e.ResourceStatusReason}`);
  assert.equal(stack.StackStatus, 'CREATE_COMPLETE', evs.join('\n'));
  const al2 = builtinImages('us-east-1').find((i) => i.Name.startsWith('amzn2-ami-hvm-'))!.ImageId;
  assert.deepEqual(stack.Parameters, [{ ParameterKey: 'ImageId', ParameterValue: AL2, ResolvedValue: al2 }]);
  const outputs = Object.fromEntries(stack.Outputs.map((o: { OutputKey: string; OutputValue: string }) => [o.OutputKey, o.OutputValue]));
  const instanceId = outputs.Value.split('/')[0];
  const instance = (await fl.aws('ec2', 'describe-instances', '--instance-ids', instanceId)).Reservations[0].Instances[0];
  assert.deepEqual([instance.ImageId, instance.InstanceType], [al2, 't3.micro']);
  assert.match(outputs.Name, /^CFN-ServerId-[A-Z0-9]{12}$/);
  assert.deepEqual([outputs.Value, outputs.Type], [`${instanceId}/v1`, 'String']);
  const param = (await fl.aws('ssm', 'get-parameter', '--name', outputs.Name)).Parameter;
  assert.deepEqual([param.Value, param.Version], [`${instanceId}/v1`, 1]);
  assert.deepEqual((await fl.aws('ssm', 'list-tags-for-resource', '--resource-type', 'Parameter', '--resource-id', outputs.Name)).TagList, [{ Key: 'team', Value: 'web' }]);

  await fl.aws('cloudformation', 'update-stack', '--stack-name', 'app', '--template-body', template('v2'));
  fl.advance(60);
  assert.equal((await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'app')).Stacks[0].StackStatus, 'UPDATE_COMPLETE');
  const updated = (await fl.aws('ssm', 'get-parameter', '--name', outputs.Name)).Parameter;
  assert.deepEqual([updated.Value, updated.Version], [`${instanceId}/v2`, 2]);

  await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'app');
  fl.advance(300);
  const gone = await fl.awsRaw('ssm', 'get-parameter', '--name', outputs.Name);
  assert.match(gone.stderr, /ParameterNotFound/);
});

test('a missing parameter or a Secrets Manager reference fails the call and creates nothing', async () => {
  const missing = JSON.stringify({
    Parameters: { Size: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/app/nope' } },
    Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { Ref: 'Size' } } } },
  });
  const a = await fl.awsRaw('cloudformation', 'create-stack', '--stack-name', 'missing', '--template-body', missing);
  assert.match(a.stderr, /\(ValidationError\).*Unable to fetch parameters \[\/app\/nope\] from parameter store for this account\./);
  const secret = JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: '{{resolve:secretsmanager:db:SecretString:password}}' } } } });
  const b = await fl.awsRaw('cloudformation', 'create-stack', '--stack-name', 'secret', '--template-body', secret);
  assert.match(b.stderr, /\(ValidationError\).*faultline does not offer AWS Secrets Manager/);
  const stacks = (await fl.aws('cloudformation', 'list-stacks')).StackSummaries.map((s: { StackName: string }) => s.StackName);
  assert.deepEqual(stacks.filter((n: string) => n === 'missing' || n === 'secret'), []);
});
