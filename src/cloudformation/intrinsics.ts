/**
 * The intrinsic functions and condition functions, evaluated against what an operation knows:
 * parameter values, pseudo parameters, mappings, conditions, and the resources created so far
 * (through `ref` and `getAtt`). Errors carry CloudFormation's texts.
 */
import { errors } from '../core/errors.ts';

/** `AWS::NoValue`: a property or list element that resolves to it disappears. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface EvalContext {
  region: string;
  account: string;
  stackName: string;
  stackId: string;
  notificationArns: string[];
  /** Parameter values: strings, and arrays for the list types. */
  params: Record<string, string | string[]>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  /** Whether a named condition holds (evaluated lazily, once). */
  condition(name: string): boolean;
  /** Ref and GetAtt of a resource; they throw for resources that are not there. */
  ref(logicalId: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
  /** The region's availability zones, in alphabetical order. */
  azs(region: string): string[];
  /** The value of an export in this account and region. */
  importValue(name: string): string;
  /** Names declared under Resources (whatever their Condition). */
  resourceNames: ReadonlySet<string>;
}

export const templateError = (message: string) => errors.validation(`Template error: ${message}`);
const unresolved = (name: string) => errors.validation(`Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`);

export const PSEUDO = ['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix'];

export function pseudo(name: string, ctx: EvalContext): unknown {
  switch (name) {
    case 'AWS::AccountId':
      return ctx.account;
    case 'AWS::NotificationARNs':
      return ctx.notificationArns;
    case 'AWS::NoValue':
      return NO_VALUE;
    case 'AWS::Partition':
      return partitionOf(ctx.region);
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::StackId':
      return ctx.stackId;
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::URLSuffix':
      return ctx.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    default:
      return undefined;
  }
}

export const partitionOf = (region: string) => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The one key of an intrinsic-function object, or undefined for an ordinary object. */
export function intrinsicName(v: unknown): string | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const k = keys[0];
  return k === 'Ref' || k === 'Condition' || k.startsWith('Fn::') ? k : undefined;
}

/** Resolves every intrinsic function in a value; `AWS::NoValue` members and elements are dropped. */
export function resolve(value: unknown, ctx: EvalContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx)).filter((v) => v !== NO_VALUE);
  if (!isObject(value)) return value;
  const fn = intrinsicName(value);
  if (fn && fn !== 'Condition') return evaluate(fn, value[fn], ctx);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolve(v, ctx);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

/** A scalar as CloudFormation turns it into a string (numbers and booleans as written). */
export function asString(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw templateError(`${where} requires a string value`);
}

function asList(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw templateError(`${where} requires a list`);
  return v;
}

function evaluate(fn: string, arg: unknown, ctx: EvalContext): unknown {
  switch (fn) {
    case 'Ref':
      return ref(arg, ctx);
    case 'Fn::GetAtt':
      return getAtt(arg, ctx);
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2) throw joinError();
      const delim = resolve(arg[0], ctx);
      const items = resolve(arg[1], ctx);
      if (typeof delim !== 'string' || !Array.isArray(items)) throw joinError();
      return items.map((i) => asString(i, 'Fn::Join')).join(delim);
    }
    case 'Fn::Sub':
      return sub(arg, ctx);
    case 'Fn::Base64':
      return Buffer.from(asString(resolve(arg, ctx), 'Fn::Base64'), 'utf8').toString('base64');
    case 'Fn::FindInMap': {
      if (!Array.isArray(arg) || arg.length < 3 || arg.length > 4) throw templateError('Fn::FindInMap requires 3 arguments: a map name, a top-level key and a second-level key');
      const [map, top, second] = arg.slice(0, 3).map((a, i) => asString(resolve(a, ctx), `Fn::FindInMap argument ${i + 1}`));
      const found = ctx.mappings[map]?.[top]?.[second];
      if (found === undefined) {
        const dflt = isObject(arg[3]) ? arg[3].DefaultValue : undefined;
        if (dflt !== undefined) return resolve(dflt, ctx);
        throw templateError(`Unable to get mapping for ${map}::${top}::${second}`);
      }
      return found;
    }
    case 'Fn::Select': {
      if (!Array.isArray(arg) || arg.length !== 2) throw templateError('Fn::Select requires a list of two elements: an index and a list');
      const index = Number(asString(resolve(arg[0], ctx), 'Fn::Select index'));
      const list = asList(resolve(arg[1], ctx), 'Fn::Select');
      if (!Number.isInteger(index) || index < 0 || index >= list.length) throw templateError(`Fn::Select cannot select nonexistent value at index ${index}`);
      return list[index];
    }
    case 'Fn::Split': {
      if (!Array.isArray(arg) || arg.length !== 2) throw templateError('Fn::Split requires a list of two elements: a delimiter and a source string');
      const delim = asString(resolve(arg[0], ctx), 'Fn::Split delimiter');
      const source = asString(resolve(arg[1], ctx), 'Fn::Split source');
      if (!delim) throw templateError('Fn::Split delimiter must not be empty');
      return source.split(delim);
    }
    case 'Fn::GetAZs': {
      const r = resolve(arg, ctx);
      const region = r === '' || r === undefined || r === null ? ctx.region : asString(r, 'Fn::GetAZs');
      return ctx.azs(region);
    }
    case 'Fn::Cidr':
      return cidr(arg, ctx);
    case 'Fn::If': {
      if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') throw templateError('Fn::If requires a list of three elements: a condition name, a value if true and a value if false');
      return resolve(ctx.condition(arg[0]) ? arg[1] : arg[2], ctx);
    }
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not':
      return condition({ [fn]: arg }, ctx) ? 'true' : 'false';
    case 'Fn::ImportValue':
      return ctx.importValue(asString(resolve(arg, ctx), 'Fn::ImportValue'));
    case 'Fn::Length': {
      const list = resolve(arg, ctx);
      return asList(list, 'Fn::Length').length;
    }
    case 'Fn::ToJsonString':
      return JSON.stringify(resolve(arg, ctx));
    case 'Fn::Transform':
      throw errors.validation('Fn::Transform (macros) is not supported by faultline.');
    default:
      throw errors.validation(`Template format error: Unrecognized function ${fn}`);
  }
}

