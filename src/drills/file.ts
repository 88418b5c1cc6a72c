/**
 * Drill files: YAML or JSON (JSON is YAML), checked field by field into a DrillSpec. Every error
 * names the file, the line and the field (`recovery.yaml:14: probes[0].http.url: ...`), and all
 * of them are reported at once, before anything in the world changes. The published JSON Schema
 * (schemas/drill.schema.json) describes the same fields for editors.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import jmespath from 'jmespath';
import type { DisruptionType, PolicyTarget } from './result.ts';

const DISRUPTION_TYPES: readonly DisruptionType[] = ['Software', 'Hardware', 'AZ', 'Region'];

export type SetupStep =
  | { keyPair: { name: string } }
  | { stack: { name: string; template: string; parameters: Record<string, string>; capabilities: string[] } }
  | { image: { name: string; stack: string } }
  | { wait: { seconds: number } };

export interface AwsCallSpec {
  /** The name later calls and the condition use for this call's answer. */
  id?: string;
  service: string;
  operation: string;
  parameters: Record<string, unknown>;
}

export type ProbeSpec = { name: string; interval: number; only?: 'simulated' | 'sandbox' } & (
  | { kind: 'http'; url: string; status?: number; body?: string; timeout: number }
  | { kind: 'tcp'; host: string; port: number; timeout: number }
  | { kind: 'aws'; calls: AwsCallSpec[]; condition: string; instances?: string; timeout: number }
  | { kind: 'data'; write: string; method: string; read: string; list?: string; record: string; timeout: number }
  | { kind: 'sql'; url: string; table: string; record: string; timeout: number }
);

/** The probes that write numbered records and read back which survived (RPO), not steady-state checks. */
export type RecordProbe = Extract<ProbeSpec, { kind: 'data' | 'sql' }>;
export const isRecordProbe = (p: ProbeSpec): p is RecordProbe => p.kind === 'data' || p.kind === 'sql';

export interface DrillSpec {
  name: string;
  mechanism?: string;
  description?: string;
  region: string;
  disruption?: DisruptionType;
  setup: SetupStep[];
  experiment: { template?: Record<string, unknown>; templateId?: string };
  probes: ProbeSpec[];
  recovery: { checks: number; windowSeconds: number };
  targets: Partial<Record<DisruptionType, PolicyTarget>>;
  clock: { mode?: 'manual' | 'scaled' | 'real'; step: number; realPauseSeconds?: number };
}

/** A drill file that cannot run; `message` holds every problem, one per line. */
export class DrillFileError extends Error {}

export type Path = (string | number)[];

const pathText = (path: Path) => path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');

/** The line of the deepest node of `path` that the document has (a member's key line when it is there). */
function lineOf(doc: Document, lines: LineCounter, path: Path): number {
  let node: unknown = doc.contents;
  let line = 1;
  const at = (range?: [number, number, number] | null) => (range ? lines.linePos(range[0]).line : line);
  if (node && typeof node === 'object' && 'range' in node) line = at((node as { range?: [number, number, number] }).range);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
      if (!pair) break;
      line = at((pair.key as { range?: [number, number, number] }).range);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      line = at((node as { range?: [number, number, number] }).range);
    } else break;
  }
  return line;
}

