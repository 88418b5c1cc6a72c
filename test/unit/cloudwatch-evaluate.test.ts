import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, type AlarmState, type Slot, type TreatMissingData } from '../../src/services/cloudwatch/evaluate.ts';

const T0 = Date.UTC(2026, 0, 1);

/** `0 - X - X` (oldest first) as slots: 0 is good (0.0), X breaching (1.0), - missing. */
function slots(pattern: string): Slot[] {
  return pattern.split(' ').map((c, i) => ({ ts: T0 + i * 60_000, value: c === '-' ? undefined : c === 'X' ? 1 : 0 }));
}

/** The state after evaluation, from each possible current state; 'keep' when it never changes. */
function outcome(pattern: string, m: number, n: number, treat: TreatMissingData): AlarmState | 'keep' {
  const e = evaluate(slots(pattern), { comparison: 'GreaterThanThreshold', threshold: 0, evaluationPeriods: n, datapointsToAlarm: m, treatMissingData: treat });
  return e.state;
}

const MODES: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

// The tables of spec section 4 (AlarmThatSendsEmail.html), range 5, oldest to newest.
const M3N3: [string, (AlarmState | 'keep')[]][] = [
  ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
  ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
  ['- - - - -', ['INSUFFICIENT_DATA', 'keep', 'ALARM', 'OK']],
  ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['- - X - -', ['ALARM', 'keep', 'ALARM', 'OK']],
];
const M2N3: [string, (AlarmState | 'keep')[]][] = [
  ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
  ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
  ['- - - X -', ['ALARM', 'keep', 'ALARM', 'OK']],
];

describe('alarm evaluation: the documented vectors', () => {
  for (const [table, m, rows] of [['M=N=3', 3, M3N3], ['M=2,N=3', 2, M2N3]] as const) {
    for (const [pattern, expected] of rows) {
      MODES.forEach((mode, i) => {
        it(`${table} ${pattern} with ${mode} -> ${expected[i]}`, () => {
          assert.equal(outcome(pattern, m, 3, mode), expected[i]);
        });
      });
    }
  }
});

describe('alarm evaluation: the premature-alarm guard and other rules', () => {
  it('does not alarm on - - - - X or - - - X - at M=3, but does on - - X - -', () => {
    assert.equal(outcome('- - - - X', 3, 3, 'missing'), 'keep');
    assert.equal(outcome('- - - X -', 3, 3, 'missing'), 'keep');
    assert.equal(outcome('- - X - -', 3, 3, 'missing'), 'ALARM');
  });

  it('uses only the N most recent points when none is missing', () => {
    const e = evaluate(slots('X X X 0 0'), { comparison: 'GreaterThanThreshold', threshold: 0, evaluationPeriods: 2 });
    assert.equal(e.state, 'OK');
    assert.deepEqual(e.evaluated.map((s) => s.value), [0, 0]);
  });

  it('reports the breaching points newest first and how missing slots were filled', () => {
    const e = evaluate(slots('- - - X -'), { comparison: 'GreaterThanThreshold', threshold: 0, evaluationPeriods: 3, treatMissingData: 'breaching' });
    assert.equal(e.state, 'ALARM');
    assert.equal(e.filled, 2);
    assert.equal(e.filledAs, 'breaching');
    assert.equal(e.breaching.length, 1);
  });

  it('applies each comparison operator at the threshold', () => {
    const at = [{ ts: T0, value: 5 }];
    const run = (comparison: 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold') =>
      evaluate(at, { comparison, threshold: 5, evaluationPeriods: 1 }).state;
    assert.equal(run('GreaterThanOrEqualToThreshold'), 'ALARM');
    assert.equal(run('GreaterThanThreshold'), 'OK');
    assert.equal(run('LessThanThreshold'), 'OK');
    assert.equal(run('LessThanOrEqualToThreshold'), 'ALARM');
  });

  it('keeps the state on low-sample percentiles only when told to ignore them', () => {
    const range: Slot[] = [{ ts: T0, value: 9, sampleCount: 2, lowSample: true }];
    const cfg = { comparison: 'GreaterThanThreshold' as const, threshold: 1, evaluationPeriods: 1 };
    assert.equal(evaluate(range, { ...cfg, evaluateLowSampleCountPercentile: 'ignore' }).state, 'keep');
    assert.equal(evaluate(range, { ...cfg, evaluateLowSampleCountPercentile: 'evaluate' }).state, 'ALARM');
  });
});
