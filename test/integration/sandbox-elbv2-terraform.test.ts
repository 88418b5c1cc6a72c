/**
 * An Application Load Balancer from Terraform in front of an Auto Scaling group of sandboxed web
 * servers in two zones (health_check_type ELB), used as its user would: curl the ALB's DNS name
 * and reach both servers; power off one server's zone and see the ALB's node there stop and,
 * once the target is unhealthy, traffic go only to the other zone; the group replaces the server
 * in the healthy zone and the ALB sends to it once healthy; heal; terraform destroy leaves
 * nothing. The clock is manual: while Terraform runs, a pump steps it (Terraform waits in real
 * time, 30 s before it first looks whether a new load balancer is active); between commands the
 * test steps it itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { terraform, type TerraformRun } from '../terraform.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { advanceUntil, httpGet, pagesVia, sandboxSkip } from '../sandbox-support.ts';

const INTERVAL = 10;

const HCL = `
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

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table_association" "b" {
  subnet_id      = aws_subnet.b.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "lb" {
  name   = "alb"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
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

# The servers admit HTTP only from the load balancer's group.
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port       = 80
    to_port         = 80
    protocol        = "tcp"
    security_groups = [aws_security_group.lb.id]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_lb" "web" {
  name               = "web"
  load_balancer_type = "application"
  subnets            = [aws_subnet.a.id, aws_subnet.b.id]
  security_groups    = [aws_security_group.lb.id]
}

resource "aws_lb_target_group" "web" {
  name     = "web"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
  health_check {
    path                = "/health"
    interval            = ${INTERVAL}
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}

# Each server serves a page with its private IP, and /health.
resource "aws_launch_template" "web" {
  name_prefix            = "web-"
  image_id               = "ami-1ecae776"
  instance_type          = "t2.micro"
  vpc_security_group_ids = [aws_security_group.web.id]
  user_data = base64encode(<<-EOF
    #!/bin/sh
    mkdir -p /var/www && cd /var/www
    echo "<h1>$(curl -s http://169.254.169.254/latest/meta-data/local-ipv4)</h1>" > index.html
    echo ok > health
    nohup python3 -m http.server 80 > /dev/null 2>&1 &
    EOF
  )
}

resource "aws_autoscaling_group" "web" {
  name                      = "web"
  min_size                  = 2
  max_size                  = 2
  desired_capacity          = 2
  vpc_zone_identifier       = [aws_subnet.a.id, aws_subnet.b.id]
  target_group_arns         = [aws_lb_target_group.web.arn]
  health_check_type         = "ELB"
  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }
}

output "dns_name" { value = aws_lb.web.dns_name }
output "tg_arn"   { value = aws_lb_target_group.web.arn }
`;

describe('an ALB from Terraform in front of sandboxed instances in two zones', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let tf: TerraformRun;
  let host: string;
  let groupArn: string;
  let nodes: string[];

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
  });
  after(() => fl?.close());

  /** Runs a Terraform command while a pump steps the manual clock (10 s every 100 ms), so that its waiters see time pass. */
  const pumped = async <T,>(command: () => Promise<T>): Promise<T> => {
    const pump = setInterval(() => fl.advance(10), 100);
    try {
      return await command();
    } finally {
      clearInterval(pump);
    }
  };
  const until = <T,>(read: () => Promise<T>, ok: (x: T) => boolean, what: string, step = INTERVAL, timeoutMs?: number) => advanceUntil((s) => fl.advance(s), read, ok, what, step, timeoutMs);
  const resolve = async (): Promise<string[]> => {
    const r = await fetch(`${fl.url}/_faultline/resolve?name=${host}`);
    assert.equal(r.status, 200);
    return ((await r.json()) as { addresses: string[] }).addresses;
  };
  /** The group's members and the target group's health, by instance id, with each instance's zone and private IP. */
  const look = async (): Promise<{ members: Record<string, string>; health: Record<string, string>; zone: Record<string, string>; ip: Record<string, string> }> =>
    fl.python(BOTO3_PRELUDE + `
g = boto3.client('autoscaling').describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]
h = boto3.client('elbv2').describe_target_health(TargetGroupArn='${groupArn}')['TargetHealthDescriptions']
ids = [m['InstanceId'] for m in g['Instances']] + [t['Target']['Id'] for t in h]
# By filter: an instance EC2 has forgotten (an hour after it terminated, which the pumped clock
# reaches) is left out rather than failing the call, as the target health may still list it.
insts = [i for r in boto3.client('ec2').describe_instances(Filters=[{'Name': 'instance-id', 'Values': ids}])['Reservations'] for i in r['Instances']] if ids else []
out({'members': {m['InstanceId']: m['LifecycleState'] + '/' + m['HealthStatus'] for m in g['Instances']},
     'health': {t['Target']['Id']: t['TargetHealth']['State'] for t in h},
     'zone': {i['InstanceId']: i['Placement']['AvailabilityZone'] for i in insts},
     'ip': {i['InstanceId']: i.get('PrivateIpAddress') for i in insts}})
`);
  /** The private IPs in the pages that `n` requests through the ALB's name (to its first node) answer with. */
  const pages = async (n: number, address = nodes[0]) => new Set(await pagesVia(host, address, n));
  const inService = (x: Awaited<ReturnType<typeof look>>) =>
    Object.keys(x.members).length === 2 && Object.entries(x.members).every(([id, s]) => s === 'InService/Healthy' && x.health[id] === 'healthy');

  it('applies, and curl of the ALB\u2019s DNS name reaches both zones\u2019 instances', async () => {
    tf = await terraform(fl, HCL);
    const out = await pumped(() => tf.apply());
    host = out.dns_name.value as string;
    groupArn = out.tg_arn.value as string;
    assert.match(host, /^web-\d{9}\.us-east-1\.elb\.amazonaws\.com$/);
    const x = await until(look, inService, 'both instances in service and healthy');
    assert.deepEqual(new Set(Object.values(x.zone)), new Set(['us-east-1a', 'us-east-1b']));
    nodes = await resolve();
    assert.equal(nodes.length, 2);
    assert.deepEqual(await pages(6), new Set(Object.values(x.ip)));
  });

  it('sends only to the other zone once the failed zone\u2019s target is unhealthy; the group replaces it there, and the ALB sends to the replacement', async () => {
    const before = await look();
    const [lost, kept] = Object.keys(before.members).sort((p, q) => before.zone[p].localeCompare(before.zone[q]));
    assert.equal(before.zone[lost], 'us-east-1a');
    const fault = await (await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'az', target: 'us-east-1a', effect: 'power' }) })).json();
    assert.ok(fault.faultId, JSON.stringify(fault));
    // The zone's node goes down with it: the name resolves to the other node only.
    await fl.app.driver.settle();
    const left = await resolve();
    assert.equal(left.length, 1);
    const [nodeB] = left;
    const nodeA = nodes.find((ip) => ip !== nodeB)!;
    assert.equal(await httpGet(`http://${nodeA}/`, 1000), undefined);

    const down = await until(look, (x) => x.health[lost] === 'unhealthy', 'the lost target unhealthy', 5);
    assert.equal(down.health[kept], 'healthy');
    assert.deepEqual(await pages(4, nodeB), new Set([before.ip[kept]]), 'only the other zone answers');

    // The group sees the ELB's verdict (health_check_type ELB), replaces the instance, and can
    // launch only in the zone that has power.
    const replaced = await until(look, (x) => !(lost in x.members) && inService(x), 'a replacement in service and healthy', 30, 120_000);
    const fresh = Object.keys(replaced.members).find((id) => id !== kept)!;
    assert.equal(replaced.zone[fresh], 'us-east-1b');
    assert.deepEqual(await pages(6, nodeB), new Set([before.ip[kept], replaced.ip[fresh]]));

    // Heal: the zone's node serves again, and the name resolves to both nodes.
    await fetch(`${fl.url}/_faultline/faults/${fault.faultId}/heal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await fl.app.driver.settle();
    assert.deepEqual(new Set(await resolve()), new Set(nodes));
    assert.deepEqual(await pages(6, nodeA), new Set([before.ip[kept], replaced.ip[fresh]]));
  });

  it('destroys everything: no load balancer, no target group, no listener on the nodes, no instance', async () => {
    const ids = Object.keys((await look()).members);
    await pumped(() => tf.destroy());
    const left = await fl.python(BOTO3_PRELUDE + `
elb = boto3.client('elbv2')
# Terminated, or already forgotten by EC2 (the pumped clock can pass the hour it keeps them).
insts = [i['State']['Name'] for r in boto3.client('ec2').describe_instances(Filters=[{'Name': 'instance-id', 'Values': ${JSON.stringify(ids)}}])['Reservations'] for i in r['Instances']]
out({'lbs': elb.describe_load_balancers()['LoadBalancers'], 'groups': elb.describe_target_groups()['TargetGroups'],
     'asgs': boto3.client('autoscaling').describe_auto_scaling_groups()['AutoScalingGroups'], 'instances': insts})
`);
    assert.deepEqual({ ...left, instances: left.instances.filter((s: string) => s !== 'terminated') }, { lbs: [], groups: [], asgs: [], instances: [] }, JSON.stringify(left));
    assert.equal((await fetch(`${fl.url}/_faultline/resolve?name=${host}`)).status, 404);
    await fl.app.driver.settle();
    for (const ip of nodes) assert.equal(await httpGet(`http://${ip}/`, 1000), undefined, `nothing listens on ${ip}`);
  });
});
