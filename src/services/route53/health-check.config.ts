/**
 * A health check's settings (spec route53.md §4): validation of a HealthCheckConfig as
 * CreateHealthCheck and UpdateHealthCheck take it, its defaults as GetHealthCheck shows them, and
 * the checkers that probe it (two per region, at fixed addresses that GetCheckerIpRanges publishes).
 * The protocol layer checks only the XML's shape, so ranges and enums are checked here, each with
 * `InvalidInput` as Route 53 answers.
 */
import type { DeepReadonly } from '../../core/store.ts';
import { ip4InCidr, parseCidr4, parseIp4 } from '../ec2/cidr.ts';
import { COMPARISON_OPERATORS } from '../cloudwatch/evaluate.ts';
import { alarmPeriod, type AlarmRecord } from '../cloudwatch/alarms.state.ts';
import { r53Errors } from './errors.ts';
import type { HealthCheckRecord } from './state.ts';

export type HealthCheckConfig = HealthCheckRecord['HealthCheckConfig'];

const ENDPOINT_TYPES = ['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP'] as const;
const TYPES = [...ENDPOINT_TYPES, 'CALCULATED', 'CLOUDWATCH_METRIC'];
export const isEndpointType = (type: string): boolean => (ENDPOINT_TYPES as readonly string[]).includes(type);
export const isHttpsType = (type: string): boolean => type === 'HTTPS' || type === 'HTTPS_STR_MATCH';
const isHttpType = (type: string): boolean => type !== 'TCP' && isEndpointType(type);
const isStrMatch = (type: string): boolean => type.endsWith('_STR_MATCH');

/**
 * The checker regions and, for each, the two address ranges its checkers come from (AWS's
 * published ROUTE53_HEALTHCHECKS ranges). Each checker uses the first address of its range.
 */
export const CHECKER_RANGES: Record<string, [string, string]> = {
  'us-east-1': ['107.23.255.0/26', '54.243.31.192/26'],
  'us-west-1': ['54.183.255.128/26', '54.241.32.64/26'],
  'us-west-2': ['54.244.52.192/26', '54.245.168.0/26'],
  'eu-west-1': ['176.34.159.192/26', '54.228.16.0/26'],
  'ap-southeast-1': ['54.251.31.128/26', '54.255.254.192/26'],
  'ap-southeast-2': ['54.252.254.192/26', '54.252.79.128/26'],
  'ap-northeast-1': ['54.248.220.0/26', '54.250.253.192/26'],
  'sa-east-1': ['177.71.207.128/26', '54.232.40.64/26'],
};
const CHECKER_REGIONS = Object.keys(CHECKER_RANGES);

export interface Checker {
  Region: string;
  IPAddress: string;
}

/** The checkers of a check: two in each of its regions (all eight when it names none). */
export function checkersOf(config: DeepReadonly<HealthCheckConfig>): Checker[] {
  const regions = (config.Regions as string[] | undefined) ?? CHECKER_REGIONS;
  return regions.flatMap((Region) =>
    CHECKER_RANGES[Region].map((cidr) => {
      const [a, b, c, d] = cidr.split('/')[0].split('.').map(Number);
      return { Region, IPAddress: `${a}.${b}.${c}.${d + 1}` };
    }),
  );
}

/** Addresses Route 53 cannot check: private, shared, loopback, link-local, multicast and reserved IPv4 ranges. */
const UNCHECKABLE = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3'].map(
  (c) => parseCidr4(c)!,
);

/** The settings an update may change; ResetElements names some of them. */
export const UPDATABLE = [
  'IPAddress', 'Port', 'ResourcePath', 'FullyQualifiedDomainName', 'SearchString', 'FailureThreshold', 'Inverted', 'Disabled',
  'HealthThreshold', 'ChildHealthChecks', 'EnableSNI', 'Regions', 'AlarmIdentifier', 'InsufficientDataHealthStatus',
] as const;
export const RESETTABLE = ['FullyQualifiedDomainName', 'Regions', 'ResourcePath', 'ChildHealthChecks'];

export interface ConfigContext {
  /** The public IP pool: its loopback addresses are faultline's public addresses, and checkable. */
  publicIpPool: string;
  /** A check by id in the same account, for ChildHealthChecks. */
  healthCheck(id: string): DeepReadonly<HealthCheckRecord> | undefined;
  /** A CloudWatch alarm, for AlarmIdentifier. */
  alarm(region: string, name: string): DeepReadonly<AlarmRecord> | undefined;
}

