/**
 * Terraform's AWS provider, from the local mirror: a VPC with two subnets in two AZs, an
 * aws_db_subnet_group, an aws_db_parameter_group (postgres15, one parameter), a Multi-AZ
 * PostgreSQL aws_db_instance and a Single-AZ MariaDB one; apply; a second plan shows no changes;
 * a change of class and backup retention (apply_immediately) applies in place; destroy leaves
 * nothing. The clock is scaled (creation's 6 cloud minutes are 6 real seconds): most of the time is
 * the provider's own, which waits a minute before it first looks at a new or modified instance and
 * then wants `available` three times 10 s apart, whatever the clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultline, type Faultline } from '../harness.ts';
import { terraform, type TerraformRun } from '../terraform.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const HCL = `
variable "pg_class"     { default = "db.t3.micro" }
variable "pg_retention" { default = 1 }

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_db_subnet_group" "main" {
  name        = "tf-db"
  description = "app databases"
  subnet_ids  = [aws_subnet.a.id, aws_subnet.b.id]
  tags        = { team = "data" }
}

resource "aws_db_parameter_group" "pg" {
  name   = "tf-pg15"
  family = "postgres15"
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }
}

resource "aws_db_instance" "pg" {
  identifier              = "tf-pg"
  engine                  = "postgres"
  engine_version          = "15"
  instance_class          = var.pg_class
  allocated_storage       = 20
  db_name                 = "app"
  username                = "app"
  password                = "correct-horse-battery"
  multi_az                = true
  db_subnet_group_name    = aws_db_subnet_group.main.name
  parameter_group_name    = aws_db_parameter_group.pg.name
  backup_retention_period = var.pg_retention
  skip_final_snapshot     = true
  apply_immediately       = true
  tags                    = { team = "data" }
}

# No engine_version: the provider sends an empty one, which means the default version.
resource "aws_db_instance" "maria" {
  identifier           = "tf-maria"
  engine               = "mariadb"
  instance_class       = "db.t3.micro"
  allocated_storage    = 20
  username             = "admin"
  password             = "another-secret-pw"
  db_subnet_group_name = aws_db_subnet_group.main.name
  skip_final_snapshot  = true
}

output "pg_endpoint"    { value = aws_db_instance.pg.endpoint }
output "pg_address"     { value = aws_db_instance.pg.address }
output "pg_port"        { value = aws_db_instance.pg.port }
output "pg_resource_id" { value = aws_db_instance.pg.resource_id }
output "maria_endpoint" { value = aws_db_instance.maria.endpoint }
output "vpc_id"         { value = aws_vpc.main.id }
`;

/** What the RDS API says about everything the configuration made. */
const DESCRIBE = BOTO3_PRELUDE + `
rds = boto3.client('rds')
def tags(arn): return rds.list_tags_for_resource(ResourceName=arn)['TagList']
instances = {i['DBInstanceIdentifier']: i for i in rds.describe_db_instances()['DBInstances']}
groups = rds.describe_db_subnet_groups()['DBSubnetGroups']
pgroups = [g for g in rds.describe_db_parameter_groups()['DBParameterGroups'] if not g['DBParameterGroupName'].startswith('default.')]
out({
  'instances': {k: dict(i, tags=tags(i['DBInstanceArn'])) for k, i in instances.items()},
  'subnet_groups': [dict(g, tags=tags(g['DBSubnetGroupArn'])) for g in groups],
  'parameter_groups': [dict(g, parameters=[[p['ParameterName'], p['ParameterValue']] for p in rds.describe_db_parameters(DBParameterGroupName=g['DBParameterGroupName'], Source='user')['Parameters']]) for g in pgroups],
  'snapshots': [s['DBSnapshotIdentifier'] for s in rds.describe_db_snapshots()['DBSnapshots']],
})
`;

