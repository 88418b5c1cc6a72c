import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateNode, MathError, type MathEnv, type Series, type Value } from '../../src/services/cloudwatch/math/evaluate.ts';
import { MathSyntaxError, parse } from '../../src/services/cloudwatch/math/parser.ts';
import { searchMetrics } from '../../src/services/cloudwatch/math/search.ts';

const M = 60_000;
/** A series of 60 s periods from t=0; undefined leaves a gap. */
const s = (label: string, ...vals: (number | undefined)[]): Series => ({
  label,
  period: 60,
  points: new Map(vals.flatMap((v, i) => (v === undefined ? [] : [[i * M, v] as [number, number]]))),
});

function run(expr: string, refs: Record<string, Series>, end = 5 * M) {
  let dropped = false;
  const env: MathEnv = {
    start: 0,
    end,
    ref: (id) => ({ t: 'series', s: refs[id] }),
    metrics: (filter) => Object.entries(refs).filter(([id]) => id.includes(filter)).map(([, v]) => v),
    search: () => [],
    dropped: () => {
      dropped = true;
    },
  };
  return { value: evaluateNode(parse(expr), env), dropped };
}
/** A series value as [minute, value] pairs in time order. */
const pts = (v: Value) => {
  assert.equal(v.t, 'series');
  return [...(v as { s: Series }).s.points].sort((a, b) => a[0] - b[0]).map(([t, x]) => [t / M, x]);
};

