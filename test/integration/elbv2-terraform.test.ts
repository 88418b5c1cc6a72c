/**
 * Terraform's AWS provider, from the local mirror, builds an ALB over two subnets, a target group,
 * an HTTP listener forwarding to it and an instance attached to the group; a second plan shows
 * no changes; destroy removes it all. Most of the time is the provider's: it waits 30 s before it
 * first looks whether a new load balancer is active, whatever the clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { terraform } from '../terraform.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

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

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group" "lb" {
  name   = "tf-lb"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_lb" "web" {
  name               = "tf-web"
  load_balancer_type = "application"
  subnets            = [aws_subnet.a.id, aws_subnet.b.id]
  security_groups    = [aws_security_group.lb.id]
  idle_timeout       = 120
  tags               = { team = "ops" }
  depends_on         = [aws_internet_gateway.main]
}

resource "aws_lb_target_group" "web" {
  name                 = "tf-web"
  port                 = 80
  protocol             = "HTTP"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 30
  health_check {
    path    = "/health"
    matcher = "200-299"
    interval = 15
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

resource "aws_instance" "web" {
  ami           = "ami-1ecae776"
  instance_type = "t2.micro"
  subnet_id     = aws_subnet.a.id
}

resource "aws_lb_target_group_attachment" "web" {
  target_group_arn = aws_lb_target_group.web.arn
  target_id        = aws_instance.web.id
  port             = 80
}

output "lb_arn"   { value = aws_lb.web.arn }
output "dns_name" { value = aws_lb.web.dns_name }
output "zone_id"  { value = aws_lb.web.zone_id }
output "tg_arn"   { value = aws_lb_target_group.web.arn }
output "instance" { value = aws_instance.web.id }
`;

describe('terraform: aws_lb, aws_lb_target_group, aws_lb_listener, aws_lb_target_group_attachment', () => {
  let fl: Faultline;
  // A scaled clock lets the provider's waiters see the load balancer become active.
  before(async () => (fl = await startFaultline({ clock: 'scaled', timeScale: 60 })));
  after(() => fl.close());

  it('applies, plans no changes, and destroys', async () => {
    const tf = await terraform(fl, HCL);
    const out = await tf.apply();
    const lbArn = out.lb_arn.value as string;
    assert.match(lbArn, /:loadbalancer\/app\/tf-web\/[0-9a-f]{16}$/);
    assert.match(out.dns_name.value as string, /^tf-web-\d{9}\.us-east-1\.elb\.amazonaws\.com$/);
    assert.equal(out.zone_id.value, 'Z35SXDOTRQ7X7K');

    const seen = await fl.python(BOTO3_PRELUDE + `
elb = boto3.client('elbv2')
lb = elb.describe_load_balancers(LoadBalancerArns=['${lbArn}'])['LoadBalancers'][0]
out({
  'state': lb['State']['Code'],
  'idle': {x['Key']: x['Value'] for x in elb.describe_load_balancer_attributes(LoadBalancerArn=lb['LoadBalancerArn'])['Attributes']}['idle_timeout.timeout_seconds'],
  'delay': {x['Key']: x['Value'] for x in elb.describe_target_group_attributes(TargetGroupArn='${out.tg_arn.value}')['Attributes']}['deregistration_delay.timeout_seconds'],
  'group': elb.describe_target_groups(TargetGroupArns=['${out.tg_arn.value}'])['TargetGroups'][0],
  'targets': [h['Target']['Id'] for h in elb.describe_target_health(TargetGroupArn='${out.tg_arn.value}')['TargetHealthDescriptions']],
})
`);
    assert.equal(seen.state, 'active');
    assert.equal(seen.idle, '120');
    assert.equal(seen.delay, '30');
    assert.deepEqual([seen.group.HealthCheckPath, seen.group.Matcher.HttpCode, seen.group.HealthCheckIntervalSeconds], ['/health', '200-299', 15]);
    assert.deepEqual(seen.group.LoadBalancerArns, [lbArn]);
    assert.deepEqual(seen.targets, [out.instance.value]);

    assert.match(await tf.plan(), /No changes/);

    await tf.destroy();
    const left = await fl.aws('elbv2', 'describe-load-balancers');
    assert.deepEqual(left.LoadBalancers, []);
  });
});
