/**
 * Parameters: the values a CreateStack or UpdateStack call gives, checked against the template's
 * declarations (type, AllowedValues, AllowedPattern, lengths, ranges), with defaults and
 * UsePreviousValue. AWS-specific types (key pairs, subnets, ...) are checked against real
 * resources later, by the stack loop, as CloudFormation does: a missing one fails the stack, not
 * the call.
 */
import { wholeMatch } from '../core/whole-match.ts';
import { errors } from '../core/errors.ts';
import type { ParameterDecl, Template } from './template.ts';

export interface GivenParameter {
  ParameterKey?: string;
  ParameterValue?: string;
  UsePreviousValue?: boolean;
}

/** One parameter as the stack keeps it: the value as given (a string, lists comma-separated). */
export interface StackParameter {
  ParameterKey: string;
  ParameterValue: string;
  /** For a Systems Manager parameter type, the parameter's value when the operation started (the given value is its name). */
  ResolvedValue?: string;
  NoEcho?: boolean;
}

/** Types whose values name resources that must exist (each also as `List<...>`). */
export const AWS_TYPES = [
  'AWS::EC2::AvailabilityZone::Name',
  'AWS::EC2::Image::Id',
  'AWS::EC2::Instance::Id',
  'AWS::EC2::KeyPair::KeyName',
  'AWS::EC2::SecurityGroup::GroupName',
  'AWS::EC2::SecurityGroup::Id',
  'AWS::EC2::Subnet::Id',
  'AWS::EC2::Volume::Id',
  'AWS::EC2::VPC::Id',
  'AWS::Route53::HostedZone::Id',
];

const BASIC_TYPES = ['String', 'Number', 'List<Number>', 'CommaDelimitedList'];

export function isListType(type: string): boolean {
  return type === 'CommaDelimitedList' || type.startsWith('List<');
}

/** The AWS-specific type a parameter type names, list or not; undefined for basic types. */
export function awsTypeOf(type: string): string | undefined {
  const inner = type.startsWith('List<') && type.endsWith('>') ? type.slice(5, -1) : type;
  return AWS_TYPES.includes(inner) ? inner : undefined;
}

const SSM_VALUE = /^AWS::SSM::Parameter::Value<(.+)>$/;

/**
 * The type a Systems Manager parameter type's value has (`AWS::SSM::Parameter::Value<T>` → T:
 * String, List<String>, CommaDelimitedList or an AWS-specific type, list or not); undefined for
 * other types.
 */
export function ssmValueType(type: string): string | undefined {
  const inner = SSM_VALUE.exec(type)?.[1];
  if (inner === undefined) return undefined;
  return ['String', 'List<String>', 'CommaDelimitedList'].includes(inner) || awsTypeOf(inner) ? inner : undefined;
}

/** The type of the value Ref gives: a Systems Manager type's value type, else the type itself. */
export const valueType = (type: string): string => ssmValueType(type) ?? type;

export function checkParameterType(name: string, decl: ParameterDecl): void {
  const t = decl.Type;
  if (BASIC_TYPES.includes(t) || awsTypeOf(t) || t === 'AWS::SSM::Parameter::Name' || ssmValueType(t)) return;
  throw errors.validation(`Template format error: Unrecognized parameter type: ${t}`);
}

export const isNoEcho = (decl: ParameterDecl) => decl.NoEcho === true || String(decl.NoEcho).toLowerCase() === 'true';

/** Splits a list parameter as CloudFormation does: on commas, each element trimmed. */
export const splitList = (v: string): string[] => (v === '' ? [] : v.split(',').map((s) => s.trim()));

/** Compiles an AllowedPattern for a whole-value match. */
export function patternRegex(pattern: string): RegExp {
  const regex = wholeMatch(pattern);
  if (!regex) throw errors.validation(`Template format error: AllowedPattern ${pattern} is not a valid regular expression.`);
  return regex;
}

/** Checks one value (one element, for lists) against a declaration's constraints. */
export function checkValue(name: string, decl: ParameterDecl, value: string): void {
  const fail = (fallback: string) => errors.validation(decl.ConstraintDescription ? `Parameter ${name} failed to satisfy constraint: ${decl.ConstraintDescription}` : fallback);
  const numeric = decl.Type === 'Number' || decl.Type === 'List<Number>';
  if (numeric && (value.trim() === '' || !Number.isFinite(Number(value)))) throw errors.validation(`Parameter '${name}' must be a number.`);
  if (decl.AllowedValues !== undefined) {
    if (!Array.isArray(decl.AllowedValues)) throw errors.validation(`Template format error: AllowedValues of parameter ${name} must be a list.`);
    const allowed = decl.AllowedValues.map(String);
    const ok = numeric ? allowed.some((a) => Number(a) === Number(value)) : allowed.includes(value);
    if (!ok) throw fail(`Parameter '${name}' must be one of AllowedValues`);
  }
  if (decl.AllowedPattern !== undefined && !patternRegex(String(decl.AllowedPattern)).test(value)) {
    throw fail(`Parameter ${name} must match pattern ${decl.AllowedPattern}`);
  }
  const len = [...value].length;
  if (decl.MinLength !== undefined && len < Number(decl.MinLength)) throw fail(`Parameter '${name}' must contain at least ${Number(decl.MinLength)} characters`);
  if (decl.MaxLength !== undefined && len > Number(decl.MaxLength)) throw fail(`Parameter '${name}' must contain at most ${Number(decl.MaxLength)} characters`);
  if (numeric) {
    const n = Number(value);
    if (decl.MinValue !== undefined && n < Number(decl.MinValue)) throw fail(`Parameter '${name}' must be a number not less than ${Number(decl.MinValue)}`);
    if (decl.MaxValue !== undefined && n > Number(decl.MaxValue)) throw fail(`Parameter '${name}' must be a number not greater than ${Number(decl.MaxValue)}`);
  }
}

