/**
 * Composite alarms (API_CompositeAlarm.html): their records, in a collection of their own beside
 * the metric alarms (one name space for both), and their AlarmRule:
 *
 *   rule    := or
 *   or      := and ("OR" and)*
 *   and     := not ("AND" not)*
 *   not     := "NOT" not | primary
 *   primary := "(" rule ")" | "TRUE" | "FALSE" | ("ALARM" | "OK" | "INSUFFICIENT_DATA") "(" alarm ")"
 *
 * where an alarm is a name or an ARN, in double quotes when it holds spaces or parentheses.
 */
import type { Scope } from '../../core/store.ts';
import type { AlarmState } from './evaluate.ts';
import type { AlarmStateFields } from './alarms.state.ts';

export const COMPOSITES = 'cloudwatch.composites';

export type SuppressedBy = 'WaitPeriod' | 'ExtensionPeriod' | 'Alarm';

export interface CompositeRecord extends AlarmStateFields {
  AlarmName: string;
  AlarmDescription?: string;
  AlarmRule: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  ActionsSuppressor?: string;
  ActionsSuppressorWaitPeriod?: number;
  ActionsSuppressorExtensionPeriod?: number;
  ActionsSuppressedBy?: SuppressedBy;
  ActionsSuppressedReason?: string;
  /** The names of the alarms the rule reads (internal). */
  children: string[];
  /** When a wait or extension period of suppression ends, cloud ms (internal). */
  suppressedUntil?: number;
  /** The state the alarm left when it went to ALARM while its actions were suppressed (internal). */
  suppressedFrom?: AlarmState;
}

const INTERNAL = ['Tags', 'children', 'suppressedUntil', 'suppressedFrom'] as const;

/** What DescribeAlarms shows of a record. */
export function compositeView(rec: Readonly<CompositeRecord>): Record<string, unknown> {
  const view: Record<string, unknown> = { ...rec };
  for (const k of INTERNAL) delete view[k];
  return view;
}

export type Rule =
  | { k: 'const'; v: boolean }
  | { k: 'state'; state: AlarmState; alarm: string }
  | { k: 'not'; r: Rule }
  | { k: 'and' | 'or'; l: Rule; r: Rule };

const STATES: readonly string[] = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];

/** Parentheses and NOTs nested deeper than this are refused: the parser and evaluator recurse per level. */
const MAX_NESTING = 100;

/** Parses an AlarmRule; throws an Error whose message says what is wrong. */
export function parseRule(text: string): Rule {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[()]|[^\s()"]+/g) ?? [];
  let at = 0;
  let nesting = 0;
  const nest = <T>(inner: () => T): T => {
    if (++nesting > MAX_NESTING) throw new Error(`the rule nests parentheses or NOT more than ${MAX_NESTING} deep`);
    const r = inner();
    nesting--;
    return r;
  };
  const next = () => tokens[at++];
  const peek = () => tokens[at];
  const expect = (t: string) => {
    const got = next();
    if (got !== t) throw new Error(`expected '${t}' but found ${got === undefined ? 'the end of the rule' : `'${got}'`}`);
  };
  const or = (): Rule => {
    let l = and();
    while (peek() === 'OR') {
      next();
      l = { k: 'or', l, r: and() };
    }
    return l;
  };
  const and = (): Rule => {
    let l = not();
    while (peek() === 'AND') {
      next();
      l = { k: 'and', l, r: not() };
    }
    return l;
  };
  const not = (): Rule => {
    if (peek() === 'NOT') {
      next();
      return { k: 'not', r: nest(not) };
    }
    return primary();
  };
  const primary = (): Rule => {
    const t = next();
    if (t === '(') {
      const r = nest(or);
      expect(')');
      return r;
    }
    if (t === 'TRUE' || t === 'FALSE') return { k: 'const', v: t === 'TRUE' };
    if (t !== undefined && STATES.includes(t)) {
      expect('(');
      const name = next();
      if (name === undefined || name === ')') throw new Error(`${t}() needs an alarm name or ARN`);
      expect(')');
      const alarm = name.startsWith('"') ? name.slice(1, -1).replace(/\\(.)/g, '$1') : name;
      return { k: 'state', state: t as AlarmState, alarm };
    }
    throw new Error(t === undefined ? 'the rule ends too early' : `unexpected '${t}'`);
  };
  if (!tokens.length) throw new Error('the rule is empty');
  const rule = or();
  if (at < tokens.length) throw new Error(`unexpected '${peek()}'`);
  return rule;
}

/** The alarms (names or ARNs, as written) a rule reads. */
export function ruleAlarms(rule: Rule, out: string[] = []): string[] {
  if (rule.k === 'state') out.push(rule.alarm);
  else if (rule.k === 'not') ruleAlarms(rule.r, out);
  else if (rule.k === 'and' || rule.k === 'or') {
    ruleAlarms(rule.l, out);
    ruleAlarms(rule.r, out);
  }
  return out;
}

/** Whether the rule holds, given each referenced alarm's state. */
export function ruleHolds(rule: Rule, stateOf: (alarm: string) => AlarmState | undefined): boolean {
  switch (rule.k) {
    case 'const':
      return rule.v;
    case 'state':
      return stateOf(rule.alarm) === rule.state;
    case 'not':
      return !ruleHolds(rule.r, stateOf);
    case 'and':
      return ruleHolds(rule.l, stateOf) && ruleHolds(rule.r, stateOf);
    case 'or':
      return ruleHolds(rule.l, stateOf) || ruleHolds(rule.r, stateOf);
  }
}

/** The alarm name a rule or suppressor reference means in this scope: the name, or an ARN's name. */
export function referencedName(scope: Scope, ref: string): string | undefined {
  const m = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/.exec(ref);
  if (!m) return ref;
  return m[1] === scope.region && m[2] === scope.account ? m[3] : undefined;
}
