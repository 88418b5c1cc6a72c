/**
 * Evaluates a parsed metric math expression over time series (using-metric-math.html). Pure:
 * the data comes through `MathEnv`, so the same code serves GetMetricData and the alarm loop.
 *
 * Values are scalars, time series (points keyed by period start) and arrays of time series.
 * - Arithmetic, comparison (1 or 0) and logical operators work point by point; two series
 *   combine at the timestamps both have. A result that is not a finite number (x/0) is dropped,
 *   and `dropped` is set so that the result can say so in its Messages, as AWS does.
 * - SUM, AVG, MIN, MAX of one series give a scalar over its points; of an array, one series over
 *   the array's values at each timestamp.
 * - FILL(x, value | REPEAT | LINEAR) fills every period of the queried range that has no point.
 * - IF(cond, a[, b]) takes a where cond is non-zero and b (or nothing) elsewhere.
 * - METRICS([filter]) is the request's MetricStat queries, those whose Id contains `filter`.
 * - SEARCH('{Namespace,Dim} terms', 'Stat', Period) reads the metrics that exist.
 * - ABS, CEIL, FLOOR, DIFF, RATE and PERIOD as documented.
 */
import type { Node } from './parser.ts';

export interface Series {
  label: string;
  /** Period in seconds. */
  period: number;
  /** Period start (cloud ms) to value. */
  points: Map<number, number>;
}

export type Value = { t: 'scalar'; v: number } | { t: 'series'; s: Series } | { t: 'array'; items: Series[] };

/** An expression that cannot be evaluated (unknown function or id, wrong argument types). */
export class MathError extends Error {}

export interface MathEnv {
  /** The queried range [start, end), cloud ms. */
  start: number;
  end: number;
  /** The value of another query of the request, by Id. */
  ref(id: string): Value;
  /** The MetricStat queries of the request whose Id contains `filter`, in request order. */
  metrics(filter: string): Series[];
  /** The series SEARCH finds. */
  search(query: string, stat: string, period: number): Series[];
  /** Called when a non-finite result is dropped. */
  dropped(): void;
}

const scalar = (v: number): Value => ({ t: 'scalar', v });
const series = (s: Series): Value => ({ t: 'series', s });
const sorted = (s: Series) => [...s.points].sort((a, b) => a[0] - b[0]);

/** Applies `f` point by point; non-finite results are dropped. */
function mapSeries(env: MathEnv, s: Series, f: (v: number, ts: number) => number | undefined, label = s.label): Series {
  const points = new Map<number, number>();
  for (const [ts, v] of s.points) {
    const r = f(v, ts);
    if (r === undefined) continue;
    if (Number.isFinite(r)) points.set(ts, r);
    else env.dropped();
  }
  return { label, period: s.period, points };
}

function pointwise(env: MathEnv, x: Value, f: (v: number) => number): Value {
  if (x.t === 'scalar') return scalar(f(x.v));
  if (x.t === 'series') return series(mapSeries(env, x.s, f));
  return { t: 'array', items: x.items.map((s) => mapSeries(env, s, f)) };
}

function combine(env: MathEnv, a: Value, b: Value, f: (x: number, y: number) => number, op: string): Value {
  if (a.t === 'scalar' && b.t === 'scalar') return scalar(f(a.v, b.v));
  if (a.t === 'array' && b.t === 'array') throw new MathError(`The operator ${op} cannot combine two arrays of time series.`);
  if (a.t === 'array') return { t: 'array', items: a.items.map((s) => asSeries(combine(env, series(s), b, f, op))) };
  if (b.t === 'array') return { t: 'array', items: b.items.map((s) => asSeries(combine(env, a, series(s), f, op))) };
  if (a.t === 'scalar') return series(mapSeries(env, (b as { s: Series }).s, (y) => f(a.v, y)));
  if (b.t === 'scalar') return series(mapSeries(env, a.s, (x) => f(x, b.v)));
  const other = b.s.points;
  return series(mapSeries(env, a.s, (x, ts) => (other.has(ts) ? f(x, other.get(ts)!) : undefined), a.s.label));
}

const asSeries = (v: Value): Series => {
  if (v.t !== 'series') throw new MathError('Expected a time series.');
  return v.s;
};

