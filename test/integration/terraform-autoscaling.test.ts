/**
 * Terraform's AWS provider, from the local mirror, builds a launch template, an Auto Scaling group
 * over two subnets, a simple scaling policy and a CloudWatch alarm whose action is the policy;
 * the alarm, set to ALARM, scales the group out; destroy drains and removes it all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribePoliciesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { startFaultline, type Faultline } from '../harness.ts';
import { terraform } from '../terraform.ts';

const HCL = `
data "aws_availability_zones" "zones" {}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = data.aws_availability_zones.zones.names[0]
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.2.0/24"
  availability_zone = data.aws_availability_zones.zones.names[1]
}

resource "aws_launch_template" "web" {
  name_prefix   = "web-"
  image_id      = "ami-1ecae776"
  instance_type = "t2.micro"
  monitoring {
    enabled = true
  }
  tag_specifications {
    resource_type = "instance"
    tags = { Name = "tf-asg" }
  }
}

resource "aws_autoscaling_group" "web" {
  name                      = "tf-web"
  min_size                  = 1
  max_size                  = 3
  desired_capacity          = 1
  vpc_zone_identifier       = [aws_subnet.a.id, aws_subnet.b.id]
  health_check_type         = "EC2"
  health_check_grace_period = 300
  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }
  tag {
    key                 = "team"
    value               = "ops"
    propagate_at_launch = true
  }
}

resource "aws_autoscaling_policy" "out" {
  name                   = "scale-out"
  autoscaling_group_name = aws_autoscaling_group.web.name
  adjustment_type        = "ChangeInCapacity"
  scaling_adjustment     = 1
  cooldown               = 60
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "tf-web-cpu-high"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  dimensions          = { AutoScalingGroupName = aws_autoscaling_group.web.name }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 2
  threshold           = 70
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [aws_autoscaling_policy.out.arn]
}

output "group"      { value = aws_autoscaling_group.web.name }
output "policy_arn" { value = aws_autoscaling_policy.out.arn }
output "template"   { value = aws_launch_template.web.id }
`;

describe('terraform: launch template, auto scaling group, policy and alarm', () => {
  let fl: Faultline;
  // A scaled clock lets Terraform's capacity waiter see the instance come into service.
  before(async () => (fl = await startFaultline({ clock: 'scaled', timeScale: 60 })));
  after(() => fl.close());

  it('applies, scales out when the alarm fires, and destroys cleanly', async () => {
    const tf = await terraform(fl, HCL);
    const out = await tf.apply();
    assert.equal(out.group.value, 'tf-web');
    assert.match(out.policy_arn.value as string, /^arn:aws:autoscaling:us-east-1:\d{12}:scalingPolicy:[0-9a-f-]{36}:autoScalingGroupName\/tf-web:policyName\/scale-out$/);
    assert.match(out.template.value as string, /^lt-[0-9a-f]{17}$/);

    const asg = new AutoScalingClient(fl.sdk);
    const cw = new CloudWatchClient(fl.sdk);
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['tf-web'] }))).AutoScalingGroups![0];
    assert.equal(g.Instances!.filter((i) => i.LifecycleState === 'InService').length, 1, 'Terraform waited for capacity');
    assert.equal(g.LaunchTemplate!.LaunchTemplateId, out.template.value);
    const tagged = await fl.aws('ec2', 'describe-instances', '--filters', 'Name=tag:aws:autoscaling:groupName,Values=tf-web', 'Name=tag:Name,Values=tf-asg', 'Name=tag:team,Values=ops');
    assert.equal(tagged.Reservations.length, 1, 'template tags, group tags and the group tag are on the instance');
    const alarm = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['tf-web-cpu-high'] }))).MetricAlarms![0];
    assert.deepEqual(alarm.AlarmActions, [out.policy_arn.value]);
    const policy = (await asg.send(new DescribePoliciesCommand({ AutoScalingGroupName: 'tf-web' }))).ScalingPolicies![0];
    assert.deepEqual(policy.Alarms!.map((a) => a.AlarmName), ['tf-web-cpu-high']);

    // The alarm's action runs at once on the state change, through CloudWatch's action registry.
    await cw.send(new SetAlarmStateCommand({ AlarmName: 'tf-web-cpu-high', StateValue: 'ALARM', StateReason: 'test' }));
    const scaled = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['tf-web'] }))).AutoScalingGroups![0];
    assert.equal(scaled.DesiredCapacity, 2);

    await tf.destroy();
    assert.deepEqual((await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['tf-web'] }))).AutoScalingGroups, []);
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['tf-web-cpu-high'] }))).MetricAlarms, []);
    const left = await fl.aws('ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=tf-asg', 'Name=instance-state-name,Values=pending,running');
    assert.deepEqual(left.Reservations, []);
  });
});
