/**
 * Terraform's AWS provider, from the local mirror: aws_route53_zone, aws_route53_record (simple,
 * weighted, and failover with an aws_route53_health_check on an instance's public IP), apply;
 * dig answers the primary, and the secondary once the instance's host fails; a second plan
 * shows no changes; destroy removes it all. The clock is manual: while Terraform (which waits for
 * each change to be INSYNC) or the script that starts the primary runs, a pump steps it; for the
 * failover the test steps it itself, so that the time the check took to fail is exact whatever
 * the machine's load.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../harness.ts';
import { terraform } from '../terraform.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const run = promisify(execFile);

const hcl = (primaryIp: string) => `
resource "aws_route53_zone" "main" {
  name    = "tf.example"
  comment = "from terraform"
  tags    = { team = "web" }
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www.tf.example"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1", "192.0.2.2"]
}

resource "aws_route53_record" "txt" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "tf.example"
  type    = "TXT"
  ttl     = 300
  records = ["v=spf1 -all"]
}

resource "aws_route53_record" "weighted" {
  for_each       = { blue = 1, green = 3 }
  zone_id        = aws_route53_zone.main.zone_id
  name           = "app.tf.example"
  type           = "A"
  ttl            = 60
  set_identifier = each.key
  records        = [each.key == "blue" ? "192.0.2.11" : "192.0.2.12"]
  weighted_routing_policy {
    weight = each.value
  }
}

resource "aws_route53_health_check" "primary" {
  ip_address        = "${primaryIp}"
  port              = 80
  type              = "HTTP"
  resource_path     = "/health"
  failure_threshold = 3
  request_interval  = 30
}

resource "aws_route53_record" "primary" {
  zone_id         = aws_route53_zone.main.zone_id
  name            = "svc.tf.example"
  type            = "A"
  ttl             = 60
  set_identifier  = "primary"
  health_check_id = aws_route53_health_check.primary.id
  records         = ["${primaryIp}"]
  failover_routing_policy {
    type = "PRIMARY"
  }
}

resource "aws_route53_record" "secondary" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "svc.tf.example"
  type           = "A"
  ttl            = 60
  set_identifier = "secondary"
  records        = ["192.0.2.22"]
  failover_routing_policy {
    type = "SECONDARY"
  }
}

output "zone_id"      { value = aws_route53_zone.main.zone_id }
output "name_servers" { value = aws_route53_zone.main.name_servers }
output "www_fqdn"     { value = aws_route53_record.www.fqdn }
`;

/** An instance with a public IP serving port 80, for the primary (the clock is pumped meanwhile). */
const PRIMARY = `
import time
ec2 = boto3.client('ec2')
v = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
ec2.attach_internet_gateway(InternetGatewayId=ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId'], VpcId=v)
s = ec2.create_subnet(VpcId=v, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
i = ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1,
    NetworkInterfaces=[{'DeviceIndex': 0, 'SubnetId': s, 'Groups': [sg], 'AssociatePublicIpAddress': True}])['Instances'][0]['InstanceId']
while True:
    d = ec2.describe_instances(InstanceIds=[i])['Reservations'][0]['Instances'][0]
    if d['State']['Name'] == 'running': break
    time.sleep(0.2)
out({'instance': i, 'ip': d['PublicIpAddress']})
`;

