/**
 * Terraform's AWS provider, from the local mirror, builds and destroys a VPC, subnet, security
 * group and instance, and an instance without a subnet (the default VPC's) in a spread placement group.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { terraform } from '../terraform.ts';

const HCL = `
data "aws_availability_zones" "zones" {}

resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = true
  tags = { Name = "tf-main" }
}

resource "aws_subnet" "a" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.1.0/24"
  availability_zone       = data.aws_availability_zones.zones.names[0]
  map_public_ip_on_launch = true
}

resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "web" {
  ami                    = "ami-1ecae776"
  instance_type          = "t2.micro"
  subnet_id              = aws_subnet.a.id
  vpc_security_group_ids = [aws_security_group.web.id]
  user_data              = "#!/bin/bash\\necho hello > /var/lib/app/index.html\\n"
  tags = { Name = "tf-web" }
}

resource "aws_placement_group" "spread" {
  name     = "tf-spread"
  strategy = "spread"
}

resource "aws_instance" "default_vpc" {
  ami             = "ami-1ecae776"
  instance_type   = "t2.micro"
  placement_group = aws_placement_group.spread.name
  tags = { Name = "tf-default-vpc" }
}

output "instance_id" { value = aws_instance.web.id }
output "default_vpc_subnet" { value = aws_instance.default_vpc.subnet_id }
output "private_ip"  { value = aws_instance.web.private_ip }
output "public_ip"   { value = aws_instance.web.public_ip }
output "zone"        { value = aws_subnet.a.availability_zone }
`;

describe('terraform: vpc, subnet, security group, instances, placement group', () => {
  let fl: Faultline;
  // A scaled clock lets the provider's waiters see pending become running without a test stepping time.
  before(async () => (fl = await startFaultline({ clock: 'scaled', timeScale: 60 })));
  after(() => fl.close());

  it('applies, is visible through the AWS CLI, plans no change, and destroys cleanly', async () => {
    const tf = await terraform(fl, HCL);
    const out = await tf.apply();
    const id = out.instance_id.value as string;
    assert.match(id, /^i-[0-9a-f]{17}$/);
    assert.match(out.private_ip.value as string, /^10\.0\.1\.\d+$/);
    assert.match(out.public_ip.value as string, /^127\.100\.\d+\.\d+$/);
    assert.equal(out.zone.value, 'us-east-1a');

    const described = await fl.aws('ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=tf-web', 'Name=instance-state-code,Values=16');
    assert.equal(described.Reservations[0].Instances[0].InstanceId, id);
    const sg = await fl.aws('ec2', 'describe-security-groups', '--filters', 'Name=group-name,Values=web');
    assert.equal(sg.SecurityGroups[0].IpPermissions[0].FromPort, 8080);
    // Without a subnet the instance lands in a default subnet of the default VPC, in its placement group.
    const placed = (await fl.aws('ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=tf-default-vpc')).Reservations[0].Instances[0];
    assert.equal(placed.Placement.GroupName, 'tf-spread');
    assert.equal(placed.SubnetId, out.default_vpc_subnet.value);
    const subnet = (await fl.aws('ec2', 'describe-subnets', '--subnet-ids', placed.SubnetId)).Subnets[0];
    assert.equal(subnet.DefaultForAz, true);
    const groups = await fl.aws('ec2', 'describe-placement-groups', '--group-names', 'tf-spread');
    assert.equal(groups.PlacementGroups[0].Strategy, 'spread');
    await tf.plan(); // the state read back matches the configuration: no change planned

    await tf.destroy();
    const after = await fl.aws('ec2', 'describe-instances', '--instance-ids', id);
    assert.equal(after.Reservations[0].Instances[0].State.Name, 'terminated');
    const vpcs = await fl.aws('ec2', 'describe-vpcs', '--filters', 'Name=tag:Name,Values=tf-main');
    assert.equal(vpcs.Vpcs.length, 0);
    assert.deepEqual((await fl.aws('ec2', 'describe-placement-groups')).PlacementGroups, []);
  });
});