describe('metric math', () => {
  it('parses with precedence, right-associative powers, unary minus, logic words and symbols', () => {
    assert.deepEqual(run('1 + 2 * 3 ^ 2', {}).value, { t: 'scalar', v: 19 });
    assert.deepEqual(run('-2 ^ 2', {}).value, { t: 'scalar', v: -4 });
    assert.deepEqual(run('2 ^ 3 ^ 2', {}).value, { t: 'scalar', v: 512 });
    assert.deepEqual(run('(1 + 2) * 3 - 4 / 2', {}).value, { t: 'scalar', v: 7 });
    assert.deepEqual(run('1 < 2 AND 3 >= 3 && NOT 0 || 0', {}).value, { t: 'scalar', v: 1 });
    assert.deepEqual(run('!(2 != 2)', {}).value, { t: 'scalar', v: 1 });
    assert.throws(() => parse('m1 +'), (e: MathSyntaxError) => e instanceof MathSyntaxError && /end of expression/.test(e.message));
    assert.throws(() => parse('SUM(m1'), (e: MathSyntaxError) => e.pos === 6);
    assert.throws(() => parse('m1 $ 2'), /Unexpected character/);
    assert.throws(() => parse("SEARCH('{A,B} x"), /Unterminated string/);
  });

  it('combines series at shared timestamps, with scalars everywhere, and drops non-finite points', () => {
    const refs = { m1: s('Errors', 1, 2, 3, undefined, 5), m2: s('Requests', 10, 0, 30, 40) };
    assert.deepEqual(pts(run('m1 / m2 * 100', refs).value), [[0, 10], [2, 10]]);
    assert.equal(run('m1 / m2', refs).dropped, true);
    assert.deepEqual(pts(run('m1 + 1', refs).value), [[0, 2], [1, 3], [2, 4], [4, 6]]);
    assert.deepEqual(pts(run('m1 > 2', refs).value), [[0, 0], [1, 0], [2, 1], [4, 1]]);
  });

  it('reduces a series to a scalar and an array to a series', () => {
    const refs = { m1: s('a', 1, 2, 3), m2: s('b', 10, undefined, 30), x3: s('c', 100) };
    assert.deepEqual(run('AVG(m1)', refs).value, { t: 'scalar', v: 2 });
    assert.deepEqual(run('SUM(m1) + MAX(m2)', refs).value, { t: 'scalar', v: 36 });
    assert.deepEqual(pts(run('SUM([m1, m2])', refs).value), [[0, 11], [1, 2], [2, 33]]);
    assert.deepEqual(pts(run('MIN(METRICS())', refs).value), [[0, 1], [1, 2], [2, 3]]);
    // METRICS('m') keeps the Ids that contain "m": m1 and m2, not x3.
    assert.deepEqual(pts(run("MAX(METRICS('m'))", refs).value), [[0, 10], [1, 2], [2, 30]]);
    assert.deepEqual(pts(run('AVG(METRICS())', refs).value), [[0, 37], [1, 2], [2, 16.5]]);
  });

  it('fills gaps with a value, the last value, or a line between neighbours', () => {
    const refs = { m1: s('a', undefined, 2, undefined, undefined, 8) };
    assert.deepEqual(pts(run('FILL(m1, 0)', refs).value), [[0, 0], [1, 2], [2, 0], [3, 0], [4, 8]]);
    assert.deepEqual(pts(run('FILL(m1, REPEAT)', refs).value), [[1, 2], [2, 2], [3, 2], [4, 8]]);
    assert.deepEqual(pts(run('FILL(m1, LINEAR)', refs).value), [[1, 2], [2, 4], [3, 6], [4, 8]]);
    const arr = run('FILL(METRICS(), -1)', { m1: s('a', 1), m2: s('b', undefined, 2) }, 2 * M).value;
    assert.equal(arr.t, 'array');
  });

  it('IF picks per point, drops points without a false branch, and takes scalar branches', () => {
    const refs = { m1: s('a', 1, 5, 10), m2: s('b', 100, 200, 300) };
    assert.deepEqual(pts(run('IF(m1 > 4, m2, 0)', refs).value), [[0, 0], [1, 200], [2, 300]]);
    assert.deepEqual(pts(run('IF(m1 > 4 AND m1 < 10, 1)', refs).value), [[1, 1]]);
    assert.deepEqual(pts(run('IF(m1 == 1 OR m1 == 10, m1 * 2, m2)', refs).value), [[0, 2], [1, 200], [2, 20]]);
  });

  it('computes ABS, CEIL, FLOOR, DIFF, RATE and PERIOD', () => {
    const refs = { m1: s('a', -1.5, 3, 9) };
    assert.deepEqual(pts(run('ABS(m1)', refs).value), [[0, 1.5], [1, 3], [2, 9]]);
    assert.deepEqual(pts(run('CEIL(m1)', refs).value), [[0, -1], [1, 3], [2, 9]]);
    assert.deepEqual(pts(run('FLOOR(m1)', refs).value), [[0, -2], [1, 3], [2, 9]]);
    assert.deepEqual(pts(run('DIFF(m1)', refs).value), [[1, 4.5], [2, 6]]);
    assert.deepEqual(pts(run('RATE(m1)', refs).value), [[1, 4.5 / 60], [2, 0.1]]);
    assert.deepEqual(pts(run('PERIOD(m1)', refs).value), [[0, 60], [1, 60], [2, 60]]);
  });

  it('refuses unknown functions, wrong arities and misplaced strings', () => {
    const refs = { m1: s('a', 1) };
    assert.throws(() => run('STDDEV(m1)', refs), (e: Error) => e instanceof MathError && /Unrecognized function STDDEV/.test(e.message));
    assert.throws(() => run('FILL(m1)', refs), /takes 2 arguments, not 1/);
    assert.throws(() => run('"x" + 1', refs), /can only be an argument/);
    assert.throws(() => run('METRICS() + METRICS()', refs), /two arrays/);
  });

  it('SEARCH finds metrics by schema, exact and partial terms, and NOT', () => {
    const row = (id: number, namespace: string, name: string, dims: [string, string][]) => ({
      id, namespace, name, lastTs: 0, dims: dims.map(([Name, Value]) => ({ Name, Value })),
    });
    const rows = [
      row(1, 'AWS/EC2', 'CPUUtilization', [['InstanceId', 'i-1']]),
      row(2, 'AWS/EC2', 'CPUUtilization', [['InstanceId', 'i-2']]),
      row(3, 'AWS/EC2', 'CPUUtilization', [['AutoScalingGroupName', 'web']]),
      row(4, 'AWS/EC2', 'NetworkIn', [['InstanceId', 'i-1']]),
      row(5, 'Shop', 'CPUUtilization', [['InstanceId', 'i-3']]),
    ];
    const labels = (q: string) => searchMetrics(q, rows).map((f) => `${f.namespace}:${f.name}:${f.label}`);
    assert.deepEqual(labels('{AWS/EC2,InstanceId} MetricName="CPUUtilization"'), ['AWS/EC2:CPUUtilization:i-1', 'AWS/EC2:CPUUtilization:i-2']);
    assert.deepEqual(labels('{AWS/EC2,InstanceId} cpu NOT i-2'), ['AWS/EC2:CPUUtilization:i-1']);
    assert.deepEqual(labels('InstanceId=i-1'), ['AWS/EC2:CPUUtilization:i-1', 'AWS/EC2:NetworkIn:i-1']);
    assert.deepEqual(labels('Namespace="Shop"'), ['Shop:CPUUtilization:i-3']);
    assert.throws(() => searchMetrics('a OR b', rows), /OR/);
  });
});
