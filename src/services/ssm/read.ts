/**
 * Reading a parameter as GetParameter answers it: the account's own, or a public one; a version
 * or label selected with `name:3` / `name:label`; a SecureString's value only with decryption
 * (without it, its stand-in ciphertext: the value base64-encoded, since faultline keeps the value
 * as given). CloudFormation's parameter types and dynamic references read through here too.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { ssmErrors } from './errors.ts';
import { isAwsName, parseSelector } from './names.ts';
import { publicParameters } from './public.ts';
import { PARAMETERS, latest, parameterArn, type ParameterRecord, type VersionRecord } from './state.ts';

/** A parameter in the API's `Parameter` shape. */
export interface ParameterView {
  Name: string;
  Type: string;
  Value: string;
  Version: number;
  Selector?: string;
  LastModifiedDate: Date;
  ARN: string;
  DataType: string;
}

export const shownValue = (v: { Type: string; Value: string }, decrypt: boolean | undefined): string =>
  v.Type === 'SecureString' && !decrypt ? Buffer.from(v.Value).toString('base64') : v.Value;

export function versionView(scope: Scope, name: string, v: DeepReadonly<VersionRecord>, decrypt: boolean | undefined, selector?: string): ParameterView {
  return {
    Name: name,
    Type: v.Type,
    Value: shownValue(v, decrypt),
    Version: v.Version,
    Selector: selector,
    LastModifiedDate: new Date(v.LastModifiedDate),
    ARN: parameterArn(scope.region, scope.account, name),
    DataType: v.DataType,
  };
}

/** The account's record for a name, if any. */
export const findParameter = (env: Env, scope: Scope, name: string) => env.store.get<ParameterRecord>(PARAMETERS, scope, name);

/** A public parameter of the region, in the API's shape (public ARNs name no account). */
export function publicParameter(env: Env, region: string, name: string): ParameterView | undefined {
  const p = publicParameters(env.config, region).find((x) => x.Name === name);
  if (!p) return undefined;
  return { Name: p.Name, Type: 'String', Value: p.Value, Version: 1, LastModifiedDate: new Date(p.LastModifiedDate), ARN: `arn:aws:ssm:${region}::parameter${p.Name}`, DataType: 'text' };
}

/** The version a selector names; throws ParameterNotFound or ParameterVersionNotFound. */
export function selectVersion<V extends { Version: number; Labels: readonly string[] }>(rec: { Name: string; versions: readonly V[] }, sel: { version?: number; label?: string }): V {
  if (sel.version !== undefined) {
    const v = rec.versions.find((x) => x.Version === sel.version);
    if (!v) throw ssmErrors.versionNotFound(rec.Name, String(sel.version));
    return v;
  }
  if (sel.label !== undefined) {
    const v = rec.versions.find((x) => x.Labels.includes(sel.label!));
    if (!v) throw ssmErrors.versionNotFound(rec.Name, sel.label);
    return v;
  }
  return latest(rec);
}

/** GetParameter's answer for `name[:selector]`; throws ParameterNotFound when there is none. */
export function readParameter(env: Env, scope: Scope, input: string, decrypt?: boolean): ParameterView {
  const sel = parseSelector(input);
  if (isAwsName(sel.name)) {
    const p = publicParameter(env, scope.region, sel.name);
    if (!p) throw ssmErrors.notFound();
    // A public parameter is served as its one current version.
    if ((sel.version !== undefined && sel.version !== 1) || sel.label !== undefined) throw ssmErrors.versionNotFound(p.Name, sel.selector!.slice(1));
    return { ...p, Selector: sel.selector };
  }
  const rec = findParameter(env, scope, sel.name);
  if (!rec) throw ssmErrors.notFound();
  return versionView(scope, rec.Name, selectVersion(rec, sel), decrypt, sel.selector);
}

/** A parameter (`name` or `name:version|label`), decrypted, as CloudFormation reads it; undefined when there is none. */
export function storedParameter(env: Env, scope: Scope, selector: string): { Type: string; Value: string } | undefined {
  try {
    const p = readParameter(env, scope, selector, true);
    return { Type: p.Type, Value: p.Value };
  } catch (e) {
    if (e instanceof AwsError && (e.code === 'ParameterNotFound' || e.code === 'ParameterVersionNotFound')) return undefined;
    throw e;
  }
}