/** A new check's configuration with its defaults, or InvalidInput. */
export function newConfig(input: Record<string, unknown>, cx: ConfigContext): HealthCheckConfig {
  const type = String(input.Type);
  if (!TYPES.includes(type)) {
    throw r53Errors.invalidInput(type === 'RECOVERY_CONTROL' ? 'faultline does not support RECOVERY_CONTROL health checks.' : `Invalid value for Type: ${type}.`);
  }
  const config: HealthCheckConfig = { ...input, Type: type };
  if (isEndpointType(type)) {
    config.Port ??= type === 'TCP' ? undefined : isHttpsType(type) ? 443 : 80;
    config.RequestInterval ??= 30;
    config.FailureThreshold ??= 3;
    config.MeasureLatency ??= false;
    config.EnableSNI ??= isHttpsType(type);
  }
  config.Inverted ??= false;
  config.Disabled ??= false;
  if (config.Port === undefined) delete config.Port;
  return check(config, cx);
}

/**
 * The configuration after an UpdateHealthCheck: its settings over the old ones, then the
 * ResetElements back to their defaults (absent); validated as a whole.
 */
export function updatedConfig(old: DeepReadonly<HealthCheckConfig>, input: Record<string, unknown>, cx: ConfigContext): HealthCheckConfig {
  const config = structuredClone(old) as HealthCheckConfig;
  for (const key of UPDATABLE) if (input[key] !== undefined) config[key] = input[key];
  for (const element of (input.ResetElements as string[] | undefined) ?? []) {
    if (!RESETTABLE.includes(element)) throw r53Errors.invalidInput(`Invalid value for ResetElements: ${element}.`);
    delete config[element];
  }
  return check(config, cx);
}

/** Throws InvalidInput for the first setting that is not acceptable for the check's type. */
function check(c: HealthCheckConfig, cx: ConfigContext): HealthCheckConfig {
  const type = c.Type;
  const has = (k: string) => c[k] !== undefined;
  const only = (keys: string[], allowed: boolean, why: string) => {
    for (const k of keys) if (!allowed && has(k)) throw r53Errors.invalidInput(`${k} is not allowed ${why}.`);
  };
  const endpoint = isEndpointType(type);
  only(['IPAddress', 'FullyQualifiedDomainName', 'Port', 'RequestInterval', 'FailureThreshold', 'MeasureLatency', 'Regions', 'EnableSNI'], endpoint, `for health checks of type ${type}`);
  only(['ResourcePath'], isHttpType(type), `for health checks of type ${type}`);
  only(['SearchString'], isStrMatch(type), `for health checks of type ${type}`);
  only(['ChildHealthChecks', 'HealthThreshold'], type === 'CALCULATED', `for health checks of type ${type}`);
  only(['AlarmIdentifier', 'InsufficientDataHealthStatus'], type === 'CLOUDWATCH_METRIC', `for health checks of type ${type}`);
  if (endpoint) checkEndpoint(c, cx);
  if (type === 'CALCULATED') checkChildren(c, cx);
  if (type === 'CLOUDWATCH_METRIC') checkAlarm(c, cx);
  return c;
}

const intIn = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

function checkEndpoint(c: HealthCheckConfig, cx: ConfigContext): void {
  const ip = c.IPAddress as string | undefined;
  const fqdn = c.FullyQualifiedDomainName as string | undefined;
  if (ip === undefined && fqdn === undefined) throw r53Errors.invalidInput('You must specify either IPAddress or FullyQualifiedDomainName.');
  if (ip !== undefined) checkAddress(ip, cx);
  if (fqdn !== undefined && (!fqdn || fqdn.length > 255 || !/^[A-Za-z0-9*_.-]+$/.test(fqdn))) throw r53Errors.invalidInput(`Invalid value for FullyQualifiedDomainName: ${fqdn}.`);
  if (c.Type === 'TCP' && c.Port === undefined) throw r53Errors.invalidInput('Port is required for health checks of type TCP.');
  if (c.Port !== undefined && !intIn(c.Port, 1, 65535)) throw r53Errors.invalidInput(`Invalid value for Port: ${c.Port}. Specify a port from 1 to 65535.`);
  if (c.RequestInterval !== 10 && c.RequestInterval !== 30) throw r53Errors.invalidInput(`Invalid value for RequestInterval: ${c.RequestInterval}. Specify 10 or 30.`);
  if (!intIn(c.FailureThreshold, 1, 10)) throw r53Errors.invalidInput(`Invalid value for FailureThreshold: ${c.FailureThreshold}. Specify a value from 1 to 10.`);
  if (c.ResourcePath !== undefined) {
    const path = String(c.ResourcePath);
    if (path.length > 255) throw r53Errors.invalidInput('ResourcePath must be at most 255 characters.');
    c.ResourcePath = path.startsWith('/') ? path : `/${path}`;
  }
  if (isStrMatch(c.Type)) {
    const s = c.SearchString as string | undefined;
    if (!s || s.length > 255) throw r53Errors.invalidInput(`SearchString is required for health checks of type ${c.Type}, and at most 255 characters.`);
  }
  const regions = c.Regions as string[] | undefined;
  if (regions !== undefined) {
    for (const r of regions) if (!CHECKER_RANGES[r]) throw r53Errors.invalidInput(`Invalid value for Regions: ${r}.`);
    if (new Set(regions).size !== regions.length) throw r53Errors.invalidInput('Regions must not name a region twice.');
    if (regions.length < 3) throw r53Errors.invalidInput('Specify at least three regions in Regions.');
  }
}

