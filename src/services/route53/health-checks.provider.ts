/**
 * Route 53's health check operations (spec route53.md §4 and §7). The settings' rules are in
 * health-check.config.ts; the checks themselves run in health-check.loop.ts.
 *  - CreateHealthCheck replays: the same CallerReference with the same settings returns the
 *    existing check; other settings, or the reference of a check deleted in the last 30 days,
 *    give HealthCheckAlreadyExists.
 *  - UpdateHealthCheck takes an optional HealthCheckVersion, which must be the current one.
 *  - DeleteHealthCheck succeeds even while record sets name the check: Route 53 does not prevent
 *    it (API_DeleteHealthCheck.html; HealthCheckInUse is no longer returned).
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly } from '../../core/store.ts';
import { uuid } from '../../core/ids.ts';
import { ALARMS, type AlarmRecord } from '../cloudwatch/alarms.state.ts';
import type { Handler, RequestContext } from '../service.ts';
import { alarmConfiguration, CHECKER_RANGES, checkersOf, isEndpointType, newConfig, sameConfig, updatedConfig, type ConfigContext } from './health-check.config.ts';
import { r53Errors } from './errors.ts';
import { publishMetrics, save, scheduleHealthCheck, wakeParents } from './health-check.loop.ts';
import { maxItems } from './lookups.ts';
import { accountScope, COLL, healthCheck, type HealthCheckRecord } from './state.ts';

type Read<T> = DeepReadonly<T>;

/** How long a deleted check's CallerReference stays taken (undocumented "a number of days"). */
const DELETED_REF_MS = 30 * 24 * 3600 * 1000;

function configContext(ctx: RequestContext): ConfigContext {
  return {
    publicIpPool: ctx.env.config.publicIpPool,
    healthCheck: (id) => healthCheck(ctx.env.store, ctx.account, id),
    alarm: (region, name) => ctx.env.store.get<AlarmRecord>(ALARMS, { account: ctx.account, region }, name),
  };
}

function find(ctx: RequestContext, id: string): Read<HealthCheckRecord> {
  const rec = healthCheck(ctx.env.store, ctx.account, id);
  if (!rec) throw r53Errors.noSuchHealthCheck(id);
  return rec;
}

const all = (ctx: RequestContext) => ctx.env.store.list<HealthCheckRecord>(COLL.healthChecks, accountScope(ctx.account));

/** The HealthCheck element: the settings with their defaults, and the alarm's settings for CLOUDWATCH_METRIC. */
function view(ctx: RequestContext, rec: Read<HealthCheckRecord>): Record<string, unknown> {
  const alarmId = rec.HealthCheckConfig.AlarmIdentifier as { Region: string; Name: string } | undefined;
  const alarm = alarmId && ctx.env.store.get<AlarmRecord>(ALARMS, { account: ctx.account, region: alarmId.Region }, alarmId.Name);
  return {
    Id: rec.Id,
    CallerReference: rec.CallerReference,
    HealthCheckConfig: rec.HealthCheckConfig,
    HealthCheckVersion: rec.HealthCheckVersion,
    ...(alarm ? { CloudWatchAlarmConfiguration: alarmConfiguration(alarm) } : {}),
  };
}

const observationView = (o: Read<HealthCheckRecord>['observations'][number]) => ({ Region: o.Region, IPAddress: o.IPAddress, StatusReport: { Status: o.Status, CheckedTime: o.CheckedTime } });