/** Collects problems as `path: message`, each with its line. */
class Checker {
  problems: { path: Path; message: string }[] = [];
  fail(path: Path, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }
  object(v: unknown, path: Path, required = true): Record<string, unknown> | undefined {
    if (v === undefined && !required) return undefined;
    if (v === undefined) return this.fail(path, 'is required');
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.fail(path, 'must be a mapping');
    return v as Record<string, unknown>;
  }
  only(o: Record<string, unknown>, path: Path, keys: string[]): void {
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail([...path, k], `is not a field here (expected ${keys.join(', ')})`);
  }
  string(v: unknown, path: Path, required = true): string | undefined {
    if (v === undefined && !required) return undefined;
    if (v === undefined) return this.fail(path, 'is required');
    if (typeof v !== 'string' || !v.trim()) return this.fail(path, 'must be a non-empty string');
    return v;
  }
  number(v: unknown, path: Path, opts: { required?: boolean; min?: number; integer?: boolean } = {}): number | undefined {
    if (v === undefined && !opts.required) return undefined;
    if (v === undefined) return this.fail(path, 'is required');
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(path, 'must be a number');
    if (opts.integer && !Number.isInteger(v)) return this.fail(path, 'must be a whole number');
    if (opts.min !== undefined && v < opts.min) return this.fail(path, `must be at least ${opts.min}`);
    return v;
  }
  oneOf<T extends string>(v: unknown, path: Path, values: readonly T[], required = false): T | undefined {
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || !values.includes(v as T)) return this.fail(path, `must be one of ${values.join(', ')}`);
    return v as T;
  }
  url(v: unknown, path: Path): string | undefined {
    const s = this.string(v, path);
    // A URL that starts with a reference (a stack's JenkinsURL output) is whole only after setup.
    if (s === undefined || s.startsWith('${')) return s;
    const probe = s.replace(/\$\{[^}]*\}/g, 'x').replace(/\{n\}/g, '1');
    let ok = /^https?:\/\//.test(probe);
    try {
      new URL(probe);
    } catch {
      ok = false;
    }
    return ok ? s : this.fail(path, `must be an http:// or https:// URL, not ${JSON.stringify(s)}`);
  }
  jmespath(v: unknown, path: Path, required = true): string | undefined {
    const s = this.string(v, path, required);
    if (s === undefined) return undefined;
    try {
      // The package compiles (and so checks) an expression without running it; its types omit that.
      (jmespath as unknown as { compile(e: string): unknown }).compile(s);
    } catch (e) {
      return this.fail(path, `is not a JMESPath expression: ${(e as Error).message}`);
    }
    return s;
  }
}

const SETUP_KINDS = ['keyPair', 'stack', 'image', 'wait'];
const PROBE_KINDS = ['http', 'tcp', 'aws', 'data', 'sql'] as const;

/**
 * Parses and checks a drill file. `file` names it in messages. Throws DrillFileError with every
 * problem found, each as `file:line: field: message`.
 */
