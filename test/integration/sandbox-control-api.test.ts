/**
 * From inside a real sandboxed instance, faultline's API address (169.254.169.250) serves the AWS
 * API and the instance's wait condition handles, never the control API: curl and python get 403
 * for /_faultline/reset, /_faultline/faults and /_faultline/world, while the AWS CLI inside works,
 * and user data signals a CloudFormation wait condition with curl, as in AWS's documentation.
 * An unsigned EC2 call from inside is refused (MissingAuthenticationToken) and changes nothing;
 * an unsigned S3 read is anonymous: a public object is served, a private one is not.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline, OWN_VPCS } from '../harness.ts';
import { httpGet, sandboxSkip, waitFor } from '../sandbox-support.ts';

const PROBE = `#!/bin/sh
mkdir -p /var/lib/app; R=/var/lib/app/results.txt
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
code() { curl -s -o /dev/null -w '%{http_code}' -m 10 "$@"; }
json="-H content-type:application/json"
echo "curl-reset $(code -X POST $json -d '{}' http://169.254.169.250/_faultline/reset)" >> $R
echo "curl-moto-reset $(code -X POST http://169.254.169.250/moto-api/reset)" >> $R
echo "curl-faults $(code -X POST $json -d '{"kind":"az","target":"us-east-1a"}' http://169.254.169.250/_faultline/faults)" >> $R
echo "curl-world $(code http://169.254.169.250/_faultline/world)" >> $R
echo "curl-ec2 $(curl -s -m 10 -o /var/lib/app/ec2.xml -w '%{http_code}' -d 'Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0/16' http://169.254.169.250/)" >> $R
echo "s3-public $(code http://169.254.169.250/shared-site/public.txt)" >> $R
echo "s3-private $(code http://169.254.169.250/shared-site/private.txt)" >> $R
cat > /tmp/probe.py <<'EOP'
import sys, urllib.request, urllib.error
for path, body in (('reset', b'{}'), ('world', None)):
    req = urllib.request.Request('http://169.254.169.250/_faultline/' + path, data=body, method='POST' if body else 'GET', headers={'content-type': 'application/json'})
    try:
        print('python-' + path, urllib.request.urlopen(req, timeout=10).status)
    except urllib.error.HTTPError as e:
        print('python-' + path, e.code)
EOP
python3 /tmp/probe.py >> $R 2>&1
ID=$(curl -s -m 10 http://169.254.169.254/latest/meta-data/instance-id)
echo "describe $(aws ec2 describe-instances --instance-ids $ID --query 'Reservations[0].Instances[0].InstanceId' --output text 2>&1)" >> $R
echo done >> $R
cd /var/lib/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
`;

/** A stack whose instance signals its wait condition from user data, with curl as AWS's guide shows. */
const SIGNALLING_STACK = (subnet: string, group: string) =>
  JSON.stringify({
    Resources: {
      Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' },
      Server: {
        Type: 'AWS::EC2::Instance',
        Properties: {
          ImageId: 'ami-1ecae776',
          InstanceType: 't2.micro',
          SubnetId: subnet,
          SecurityGroupIds: [group],
          UserData: {
            'Fn::Base64': {
              'Fn::Join': ['', ["#!/bin/sh\ncurl -s -m 10 -X PUT -H 'Content-Type:' --data-binary '{\"Status\": \"SUCCESS\", \"Reason\": \"configured\", \"UniqueId\": \"server\", \"Data\": \"ready\"}' \"", { Ref: 'Handle' }, '"\n']],
            },
          },
        },
      },
      Ready: { Type: 'AWS::CloudFormation::WaitCondition', DependsOn: 'Server', Properties: { Handle: { Ref: 'Handle' }, Timeout: '600' } },
    },
    Outputs: { Handle: { Value: { Ref: 'Handle' } }, Data: { Value: { 'Fn::GetAtt': ['Ready', 'Data'] } } },
  });

