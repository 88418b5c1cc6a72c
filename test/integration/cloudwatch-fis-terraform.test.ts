/**
 * Terraform's AWS provider, from the local mirror, against CloudWatch and SNS (awsQuery) and FIS
 * (REST-JSON) in one configuration: an alarm whose actions are EC2 recovery and an SNS topic, a
 * composite alarm over both alarms with a suppressor, and an aws_fis_experiment_template whose
 * stop condition is another alarm; apply, read back what
 * Terraform wrote, a second plan shows no changes, destroy removes it all. One apply and one
 * destroy for both, since most of each command is the provider's own start, whatever it makes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { terraform, type TerraformRun } from '../terraform.ts';

const HCL = `
resource "aws_sns_topic" "ops" {
  name = "tf-ops"
}

resource "aws_cloudwatch_metric_alarm" "recover" {
  alarm_name          = "tf-recover"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_System"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = { InstanceId = "i-0123456789abcdef0" }
  alarm_actions       = ["arn:aws:automate:us-east-1:ec2:recover", aws_sns_topic.ops.arn]
  tags                = { team = "ops" }
}

resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name          = "fis-guard"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 1
  threshold           = 90
  comparison_operator = "GreaterThanThreshold"
}

resource "aws_cloudwatch_composite_alarm" "any" {
  alarm_name        = "tf-any"
  alarm_description = "recovery or CPU"
  alarm_rule        = "ALARM(\\"\${aws_cloudwatch_metric_alarm.recover.alarm_name}\\") OR ALARM(\${aws_cloudwatch_metric_alarm.cpu.arn})"
  alarm_actions     = [aws_sns_topic.ops.arn]
  actions_suppressor {
    alarm            = aws_cloudwatch_metric_alarm.cpu.alarm_name
    extension_period = 60
    wait_period      = 120
  }
  tags = { team = "ops" }
}

resource "aws_fis_experiment_template" "stop" {
  description = "Stop half the web instances for five minutes"
  role_arn    = "arn:aws:iam::000000000000:role/fis-experiments"

  stop_condition {
    source = "aws:cloudwatch:alarm"
    value  = aws_cloudwatch_metric_alarm.cpu.arn
  }

  action {
    name      = "stop-web"
    action_id = "aws:ec2:stop-instances"
    parameter {
      key   = "startInstancesAfterDuration"
      value = "PT5M"
    }
    target {
      key   = "Instances"
      value = "web"
    }
  }

  action {
    name        = "settle"
    action_id   = "aws:fis:wait"
    start_after = ["stop-web"]
    parameter {
      key   = "duration"
      value = "PT2M"
    }
  }

  target {
    name           = "web"
    resource_type  = "aws:ec2:instance"
    selection_mode = "PERCENT(50)"
    resource_tag {
      key   = "Role"
      value = "web"
    }
    filter {
      path   = "State.Name"
      values = ["running"]
    }
  }

  tags = { Team = "resilience" }
}

output "template_id" { value = aws_fis_experiment_template.stop.id }
`;

describe('CloudWatch, SNS and FIS through Terraform', () => {
  let fl: Faultline;
  let tf: TerraformRun;
  before(async () => {
    fl = await startFaultline();
    tf = await terraform(fl, HCL);
  });
  after(() => fl.close());

  it('applies an alarm with an SNS action as Terraform wrote it', async () => {
    assert.match(await tf.run('apply', '-auto-approve', '-input=false'), /Apply complete! Resources: 5 added/);
    const alarm = (await fl.aws('cloudwatch', 'describe-alarms', '--alarm-names', 'tf-recover')).MetricAlarms[0];
    assert.deepEqual(alarm.AlarmActions, ['arn:aws:automate:us-east-1:ec2:recover', 'arn:aws:sns:us-east-1:000000000000:tf-ops']);
    assert.equal(alarm.TreatMissingData, 'notBreaching');
    const tags = await fl.aws('cloudwatch', 'list-tags-for-resource', '--resource-arn', alarm.AlarmArn);
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ops' }]);
  });

  it('applies a composite alarm over both alarms, evaluated at once, with its suppressor and tags', async () => {
    const c = (await fl.aws('cloudwatch', 'describe-alarms', '--alarm-types', 'CompositeAlarm')).CompositeAlarms[0];
    assert.equal(c.AlarmRule, 'ALARM("tf-recover") OR ALARM(arn:aws:cloudwatch:us-east-1:000000000000:alarm:fis-guard)');
    assert.deepEqual([c.AlarmName, c.AlarmDescription, c.StateValue], ['tf-any', 'recovery or CPU', 'OK']);
    assert.deepEqual([c.ActionsSuppressor, c.ActionsSuppressorWaitPeriod, c.ActionsSuppressorExtensionPeriod], ['fis-guard', 120, 60]);
    assert.deepEqual(c.AlarmActions, ['arn:aws:sns:us-east-1:000000000000:tf-ops']);
    const tags = await fl.aws('cloudwatch', 'list-tags-for-resource', '--resource-arn', c.AlarmArn);
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ops' }]);
  });

  it('applies an experiment template, read back the way Terraform wrote it', async () => {
    const id = tf.outputs().template_id.value as string;
    assert.match(id, /^EXT[A-Za-z0-9]+$/);
    const t = (await fl.aws('fis', 'get-experiment-template', '--id', id)).experimentTemplate;
    assert.equal(t.description, 'Stop half the web instances for five minutes');
    assert.deepEqual(t.tags, { Team: 'resilience' });
    assert.deepEqual(t.targets.web, {
      resourceType: 'aws:ec2:instance',
      resourceTags: { Role: 'web' },
      filters: [{ path: 'State.Name', values: ['running'] }],
      selectionMode: 'PERCENT(50)',
    });
    assert.deepEqual(t.actions.settle.startAfter, ['stop-web']);
    assert.equal(t.stopConditions[0].value, 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:fis-guard');
  });

  it('plans no changes after the apply', async () => {
    assert.match(await tf.plan(), /No changes/);
  });

  it('destroys the alarms (the composite first), the topic and the template', async () => {
    assert.match(await tf.destroy(), /Destroy complete! Resources: 5 destroyed/);
    assert.deepEqual((await fl.aws('cloudwatch', 'describe-alarms', '--alarm-types', 'MetricAlarm', 'CompositeAlarm')), { MetricAlarms: [], CompositeAlarms: [] });
    assert.deepEqual((await fl.aws('sns', 'list-topics')).Topics, []);
    assert.deepEqual((await fl.aws('fis', 'list-experiment-templates')).experimentTemplates, []);
  });
});