export function parseDrill(source: string, file = 'drill', more?: (spec: DrillSpec, fail: (path: Path, message: string) => void, raw: Record<string, unknown>) => void): DrillSpec {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new DrillFileError(doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`).join('\n'));
  }
  const c = new Checker();
  const raw = doc.toJS({ maxAliasCount: 100 });
  const spec = check(c, raw);
  // Checks that need the world or the disk (template files, FIS's actions), with the same lines.
  if (spec && more) more(spec, (path, message) => c.fail(path, message), raw);
  if (c.problems.length) {
    throw new DrillFileError(c.problems.map((p) => `${file}:${lineOf(doc, lines, p.path)}: ${pathText(p.path) || '(the file)'}: ${p.message}`).join('\n'));
  }
  return spec!;
}

function check(c: Checker, raw: unknown): DrillSpec | undefined {
  const top = c.object(raw, []);
  if (!top) return undefined;
  c.only(top, [], ['$schema', 'name', 'mechanism', 'description', 'region', 'disruption', 'setup', 'experiment', 'probes', 'recovery', 'targets', 'clock']);
  const name = c.string(top.name, ['name']);
  const mechanism = c.string(top.mechanism, ['mechanism'], false);
  const description = c.string(top.description, ['description'], false);
  const region = c.string(top.region, ['region'], false) ?? 'us-east-1';
  const disruption = c.oneOf(top.disruption, ['disruption'], DISRUPTION_TYPES);

  const setup: SetupStep[] = [];
  const stepNames = new Set<string>();
  if (top.setup !== undefined && !Array.isArray(top.setup)) c.fail(['setup'], 'must be a list of steps');
  for (const [i, raw] of (Array.isArray(top.setup) ? top.setup : []).entries()) {
    const step = checkStep(c, raw, ['setup', i], stepNames);
    if (step) setup.push(step);
  }

  const experiment: DrillSpec['experiment'] = {};
  const exp = c.object(top.experiment, ['experiment']);
  if (exp) {
    c.only(exp, ['experiment'], ['template', 'templateId']);
    if ((exp.template === undefined) === (exp.templateId === undefined)) c.fail(['experiment'], 'give either template (an inline FIS experiment template) or templateId');
    else if (exp.templateId !== undefined) experiment.templateId = c.string(exp.templateId, ['experiment', 'templateId']);
    else experiment.template = checkTemplate(c, exp.template, ['experiment', 'template']);
  }

  const probes: ProbeSpec[] = [];
  if (!Array.isArray(top.probes) || !top.probes.length) c.fail(['probes'], 'must be a list of at least one probe');
  const probeNames = new Set<string>();
  for (const [i, raw] of (Array.isArray(top.probes) ? top.probes : []).entries()) {
    const p = checkProbe(c, raw, ['probes', i]);
    if (!p) continue;
    if (probeNames.has(p.name)) c.fail(['probes', i, 'name'], `another probe is already named ${p.name}`);
    probeNames.add(p.name);
    probes.push(p);
  }
  if (probes.length && probes.every(isRecordProbe)) c.fail(['probes'], 'needs at least one steady-state probe (http, tcp or aws); a data or sql probe measures RPO only');

  const rec = c.object(top.recovery, ['recovery'], false) ?? {};
  c.only(rec, ['recovery'], ['checks', 'window']);
  const recovery = {
    checks: c.number(rec.checks, ['recovery', 'checks'], { min: 1, integer: true }) ?? 3,
    windowSeconds: c.number(rec.window, ['recovery', 'window'], { min: 1 }) ?? 1800,
  };

  const targets: DrillSpec['targets'] = {};
  const t = c.object(top.targets, ['targets']);
  if (t) {
    c.only(t, ['targets'], [...DISRUPTION_TYPES]);
    for (const type of DISRUPTION_TYPES) {
      const entry = c.object(t[type], ['targets', type], false);
      if (!entry) continue;
      c.only(entry, ['targets', type], ['rtoInSecs', 'rpoInSecs']);
      const rto = c.number(entry.rtoInSecs, ['targets', type, 'rtoInSecs'], { required: true, min: 0, integer: true });
      const rpo = c.number(entry.rpoInSecs, ['targets', type, 'rpoInSecs'], { required: true, min: 0, integer: true });
      if (rto !== undefined && rpo !== undefined) targets[type] = { rtoInSecs: rto, rpoInSecs: rpo };
    }
    if (!Object.keys(t).length) c.fail(['targets'], 'give at least one of Software, Hardware, AZ, Region');
  }

  const clk = c.object(top.clock, ['clock'], false) ?? {};
  c.only(clk, ['clock'], ['mode', 'step', 'realPause']);
  const clock = {
    mode: c.oneOf(clk.mode, ['clock', 'mode'], ['manual', 'scaled', 'real'] as const),
    step: c.number(clk.step, ['clock', 'step'], { min: 1 }) ?? 10,
    realPauseSeconds: c.number(clk.realPause, ['clock', 'realPause'], { min: 0 }),
  };
  if (c.problems.length) return undefined;
  return { name: name!, mechanism, description, region, disruption, setup, experiment, probes, recovery, targets, clock };
}

function checkStep(c: Checker, raw: unknown, path: Path, names: Set<string>): SetupStep | undefined {
  const o = c.object(raw, path);
  if (!o) return undefined;
  const kinds = Object.keys(o);
  if (kinds.length !== 1 || !SETUP_KINDS.includes(kinds[0])) return c.fail(path, `a step is one of ${SETUP_KINDS.join(', ')}`);
  const kind = kinds[0];
  const p = [...path, kind];
  const named = (name: string | undefined) => {
    if (name === undefined) return undefined;
    if (names.has(name)) return c.fail([...p, 'name'], `an earlier step is already named ${name}`);
    names.add(name);
    return name;
  };
  if (kind === 'wait') {
    const w = c.object(o.wait, p);
    if (!w) return undefined;
    c.only(w, p, ['seconds']);
    const seconds = c.number(w.seconds, [...p, 'seconds'], { required: true, min: 0 });
    return seconds === undefined ? undefined : { wait: { seconds } };
  }
  const body = c.object(o[kind], p);
  if (!body) return undefined;
  if (kind === 'keyPair') {
    c.only(body, p, ['name']);
    const name = named(c.string(body.name, [...p, 'name']));
    return name ? { keyPair: { name } } : undefined;
  }
  if (kind === 'image') {
    c.only(body, p, ['name', 'stack']);
    const name = named(c.string(body.name, [...p, 'name']));
    const stack = c.string(body.stack, [...p, 'stack']);
    if (stack !== undefined && !names.has(stack)) c.fail([...p, 'stack'], `names no earlier stack step (${stack})`);
    return name && stack ? { image: { name, stack } } : undefined;
  }
  c.only(body, p, ['name', 'template', 'parameters', 'capabilities']);
  const name = c.string(body.name, [...p, 'name']);
  // A second step for the same stack updates it (as the chapter does with multiaz-ebs.json).
  if (name) names.add(name);
  const template = c.string(body.template, [...p, 'template']);
  const params = c.object(body.parameters, [...p, 'parameters'], false) ?? {};
  const parameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') parameters[k] = String(v);
    else c.fail([...p, 'parameters', k], 'must be a string, a number or a boolean');
  }
  const caps = body.capabilities ?? [];
  if (!Array.isArray(caps) || caps.some((x) => typeof x !== 'string')) c.fail([...p, 'capabilities'], 'must be a list of strings such as CAPABILITY_IAM');
  return name && template ? { stack: { name, template, parameters, capabilities: caps as string[] } } : undefined;
}

function checkTemplate(c: Checker, raw: unknown, path: Path): Record<string, unknown> | undefined {
  const t = c.object(raw, path);
  if (!t) return undefined;
  const actions = c.object(t.actions, [...path, 'actions']);
  for (const [name, a] of Object.entries(actions ?? {})) {
    const action = c.object(a, [...path, 'actions', name]);
    if (action) c.string(action.actionId, [...path, 'actions', name, 'actionId']);
  }
  if (actions && !Object.keys(actions).length) c.fail([...path, 'actions'], 'needs at least one action');
  if (t.targets !== undefined) c.object(t.targets, [...path, 'targets']);
  return t;
}

function checkProbe(c: Checker, raw: unknown, path: Path): ProbeSpec | undefined {
  const o = c.object(raw, path);
  if (!o) return undefined;
  const kinds = PROBE_KINDS.filter((k) => o[k] !== undefined);
  c.only(o, path, ['name', 'interval', 'only', ...PROBE_KINDS]);
  const name = c.string(o.name, [...path, 'name']);
  const interval = c.number(o.interval, [...path, 'interval'], { min: 1 }) ?? 10;
  const only = c.oneOf(o.only, [...path, 'only'], ['simulated', 'sandbox'] as const);
  if (kinds.length !== 1) return c.fail(path, `a probe has exactly one of ${PROBE_KINDS.join(', ')}`);
  const kind = kinds[0];
  const p = [...path, kind];
  const body = c.object(o[kind], p);
  if (!body || !name) return undefined;
  const base = { name, interval, ...(only ? { only } : {}) };
  const timeout = (v: unknown, seconds = 2) => c.number(v, [...p, 'timeout'], { min: 0.1 }) ?? seconds;
  switch (kind) {
    case 'http': {
      c.only(body, p, ['url', 'status', 'body', 'timeout']);
      const url = c.url(body.url, [...p, 'url']);
      const status = c.number(body.status, [...p, 'status'], { min: 100, integer: true });
      const text = c.string(body.body, [...p, 'body'], false);
      return url ? { ...base, kind, url, status, body: text, timeout: timeout(body.timeout) } : undefined;
    }
    case 'tcp': {
      c.only(body, p, ['host', 'port', 'timeout']);
      const host = c.string(body.host, [...p, 'host']);
      const port = c.number(body.port, [...p, 'port'], { required: true, min: 1, integer: true });
      if (port !== undefined && port > 65535) c.fail([...p, 'port'], 'must be at most 65535');
      return host && port ? { ...base, kind, host, port, timeout: timeout(body.timeout) } : undefined;
    }
    case 'aws': {
      c.only(body, p, ['service', 'operation', 'parameters', 'calls', 'condition', 'instances', 'timeout']);
      const calls: AwsCallSpec[] = [];
      const call = (o: Record<string, unknown>, cp: Path, withId: boolean) => {
        const service = c.string(o.service, [...cp, 'service']);
        const operation = c.string(o.operation, [...cp, 'operation']);
        const parameters = c.object(o.parameters, [...cp, 'parameters'], false) ?? {};
        const id = withId ? c.string(o.id, [...cp, 'id']) : undefined;
        if (id && calls.some((x) => x.id === id)) c.fail([...cp, 'id'], `another call is already ${id}`);
        if (service && operation) calls.push({ ...(id ? { id } : {}), service, operation, parameters });
      };
      if (body.calls !== undefined) {
        if (body.service !== undefined || body.operation !== undefined) c.fail(p, 'give either calls or one service and operation');
        if (!Array.isArray(body.calls) || !body.calls.length) c.fail([...p, 'calls'], 'must be a list of at least one call');
        for (const [i, x] of (Array.isArray(body.calls) ? body.calls : []).entries()) {
          const o = c.object(x, [...p, 'calls', i]);
          if (o) {
            c.only(o, [...p, 'calls', i], ['id', 'service', 'operation', 'parameters']);
            call(o, [...p, 'calls', i], true);
          }
        }
      } else call(body, p, false);
      const condition = c.jmespath(body.condition, [...p, 'condition']);
      const instances = c.jmespath(body.instances, [...p, 'instances'], false);
      // An API call can take longer than a connection: a fleet-wide Describe call answers in seconds.
      return condition ? { ...base, kind, calls, condition, instances, timeout: timeout(body.timeout, 10) } : undefined;
    }
    case 'sql': {
      c.only(body, p, ['url', 'table', 'timeout']);
      const url = c.string(body.url, [...p, 'url']);
      // A connection string that starts with a reference (a stack output) is whole only after setup.
      if (url !== undefined && !url.startsWith('${') && !/^(postgres(ql)?|mysql):\/\//.test(url)) c.fail([...p, 'url'], `must be a postgres:// or mysql:// connection string, not ${JSON.stringify(url)}`);
      const table = c.string(body.table, [...p, 'table'], false) ?? 'faultline_rpo';
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) c.fail([...p, 'table'], 'must be a lower-case SQL name (letters, digits, _)');
      return url ? { ...base, kind, url, table, record: `${table} row {n}`, timeout: timeout(body.timeout, 5) } : undefined;
    }
    default: {
      c.only(body, p, ['write', 'method', 'read', 'list', 'record', 'timeout']);
      const write = c.url(body.write, [...p, 'write']);
      const read = c.url(body.read, [...p, 'read']);
      const method = c.oneOf(body.method, [...p, 'method'], ['POST', 'PUT', 'GET'] as const) ?? 'POST';
      const list = c.jmespath(body.list, [...p, 'list'], false);
      const record = c.string(body.record, [...p, 'record'], false) ?? 'rec-{n}';
      if (!record.includes('{n}')) c.fail([...p, 'record'], 'must contain {n}, the record number');
      if (write && !write.includes('{n}')) c.fail([...p, 'write'], 'must contain {n} (the record number), e.g. ...?name=rec-{n}');
      return write && read ? { ...base, kind: 'data', write, method, read, list, record, timeout: timeout(body.timeout) } : undefined;
    }
  }
}
