/**
 * Dynamic references in resource properties: `{{resolve:ssm:name}}` and `{{resolve:ssm:name:version}}`
 * give a String or StringList parameter's value, `{{resolve:ssm-secure:name[:version]}}` a
 * SecureString's, in the properties AWS allows it in. They are replaced after the intrinsic
 * functions (templates build them with Fn::Join and Fn::Sub), when the resource is created or
 * updated; literal ones are also checked when the operation is asked for, where AWS fails the call.
 * A reference to a service faultline does not offer (Secrets Manager) fails, naming it.
 */
import { errors } from '../core/errors.ts';
import type { StoredParameter } from './parameters.ts';
import { own } from '../core/own.ts';

const REFERENCE = /\{\{resolve:([^:}]*):([^}]*)\}\}/g;

/** The properties (dotted paths, list positions left out) that take `ssm-secure` references, by resource type. */
const SECURE_PROPERTIES: Record<string, string[]> = {
  'AWS::DirectoryService::MicrosoftAD': ['Password'],
  'AWS::DirectoryService::SimpleAD': ['Password'],
  'AWS::ElastiCache::ReplicationGroup': ['AuthToken'],
  'AWS::IAM::User': ['LoginProfile.Password'],
  'AWS::KinesisFirehose::DeliveryStream': ['RedshiftDestinationConfiguration.Password'],
  'AWS::OpsWorks::App': ['AppSource.Password'],
  'AWS::OpsWorks::Stack': ['CustomCookbooksSource.Password', 'RdsDbInstances.DbPassword'],
  'AWS::RDS::DBCluster': ['MasterUserPassword'],
  'AWS::RDS::DBInstance': ['MasterUserPassword'],
  'AWS::Redshift::Cluster': ['MasterUserPassword'],
};

const UNOFFERED: Record<string, string> = { secretsmanager: 'AWS Secrets Manager' };

/** Reads a parameter by `name` or `name:version`; undefined when there is none. */
export type ParameterReader = (selector: string) => StoredParameter | undefined;

/** The value one reference stands for; throws CloudFormation's ValidationError. */
function referenced(service: string, key: string, resourceType: string, path: string, read: ParameterReader): string {
  const whole = `{{resolve:${service}:${key}}}`;
  const unoffered = own(UNOFFERED, service);
  if (unoffered) throw errors.validation(`faultline does not offer ${unoffered}, so the dynamic reference ${whole} in ${resourceType}/Properties/${path} cannot be resolved.`);
  if (service !== 'ssm' && service !== 'ssm-secure') throw errors.validation(`Template format error: the dynamic reference ${whole} names an unsupported service: ${service}. Supported are ssm, ssm-secure and secretsmanager.`);
  if (!/^[A-Za-z0-9_.\-/]+(:\d+)?$/.test(key)) throw errors.validation(`Template format error: the dynamic reference ${whole} is not valid: expected {{resolve:${service}:parameter-name}} or {{resolve:${service}:parameter-name:version}}.`);
  if (service === 'ssm-secure' && !(own(SECURE_PROPERTIES, resourceType) ?? []).includes(path)) throw errors.validation(`SSM Secure reference is not supported in: [${resourceType}/Properties/${path}]`);
  const found = read(key);
  if (!found) throw errors.validation(`Parameters: [${service}:${key}] cannot be found.`);
  if (service === 'ssm' && found.Type === 'SecureString') throw errors.validation(`Parameters: [ssm:${key}] is a SecureString parameter: read it with {{resolve:ssm-secure:${key}}}.`);
  return found.Value;
}

/** Calls `fn` on every string in a value, with its dotted property path (list positions left out), rebuilding the value. */
function mapStrings(value: unknown, path: string, fn: (s: string, path: string) => string): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, path, fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, path ? `${path}.${k}` : k, fn)]));
  return value;
}

/** A resource's properties with every dynamic reference replaced by what it stands for. */
export function resolveDynamicReferences<T>(props: T, resourceType: string, read: ParameterReader): T {
  return mapStrings(props, '', (s, path) => (s.includes('{{resolve:') ? s.replace(REFERENCE, (_, service: string, key: string) => referenced(service, key, resourceType, path, read)) : s)) as T;
}

/**
 * Checks the literal dynamic references in a template's resources when an operation is asked for,
 * as AWS does: a parameter that is missing, a service faultline does not offer, or `ssm-secure`
 * where it is not allowed fails the call. References built with intrinsic functions are checked
 * when their resource is reached.
 */
export function checkDynamicReferences(resources: Record<string, { Type: string; Properties?: unknown }>, read: ParameterReader): void {
  for (const r of Object.values(resources)) {
    mapStrings(r.Properties ?? {}, '', (s, path) => {
      for (const [, service, key] of s.matchAll(REFERENCE)) if (!key.includes('${')) referenced(service, key, r.Type, path, read);
      return s;
    });
  }
}
