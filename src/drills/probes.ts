/**
 * Probes reach the service as a user does: `http` requests its URL, `tcp` opens a connection,
 * `aws` makes API calls through faultline's endpoint and tests a JMESPath condition on the
 * answers, and `data` writes numbered records and reads back which survived (the RPO probe).
 * Each check answers ok or not with what it saw; the runner decides when to check.
 */
import { connect } from 'node:net';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import jmespath from 'jmespath';
import type { ProbeSpec } from './file.ts';
import { callAws } from './aws-call.ts';
import { AwsError } from '../core/errors.ts';

export interface Check {
  ok: boolean;
  detail: string;
}

const short = (s: string, n = 160) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
const errText = (e: unknown) => {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'no answer (timed out)';
  if (e instanceof AwsError) return short(`${e.code}: ${e.message}`);
  return short(err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e));
};

/** JMESPath's truth: false, null, empty strings, lists and objects are false. */
const truthy = (v: unknown) => !(v === false || v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length) || (typeof v === 'object' && v !== null && !Object.keys(v).length));

/** The addresses a host name resolves to when faultline's DNS answers for it (drills/resolver.ts), else undefined. */
export type NameResolver = (host: string) => string[] | undefined;

/**
 * Sends a request as a client that asks DNS would: a URL whose host is one of faultline's names
 * (`resolveName` knows it) goes to the first address the name resolves to now, with the name kept
 * in the Host header; any other URL goes as fetch sends it.
 */
async function send(target: string, opts: { method?: string; timeoutMs: number; redirect?: RequestRedirect }, resolveName?: NameResolver): Promise<{ status: number; text: string }> {
  const url = new URL(target);
  const addresses = resolveName?.(url.hostname);
  if (addresses) {
    if (!addresses.length) throw new Error(`${url.hostname} resolves to no address`);
    return sendVia(url, addresses[0], opts);
  }
  const res = await fetch(target, { method: opts.method, signal: AbortSignal.timeout(opts.timeoutMs), redirect: opts.redirect });
  return { status: res.status, text: await res.text() };
}

/** Requests the probe's URL (through `send`). */
export async function checkHttp(spec: Extract<ProbeSpec, { kind: 'http' }>, resolveName?: NameResolver): Promise<Check> {
  try {
    const { status, text } = await send(spec.url, { timeoutMs: spec.timeout * 1000, redirect: 'manual' }, resolveName);
    const statusOk = spec.status !== undefined ? status === spec.status : status < 400;
    const bodyOk = spec.body === undefined || text.includes(spec.body);
    const why = !statusOk ? '' : bodyOk ? '' : `, body lacks ${JSON.stringify(spec.body)}`;
    return { ok: statusOk && bodyOk, detail: `HTTP ${status}${why}` };
  } catch (e) {
    return { ok: false, detail: errText(e) };
  }
}

/** A request for `url` sent to `address`, whatever its host resolves to elsewhere. */
function sendVia(url: URL, address: string, opts: { method?: string; timeoutMs: number }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const lookup = (_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) => (o.all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4));
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: opts.method, lookup: lookup as never, signal: AbortSignal.timeout(opts.timeoutMs), agent: false }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function checkTcp(spec: Extract<ProbeSpec, { kind: 'tcp' }>): Promise<Check> {
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port });
    const done = (c: Check) => {
      socket.destroy();
      resolve(c);
    };
    socket.setTimeout(spec.timeout * 1000, () => done({ ok: false, detail: 'no answer (timed out)' }));
    socket.once('connect', () => done({ ok: true, detail: 'connected' }));
    socket.once('error', (e) => done({ ok: false, detail: errText(e) }));
  });
}

/** Replaces `{query: EXPR}` in call parameters with EXPR's value over the earlier answers. */
function fill(value: unknown, answers: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => fill(v, answers));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.query === 'string') {
      const v = jmespath.search(answers as object, o.query);
      if (v === null || (Array.isArray(v) && !v.length)) throw new Error(`${o.query} found nothing`);
      return v;
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fill(v, answers)]));
  }
  return value;
}

/** The answers of an `aws` probe's calls: the one answer itself, or each by its call's id. */
async function awsAnswers(spec: Extract<ProbeSpec, { kind: 'aws' }>, endpoint: string, region: string): Promise<unknown> {
  const ms = spec.timeout * 1000;
  if (spec.calls.length === 1 && !spec.calls[0].id) return callAws(endpoint, region, spec.calls[0], ms);
  const answers: Record<string, unknown> = {};
  for (const call of spec.calls) answers[call.id!] = await callAws(endpoint, region, { ...call, parameters: fill(call.parameters, answers) as Record<string, unknown> }, ms);
  return answers;
}

export async function checkAws(spec: Extract<ProbeSpec, { kind: 'aws' }>, endpoint: string, region: string): Promise<Check & { instances?: string[] }> {
  let answers: unknown;
  try {
    answers = await awsAnswers(spec, endpoint, region);
  } catch (e) {
    return { ok: false, detail: errText(e) };
  }
  const value = jmespath.search(answers as object, spec.condition);
  const instances = spec.instances ? jmespath.search(answers as object, spec.instances) : undefined;
  return {
    ok: truthy(value),
    detail: short(`${spec.condition} → ${JSON.stringify(value)}`),
    ...(Array.isArray(instances) ? { instances: instances.filter((i): i is string => typeof i === 'string') } : {}),
  };
}

/** The record name for number `n` (`rec-{n}` → `rec-7`). */
export const recordName = (pattern: string, n: number) => pattern.replace('{n}', String(n));

/** Writes record `n` through the data probe's write URL; true when the service acknowledged it. */
export async function writeRecord(spec: Extract<ProbeSpec, { kind: 'data' }>, n: number, resolveName?: NameResolver): Promise<Check> {
  try {
    const { status } = await send(spec.write.replaceAll('{n}', String(n)), { method: spec.method, timeoutMs: spec.timeout * 1000 }, resolveName);
    return { ok: status < 300, detail: `${recordName(spec.record, n)}: HTTP ${status}` };
  } catch (e) {
    return { ok: false, detail: `${recordName(spec.record, n)}: ${errText(e)}` };
  }
}

/** The record numbers the read URL lists now, or a reason it could not be read. */
export async function readRecords(spec: Extract<ProbeSpec, { kind: 'data' }>, resolveName?: NameResolver): Promise<{ numbers: Set<number> } | { error: string }> {
  let text: string;
  try {
    const res = await send(spec.read, { timeoutMs: spec.timeout * 1000 }, resolveName);
    text = res.text;
    if (res.status >= 300) return { error: `HTTP ${res.status}` };
  } catch (e) {
    return { error: errText(e) };
  }
  let names: unknown[];
  if (spec.list) {
    try {
      const found = jmespath.search(JSON.parse(text), spec.list);
      names = Array.isArray(found) ? found : [];
    } catch (e) {
      return { error: `the answer is not JSON that ${spec.list} reads: ${errText(e)}` };
    }
  } else names = [text];
  const [before, after] = spec.record.split('{n}').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`${before}(\\d+)${after}`, spec.list ? '' : 'g');
  const numbers = new Set<number>();
  for (const name of names) {
    if (typeof name !== 'string') continue;
    if (spec.list) {
      const m = new RegExp(`^${pattern.source}$`).exec(name);
      if (m) numbers.add(Number(m[1]));
    } else for (const m of name.matchAll(pattern)) numbers.add(Number(m[1]));
  }
  return { numbers };
}