const joinError = () =>
  templateError(
    'every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.',
  );

function ref(arg: unknown, ctx: EvalContext): unknown {
  if (typeof arg !== 'string') throw templateError('Ref requires a string: the name of a parameter, pseudo parameter or resource');
  if (arg in ctx.params) return ctx.params[arg];
  if (arg.startsWith('AWS::')) {
    if (!PSEUDO.includes(arg)) throw unresolved(arg);
    return pseudo(arg, ctx);
  }
  if (ctx.resourceNames.has(arg)) return ctx.ref(arg);
  throw unresolved(arg);
}

function getAtt(arg: unknown, ctx: EvalContext): unknown {
  let parts: unknown[];
  if (typeof arg === 'string') {
    const dot = arg.indexOf('.');
    parts = dot < 0 ? [arg] : [arg.slice(0, dot), arg.slice(dot + 1)];
  } else parts = Array.isArray(arg) ? arg : [];
  if (parts.length !== 2 || typeof parts[0] !== 'string') throw templateError('Fn::GetAtt requires a list of two elements: a resource name and an attribute name');
  const attr = asString(resolve(parts[1], ctx), 'Fn::GetAtt attribute');
  if (!ctx.resourceNames.has(parts[0])) throw unresolved(parts[0]);
  return ctx.getAtt(parts[0], attr);
}

/** `${Name}`, `${Res.Attr}` and `${!Literal}` in Fn::Sub strings. */
const SUB_VAR = /\$\{([^}]*)\}/g;

function sub(arg: unknown, ctx: EvalContext): string {
  let text: unknown;
  let vars: Record<string, unknown> = {};
  if (Array.isArray(arg)) {
    if (arg.length !== 2 || !isObject(arg[1])) throw templateError('Fn::Sub requires a string, or a list of a string and a map of variables');
    text = arg[0];
    vars = arg[1];
  } else text = arg;
  if (typeof text !== 'string') throw templateError('Fn::Sub requires a string as its first argument');
  const values = new Map<string, unknown>();
  for (const [k, v] of Object.entries(vars)) values.set(k, resolve(v, ctx));
  return text.replace(SUB_VAR, (whole, name: string) => {
    if (name.startsWith('!')) return '${' + name.slice(1) + '}';
    const key = name.trim();
    if (values.has(key)) return asString(values.get(key), `Fn::Sub variable ${key}`);
    const dot = key.indexOf('.');
    if (dot > 0 && !key.startsWith('AWS::')) return asString(getAtt([key.slice(0, dot), key.slice(dot + 1)], ctx), `Fn::Sub variable ${key}`);
    const v = ref(key, ctx);
    if (Array.isArray(v)) throw templateError(`Fn::Sub variable ${key} is a list; use Fn::Join to make it a string`);
    return asString(v, `Fn::Sub variable ${key}`);
  });
}