describe('terraform: aws_route53_zone, aws_route53_record (simple, weighted, failover), aws_route53_health_check', () => {
  let fl: Faultline;
  let dnsPort: number;
  const dig = async (name: string) => (await run('dig', ['@127.0.0.1', '-p', String(dnsPort), name, '+short', '+time=2', '+tries=1'])).stdout.trim().split('\n');
  before(async () => {
    fl = await startFaultline();
    dnsPort = (await fl.app.dns.listen(0, '127.0.0.1')).port;
  });
  after(() => fl.close());

  /** Runs `command` while a pump steps the manual clock (10 s every 100 ms), so that its waits see time pass. */
  const pumped = async <T,>(command: () => Promise<T>): Promise<T> => {
    const pump = setInterval(() => fl.advance(10), 100);
    try {
      return await command();
    } finally {
      clearInterval(pump);
    }
  };

  it('applies, answers the failover set to dig (the secondary once the primary fails), plans no changes, and destroys', async () => {
    const { instance, ip } = await pumped(() => fl.python(BOTO3_PRELUDE + PRIMARY));
    const tf = await terraform(fl, hcl(ip));
    const out = await pumped(() => tf.apply());
    const zoneId = out.zone_id.value as string;
    assert.match(zoneId, /^Z[A-Z0-9]{20}$/);
    assert.deepEqual(out.name_servers.value, ['ns-2048.awsdns-64.com', 'ns-2049.awsdns-65.net', 'ns-2050.awsdns-66.org', 'ns-2051.awsdns-67.co.uk']);
    assert.equal(out.www_fqdn.value, 'www.tf.example');

    const seen = await fl.python(BOTO3_PRELUDE + `
r53 = boto3.client('route53')
sets = r53.list_resource_record_sets(HostedZoneId='${zoneId}')['ResourceRecordSets']
out({
  'sets': [[s['Name'], s['Type'], s.get('SetIdentifier'), s.get('Weight'), s.get('Failover'), bool(s.get('HealthCheckId')), [v['Value'] for v in s.get('ResourceRecords', [])]] for s in sets],
  'zone': r53.get_hosted_zone(Id='${zoneId}')['HostedZone']['Config'],
  'tags': r53.list_tags_for_resource(ResourceType='hostedzone', ResourceId='${zoneId}')['ResourceTagSet']['Tags'],
})
`);
    assert.deepEqual(seen.sets, [
      ['tf.example.', 'NS', null, null, null, false, ['ns-2048.awsdns-64.com.', 'ns-2049.awsdns-65.net.', 'ns-2050.awsdns-66.org.', 'ns-2051.awsdns-67.co.uk.']],
      ['tf.example.', 'SOA', null, null, null, false, ['ns-2048.awsdns-64.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400']],
      ['tf.example.', 'TXT', null, null, null, false, ['"v=spf1 -all"']],
      ['app.tf.example.', 'A', 'blue', 1, null, false, ['192.0.2.11']],
      ['app.tf.example.', 'A', 'green', 3, null, false, ['192.0.2.12']],
      ['svc.tf.example.', 'A', 'primary', null, 'PRIMARY', true, [ip]],
      ['svc.tf.example.', 'A', 'secondary', null, 'SECONDARY', false, ['192.0.2.22']],
      ['www.tf.example.', 'A', null, null, null, false, ['192.0.2.1', '192.0.2.2']],
    ]);
    assert.deepEqual(seen.zone, { Comment: 'from terraform', PrivateZone: false });
    assert.deepEqual(seen.tags, [{ Key: 'team', Value: 'web' }]);

    // The check is healthy (new, then passing): the primary. Its host fails: the secondary once
    // the third check after the failure fails, 60 to 90 cloud seconds later (interval 30, threshold 3).
    assert.deepEqual(await dig('svc.tf.example'), [ip]);
    const failedAt = fl.app.env.clock.now();
    const fault = await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'host', instance }) });
    assert.equal(fault.status, 201);
    for (let waited = 0; (await dig('svc.tf.example'))[0] !== '192.0.2.22'; waited += 10) {
      assert.ok(waited < 180, 'still the primary 180 s after its host failed');
      fl.advance(10);
    }
    const down = fl.app.env.events.list().find((e) => e.type === 'route53.health-check' && e.detail.to === 'unhealthy');
    const after = (Date.parse(down!.time) - failedAt) / 1000;
    assert.ok(after > 60 && after <= 90, `unhealthy ${after} s after the host failed`);

    assert.match(await pumped(() => tf.plan()), /No changes/);

    await pumped(() => tf.destroy());
    const left = await fl.aws('route53', 'list-hosted-zones');
    assert.deepEqual(left.HostedZones, []);
  });
});
