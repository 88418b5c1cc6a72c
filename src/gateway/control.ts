/**
 * The control API under /_faultline/: what AWS has no API for. Kept small: health, the clock,
 * the event log and a reset. JSON in, JSON out. A request that changes the world is a POST with
 * a JSON content type, which a web page elsewhere cannot send without asking first (a CORS
 * preflight, which faultline never grants); a page's HTML form cannot send it at all.
 */
import type { WireResponse } from '../protocols/protocol.ts';
import type { Env } from '../services/service.ts';
import { seedWorld } from '../world/state.ts';
import { listDeliveries } from '../services/sns/deliveries.ts';
import { AwsError } from '../core/errors.ts';
import { activeFaults, healFault, injectFault, type FaultSpec } from '../world/faults.ts';
import { locateInstance } from '../world/placement.ts';
import { interruptSpotInstanceAnywhere } from '../services/ec2/spot-interruptions.ts';
import { worldView } from '../world/view.ts';
import { setCpuLoad } from '../world/load.ts';
import { getDrill, listDrills, startDrill, stopDrill } from '../drills/drills.ts';
import { azPowerInterruption } from '../services/fis/scenarios.ts';
import { answer } from '../services/route53/answer.ts';
import { eventFilter, matches } from '../core/event-filter.ts';
import { services } from '../services/index.ts';
import { overview } from './overview.ts';
import { consoleAsset } from './console.ts';
import { htmlReport } from '../drills/report/html.ts';
import { jsonReport } from '../drills/report/json.ts';

export const CONTROL_PREFIX = '/_faultline/';

const json = (status: number, body: unknown): WireResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export const controlError = (status: number, message: string): WireResponse => json(status, { error: message });

const isJson = (contentType: string | undefined) => contentType?.split(';')[0].trim().toLowerCase() === 'application/json';

const clockView = (env: Env) => ({
  mode: env.clock.mode,
  scale: env.clock.scale,
  paused: env.clock.paused,
  now: new Date(env.clock.now()).toISOString(),
});

export function handleControl(env: Env, method: string, url: URL, contentType: string | undefined, body: Buffer): WireResponse {
  // The console's files: GETs of static assets, before the JSON routes.
  if (method === 'GET') {
    const asset = consoleAsset(url.pathname);
    if (asset) return asset;
  }
  if (method === 'POST' && !isJson(contentType)) return controlError(415, 'control requests that change the world are POSTs with Content-Type: application/json');
  const path = url.pathname.replace(/\/+$/, '');
  let input: Record<string, unknown> = {};
  if (body.length) {
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return json(400, { error: 'the body must be JSON' });
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return json(400, { error: 'the body must be a JSON object' });
  }
  const route = `${method} ${path}`;
  try {
    return dispatch(env, route, path, url, input);
  } catch (e) {
    if (e instanceof AwsError) return json(e.status, { error: e.message, code: e.code });
    throw e;
  }
}