/** The names a Fn::Sub string refers to, for the dependency graph. */
export function subReferences(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SUB_VAR)) {
    if (m[1].startsWith('!')) continue;
    const key = m[1].trim();
    out.push(key.startsWith('AWS::') ? key : key.split('.')[0]);
  }
  return out;
}

// ---- conditions ----

/** Evaluates a condition expression (Fn::Equals, And, Or, Not, Condition) to a boolean. */
export function condition(expr: unknown, ctx: EvalContext): boolean {
  const fn = intrinsicName(expr);
  const obj = expr as Record<string, unknown>;
  switch (fn) {
    case 'Condition': {
      if (typeof obj.Condition !== 'string') throw templateError('Condition requires the name of a condition');
      return ctx.condition(obj.Condition);
    }
    case 'Fn::Equals': {
      const a = obj[fn];
      if (!Array.isArray(a) || a.length !== 2) throw templateError('Fn::Equals requires a list of two values to compare');
      return equalValues(resolve(a[0], ctx), resolve(a[1], ctx));
    }
    case 'Fn::And':
    case 'Fn::Or': {
      const a = obj[fn];
      if (!Array.isArray(a) || a.length < 2 || a.length > 10) throw templateError(`${fn} requires a list of 2 to 10 conditions`);
      const results = a.map((c) => condition(c, ctx));
      return fn === 'Fn::And' ? results.every(Boolean) : results.some(Boolean);
    }
    case 'Fn::Not': {
      const a = obj[fn];
      if (!Array.isArray(a) || a.length !== 1) throw templateError('Fn::Not requires a list of one condition');
      return !condition(a[0], ctx);
    }
    default: {
      // A Ref or other function that yields "true"/"false" (e.g. a parameter) is accepted too.
      const v = resolve(expr, ctx);
      if (v === true || v === 'true') return true;
      if (v === false || v === 'false') return false;
      throw templateError('Conditions can only be boolean operations on parameters and other conditions');
    }
  }
}

function equalValues(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : Array.isArray(v) ? v.map(norm) : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Evaluates each condition once, on first use, and refuses cycles between conditions. */
export function conditionEvaluator(conditions: Record<string, unknown>, ctx: () => EvalContext): (name: string) => boolean {
  const done = new Map<string, boolean>();
  const active = new Set<string>();
  return (name) => {
    const known = done.get(name);
    if (known !== undefined) return known;
    if (!(name in conditions)) throw templateError(`unresolved condition dependency ${name} in Fn::If`);
    if (active.has(name)) throw errors.validation(`Template format error: Circular dependency between conditions: [${[...active].join(', ')}]`);
    active.add(name);
    try {
      const v = condition(conditions[name], ctx());
      done.set(name, v);
      return v;
    } finally {
      active.delete(name);
    }
  };
}

// ---- Fn::Cidr ----

function cidr(arg: unknown, ctx: EvalContext): string[] {
  if (!Array.isArray(arg) || arg.length !== 3) throw templateError('Fn::Cidr requires a list of three elements: an IP block, a count and the number of subnet bits');
  const block = asString(resolve(arg[0], ctx), 'Fn::Cidr ipBlock');
  const count = Number(asString(resolve(arg[1], ctx), 'Fn::Cidr count'));
  const bits = Number(asString(resolve(arg[2], ctx), 'Fn::Cidr cidrBits'));
  const v6 = block.includes(':');
  const width = v6 ? 128 : 32;
  const m = /^([^/]+)\/(\d+)$/.exec(block);
  const base = m ? (v6 ? parseIp6(m[1]) : parseIp4(m[1])) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (base === undefined || !(prefix >= 0 && prefix <= width)) throw templateError(`Fn::Cidr: ${block} is not a valid CIDR block`);
  if (!Number.isInteger(count) || count < 1 || count > 256) throw templateError('Fn::Cidr count must be from 1 to 256');
  const newPrefix = width - bits;
  if (!Number.isInteger(bits) || bits < 1 || newPrefix < prefix) throw templateError(`Fn::Cidr cidrBits ${bits} does not fit in ${block}`);
  if (count > 2 ** (newPrefix - prefix)) throw templateError(`Fn::Cidr cannot make ${count} subnets of /${newPrefix} in ${block}`);
  const size = 1n << BigInt(bits);
  const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - prefix)) - 1n);
  const start = base & mask;
  const out: string[] = [];
  for (let i = 0n; i < BigInt(count); i++) {
    const n = start + i * size;
    out.push(`${v6 ? formatIp6(n) : formatIp4(n)}/${newPrefix}`);
  }
  return out;
}

function parseIp4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

const formatIp4 = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');

function parseIp6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h ? h.split(':') : []);
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function formatIp6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // The longest run of zero groups becomes "::".
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
