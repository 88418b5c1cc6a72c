/**
 * How composite alarms change state and act (Create_Composite_Alarm.html,
 * alarm-suppression.html):
 *
 * - A composite alarm is ALARM when its rule holds and OK otherwise. It is evaluated when it is
 *   put and whenever one of its children changes state; a change of its own propagates to its
 *   parents in turn, in the same transaction. The reason names the child whose change caused it:
 *   "arn:...:alarm:child transitioned to ALARM at Friday 27 May, 2026 13:42:37 UTC".
 * - Actions run on a change of state, when ActionsEnabled. With an ActionsSuppressor, the ALARM
 *   actions are held while the suppressor is in ALARM (ActionsSuppressedBy Alarm), for up to
 *   WaitPeriod seconds after the composite goes to ALARM while waiting for the suppressor to go to
 *   ALARM (WaitPeriod), and for ExtensionPeriod seconds after the suppressor leaves ALARM
 *   (ExtensionPeriod). When a wait or an extension ends with the composite still in ALARM, its
 *   ALARM actions run then; the suppression timer is a loop on the clock.
 */
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { stopExperimentsOnAlarm } from '../fis/stop-conditions.ts';
import { runAlarmActions } from './actions.ts';
import { actionsFor, ALARMS, setState, type AlarmRecord } from './alarms.state.ts';
import { COMPOSITES, parseRule, referencedName, ruleHolds, type CompositeRecord, type SuppressedBy } from './composite.state.ts';
import type { AlarmState } from './evaluate.ts';
import { addHistory } from './history.ts';
import { awsTime } from './reason.ts';

export const COMPOSITE_LOOP = 'cloudwatch.composite-suppression';