function dispatch(env: Env, route: string, path: string, url: URL, input: Record<string, unknown>): WireResponse {
  const heal = /^POST \/_faultline\/faults\/([\w-]+)\/heal$/.exec(route);
  if (heal) return json(200, healFault(env, heal[1]));
  const drill = /^(GET|POST) \/_faultline\/drills\/([\w-]+)(\/stop)?$/.exec(route);
  if (drill?.[1] === 'GET' && !drill[3]) return json(200, getDrill(env, drill[2]));
  if (drill?.[1] === 'POST' && drill[3]) return json(200, stopDrill(env, drill[2]));
  const report = /^GET \/_faultline\/drills\/([\w-]+)\/report$/.exec(route);
  if (report) return drillReport(env, report[1], url.searchParams.get('format') ?? 'json');
  switch (route) {
    case 'GET /_faultline/world':
      return json(200, worldView(env));
    case 'GET /_faultline/drills':
      return json(200, listDrills(env));
    case 'POST /_faultline/drills':
      return json(202, startDrill(env, input));
    case 'GET /_faultline/faults':
      return json(200, { faults: activeFaults(env) });
    case 'POST /_faultline/faults':
      return json(201, injectFault(env, faultSpec(env, input)));
    case 'POST /_faultline/load': {
      const cpu = Number(input.cpuPercent);
      if (typeof input.instance !== 'string' || !(cpu >= 0 && cpu <= 100)) return json(400, { error: 'give instance (an id) and cpuPercent (0-100)' });
      setCpuLoad(env, input.instance, cpu);
      return json(200, { instance: input.instance, cpuPercent: cpu });
    }
    case 'POST /_faultline/spot-interruptions': {
      const i = interruptSpotInstanceAnywhere(env, input);
      const at = (ms: number) => new Date(ms).toISOString();
      return json(201, { instanceId: i.instanceId, spotInstanceRequestId: i.spotInstanceRequestId, action: i.action, rebalanceRecommendationAt: at(i.recommendedAt), noticeAt: at(i.noticeAt), interruptionAt: at(i.at) });
    }
    case 'POST /_faultline/faults/heal-all':
      return json(200, { healed: activeFaults(env).map((f) => healFault(env, f.faultId).faultId) });
    case 'GET /_faultline/health':
      return json(200, { status: 'ok', clock: clockView(env), regions: env.config.regions, dns: env.dnsAddress ?? null });
    case 'GET /_faultline/clock':
      return json(200, clockView(env));
    case 'POST /_faultline/clock': {
      const { scale, paused } = input;
      if (scale === undefined && paused === undefined) return controlError(400, 'give scale (cloud seconds per real second) or paused (true or false)');
      if (scale !== undefined && !(typeof scale === 'number' && scale > 0 && scale <= 1e6)) return controlError(400, 'scale must be a number above 0 and at most 1000000');
      if (paused !== undefined && typeof paused !== 'boolean') return controlError(400, 'paused must be true or false');
      try {
        env.clock.setRate({ scale, paused });
      } catch (e) {
        return controlError(409, (e as Error).message);
      }
      return json(200, clockView(env));
    }
    case 'GET /_faultline/overview':
      try {
        return json(200, overview(env, url.searchParams.get('views')));
      } catch (e) {
        return controlError(400, (e as Error).message);
      }
    case 'POST /_faultline/clock/advance': {
      if (env.clock.mode !== 'manual') return json(409, { error: `the clock is ${env.clock.mode}; only a manual clock can be advanced` });
      const seconds = Number(input.seconds ?? url.searchParams.get('seconds'));
      if (!Number.isFinite(seconds) || seconds < 0 || seconds > 366 * 86400) return json(400, { error: 'seconds must be a number from 0 to 31622400' });
      env.scheduler.advanceTo(env.clock.now() + Math.round(seconds * 1000));
      return json(200, clockView(env));
    }
    case 'GET /_faultline/events':
      return json(200, filteredEvents(env, url.searchParams));
    case 'GET /_faultline/sns/deliveries': {
      const after = Number(url.searchParams.get('after') ?? 0);
      return json(200, { deliveries: listDeliveries(env, { topicArn: url.searchParams.get('topicArn') ?? undefined, after: Number.isFinite(after) ? after : 0 }) });
    }
    case 'GET /_faultline/fis/scenarios/az-power-interruption': {
      const q = url.searchParams;
      if (!q.get('az')) return controlError(400, 'give az: the Availability Zone, by name or AZ ID');
      const scope = { account: q.get('account') ?? env.config.defaultAccount, region: q.get('region') ?? env.config.defaultRegion };
      const options = { az: q.get('az')!, duration: q.get('duration') ?? undefined, roleArn: q.get('role') ?? undefined, launchRoles: q.getAll('launchRole') };
      return json(200, azPowerInterruption(env, scope, options));
    }
    case 'GET /_faultline/resolve': {
      // What faultline's DNS answers for the name now (a load balancer, a DB instance's endpoint,
      // an instance's public name, a public hosted zone's record), for hosts whose resolver does
      // not ask faultline.
      const name = url.searchParams.get('name');
      if (!name) return controlError(400, 'give name: a DNS name faultline answers for');
      const found = answer(env, { name, type: 'A' });
      if (found.rcode !== 'NOERROR') return controlError(404, `faultline answers no address for ${name} (${found.rcode})`);
      return json(200, { name: name.toLowerCase(), addresses: found.answers.filter((a) => a.type === 'A').map((a) => a.value) });
    }
    case 'POST /_faultline/reset':
      resetWorld(env);
      return json(200, { status: 'reset' });
    default:
      return json(404, { error: `no control route ${route}` });
  }
}