/**
 * The stack's parameters for a template: given values, previous values (UsePreviousValue) and
 * defaults, each checked. Throws ValidationError with AWS's texts.
 */
export function resolveParameters(t: Template, given: GivenParameter[] | undefined, previous?: readonly StackParameter[]): StackParameter[] {
  const byKey = new Map<string, GivenParameter>();
  for (const g of given ?? []) {
    if (!g.ParameterKey) throw errors.validation('ParameterKey must be given for every parameter.');
    byKey.set(g.ParameterKey, g);
  }
  const unknown = [...byKey.keys()].filter((k) => !(k in t.Parameters));
  if (unknown.length) throw errors.validation(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
  const missing: string[] = [];
  const out: StackParameter[] = [];
  for (const [name, decl] of Object.entries(t.Parameters)) {
    checkParameterType(name, decl);
    const g = byKey.get(name);
    let value: string | undefined;
    if (g?.UsePreviousValue) {
      if (g.ParameterValue !== undefined) throw errors.validation(`Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true and non empty value for a parameter key in the same request`);
      const prev = previous?.find((p) => p.ParameterKey === name);
      if (!prev) throw errors.validation(`Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`);
      value = prev.ParameterValue;
    } else if (g?.ParameterValue !== undefined) value = g.ParameterValue;
    else if (decl.Default !== undefined) value = Array.isArray(decl.Default) ? decl.Default.map(String).join(',') : String(decl.Default);
    if (value === undefined) {
      missing.push(name);
      continue;
    }
    out.push({ ParameterKey: name, ParameterValue: value, ...(isNoEcho(decl) ? { NoEcho: true } : {}) });
  }
  if (missing.length) throw errors.validation(`Parameters: [${missing.join(', ')}] must have values`);
  for (const p of out) {
    const decl = t.Parameters[p.ParameterKey];
    const values = isListType(decl.Type) ? splitList(p.ParameterValue) : [p.ParameterValue];
    for (const v of values) checkValue(p.ParameterKey, decl, v);
  }
  return out;
}

/** A Systems Manager parameter as CloudFormation reads it from the account's store. */
export interface StoredParameter {
  Type: string;
  Value: string;
}

/**
 * Resolves the parameters of Systems Manager types from the parameter store (`read` gives the
 * parameter a name or `name:version` selects, or undefined), as CloudFormation does when an
 * operation starts: a missing one, or a SecureString, fails the call with AWS's texts.
 */
export function resolveSsmParameters(t: Template, params: readonly StackParameter[], read: (name: string) => StoredParameter | undefined): StackParameter[] {
  const missing: string[] = [];
  const secure: string[] = [];
  const out = params.map((p) => {
    const decl = t.Parameters[p.ParameterKey];
    if (!decl || !ssmValueType(decl.Type)) return p;
    const found = read(p.ParameterValue);
    if (!found) missing.push(p.ParameterValue);
    else if (found.Type === 'SecureString') secure.push(p.ParameterValue);
    return { ...p, ResolvedValue: found?.Value };
  });
  if (missing.length) throw errors.validation(`Unable to fetch parameters [${missing.join(',')}] from parameter store for this account.`);
  if (secure.length) throw errors.validation(`Parameters [${secure.join(',')}] referenced by template have types not supported by CloudFormation.`);
  return out;
}

/** Parameter values as Ref sees them: strings, and arrays for list types; a Systems Manager type's resolved value. */
export function parameterValues(t: Template, params: readonly StackParameter[]): Record<string, string | string[]> {
  // No prototype: Ref looks names up here, and `toString` must not be found.
  const out: Record<string, string | string[]> = Object.create(null);
  for (const p of params) {
    const decl = t.Parameters[p.ParameterKey];
    if (!decl) continue;
    const value = p.ResolvedValue ?? p.ParameterValue;
    out[p.ParameterKey] = isListType(valueType(decl.Type)) ? splitList(value) : value;
  }
  return out;
}
