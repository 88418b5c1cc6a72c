/**
 * Real Route 53 health checks (sandbox driver): requests from the host to each endpoint check's
 * public address (where the public endpoints and load balancer nodes listen), as AWS's checkers
 * make them (spec route53.md §4, DG/dns-failover-determining-health-of-endpoints.html):
 *  - TCP: a connection within 10 s;
 *  - HTTP and HTTPS (certificates not checked; SNI with the domain name when EnableSNI): a
 *    connection within 4 s, then a status of 200 to 399 within 2 s of connecting;
 *  - the _STR_MATCH types: then SearchString within the first 5,120 bytes of the body (gzip and
 *    deflate bodies decompressed), which must come within 2 more seconds.
 * Each check is requested once per RequestInterval of cloud time (paced in real time through the
 * clock's rate, at most twice a second; twice a second under a manual clock); the health check loop reads the latest result
 * (`route53Health`) at each of its intervals, after the world's verdict, as the ELB loop does.
 * Timeouts are real time divided by a scaled clock's rate, never below 200 ms (lb-health-probes.ts).
 */
// Requests are paced in real time, read through the clock module.
import { Clock } from '../core/clock.ts';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Env } from '../services/service.ts';
import { isEndpointType, isHttpsType } from '../services/route53/health-check.config.ts';
import { endpointOf, STATUS, type ProbeResult } from '../services/route53/health-check.probe.ts';
import { COLL, type HealthCheckRecord } from '../services/route53/state.ts';
import { probeTimeoutMs } from './lb-health-probes.ts';

/** Real ms between two requests of a check, at the least. */
const MIN_PERIOD_MS = 500;
/** How much of a body a string match reads. */
const MATCH_BYTES = 5120;

export interface ProbeSpec {
  type: string;
  ip: string;
  port: number;
  /** The Host header (and SNI name): the domain name, with the port unless it is the scheme's own; the address without one. */
  host: string;
  sni?: string;
  path: string;
  searchString?: string;
  healthCheckId: string;
  /** Real ms for each stage: TCP connect; HTTP connect; first byte; body. */
  timeouts: { tcp: number; connect: number; firstByte: number; body: number };
}

/** One request as a checker makes it. Never rejects. */
export function probe(spec: ProbeSpec): Promise<ProbeResult> {
  return spec.type === 'TCP' ? probeTcp(spec) : probeHttp(spec);
}

function probeTcp(spec: ProbeSpec): Promise<ProbeResult> {
  const start = Clock.wallNow();
  return new Promise((resolve) => {
    const socket = connect({ host: spec.ip, port: spec.port });
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, status: STATUS.timeout }), spec.timeouts.tcp);
    socket.once('connect', () => done({ ok: true, status: STATUS.tcp, connectMs: Clock.wallNow() - start }));
    socket.once('error', (e: NodeJS.ErrnoException) => done(failure(e)));
  });
}

function probeHttp(spec: ProbeSpec): Promise<ProbeResult> {
  const start = Clock.wallNow();
  const https = isHttpsType(spec.type);
  return new Promise((resolve) => {
    let connectMs: number | undefined;
    let settled = false;
    const req = (https ? httpsRequest : httpRequest)({
      host: spec.ip,
      port: spec.port,
      path: spec.path,
      method: 'GET',
      headers: { Host: spec.host, 'User-Agent': `Amazon-Route53-Health-Check-Service (ref ${spec.healthCheckId})`, 'Accept-Encoding': 'gzip, deflate' },
      agent: false,
      ...(https ? { rejectUnauthorized: false, servername: spec.sni ?? '' } : {}),
    });
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    let timer = setTimeout(() => done({ ok: false, status: STATUS.timeout }), spec.timeouts.connect);
    req.once('socket', (socket) => {
      socket.once(https ? 'secureConnect' : 'connect', () => {
        connectMs = Clock.wallNow() - start;
        clearTimeout(timer);
        timer = setTimeout(() => done({ ok: false, status: STATUS.timeout, connectMs }), spec.timeouts.firstByte);
      });
    });
    req.once('response', (res: IncomingMessage) => {
      const firstByteMs = Clock.wallNow() - start;
      const code = res.statusCode ?? 0;
      const answered = { ok: code >= 200 && code < 400, status: STATUS.http(code, res.statusMessage ?? ''), connectMs, firstByteMs };
      if (!answered.ok || spec.searchString === undefined) return done(answered);
      clearTimeout(timer);
      timer = setTimeout(() => done({ ok: false, status: STATUS.noMatch, connectMs, firstByteMs }), spec.timeouts.body);
      void readStart(res).then((body) => done(body.includes(spec.searchString!) ? answered : { ok: false, status: STATUS.noMatch, connectMs, firstByteMs }));
    });
    req.once('error', (e: NodeJS.ErrnoException) => done(failure(e)));
    req.end();
  });
}