const BINARY: Record<string, (x: number, y: number) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
  '^': (x, y) => x ** y,
  '==': (x, y) => Number(x === y),
  '!=': (x, y) => Number(x !== y),
  '<': (x, y) => Number(x < y),
  '>': (x, y) => Number(x > y),
  '<=': (x, y) => Number(x <= y),
  '>=': (x, y) => Number(x >= y),
  AND: (x, y) => Number(x !== 0 && y !== 0),
  OR: (x, y) => Number(x !== 0 || y !== 0),
};

type Reducer = (values: number[]) => number;
const REDUCERS: Record<string, Reducer> = {
  SUM: (v) => v.reduce((a, b) => a + b, 0),
  AVG: (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN),
  MIN: (v) => (v.length ? Math.min(...v) : NaN),
  MAX: (v) => (v.length ? Math.max(...v) : NaN),
};

function reduce(env: MathEnv, fn: string, x: Value): Value {
  const r = REDUCERS[fn];
  if (x.t === 'scalar') return x;
  if (x.t === 'series') return scalar(r([...x.s.points.values()]));
  const byTs = new Map<number, number[]>();
  for (const s of x.items) for (const [ts, v] of s.points) (byTs.get(ts) ?? byTs.set(ts, []).get(ts)!).push(v);
  const points = new Map<number, number>();
  for (const [ts, vs] of byTs) {
    const v = r(vs);
    if (Number.isFinite(v)) points.set(ts, v);
    else env.dropped();
  }
  return series({ label: fn, period: Math.max(60, ...x.items.map((s) => s.period)), points });
}

/** Every period start of the queried range, for a series of `period` seconds. */
function grid(env: MathEnv, period: number): number[] {
  const out: number[] = [];
  for (let ts = env.start; ts < env.end; ts += period * 1000) out.push(ts);
  return out;
}

function fillSeries(env: MathEnv, s: Series, how: Value | 'REPEAT' | 'LINEAR'): Series {
  const points = new Map(s.points);
  const slots = grid(env, s.period);
  if (how === 'REPEAT') {
    let last: number | undefined;
    for (const ts of slots) {
      if (s.points.has(ts)) last = s.points.get(ts);
      else if (last !== undefined) points.set(ts, last);
    }
  } else if (how === 'LINEAR') {
    const real = sorted(s);
    for (let i = 1; i < real.length; i++) {
      const [t0, v0] = real[i - 1];
      const [t1, v1] = real[i];
      for (const ts of slots) if (ts > t0 && ts < t1) points.set(ts, v0 + ((v1 - v0) * (ts - t0)) / (t1 - t0));
    }
  } else {
    for (const ts of slots) {
      if (points.has(ts)) continue;
      const v = how.t === 'scalar' ? how.v : how.t === 'series' ? how.s.points.get(ts) : undefined;
      if (v !== undefined) points.set(ts, v);
    }
  }
  return { label: s.label, period: s.period, points };
}

/** Value at a timestamp: a scalar's value everywhere, a series' own point, or nothing. */
const at = (v: Value, ts: number): number | undefined => (v.t === 'scalar' ? v.v : v.t === 'series' ? v.s.points.get(ts) : undefined);

function ifThen(env: MathEnv, cond: Value, a: Value, b: Value | undefined): Value {
  if (cond.t === 'array' || a.t === 'array' || b?.t === 'array') throw new MathError('IF does not take arrays of time series.');
  if (cond.t === 'scalar') {
    if (cond.v !== 0) return a;
    return b ?? series({ label: 'IF', period: 60, points: new Map() });
  }
  return series(mapSeries(env, cond.s, (c, ts) => (c !== 0 ? at(a, ts) : b ? at(b, ts) : undefined), cond.s.label));
}

function stepwise(env: MathEnv, x: Value, f: (prev: [number, number], cur: [number, number]) => number): Value {
  const one = (s: Series): Series => {
    const pts = sorted(s);
    const points = new Map<number, number>();
    for (let i = 1; i < pts.length; i++) {
      const r = f(pts[i - 1], pts[i]);
      if (Number.isFinite(r)) points.set(pts[i][0], r);
      else env.dropped();
    }
    return { label: s.label, period: s.period, points };
  };
  if (x.t === 'scalar') throw new MathError('DIFF and RATE take a time series.');
  return x.t === 'series' ? series(one(x.s)) : { t: 'array', items: x.items.map(one) };
}

