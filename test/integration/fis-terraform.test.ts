/** Terraform's AWS provider, from the local mirror, creates an aws_fis_experiment_template, reads it back, and destroys it. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { terraform } from '../terraform.ts';

const HCL = `
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

output "id" { value = aws_fis_experiment_template.stop.id }
`;

describe('FIS experiment templates through Terraform', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('creates a template, reads it back the way Terraform wrote it, and destroys it', async () => {
    const tf = await terraform(fl, HCL);
    const out = await tf.apply();
    const id = out.id.value as string;
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
    await tf.destroy();
    assert.deepEqual((await fl.aws('fis', 'list-experiment-templates')).experimentTemplates, []);
  });
});
