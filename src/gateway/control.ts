/**
 * The control API under /_faultline/: what AWS has no API for. Kept small: health, the clock,
 * the event log and a reset. JSON in, JSON out.
 */
import type { WireResponse } from '../protocols/protocol.ts';
import type { Env } from '../services/service.ts';
import { seedWorld } from '../world/state.ts';

const json = (status: number, body: unknown): WireResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const clockView = (env: Env) => ({
  mode: env.clock.mode,
  scale: env.clock.scale,
  now: new Date(env.clock.now()).toISOString(),
});

export function handleControl(env: Env, method: string, url: URL, body: Buffer): WireResponse {
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
  switch (route) {
    case 'GET /_faultline/health':
      return json(200, { status: 'ok', clock: clockView(env), regions: env.config.regions });
    case 'GET /_faultline/clock':
      return json(200, clockView(env));
    case 'POST /_faultline/clock/advance': {
      if (env.clock.mode !== 'manual') return json(409, { error: `the clock is ${env.clock.mode}; only a manual clock can be advanced` });
      const seconds = Number(input.seconds ?? url.searchParams.get('seconds'));
      if (!Number.isFinite(seconds) || seconds < 0 || seconds > 366 * 86400) return json(400, { error: 'seconds must be a number from 0 to 31622400' });
      env.scheduler.advanceTo(env.clock.now() + Math.round(seconds * 1000));
      return json(200, clockView(env));
    }
    case 'GET /_faultline/events': {
      const after = Number(url.searchParams.get('after') ?? 0);
      return json(200, { events: env.events.list(Number.isFinite(after) ? after : 0) });
    }
    case 'POST /_faultline/reset':
      env.store.reset();
      seedWorld(env);
      return json(200, { status: 'reset' });
    default:
      return json(404, { error: `no control route ${route}` });
  }
}