describe('terraform: aws_db_subnet_group, aws_db_parameter_group, aws_db_instance (Multi-AZ PostgreSQL, Single-AZ MariaDB)', () => {
  let fl: Faultline;
  let tf: TerraformRun;
  let out: Record<string, { value: unknown }>;
  before(async () => (fl = await startFaultline({ clock: 'scaled', timeScale: 60 })));
  after(() => fl.close());

  it('applies: the instances are available, with what the configuration says, and the outputs match describe-db-instances', async () => {
    tf = await terraform(fl, HCL);
    out = await tf.apply();
    const seen = await fl.python(DESCRIBE);
    const pg = seen.instances['tf-pg'];
    const maria = seen.instances['tf-maria'];
    assert.deepEqual(Object.keys(seen.instances).sort(), ['tf-maria', 'tf-pg']);

    assert.equal(out.pg_address.value, pg.Endpoint.Address);
    assert.equal(out.pg_port.value, pg.Endpoint.Port);
    assert.equal(out.pg_port.value, 5432);
    assert.equal(out.pg_endpoint.value, `${pg.Endpoint.Address}:5432`);
    assert.match(pg.Endpoint.Address, /^tf-pg\.c[a-z0-9]{11}\.us-east-1\.rds\.amazonaws\.com$/);
    assert.equal(out.pg_resource_id.value, pg.DbiResourceId);
    assert.equal(out.maria_endpoint.value, `${maria.Endpoint.Address}:3306`);

    assert.deepEqual(
      [pg.DBInstanceStatus, pg.Engine, pg.DBInstanceClass, pg.AllocatedStorage, pg.MasterUsername, pg.DBName, pg.BackupRetentionPeriod, pg.MultiAZ, pg.DBSubnetGroup.DBSubnetGroupName],
      ['available', 'postgres', 'db.t3.micro', 20, 'app', 'app', 1, true, 'tf-db'],
    );
    assert.match(pg.EngineVersion, /^15\.\d+$/);
    assert.deepEqual(pg.DBParameterGroups.map((g: { DBParameterGroupName: string }) => g.DBParameterGroupName), ['tf-pg15']);
    // Multi-AZ: the primary and its standby in the subnet group's two zones.
    assert.deepEqual([pg.AvailabilityZone, pg.SecondaryAvailabilityZone].sort(), ['us-east-1a', 'us-east-1b']);
    assert.deepEqual(pg.tags, [{ Key: 'team', Value: 'data' }]);

    assert.deepEqual([maria.DBInstanceStatus, maria.Engine, maria.MultiAZ, maria.SecondaryAvailabilityZone], ['available', 'mariadb', false, undefined]);
    assert.match(maria.EngineVersion, /^10\.11\.\d+$/);

    assert.equal(seen.subnet_groups.length, 1);
    const group = seen.subnet_groups[0];
    assert.deepEqual([group.DBSubnetGroupName, group.DBSubnetGroupDescription, group.VpcId, group.SubnetGroupStatus], ['tf-db', 'app databases', out.vpc_id.value, 'Complete']);
    assert.deepEqual(group.Subnets.map((s: { SubnetAvailabilityZone: { Name: string } }) => s.SubnetAvailabilityZone.Name).sort(), ['us-east-1a', 'us-east-1b']);
    assert.deepEqual(group.tags, [{ Key: 'team', Value: 'data' }]);
    assert.deepEqual(
      seen.parameter_groups.map((g: { DBParameterGroupName: string; DBParameterGroupFamily: string; parameters: string[][] }) => [g.DBParameterGroupName, g.DBParameterGroupFamily, g.parameters]),
      [['tf-pg15', 'postgres15', [['log_min_duration_statement', '500']]]],
    );
  });

  it('plans no changes after the apply', async () => {
    assert.match(await tf.plan(), /No changes/);
  });

  it('applies a change of class and backup retention in place', async () => {
    writeFileSync(join(tf.dir, 'terraform.tfvars'), 'pg_class = "db.t3.small"\npg_retention = 3\n');
    const changed = await tf.apply();
    // The same instance (not a replacement), modified and available again with nothing pending.
    assert.equal(changed.pg_resource_id.value, out.pg_resource_id.value);
    const pg = (await fl.python(DESCRIBE)).instances['tf-pg'];
    assert.deepEqual([pg.DBInstanceStatus, pg.DBInstanceClass, pg.BackupRetentionPeriod, pg.PendingModifiedValues], ['available', 'db.t3.small', 3, {}]);
  });

  it('destroys everything', async () => {
    await tf.destroy();
    const seen = await fl.python(DESCRIBE);
    assert.deepEqual([seen.instances, seen.subnet_groups, seen.parameter_groups, seen.snapshots], [{}, [], [], []]);
    const vpcs = await fl.aws('ec2', 'describe-vpcs', '--vpc-ids', out.vpc_id.value as string).catch((e: Error) => e.message);
    assert.match(String(vpcs), /InvalidVpcID\.NotFound/);
  });
});
