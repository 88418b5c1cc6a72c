import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../harness.ts';
import { TF_ENV } from '../terraform.ts';

const run = promisify(execFile);
const MIRROR = '/opt/tf-plugins';
const hasTerraform = existsSync(MIRROR) && existsSync('/usr/local/bin/terraform');

/** Terraform's AWS provider speaks awsQuery to CloudWatch and SNS. */
describe('CloudWatch and SNS through Terraform', { skip: !hasTerraform && 'terraform or its plugin mirror is not on this machine' }, () => {
  let fl: Faultline;
  let dir: string;
  const tf = async (...args: string[]) => {
    const env = { ...fl.clientEnv, ...TF_ENV, TF_CLI_CONFIG_FILE: join(dir, 'cli.tfrc') };
    try {
      return await run('terraform', [...args, '-no-color'], { cwd: dir, env, maxBuffer: 16 << 20 });
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
    }
  };

  before(async () => {
    fl = await startFaultline();
    dir = mkdtempSync(join(tmpdir(), 'faultline-tf-cw-'));
    writeFileSync(
      join(dir, 'cli.tfrc'),
      `provider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n`,
    );
    writeFileSync(
      join(dir, 'main.tf'),
      `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    cloudwatch = "${fl.url}"
    sns        = "${fl.url}"
    sts        = "${fl.url}"
  }
}
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
`,
    );
  });
  after(async () => {
    await fl.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies an alarm with an SNS action, plans no change, and destroys it', async () => {
    const init = await tf('init', '-input=false');
    assert.equal((init as { code?: number }).code ?? 0, 0, init.stderr);
    const apply = await tf('apply', '-auto-approve', '-input=false');
    assert.match(apply.stdout, /Apply complete! Resources: 2 added/, apply.stderr);
    const alarm = (await fl.aws('cloudwatch', 'describe-alarms', '--alarm-names', 'tf-recover')).MetricAlarms[0];
    assert.deepEqual(alarm.AlarmActions, ['arn:aws:automate:us-east-1:ec2:recover', 'arn:aws:sns:us-east-1:000000000000:tf-ops']);
    assert.equal(alarm.TreatMissingData, 'notBreaching');
    const tags = await fl.aws('cloudwatch', 'list-tags-for-resource', '--resource-arn', alarm.AlarmArn);
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ops' }]);
    const plan = await tf('plan', '-detailed-exitcode', '-input=false');
    assert.equal((plan as { code?: number }).code ?? 0, 0, plan.stdout + plan.stderr);
    const destroy = await tf('destroy', '-auto-approve', '-input=false');
    assert.match(destroy.stdout, /Destroy complete! Resources: 2 destroyed/, destroy.stderr);
    assert.deepEqual((await fl.aws('cloudwatch', 'describe-alarms')).MetricAlarms.filter((a: { AlarmName: string }) => a.AlarmName === 'tf-recover'), []);
  });
});