/** Forgets every resource of every account and seeds the world again. */
function resetWorld(env: Env): void {
  env.store.reset();
  seedWorld(env);
}

/**
 * moto's server mode resets at `POST /moto-api/reset` (any body, any content type), and test
 * suites written for it call that between tests: faultline answers it as moto does. It is guarded
 * as the control API is (own Host and Origin only, never from instances, the token when one is set).
 */
export const MOTO_RESET_PATH = '/moto-api/reset';

export function handleMotoReset(env: Env, method: string): WireResponse {
  if (method !== 'POST') return json(400, { Error: 'Need to POST to reset Moto' });
  resetWorld(env);
  return json(200, { status: 'ok' });
}

/** A finished drill's report, as `faultline drill run` writes it: `html` (one self-contained page) or `json`. */
function drillReport(env: Env, id: string, format: string): WireResponse {
  if (format !== 'html' && format !== 'json') return controlError(400, `format is html or json, not ${format}`);
  const drill = getDrill(env, id);
  if (!drill.result) return controlError(409, drill.status === 'running' ? `drill ${id} is running; its report exists once it ends` : `drill ${id} has no result (${drill.status}${drill.error ? `: ${drill.error.split('\n')[0]}` : ''})`);
  const file = `${id}.${format}`;
  const disposition = { 'content-disposition': `attachment; filename="${file}"` };
  if (format === 'json') return { status: 200, headers: { 'content-type': 'application/json', ...disposition }, body: JSON.stringify(jsonReport(drill.result), null, 2) };
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', ...disposition }, body: htmlReport(drill.result) };
}

/**
 * Up to 1,000 events after `after` that pass the filters, and `lastSeq`: how far the log was
 * read, where the next page starts.
 */
function filteredEvents(env: Env, q: URLSearchParams) {
  let filter;
  try {
    filter = eventFilter(q);
  } catch (e) {
    throw new AwsError('InvalidParameter', (e as Error).message, 400);
  }
  const after = Number(q.get('after') ?? 0);
  let lastSeq = Number.isInteger(after) && after > 0 ? after : 0;
  const events = [];
  for (;;) {
    const page = env.events.list(lastSeq, 1000);
    for (const e of page) {
      if (events.length === 1000) return { events, lastSeq };
      if (matches(e, filter)) events.push(e);
      lastSeq = e.seq;
    }
    if (page.length < 1000) return { events, lastSeq };
  }
}

/** A fault spec from JSON; `instance` on a host fault names the host by the instance on it. */
function faultSpec(env: Env, input: Record<string, unknown>): FaultSpec {
  const spec = { ...input } as unknown as FaultSpec & { instance?: string };
  if (spec.kind === 'host' && !spec.target && spec.instance) {
    const where = locateInstance(env, spec.instance);
    if (!where?.hostId) throw new AwsError('NotFound', `instance ${spec.instance} is not on any host`, 404);
    spec.target = where.hostId;
    spec.region = where.region;
  }
  delete spec.instance;
  if (typeof spec.target !== 'string' || !spec.target) throw new AwsError('InvalidParameter', 'a fault needs a target', 400);
  if ((spec.kind === 'instance' || spec.kind === 'app') && /^i-[0-9a-f]+$/.test(spec.target) && !locateInstance(env, spec.target)) {
    throw new AwsError('NotFound', `no instance ${spec.target} in any account`, 404);
  }
  if (spec.kind === 'api') checkOperations(spec.target, spec.operation);
  return spec;
}

/** An API fault names a service faultline serves (by signing name, or `*`) and operations that service has. */
function checkOperations(target: string, operation: unknown) {
  if (target === '*') return;
  const served = services.filter((s) => s.signingName === target);
  if (!served.length) throw new AwsError('InvalidParameter', `faultline serves no service that signs as ${target}; use one of ${[...new Set(services.map((s) => s.signingName))].join(', ')} or *`, 400);
  if (typeof operation !== 'string' || operation.trim() === '*') return;
  const unknown = operation.split(',').map((o) => o.trim()).filter((o) => o && !served.some((s) => Object.hasOwn(s.model.operations, o)));
  if (unknown.length) throw new AwsError('InvalidParameter', `${target} has no operation ${unknown.join(', ')}`, 400);
}
