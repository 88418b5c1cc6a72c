/**
 * Terraform's aws_cloudformation_stack against faultline: create with parameters and outputs,
 * a no-change plan, an update in place, and destroy. The clock runs (scaled at 1), because the
 * provider waits for the stack in real time; a network-only stack completes at once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline, OWN_VPCS } from '../harness.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pluginMirror, providerBlock, terraform } from '../terraform.ts';

let mirror: string | undefined;
try {
  mirror = pluginMirror();
} catch {
  mirror = undefined;
}

const TEMPLATE = JSON.stringify({
  Parameters: { Cidr: { Type: 'String' }, Owner: { Type: 'String', Default: 'nobody' } },
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: { Ref: 'Cidr' }, Tags: [{ Key: 'Owner', Value: { Ref: 'Owner' } }] } },
    Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: { 'Fn::Select': [0, { 'Fn::Cidr': [{ Ref: 'Cidr' }, 2, 8] }] } } },
  },
  Outputs: { VpcId: { Value: { Ref: 'Vpc' } }, SubnetId: { Value: { Ref: 'Subnet' } } },
});

const hcl = (owner: string) => `
resource "aws_cloudformation_stack" "net" {
  name          = "tf-net"
  template_body = ${JSON.stringify(TEMPLATE)}
  parameters = {
    Cidr  = "10.7.0.0/16"
    Owner = "${owner}"
  }
}
output "vpc" { value = aws_cloudformation_stack.net.outputs["VpcId"] }
output "subnet" { value = aws_cloudformation_stack.net.outputs["SubnetId"] }
`;

describe('CloudFormation through Terraform', { skip: !mirror && 'no local mirror of the Terraform AWS provider' }, () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline({ clock: 'scaled', timeScale: 1 });
  });
  after(() => fl.close());

  it('creates, updates and destroys a stack', async () => {
    const tf = await terraform(fl, hcl('alice'));
    const out = await tf.apply();
    const vpc = (await fl.aws('ec2', 'describe-vpcs', '--vpc-ids', String(out.vpc.value))).Vpcs[0];
    assert.equal(vpc.CidrBlock, '10.7.0.0/16');
    assert.deepEqual(vpc.Tags, [{ Key: 'Owner', Value: 'alice' }]);
    const subnet = (await fl.aws('ec2', 'describe-subnets', '--subnet-ids', String(out.subnet.value))).Subnets[0];
    assert.equal(subnet.CidrBlock, '10.7.0.0/24');
    assert.deepEqual(await tf.apply(), out, 'a second apply changes nothing');

    writeFileSync(join(tf.dir, 'main.tf'), providerBlock() + hcl('bob'));
    const again = await tf.apply();
    assert.equal(again.vpc.value, out.vpc.value, 'a tag change updates the VPC in place');
    assert.deepEqual((await fl.aws('ec2', 'describe-vpcs', '--vpc-ids', String(out.vpc.value))).Vpcs[0].Tags, [{ Key: 'Owner', Value: 'bob' }]);

    await tf.destroy();
    assert.deepEqual((await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs, []);
    const stacks = (await fl.aws('cloudformation', 'list-stacks', '--stack-status-filter', 'DELETE_COMPLETE')).StackSummaries;
    assert.deepEqual(stacks.map((s: { StackName: string }) => s.StackName), ['tf-net']);
  });
});
