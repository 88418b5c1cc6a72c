/**
 * The WordPress example (examples/wordpress, the book's chapter 14 template) under the simulated
 * driver: it is the book's template with only the internet downloads replaced by the offline
 * stand-in (and the database Multi-AZ, the chapter's answer for the data, on the storage type that
 * was the default when the book was written, which its 5 GiB need), and it deploys with
 * the AWS CLI to CREATE_COMPLETE once its two servers signal, as their cfn-signal would: a Classic
 * load balancer, the Auto Scaling group with ELB health checks and a Multi-AZ MySQL database whose
 * interface sits in the first subnet, in the database's security group.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFaultline, type Faultline } from '../harness.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/wordpress/wordpress.json', import.meta.url));
const BOOK = fileURLToPath(new URL('../fixtures/aws-in-action/chapter14-wordpress.json', import.meta.url));
const PARAMETERS = ['ParameterKey=BlogID,ParameterValue=myblog', 'ParameterKey=AdminPassword,ParameterValue=Secret-pass1', 'ParameterKey=AdminEMail,ParameterValue=admin@example.com'];

describe('the WordPress example (chapter 14) under the simulated driver', () => {
  let fl: Faultline;

  before(async () => {
    fl = await startFaultline();
    await fl.aws('ec2', 'create-key-pair', '--key-name', 'mykey');
  });
  after(() => fl?.close());

  it("is the book's template with only the downloads replaced, the database Multi-AZ and its storage type the book's default", () => {
    const book = JSON.parse(readFileSync(BOOK, 'utf8'));
    const example = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    const bookInit = book.Resources.LaunchConfiguration.Metadata['AWS::CloudFormation::Init'].config;
    const init = example.Resources.LaunchConfiguration.Metadata['AWS::CloudFormation::Init'].config;
    // What came from the internet: php, php-mysql and mysql from yum, WordPress's tarball, wp-cli and its plugins.
    assert.deepEqual(Object.keys(init.packages.yum), ['httpd']);
    assert.equal(init.sources, undefined);
    assert.equal(init.commands['00_wordpress'].command, '/run/faultline/libexec/wordpress unpack /var/www/html');
    // The config script's lines, references written as JSON: the book's, less the downloads of wp-cli and its plugins (and the plugin's settings), wp-cli's install done by the stand-in.
    const lines = (c: { content: { 'Fn::Join': [string, unknown[]] } }) => c.content['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('').split('\n');
    const downloads = /curl -O .*wp-cli\.phar|wp-cli\.phar plugin install|CHARCOUNT/;
    assert.deepEqual(lines(init.files['/tmp/config']), lines(bookInit.files['/tmp/config']).filter((l) => !downloads.test(l)).map((l) => l.replace('php wp-cli.phar core install', '/run/faultline/libexec/wordpress core install')));
    assert.equal(example.Resources.Database.Properties.MultiAZ, 'true');
    // The book's 5 GiB were standard (magnetic) storage, then the default; today's default, gp3, takes no less than 20 GiB.
    assert.equal(example.Resources.Database.Properties.StorageType, 'standard');
    // Everything else is the book's.
    delete book.Resources.LaunchConfiguration.Metadata;
    delete example.Resources.LaunchConfiguration.Metadata;
    delete example.Resources.Database.Properties.MultiAZ;
    delete example.Resources.Database.Properties.StorageType;
    assert.deepEqual(example, book);
  });

  it('deploys with the AWS CLI to CREATE_COMPLETE once its servers signal', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'wordpress', '--template-body', `file://${EXAMPLE}`, '--capabilities', 'CAPABILITY_IAM', '--parameters', ...PARAMETERS);
    const group = async () => {
      const id = (await fl.aws('cloudformation', 'describe-stack-resources', '--stack-name', 'wordpress')).StackResources.find((r: { LogicalResourceId: string }) => r.LogicalResourceId === 'AutoScalingGroup')?.PhysicalResourceId;
      return id ? (await fl.aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', id)).AutoScalingGroups[0] : undefined;
    };
    let members: { InstanceId: string }[] = [];
    for (let i = 0; i < 60 && members.length < 2; i++) {
      fl.advance(30);
      members = (await group())?.Instances ?? [];
    }
    assert.equal(members.length, 2, 'the group launched its two servers');
    // What each server's cfn-signal sends once cfn-init has run.
    for (const m of members) await fl.aws('cloudformation', 'signal-resource', '--stack-name', 'wordpress', '--logical-resource-id', 'AutoScalingGroup', '--unique-id', m.InstanceId, '--status', 'SUCCESS');
    fl.advance(60);
    const stack = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'wordpress')).Stacks[0];
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', JSON.stringify(stack));
    assert.match(stack.Outputs[0].OutputValue, /^http:\/\/myblog-\d+\.us-east-1\.elb\.amazonaws\.com\/wordpress$/);

    const db = (await fl.aws('rds', 'describe-db-instances', '--db-instance-identifier', 'myblog')).DBInstances[0];
    assert.deepEqual([db.Engine, db.MultiAZ, db.DBInstanceStatus, db.Endpoint.Port], ['mysql', true, 'available', 3306]);
    const [eni] = (await fl.aws('ec2', 'describe-network-interfaces', '--filters', 'Name=description,Values=RDSNetworkInterface')).NetworkInterfaces;
    const subnets = (await fl.aws('ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${eni.VpcId}`)).Subnets;
    assert.equal(subnets.find((s: { SubnetId: string }) => s.SubnetId === eni.SubnetId).AvailabilityZone, db.AvailabilityZone);
    assert.equal(eni.Groups[0].GroupId, db.VpcSecurityGroups[0].VpcSecurityGroupId);
  });
});