/** The state of any alarm, metric or composite, by name. */
export function alarmState(env: Env, scope: Scope, name: string): { arn: string; state: AlarmState; updated: string } | undefined {
  const rec = env.store.get<AlarmRecord>(ALARMS, scope, name) ?? env.store.get<CompositeRecord>(COMPOSITES, scope, name);
  return rec ? { arn: rec.AlarmArn, state: rec.StateValue, updated: rec.StateUpdatedTimestamp } : undefined;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const two = (n: number) => String(n).padStart(2, '0');

/** "Friday 27 May, 2026 13:42:37 UTC", as composite alarm reasons write times. */
export function longTime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}, ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`;
}

// A cycle of composite alarms (which AWS allows) could flip forever; a wave stops this deep.
const MAX_DEPTH = 100;
let depth = 0;

/**
 * Evaluates a composite alarm and moves it to the state its rule gives. `trigger` is the child
 * whose change caused the evaluation; without one (a put), the child changed most recently.
 */
export function evaluateComposite(env: Env, scope: Scope, name: string, trigger?: string): void {
  const rec = env.store.get<CompositeRecord>(COMPOSITES, scope, name);
  if (!rec) return;
  const states = new Map(rec.children.map((c) => [c, alarmState(env, scope, c)]));
  const holds = ruleHolds(parseRule(rec.AlarmRule), (ref) => {
    const n = referencedName(scope, ref);
    return n === undefined ? undefined : states.get(n)?.state;
  });
  const state: AlarmState = holds ? 'ALARM' : 'OK';
  if (state === rec.StateValue) return;
  const known = [...states].filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== undefined);
  const cause = (trigger !== undefined ? known.find(([n]) => n === trigger) : undefined) ?? known.sort((a, b) => (a[1].updated < b[1].updated ? 1 : -1))[0];
  const reason = cause ? `${cause[1].arn} transitioned to ${cause[1].state} at ${longTime(Date.parse(cause[1].updated))}` : `The alarm rule ${rec.AlarmRule} evaluated to ${holds ? 'TRUE' : 'FALSE'}`;
  const data = cause ? JSON.stringify({ triggeringAlarms: [{ arn: cause[1].arn, state: { value: cause[1].state, timestamp: awsTime(Date.parse(cause[1].updated)) } }] }) : undefined;
  changeCompositeState(env, scope, name, state, reason, data);
}

/** Moves a composite alarm to `state`: record, history, event, actions, and its parents. */
export function changeCompositeState(env: Env, scope: Scope, name: string, state: AlarmState, reason: string, reasonData: string | undefined): boolean {
  const rec = env.store.mutable<CompositeRecord>(COMPOSITES, scope, name);
  if (!rec || rec.StateValue === state) return false;
  const now = env.clock.now();
  const old = rec.StateValue;
  const oldReason = rec.StateReason;
  setState(rec, state, reason, reasonData, now);
  const t = { oldState: old, newState: state, reason, reasonData, time: now };
  let run = rec.ActionsEnabled;
  if (state === 'ALARM' && rec.ActionsSuppressor !== undefined) run = !suppressOnAlarm(env, scope, rec, old, now);
  else if (state !== 'ALARM') clearSuppression(rec);
  env.store.put(COMPOSITES, scope, name, rec);
  addHistory(env, scope, {
    AlarmName: name,
    AlarmType: 'CompositeAlarm',
    HistoryItemType: 'StateUpdate',
    HistorySummary: `Alarm updated from ${old} to ${state}`,
    HistoryData: { version: '1.0', oldState: { stateValue: old, stateReason: oldReason }, newState: { stateValue: state, stateReason: reason } },
    at: now,
  });
  env.events.emit('cloudwatch.alarm.state', { account: scope.account, region: scope.region, alarmName: name, oldState: old, newState: state, reason });
  stopExperimentsOnAlarm(env, scope, rec.AlarmArn, state);
  if (run && rec.ActionsEnabled) runAlarmActions(env, scope, rec, actionsFor(rec, state), t);
  alarmChanged(env, scope, name, state);
  return true;
}

const clearSuppression = (rec: CompositeRecord) => {
  delete rec.ActionsSuppressedBy;
  delete rec.ActionsSuppressedReason;
  delete rec.suppressedUntil;
  delete rec.suppressedFrom;
};

function suppress(env: Env, scope: Scope, rec: CompositeRecord, by: SuppressedBy, now: number): void {
  const suppressor = rec.ActionsSuppressor!;
  rec.ActionsSuppressedBy = by;
  if (by === 'Alarm') {
    rec.ActionsSuppressedReason = `Alarm ${suppressor} is in ALARM state.`;
    delete rec.suppressedUntil;
    return;
  }
  const seconds = by === 'WaitPeriod' ? rec.ActionsSuppressorWaitPeriod! : rec.ActionsSuppressorExtensionPeriod!;
  rec.ActionsSuppressedReason =
    by === 'WaitPeriod'
      ? `Waiting up to ${seconds} seconds for alarm ${suppressor} to go into ALARM state.`
      : `Alarm ${suppressor} left ALARM state; actions stay suppressed for the extension period of ${seconds} seconds.`;
  rec.suppressedUntil = now + seconds * 1000;
  env.scheduler.enqueue(COMPOSITE_LOOP, `${scope.account}/${scope.region}/${rec.AlarmName}`, rec.suppressedUntil);
}

/** On entering ALARM with a suppressor: whether the ALARM actions are held, and why. */
function suppressOnAlarm(env: Env, scope: Scope, rec: CompositeRecord, from: AlarmState, now: number): boolean {
  const name = referencedName(scope, rec.ActionsSuppressor!);
  const supp = name === undefined ? undefined : alarmState(env, scope, name);
  rec.suppressedFrom = from;
  suppress(env, scope, rec, supp?.state === 'ALARM' ? 'Alarm' : 'WaitPeriod', now);
  return true;
}

/**
 * What follows a change of any alarm's state: the composite alarms that read it are evaluated
 * again, and those it suppresses move between suppression phases.
 */
export function alarmChanged(env: Env, scope: Scope, name: string, state: AlarmState): void {
  if (depth >= MAX_DEPTH) return;
  depth++;
  try {
    const now = env.clock.now();
    for (const c of env.store.list<CompositeRecord>(COMPOSITES, scope)) {
      if (c.ActionsSuppressor !== undefined && referencedName(scope, c.ActionsSuppressor) === name && c.StateValue === 'ALARM' && c.ActionsSuppressedBy) {
        const rec = env.store.mutable<CompositeRecord>(COMPOSITES, scope, c.AlarmName)!;
        if (state === 'ALARM' && rec.ActionsSuppressedBy !== 'Alarm') suppress(env, scope, rec, 'Alarm', now);
        else if (state !== 'ALARM' && rec.ActionsSuppressedBy === 'Alarm') suppress(env, scope, rec, 'ExtensionPeriod', now);
        env.store.put(COMPOSITES, scope, rec.AlarmName, rec);
      }
    }
    for (const c of env.store.list<CompositeRecord>(COMPOSITES, scope)) {
      if (c.children.includes(name)) evaluateComposite(env, scope, c.AlarmName, name);
    }
  } finally {
    depth--;
  }
}

/** The end of a wait or extension period: the held ALARM actions run if the alarm is still in ALARM. */
export function compositeLoop(env: Env) {
  return (key: string): void => {
    const a = key.indexOf('/');
    const b = key.indexOf('/', a + 1);
    const scope = { account: key.slice(0, a), region: key.slice(a + 1, b) };
    const rec = env.store.mutable<CompositeRecord>(COMPOSITES, scope, key.slice(b + 1));
    const now = env.clock.now();
    if (!rec || rec.suppressedUntil === undefined || rec.suppressedUntil > now || rec.ActionsSuppressedBy === 'Alarm') return;
    const from = rec.suppressedFrom ?? 'OK';
    clearSuppression(rec);
    env.store.put(COMPOSITES, scope, rec.AlarmName, rec);
    if (rec.StateValue === 'ALARM' && rec.ActionsEnabled) {
      runAlarmActions(env, scope, rec, rec.AlarmActions, { oldState: from, newState: 'ALARM', reason: rec.StateReason, reasonData: rec.StateReasonData, time: now });
    }
  };
}