export const healthChecksHandlers: Record<string, Handler> = {
  CreateHealthCheck(input: { CallerReference: string; HealthCheckConfig: Record<string, unknown> }, ctx: RequestContext) {
    const ref = input.CallerReference;
    if (!ref || ref.length > 64) throw r53Errors.invalidInput('CallerReference must be 1 to 64 characters.');
    const config = newConfig(input.HealthCheckConfig ?? {}, configContext(ctx));
    const env = ctx.env;
    const now = env.clock.now();
    const location = (id: string) => `https://route53.amazonaws.com/2013-04-01/healthcheck/${id}`;
    const taken = new AwsError('HealthCheckAlreadyExists', `A health check with the CallerReference ${ref} already exists or existed, with other settings.`, 409);
    const existing = all(ctx).find((h) => h.CallerReference === ref);
    if (existing) {
      if (!sameConfig(existing.HealthCheckConfig, config)) throw taken;
      return { HealthCheck: view(ctx, existing), Location: location(existing.Id) };
    }
    const deleted = env.store.get<{ deletedAt: number }>(COLL.deletedHealthCheckRefs, accountScope(ctx.account), ref);
    if (deleted && now - deleted.deletedAt < DELETED_REF_MS) throw taken;
    const id = uuid();
    const endpoint = isEndpointType(config.Type);
    const rec: HealthCheckRecord = {
      Id: id,
      CallerReference: ref,
      HealthCheckConfig: config,
      HealthCheckVersion: 1,
      tags: [],
      observations: [],
      lastFailures: [],
      checkers: endpoint ? checkersOf(config).map(() => ({ healthy: true, streak: 0 })) : [],
      measured: true,
      healthy: true,
      statusSince: now,
      createdAt: now,
      ...(endpoint ? { nextCheckAt: now + Number(config.RequestInterval) * 1000 } : {}),
    };
    save(env, ctx.account, undefined, rec);
    scheduleHealthCheck(env, ctx.account, rec);
    return { HealthCheck: view(ctx, rec), Location: location(id) };
  },

  GetHealthCheck(input: { HealthCheckId: string }, ctx: RequestContext) {
    return { HealthCheck: view(ctx, find(ctx, input.HealthCheckId)) };
  },

  ListHealthChecks(input: { Marker?: string; MaxItems?: string }, ctx: RequestContext) {
    const max = maxItems(input.MaxItems, 100, 1000);
    const sorted = [...all(ctx)].sort((a, b) => a.Id.localeCompare(b.Id));
    const from = input.Marker === undefined ? 0 : sorted.findIndex((h) => h.Id >= input.Marker!);
    const page = from < 0 ? [] : sorted.slice(from, from + max);
    const rest = from < 0 ? [] : sorted.slice(from + max);
    return {
      HealthChecks: page.map((h) => view(ctx, h)),
      Marker: input.Marker ?? '',
      IsTruncated: rest.length > 0,
      MaxItems: String(max),
      ...(rest.length ? { NextMarker: rest[0].Id } : {}),
    };
  },

  UpdateHealthCheck(input: Record<string, unknown> & { HealthCheckId: string; HealthCheckVersion?: number }, ctx: RequestContext) {
    const rec = find(ctx, input.HealthCheckId);
    if (input.HealthCheckVersion !== undefined && input.HealthCheckVersion !== rec.HealthCheckVersion) {
      throw new AwsError(
        'HealthCheckVersionMismatch',
        `The value of HealthCheckVersion in the request (${input.HealthCheckVersion}) doesn't match the current version of the health check (${rec.HealthCheckVersion}).`,
        409,
      );
    }
    const config = updatedConfig(rec.HealthCheckConfig, input, configContext(ctx));
    if ((config.ChildHealthChecks as string[] | undefined)?.includes(rec.Id)) throw r53Errors.invalidInput('A calculated health check cannot be its own child.');
    const next = structuredClone(rec) as HealthCheckRecord;
    next.HealthCheckConfig = config;
    next.HealthCheckVersion = rec.HealthCheckVersion + 1;
    // Checkers of regions that were added begin healthy, as a new check's do.
    if (next.nextCheckAt !== undefined) {
      const views = new Map(rec.observations.map((o, i) => [o.IPAddress, rec.checkers[i]]));
      const kept = checkersOf(config).filter((ch) => views.has(ch.IPAddress));
      next.observations = rec.observations.filter((o) => kept.some((k) => k.IPAddress === o.IPAddress)) as HealthCheckRecord['observations'];
      next.checkers = next.observations.map((o) => views.get(o.IPAddress)!) as HealthCheckRecord['checkers'];
    }
    save(ctx.env, ctx.account, rec, next);
    // Calculated and metric checks are recomputed at once; an endpoint keeps its interval.
    scheduleHealthCheck(ctx.env, ctx.account, next);
    return { HealthCheck: view(ctx, next) };
  },

  DeleteHealthCheck(input: { HealthCheckId: string }, ctx: RequestContext) {
    const rec = find(ctx, input.HealthCheckId);
    const scope = accountScope(ctx.account);
    ctx.env.store.delete(COLL.healthChecks, scope, rec.Id);
    ctx.env.store.put(COLL.deletedHealthCheckRefs, scope, rec.CallerReference, { deletedAt: ctx.env.clock.now() });
    publishMetrics(ctx.env, ctx.account, rec, true);
    wakeParents(ctx.env, ctx.account, rec.Id);
    return {};
  },

  GetHealthCheckCount(_input: unknown, ctx: RequestContext) {
    return { HealthCheckCount: all(ctx).length };
  },

  GetHealthCheckStatus(input: { HealthCheckId: string }, ctx: RequestContext) {
    const rec = find(ctx, input.HealthCheckId);
    if (rec.HealthCheckConfig.Type === 'CALCULATED') throw r53Errors.invalidInput(`GetHealthCheckStatus doesn't return the status of calculated health checks: ${rec.Id} is calculated.`);
    return { HealthCheckObservations: rec.observations.map(observationView) };
  },

  GetHealthCheckLastFailureReason(input: { HealthCheckId: string }, ctx: RequestContext) {
    const rec = find(ctx, input.HealthCheckId);
    return { HealthCheckObservations: rec.lastFailures.map(observationView) };
  },

  GetCheckerIpRanges() {
    return { CheckerIpRanges: Object.values(CHECKER_RANGES).flat() };
  },
};