describe('the control API from inside a sandboxed instance', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let vpc: string;
  let subnet: string;
  let group: string;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    await fl.aws('ec2', 'modify-subnet-attribute', '--subnet-id', subnet, '--map-public-ip-on-launch');
    group = (await fl.aws('ec2', 'create-security-group', '--group-name', 'probe', '--description', 'probe', '--vpc-id', vpc)).GroupId;
    await fl.aws('ec2', 'authorize-security-group-ingress', '--group-id', group, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
    await fl.python(`import boto3, json
s3 = boto3.client('s3')
s3.create_bucket(Bucket='shared-site')
s3.delete_public_access_block(Bucket='shared-site')
for key in ('public.txt', 'private.txt'):
    s3.put_object(Bucket='shared-site', Key=key, Body=b'page')
s3.put_bucket_policy(Bucket='shared-site', Policy=json.dumps({'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::shared-site/public.txt'}]}))
`);
  });
  after(() => fl?.close());

  it('refuses /_faultline/ and unsigned EC2 calls to curl and python inside, while the AWS CLI and anonymous S3 reads inside work', async () => {
    const id = (await fl.aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--subnet-id', subnet, '--security-group-ids', group, '--user-data', PROBE)).Instances[0].InstanceId;
    fl.advance(60);
    const ip = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0].PublicIpAddress;
    const results = (await waitFor(`http://${ip}:8080/results.txt`, (r) => r.body.includes('done'), 60_000)).body;
    const seen = Object.fromEntries(results.trim().split('\n').map((l) => l.split(' ')));
    assert.deepEqual(
      { reset: seen['curl-reset'], motoReset: seen['curl-moto-reset'], faults: seen['curl-faults'], world: seen['curl-world'], pyReset: seen['python-reset'], pyWorld: seen['python-world'] },
      { reset: '403', motoReset: '403', faults: '403', world: '403', pyReset: '403', pyWorld: '403' },
      results,
    );
    assert.equal(seen.describe, id, results);
    assert.deepEqual({ ec2: seen['curl-ec2'], public: seen['s3-public'], private: seen['s3-private'] }, { ec2: '403', public: '200', private: '403' }, results);
    assert.match((await httpGet(`http://${ip}:8080/ec2.xml`))!.body, /<Code>MissingAuthenticationToken<\/Code>/);
    // Nothing the instance sent took effect: no fault, the world was not reset, no VPC was made.
    assert.deepEqual((await (await fetch(`${fl.url}/_faultline/faults`)).json()).faults, []);
    assert.deepEqual((await fl.aws('ec2', 'describe-vpcs', ...OWN_VPCS)).Vpcs.map((v: { VpcId: string }) => v.VpcId), [vpc]);
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', id);
  });

  it('lets user data signal a wait condition handle with curl, at the API address inside the VPC', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'signalled', '--template-body', SIGNALLING_STACK(subnet, group));
    fl.advance(1);
    fl.advance(60);
    const stack = async () => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'signalled')).Stacks[0];
    // The instance runs its user data in real time; each poll runs the loops the signal woke.
    const deadline = Date.now() + 60_000;
    let s = await stack();
    while (s.StackStatus === 'CREATE_IN_PROGRESS' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      fl.advance(0);
      s = await stack();
    }
    const server = (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', 'signalled', '--logical-resource-id', 'Server')).StackResourceDetail.PhysicalResourceId;
    const console = (await fl.aws('ec2', 'get-console-output', '--instance-id', server)).Output;
    assert.equal(s.StackStatus, 'CREATE_COMPLETE', console);
    const out = (key: string) => s.Outputs.find((o: { OutputKey: string }) => o.OutputKey === key).OutputValue;
    assert.match(out('Handle'), /^http:\/\/169\.254\.169\.250\/cloudformation-waitcondition-us-east-1\/arn%3Aaws%3Acloudformation%3Aus-east-1%3A/);
    assert.equal(out('Data'), JSON.stringify({ server: 'ready' }));
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'signalled');
    fl.advance(60);
  });
});
