/**
 * CloudFormation's AWS::CloudWatch::Alarm (metric math through `Metrics` included),
 * AWS::CloudWatch::CompositeAlarm and AWS::CloudWatch::Dashboard, through the API: the template's
 * properties are the API's, so an update puts the whole alarm or dashboard again (an alarm keeps
 * its state), and only a new name replaces it.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry, tagsOf } from '../../cloudformation/handler-kit.ts';
import type { Props, ResourceContext, ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { cloudwatch } from './index.ts';
import { ALARMS } from './alarms.state.ts';
import { COMPOSITES } from './composite.state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(cloudwatch, op, input, rc.request);

const FIELDS = [
  'ActionsEnabled', 'AlarmActions', 'AlarmDescription', 'ComparisonOperator', 'DatapointsToAlarm', 'Dimensions',
  'EvaluateLowSampleCountPercentile', 'EvaluationPeriods', 'ExtendedStatistic', 'InsufficientDataActions', 'MetricName',
  'Metrics', 'Namespace', 'OKActions', 'Period', 'Statistic', 'Threshold', 'ThresholdMetricId', 'TreatMissingData', 'Unit',
];

/** Puts an alarm through `op` with the template's `fields` and tags. */
function putAlarm(rc: ResourceContext, op: string, fields: readonly string[], name: string, props: Props): void {
  const input: Record<string, unknown> = { AlarmName: name };
  for (const f of fields) if (props[f] !== undefined) input[f] = props[f];
  if (tagsOf(props.Tags).length) input.Tags = tagsOf(props.Tags);
  call(rc, op, input);
}

const put = (rc: ResourceContext, name: string, props: Props) => putAlarm(rc, 'PutMetricAlarm', FIELDS, name, props);

const alarm: ResourceHandler = {
  type: 'AWS::CloudWatch::Alarm',
  create(props, rc) {
    const name = String(props.AlarmName ?? rc.physicalName({ maxLength: 255 }));
    if (rc.env.store.get(ALARMS, rc.request, name)) throw new AwsError('AlreadyExists', `Alarm ${name} already exists`);
    put(rc, name, props);
    return { physicalId: name };
  },
  update(props, old, _changed, rc) {
    put(rc, old.physicalId, props);
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteAlarms', { AlarmNames: [s.physicalId] })),
  getAtt(s, name, rc) {
    const a = rc.env.store.get<{ AlarmArn: string }>(ALARMS, rc.request, s.physicalId);
    return attribute({ Arn: () => a?.AlarmArn ?? `arn:aws:cloudwatch:${rc.request.region}:${rc.request.account}:alarm:${s.physicalId}` }, name, s);
  },
};

const COMPOSITE_FIELDS = [
  'ActionsEnabled', 'ActionsSuppressor', 'ActionsSuppressorExtensionPeriod', 'ActionsSuppressorWaitPeriod', 'AlarmActions',
  'AlarmDescription', 'AlarmRule', 'InsufficientDataActions', 'OKActions',
];

const putComposite = (rc: ResourceContext, name: string, props: Props) => putAlarm(rc, 'PutCompositeAlarm', COMPOSITE_FIELDS, name, props);

const compositeAlarm: ResourceHandler = {
  type: 'AWS::CloudWatch::CompositeAlarm',
  create(props, rc) {
    const name = String(props.AlarmName ?? rc.physicalName({ maxLength: 255 }));
    if (rc.env.store.get(COMPOSITES, rc.request, name) || rc.env.store.get(ALARMS, rc.request, name)) throw new AwsError('AlreadyExists', `Alarm ${name} already exists`);
    putComposite(rc, name, props);
    return { physicalId: name };
  },
  update(props, old, _changed, rc) {
    putComposite(rc, old.physicalId, props);
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteAlarms', { AlarmNames: [s.physicalId] })),
  getAtt(s, name, rc) {
    const a = rc.env.store.get<{ AlarmArn: string }>(COMPOSITES, rc.request, s.physicalId);
    return attribute({ Arn: () => a?.AlarmArn ?? `arn:aws:cloudwatch:${rc.request.region}:${rc.request.account}:alarm:${s.physicalId}` }, name, s);
  },
};

const dashboard: ResourceHandler = {
  type: 'AWS::CloudWatch::Dashboard',
  create(props, rc) {
    const name = String(props.DashboardName ?? rc.physicalName({ maxLength: 255 }));
    call(rc, 'PutDashboard', { DashboardName: name, DashboardBody: props.DashboardBody });
    return { physicalId: name };
  },
  update(props, old, _changed, rc) {
    call(rc, 'PutDashboard', { DashboardName: old.physicalId, DashboardBody: props.DashboardBody });
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteDashboards', { DashboardNames: [s.physicalId] })),
  getAtt: (s, name) => attribute({}, name, s),
};

export const cloudwatchResources: ResourceHandler[] = [alarm, compositeAlarm, dashboard];