function checkAddress(ip: string, cx: ConfigContext): void {
  const v4 = parseIp4(ip);
  if (v4 === undefined) {
    if (!/^[0-9a-fA-F:.]+$/.test(ip) || !ip.includes(':')) throw r53Errors.invalidInput(`Invalid value for IPAddress: ${ip}.`);
    if (/^(::1?|fe[89ab][0-9a-f]?:|f[cd][0-9a-f]{0,2}:|ff[0-9a-f]{0,2}:)/i.test(ip)) throw r53Errors.invalidInput(`IP address ${ip} is not a public address and can't be checked.`);
    return;
  }
  const pool = parseCidr4(cx.publicIpPool, false);
  if (pool && ip4InCidr(pool, v4)) return;
  if (UNCHECKABLE.some((c) => ip4InCidr(c, v4))) throw r53Errors.invalidInput(`IP address ${ip} is not a public address and can't be checked.`);
}

function checkChildren(c: HealthCheckConfig, cx: ConfigContext): void {
  const children = (c.ChildHealthChecks as string[] | undefined) ?? [];
  if (children.length > 256) throw r53Errors.invalidInput('A calculated health check can have at most 256 child health checks.');
  for (const id of children) {
    const child = cx.healthCheck(id);
    if (!child) throw r53Errors.noSuchHealthCheck(id);
    if (child.HealthCheckConfig.Type === 'CALCULATED') throw r53Errors.invalidInput(`Health check ${id} is a calculated health check; it can't be a child health check.`);
  }
  c.ChildHealthChecks = children;
  c.HealthThreshold ??= 0;
  if (!intIn(c.HealthThreshold, 0, 256)) throw r53Errors.invalidInput(`Invalid value for HealthThreshold: ${c.HealthThreshold}. Specify a value from 0 to 256.`);
}

function checkAlarm(c: HealthCheckConfig, cx: ConfigContext): void {
  const id = c.AlarmIdentifier as { Region?: string; Name?: string } | undefined;
  if (!id?.Region || !id.Name) throw r53Errors.invalidInput('AlarmIdentifier with Region and Name is required for health checks of type CLOUDWATCH_METRIC.');
  const status = c.InsufficientDataHealthStatus;
  if (status !== undefined && status !== 'Healthy' && status !== 'Unhealthy' && status !== 'LastKnownStatus') {
    throw r53Errors.invalidInput(`Invalid value for InsufficientDataHealthStatus: ${String(status)}.`);
  }
  const alarm = cx.alarm(id.Region, id.Name);
  if (!alarm) throw r53Errors.invalidInput(`The CloudWatch alarm ${id.Name} doesn't exist in ${id.Region}.`);
  unsupportedAlarm(alarm);
}

/** Route 53 follows only simple alarms on one standard-resolution metric, evaluated N out of N. */
function unsupportedAlarm(a: DeepReadonly<AlarmRecord>): void {
  const why = !a.Statistic
    ? 'alarms on extended statistics or metric math'
    : alarmPeriod(a) < 60
      ? 'alarms on high-resolution metrics'
      : a.DatapointsToAlarm !== undefined && a.DatapointsToAlarm !== a.EvaluationPeriods
        ? '"M out of N" alarms'
        : !COMPARISON_OPERATORS.includes(a.ComparisonOperator)
          ? 'anomaly detection alarms'
          : undefined;
  if (why) throw r53Errors.invalidInput(`Route 53 health checks don't support ${why}: ${a.AlarmName}.`);
}

/** The CloudWatchAlarmConfiguration a CLOUDWATCH_METRIC check shows: its alarm's settings. */
export function alarmConfiguration(a: DeepReadonly<AlarmRecord>): Record<string, unknown> {
  return {
    EvaluationPeriods: a.EvaluationPeriods,
    Threshold: a.Threshold,
    ComparisonOperator: a.ComparisonOperator,
    Period: a.Period,
    MetricName: a.MetricName,
    Namespace: a.Namespace,
    Statistic: a.Statistic,
    ...(a.Dimensions.length ? { Dimensions: a.Dimensions.map((d) => ({ Name: d.Name, Value: d.Value })) } : {}),
  };
}

/** Whether two configurations are the same settings (CreateHealthCheck's replay with one CallerReference). */
export function sameConfig(a: DeepReadonly<HealthCheckConfig>, b: DeepReadonly<HealthCheckConfig>): boolean {
  const norm = (c: DeepReadonly<HealthCheckConfig>) => JSON.stringify(Object.entries(c).filter(([, v]) => v !== undefined).sort(([x], [y]) => x.localeCompare(y)));
  return norm(a) === norm(b);
}
