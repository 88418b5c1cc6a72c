/**
 * FIS experiment templates through the AWS CLI and boto3: their life cycle (create, idempotent
 * by clientToken; get; list with paging; update by PATCH; tags; delete), the checks FIS makes on
 * them, and the catalogue of actions and target resource types.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { ROLE_ARN } from './fis-support.ts';

const template = (over: Record<string, unknown> = {}) => ({
  description: 'Stop the web instances',
  roleArn: ROLE_ARN,
  stopConditions: [{ source: 'none' }],
  targets: { web: { resourceType: 'aws:ec2:instance', resourceTags: { Role: 'web' }, selectionMode: 'ALL' } },
  actions: { stop: { actionId: 'aws:ec2:stop-instances', parameters: { startInstancesAfterDuration: 'PT5M' }, targets: { Instances: 'web' } } },
  ...over,
});

describe('FIS experiment templates', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('goes through its life cycle with the AWS CLI', async () => {
    const created = (await fl.aws('fis', 'create-experiment-template', '--cli-input-json', JSON.stringify({ ...template(), tags: { Team: 'sre' } }))).experimentTemplate;
    assert.match(created.id, /^EXT[A-Za-z0-9]{14}$/);
    assert.equal(created.arn, `arn:aws:fis:us-east-1:000000000000:experiment-template/${created.id}`);
    assert.deepEqual(created.experimentOptions, { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' });

    const got = (await fl.aws('fis', 'get-experiment-template', '--id', created.id)).experimentTemplate;
    assert.deepEqual(got.actions, { stop: { actionId: 'aws:ec2:stop-instances', parameters: { startInstancesAfterDuration: 'PT5M' }, targets: { Instances: 'web' } } });

    fl.advance(60);
    const updated = (
      await fl.aws(
        'fis', 'update-experiment-template', '--id', created.id, '--description', 'Reboot the web instances',
        '--actions', JSON.stringify({ reboot: { actionId: 'aws:ec2:reboot-instances', targets: { Instances: 'web' } } }),
      )
    ).experimentTemplate;
    assert.equal(updated.description, 'Reboot the web instances');
    assert.deepEqual(Object.keys(updated.actions), ['reboot']);
    assert.deepEqual(updated.targets, got.targets, 'a member the PATCH does not give stays as it was');
    assert.equal(updated.lastUpdateTime - updated.creationTime, 60);

    await fl.aws('fis', 'tag-resource', '--resource-arn', created.arn, '--tags', 'Env=test,Owner=me');
    await fl.aws('fis', 'untag-resource', '--resource-arn', created.arn, '--tag-keys', 'Owner');
    assert.deepEqual((await fl.aws('fis', 'list-tags-for-resource', '--resource-arn', created.arn)).tags, { Team: 'sre', Env: 'test' });

    const deleted = (await fl.aws('fis', 'delete-experiment-template', '--id', created.id)).experimentTemplate;
    assert.equal(deleted.id, created.id);
    const gone = await fl.awsRaw('fis', 'get-experiment-template', '--id', created.id);
    assert.match(gone.stderr, /\(ResourceNotFoundException\) when calling the GetExperimentTemplate operation: Experiment template not found/);
  });

  it('is created once per clientToken and listed in pages with boto3', async () => {
    const out = await fl.python(`
import boto3, json, os
fis = boto3.client('fis', endpoint_url=os.environ['FAULTLINE_URL'])
t = json.loads('''${JSON.stringify(template())}''')
first = fis.create_experiment_template(clientToken='same', **t)['experimentTemplate']['id']
again = fis.create_experiment_template(clientToken='same', **t)['experimentTemplate']['id']
for i in range(4):
    fis.create_experiment_template(**dict(t, description=f'template {i}'))
pages = [[s['id'] for s in p['experimentTemplates']] for p in fis.get_paginator('list_experiment_templates').paginate(PaginationConfig={'PageSize': 2})]
print(json.dumps({'first': first, 'again': again, 'pages': pages}))
`);
    assert.equal(out.again, out.first);
    assert.deepEqual(out.pages.map((p: string[]) => p.length), [2, 2, 1]);
    assert.equal(new Set(out.pages.flat()).size, 5);
    assert.ok(out.pages.flat().includes(out.first));
  });

  it('refuses what FIS refuses, naming the part at fault', async () => {
    await fl.aws('cloudwatch', 'put-metric-alarm', '--alarm-name', 'guard', '--namespace', 'AWS/EC2', '--metric-name', 'CPUUtilization', '--statistic', 'Average',
      '--period', '60', '--evaluation-periods', '1', '--threshold', '90', '--comparison-operator', 'GreaterThanThreshold');
    const cases: Record<string, unknown> = {
      unsupportedAction: template({ actions: { tasks: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'web' } } } }),
      unknownResourceType: template({ targets: { web: { resourceType: 'aws:ecs:task', resourceTags: { Role: 'web' }, selectionMode: 'ALL' } } }),
      wrongTargetType: template({
        targets: { web: { resourceType: 'aws:ec2:subnet', resourceTags: { Role: 'web' }, selectionMode: 'ALL' } },
      }),
      wrongTargetKey: template({ actions: { stop: { actionId: 'aws:ec2:stop-instances', targets: { Subnets: 'web' } } } }),
      undefinedTarget: template({ actions: { stop: { actionId: 'aws:ec2:stop-instances', targets: { Instances: 'db' } } } }),
      badSelectionMode: template({ targets: { web: { resourceType: 'aws:ec2:instance', resourceTags: { Role: 'web' }, selectionMode: 'SOME(3)' } } }),
      arnsWithTags: template({
        targets: { web: { resourceType: 'aws:ec2:instance', resourceArns: ['arn:aws:ec2:us-east-1:000000000000:instance/i-0123456789abcdef0'], resourceTags: { Role: 'web' }, selectionMode: 'ALL' } },
      }),
      badDuration: template({ actions: { stop: { actionId: 'aws:ec2:stop-instances', parameters: { startInstancesAfterDuration: '5 minutes' }, targets: { Instances: 'web' } } } }),
      unknownParameter: template({ actions: { stop: { actionId: 'aws:ec2:stop-instances', parameters: { force: 'true' }, targets: { Instances: 'web' } } } }),
      missingParameter: template({ actions: { pause: { actionId: 'aws:fis:wait' } } }),
      unknownStartAfter: template({ actions: { pause: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['nothing'] } } }),
      cycle: template({
        actions: {
          one: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['two'] },
          two: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['one'] },
        },
      }),
      missingAlarm: template({ stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:nothing' }] }),
      badZone: template({ actions: { off: { actionId: 'faultline:az:power-off', parameters: { availabilityZoneIdentifier: 'use1-az9' } } }, targets: {} }),
    };
    const out = await fl.python(`
import boto3, json, os
fis = boto3.client('fis', endpoint_url=os.environ['FAULTLINE_URL'])
out = {}
for name, t in json.loads('''${JSON.stringify(cases)}''').items():
    try:
        fis.create_experiment_template(**t)
        out[name] = 'created'
    except fis.exceptions.ValidationException as e:
        out[name] = e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Message']
print(json.dumps(out))
`);
    const expect: Record<string, RegExp> = {
      unsupportedAction: /action type aws:ecs:stop-task is not supported/,
      unknownResourceType: /resource type aws:ecs:task is not supported/,
      wrongTargetType: /target web is of type aws:ec2:subnet, but aws:ec2:stop-instances acts on aws:ec2:instance/,
      wrongTargetKey: /needs exactly one target, under the key Instances/,
      undefinedTarget: /target db is not defined/,
      badSelectionMode: /selection mode SOME\(3\) is not valid/,
      arnsWithTags: /resourceArns cannot be combined with resourceTags or filters/,
      badDuration: /startInstancesAfterDuration must be an ISO 8601 duration/,
      unknownParameter: /has no parameter force/,
      missingParameter: /requires the parameter duration/,
      unknownStartAfter: /startAfter names nothing/,
      cycle: /cycle: one -> two -> one/,
      missingAlarm: /alarm:nothing does not exist/,
      badZone: /parameter availabilityZoneIdentifier names no Availability Zone of us-east-1: use1-az9/,
    };
    for (const [name, re] of Object.entries(expect)) {
      assert.equal(out[name][0], 400, `${name}: ${JSON.stringify(out[name])}`);
      assert.match(out[name][1], re, name);
    }
    assert.deepEqual((await fl.aws('fis', 'list-experiment-templates')).experimentTemplates.filter((t: { description: string }) => t.description === 'Stop the web instances').length, 1, 'nothing refused was stored');
  });

  it('lists the actions it runs and the target resource types, from one catalogue', async () => {
    const actions = (await fl.aws('fis', 'list-actions')).actions;
    const ids = actions.map((a: { id: string }) => a.id);
    for (const id of ['aws:ec2:stop-instances', 'aws:ec2:terminate-instances', 'aws:ec2:reboot-instances', 'aws:fis:wait', 'aws:cloudwatch:assert-alarm-state', 'faultline:host:power-off', 'faultline:az:power-off']) {
      assert.ok(ids.includes(id), id);
    }
    assert.ok(actions.every((a: { description: string }) => a.description.length > 0));
    const stop = (await fl.aws('fis', 'get-action', '--id', 'aws:ec2:stop-instances')).action;
    assert.deepEqual(stop.targets, { Instances: { resourceType: 'aws:ec2:instance' } });
    assert.equal(stop.parameters.startInstancesAfterDuration.required, false);
    const zone = (await fl.aws('fis', 'get-action', '--id', 'faultline:az:power-off')).action;
    assert.equal(zone.parameters.availabilityZoneIdentifier.required, true);
    assert.match((await fl.awsRaw('fis', 'get-action', '--id', 'aws:ecs:stop-task')).stderr, /ResourceNotFoundException/);
    const types = (await fl.aws('fis', 'list-target-resource-types')).targetResourceTypes.map((t: { resourceType: string }) => t.resourceType);
    assert.deepEqual(types.sort(), ['aws:ec2:autoscaling-group', 'aws:ec2:ebs-volume', 'aws:ec2:instance', 'aws:ec2:spot-instance', 'aws:ec2:subnet', 'aws:iam:role', 'aws:rds:db']);
    const subnet = (await fl.aws('fis', 'get-target-resource-type', '--resource-type', 'aws:ec2:subnet')).targetResourceType;
    assert.deepEqual(Object.keys(subnet.parameters).sort(), ['availabilityZoneIdentifier', 'vpc']);
  });
});
