/**
 * GET /_faultline/overview, the console's read view beside the world: a load balancer with its
 * target's health, a DB instance with its status and zones, a stack with its status, made through
 * boto3; one view alone when asked; an unknown view refused. And the drill report route's refusals.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const TEMPLATE = JSON.stringify({ Resources: { Alerts: { Type: 'AWS::SNS::Topic' } } });

describe('the control API overview', () => {
  let fl: Faultline;
  let instance: string;
  const get = async (path: string) => {
    const r = await fetch(fl.url + path);
    return { status: r.status, body: await r.json() };
  };
  before(async () => {
    fl = await startFaultline();
    instance = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
elb = boto3.client('elbv2', config=no_retry)
rds = boto3.client('rds', config=no_retry)
cfn = boto3.client('cloudformation', config=no_retry)
vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
i = ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=a)['Instances'][0]['InstanceId']
lb = elb.create_load_balancer(Name='web', Subnets=[a, b], Scheme='internal')['LoadBalancers'][0]['LoadBalancerArn']
tg = elb.create_target_group(Name='web-tg', Protocol='HTTP', Port=80, VpcId=vpc)['TargetGroups'][0]['TargetGroupArn']
elb.create_listener(LoadBalancerArn=lb, Protocol='HTTP', Port=80, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg}])
advance(60)
elb.register_targets(TargetGroupArn=tg, Targets=[{'Id': i}])
rds.create_db_subnet_group(DBSubnetGroupName='main', DBSubnetGroupDescription='two zones', SubnetIds=[a, b])
rds.create_db_instance(DBInstanceIdentifier='db1', Engine='postgres', DBInstanceClass='db.t3.micro', MasterUsername='app', MasterUserPassword='s3cret-pass', AllocatedStorage=20, DBSubnetGroupName='main', MultiAZ=True)
cfn.create_stack(StackName='alerts', TemplateBody=${JSON.stringify(TEMPLATE)})
advance(600)
out(i)
`);
  });
  after(() => fl.close());

  it('gives load balancers with target health, DB instances with status and zones, and stacks with status', async () => {
    const { status, body } = await get('/_faultline/overview');
    assert.equal(status, 200);
    const where = { account: '000000000000', region: 'us-east-1' };
    assert.deepEqual(body.loadBalancers.map((lb: Record<string, unknown>) => ({ ...lb, dnsName: undefined })), [
      { ...where, name: 'web', kind: 'application', scheme: 'internal', dnsName: undefined, zones: ['us-east-1a', 'us-east-1b'], targetGroups: [{ name: 'web-tg', targets: [{ id: instance, port: 80, zone: 'us-east-1a', state: 'healthy' }] }] },
    ]);
    assert.equal(body.dbInstances.length, 1);
    const db = body.dbInstances[0];
    assert.deepEqual({ ...db, zone: undefined, secondaryZone: undefined }, { ...where, id: 'db1', engine: 'postgres', instanceClass: 'db.t3.micro', status: 'available', multiAZ: true, zone: undefined, secondaryZone: undefined });
    assert.deepEqual([db.zone, db.secondaryZone].sort(), ['us-east-1a', 'us-east-1b']);
    assert.deepEqual(body.stacks.map((s: Record<string, unknown>) => [s.name, s.status]), [['alerts', 'CREATE_COMPLETE']]);
    assert.deepEqual(body.impaired, []);
    assert.equal(body.lastSeq, fl.app.env.events.lastSeq());
  });

  it('gives only the views asked for, and refuses an unknown one', async () => {
    const { body } = await get('/_faultline/overview?views=stacks,impaired');
    assert.deepEqual(Object.keys(body).sort(), ['clock', 'impaired', 'lastSeq', 'stacks']);
    assert.deepEqual(await get('/_faultline/overview?views=stacks,hosts'), { status: 400, body: { error: 'no view hosts; views are alarms, groups, stacks, loadBalancers, dbInstances, impaired' } });
  });

  it('refuses the report of a drill that does not exist, and a format it does not write', async () => {
    assert.deepEqual(await get('/_faultline/drills/drill-nothere/report'), { status: 404, body: { error: 'no drill drill-nothere', code: 'ResourceNotFoundException' } });
    assert.deepEqual(await get('/_faultline/drills/drill-nothere/report?format=pdf'), { status: 400, body: { error: 'format is html or json, not pdf' } });
  });
});
