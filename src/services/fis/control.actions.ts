/** FIS's control actions: a pause in the experiment, and an assertion on CloudWatch alarms. */
import { splitList } from '../../world/faults.ts';
import { ActionFailed, type ActionSpec } from './action.ts';
import { alarmAt } from './alarms.ts';
import { durationBetween } from './duration.ts';
import { durationOf } from './fault-params.ts';

const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

export const wait: ActionSpec = {
  id: 'aws:fis:wait',
  description: 'Run the AWS FIS wait action.',
  parameters: {
    duration: { description: 'The duration, from one minute to 12 hours (ISO 8601 duration).', required: true, check: durationBetween(60_000, 'PT1M') },
  },
  duration: durationOf,
  start() {},
};

export const assertAlarmState: ActionSpec = {
  id: 'aws:cloudwatch:assert-alarm-state',
  description: 'Verify that the specified alarms are in one of the specified alarm states.',
  parameters: {
    alarmArns: {
      description: 'The ARNs of the alarms, separated by commas (at most 5).',
      required: true,
      check: (v) => (splitList(v).length > 5 ? 'must name at most 5 alarms' : splitList(v).some((a) => !a.startsWith('arn:aws:cloudwatch:')) ? 'must be CloudWatch alarm ARNs' : undefined),
    },
    alarmStates: {
      description: 'The alarm states, separated by commas: OK, ALARM or INSUFFICIENT_DATA.',
      required: true,
      check: (v) => (splitList(v).every((s) => ALARM_STATES.includes(s)) ? undefined : `must be a comma-separated list of ${ALARM_STATES.join(', ')}`),
    },
  },
  start(run) {
    const states = splitList(run.parameters.alarmStates);
    for (const arn of splitList(run.parameters.alarmArns)) {
      const alarm = alarmAt(run.env, run.scope, arn);
      if (!alarm) throw new ActionFailed('InvalidTarget', `Alarm ${arn} does not exist.`);
      if (!states.includes(alarm.StateValue)) {
        throw new ActionFailed('AssertionFailure', `Alarm ${alarm.AlarmName} is in state ${alarm.StateValue}, not ${states.join(' or ')}.`);
      }
    }
  },
};