/** The first 5,120 bytes of a body, decompressed, as text (what is there when the body ends early). */
function readStart(res: IncomingMessage): Promise<string> {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  const stream: Readable = encoding === 'gzip' ? res.pipe(createGunzip()) : encoding === 'deflate' ? res.pipe(createInflate()) : res;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => resolve(Buffer.concat(chunks).subarray(0, MATCH_BYTES).toString('utf8'));
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MATCH_BYTES) {
        finish();
        res.destroy();
      }
    });
    stream.once('end', finish);
    stream.once('error', finish);
  });
}

function failure(e: NodeJS.ErrnoException): ProbeResult {
  return { ok: false, status: e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' ? STATUS.refused : STATUS.timeout };
}

/** What a check's requests are, at a clock rate of `scale` cloud seconds per real second. */
export function specOf(hc: { Id: string; HealthCheckConfig: Record<string, unknown> & { Type: string } }, ip: string, scale: number): ProbeSpec {
  const c = hc.HealthCheckConfig;
  const port = Number(c.Port);
  const fqdn = c.FullyQualifiedDomainName as string | undefined;
  const own = isHttpsType(c.Type) ? 443 : 80;
  const t = (s: number) => probeTimeoutMs(s, scale);
  return {
    type: c.Type,
    ip,
    port,
    host: fqdn ? (port === own ? fqdn : `${fqdn}:${port}`) : ip,
    sni: c.EnableSNI && fqdn ? fqdn : undefined,
    path: (c.ResourcePath as string | undefined) ?? '/',
    searchString: c.SearchString as string | undefined,
    healthCheckId: hc.Id,
    timeouts: { tcp: t(10), connect: t(4), firstByte: t(2), body: t(2) },
  };
}

export class Route53Probes {
  private results = new Map<string, ProbeResult>();
  private lastStart = new Map<string, number>();
  private inFlight = new Set<string>();
  private lastRun = -Infinity;

  constructor(private env: Env) {}

  /**
   * Starts a request for every endpoint check that is due; forgets the checks that are gone or
   * disabled. The records are read at most every MIN_PERIOD_MS, the shortest period of a check.
   */
  run(): void {
    const now = Clock.wallNow();
    if (now - this.lastRun < MIN_PERIOD_MS) return;
    this.lastRun = now;
    // A manual clock has no rate: its steps come as fast as a test makes them.
    const scale = this.env.clock.scale;
    const wanted = new Set<string>();
    for (const [scope, hc] of this.env.store.scan<HealthCheckRecord>(COLL.healthChecks)) {
      const c = hc.HealthCheckConfig;
      if (!isEndpointType(c.Type) || c.Disabled) continue;
      const key = `${scope.account}/${hc.Id}`;
      wanted.add(key);
      const period = scale > 0 ? Math.max(MIN_PERIOD_MS, (Number(c.RequestInterval) * 1000) / scale) : MIN_PERIOD_MS;
      if (this.inFlight.has(key) || now - (this.lastStart.get(key) ?? -Infinity) < period) continue;
      this.lastStart.set(key, now);
      const ep = endpointOf(this.env, c);
      if ('failure' in ep) {
        this.results.set(key, ep.failure);
        continue;
      }
      this.inFlight.add(key);
      void probe(specOf(hc as HealthCheckRecord, ep.ip, scale)).then((r) => {
        this.inFlight.delete(key);
        if (this.lastStart.has(key)) this.results.set(key, r);
      });
    }
    for (const key of this.lastStart.keys()) {
      if (wanted.has(key)) continue;
      this.lastStart.delete(key);
      this.results.delete(key);
    }
  }

  /** The latest request of a check, or undefined when none has been made (or it is no longer checked). */
  get(account: string, healthCheckId: string): ProbeResult | undefined {
    return this.results.get(`${account}/${healthCheckId}`);
  }
}