const arity = (fn: string, args: Node[], min: number, max = min) => {
  if (args.length < min || args.length > max) {
    throw new MathError(`The function ${fn} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, not ${args.length}.`);
  }
};

const stringArg = (fn: string, n: Node): string => {
  if (n.k !== 'str') throw new MathError(`The function ${fn} takes a string here.`);
  return n.v;
};

function call(node: Extract<Node, { k: 'call' }>, env: MathEnv): Value {
  const { fn, args } = node;
  const ev = (n: Node) => evaluateNode(n, env);
  switch (fn) {
    case 'SUM':
    case 'AVG':
    case 'MIN':
    case 'MAX':
      arity(fn, args, 1);
      return reduce(env, fn, ev(args[0]));
    case 'ABS':
    case 'CEIL':
    case 'FLOOR':
      arity(fn, args, 1);
      return pointwise(env, ev(args[0]), fn === 'ABS' ? Math.abs : fn === 'CEIL' ? Math.ceil : Math.floor);
    case 'FILL': {
      arity(fn, args, 2);
      const x = ev(args[0]);
      const kw = args[1].k === 'name' && (args[1].v === 'REPEAT' || args[1].v === 'LINEAR') ? args[1].v : undefined;
      const how = kw ?? ev(args[1]);
      if (typeof how !== 'string' && how.t === 'array') throw new MathError('FILL takes a number, a time series, REPEAT or LINEAR as its second argument.');
      if (x.t === 'scalar') throw new MathError('FILL takes a time series or an array of time series as its first argument.');
      return x.t === 'series' ? series(fillSeries(env, x.s, how)) : { t: 'array', items: x.items.map((s) => fillSeries(env, s, how)) };
    }
    case 'IF':
      arity(fn, args, 2, 3);
      return ifThen(env, ev(args[0]), ev(args[1]), args[2] ? ev(args[2]) : undefined);
    case 'METRICS':
      arity(fn, args, 0, 1);
      return { t: 'array', items: env.metrics(args.length ? stringArg(fn, args[0]) : '') };
    case 'SEARCH': {
      arity(fn, args, 3);
      const period = ev(args[2]);
      if (period.t !== 'scalar') throw new MathError('The period of SEARCH must be a number.');
      return { t: 'array', items: env.search(stringArg(fn, args[0]), stringArg(fn, args[1]), period.v) };
    }
    case 'DIFF':
      arity(fn, args, 1);
      return stepwise(env, ev(args[0]), ([, v0], [, v1]) => v1 - v0);
    case 'RATE':
      arity(fn, args, 1);
      return stepwise(env, ev(args[0]), ([t0, v0], [t1, v1]) => (v1 - v0) / ((t1 - t0) / 1000));
    case 'PERIOD': {
      arity(fn, args, 1);
      const x = ev(args[0]);
      if (x.t === 'scalar') throw new MathError('PERIOD takes a time series.');
      const one = (s: Series) => mapSeries(env, s, () => s.period);
      return x.t === 'series' ? series(one(x.s)) : { t: 'array', items: x.items.map(one) };
    }
    default:
      throw new MathError(`Unrecognized function ${fn}.`);
  }
}

export function evaluateNode(node: Node, env: MathEnv): Value {
  switch (node.k) {
    case 'num':
      return scalar(node.v);
    case 'str':
      throw new MathError(`A string ("${node.v}") can only be an argument of METRICS or SEARCH.`);
    case 'name':
      return env.ref(node.v);
    case 'array': {
      const items: Series[] = [];
      for (const n of node.items) {
        const v = evaluateNode(n, env);
        if (v.t === 'scalar') throw new MathError('An array can hold only time series.');
        items.push(...(v.t === 'series' ? [v.s] : v.items));
      }
      return { t: 'array', items };
    }
    case 'unary': {
      const v = evaluateNode(node.arg, env);
      return pointwise(env, v, node.op === '-' ? (x) => -x : (x) => Number(x === 0));
    }
    case 'bin':
      return combine(env, evaluateNode(node.l, env), evaluateNode(node.r, env), BINARY[node.op], node.op);
    case 'call':
      return call(node, env);
  }
}
