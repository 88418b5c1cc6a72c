/**
 * Templates: parsing a body (JSON, or YAML with CloudFormation's short-form tags) into one
 * shape, and the structural checks CloudFormation makes before it accepts a template. Errors
 * carry AWS's texts ("Template format error: ..."), and are raised as ValidationError.
 */
import YAML, { type Tags } from 'yaml';
import { errors } from '../core/errors.ts';

export interface ParameterDecl {
  Type: string;
  Default?: unknown;
  Description?: string;
  NoEcho?: boolean | string;
  AllowedValues?: unknown[];
  AllowedPattern?: string;
  MinLength?: number | string;
  MaxLength?: number | string;
  MinValue?: number | string;
  MaxValue?: number | string;
  ConstraintDescription?: string;
}

export interface ResourceDecl {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  CreationPolicy?: { ResourceSignal?: { Count?: number | string; Timeout?: string }; AutoScalingCreationPolicy?: { MinSuccessfulInstancesPercent?: number | string } };
  UpdatePolicy?: Record<string, unknown>;
  Metadata?: unknown;
}

export interface OutputDecl {
  Value: unknown;
  Description?: unknown;
  Condition?: string;
  Export?: { Name: unknown };
}

export interface Template {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: unknown;
  Transform?: unknown;
  Parameters: Record<string, ParameterDecl>;
  Mappings: Record<string, Record<string, Record<string, unknown>>>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, ResourceDecl>;
  Outputs: Record<string, OutputDecl>;
  Rules?: unknown;
}

/** The largest TemplateBody CreateStack takes, and the largest object TemplateURL may name. */
export const MAX_BODY_BYTES = 51_200;
export const MAX_URL_TEMPLATE_BYTES = 1_000_000;
export const MAX_PARAMETERS = 200;
export const MAX_RESOURCES = 500;
export const MAX_OUTPUTS = 200;

const SECTIONS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs', 'Rules', 'Hooks']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'CreationPolicy', 'UpdatePolicy', 'Metadata', 'Version']);
const DELETION_POLICIES = ['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'];
/** Transforms the engine accepts: the language extensions are built in (Length, ToJsonString). */
export const SUPPORTED_TRANSFORMS = ['AWS::LanguageExtensions'];

export const formatError = (message: string) => errors.validation(`Template format error: ${message}`);

/** The short-form tags, each for a scalar, a sequence and a mapping, as CloudFormation reads them. */
function shortTags(): Tags {
  const fns = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'If', 'Equals', 'And', 'Or', 'Not', 'Length', 'ToJsonString'];
  const tags: Tags = [];
  const wrap = (name: string, v: unknown) => ({ [name]: v });
  const forms = (tag: string, make: (v: unknown) => unknown) => {
    tags.push({ tag, resolve: (s: string) => make(s) });
    tags.push({ tag, collection: 'seq', resolve: (seq) => make(seq.toJSON()) });
    tags.push({ tag, collection: 'map', resolve: (map) => make(map.toJSON()) });
  };
  for (const f of fns) forms(`!${f}`, (v) => wrap(`Fn::${f}`, v));
  forms('!Ref', (v) => wrap('Ref', v));
  forms('!Condition', (v) => wrap('Condition', v));
  forms('!GetAtt', (v) => {
    if (typeof v !== 'string') return wrap('Fn::GetAtt', v);
    const dot = v.indexOf('.');
    return wrap('Fn::GetAtt', dot < 0 ? [v] : [v.slice(0, dot), v.slice(dot + 1)]);
  });
  return tags;
}

const YAML_TAGS = shortTags();

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    let where = '';
    if (m) {
      const before = body.slice(0, Number(m[1]));
      const line = before.split('\n').length;
      where = ` (line ${line}, column ${Number(m[1]) - before.lastIndexOf('\n')})`;
    }
    throw formatError(`JSON not well-formed.${where}`);
  }
}

/**
 * A body that looks like JSON but is not well-formed JSON (a trailing comma, say) is read as YAML,
 * of which JSON is a subset, as CloudFormation does; when YAML cannot read it either, the error
 * is JSON's, which says where the JSON went wrong.
 */
function parseJsonOrYaml(body: string): unknown {
  try {
    return parseJson(body);
  } catch (jsonError) {
    try {
      return parseYaml(body);
    } catch {
      throw jsonError;
    }
  }
}

function parseYaml(body: string): unknown {
  const doc = YAML.parseDocument(body, { customTags: YAML_TAGS, uniqueKeys: true, prettyErrors: true });
  const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (problem) {
    const pos = problem.linePos?.[0];
    const where = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
    if (problem.code === 'TAG_RESOLVE_FAILED') throw formatError(`YAML not well-formed.${where} ${problem.message.split('\n')[0]}`);
    throw formatError(`YAML not well-formed.${where}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A template section as a dictionary without a prototype: every lookup by a name the template
 * uses (Ref, GetAtt, Condition, FindInMap) finds only what the template declares, so a name
 * like `toString` or `constructor` is as unknown as any other undeclared name.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dictionary = <T = any>(section: unknown): Record<string, T> => Object.assign(Object.create(null), section ?? {});

/** Parses a body and checks its structure; the result always has every section, possibly empty. */
export function parseTemplate(body: string): Template {
  const trimmed = body.trimStart();
  const raw = trimmed.startsWith('{') ? parseJsonOrYaml(body) : parseYaml(body);
  if (!isObject(raw)) throw formatError('not a JSON or YAML object; a template is a mapping of sections.');
  const unknown = Object.keys(raw).filter((k) => !SECTIONS.has(k));
  if (unknown.length) throw formatError(`Invalid template property or properties [${unknown.join(', ')}]`);
  if (raw.AWSTemplateFormatVersion !== undefined && String(raw.AWSTemplateFormatVersion) !== '2010-09-09') {
    throw formatError(`'${String(raw.AWSTemplateFormatVersion)}' is not a valid template version.`);
  }
  if (raw.Description !== undefined && typeof raw.Description !== 'string') throw formatError('Description must be a string.');
  if (typeof raw.Description === 'string' && Buffer.byteLength(raw.Description) > 1024) throw formatError('Description must not be longer than 1024 bytes.');
  for (const s of ['Parameters', 'Mappings', 'Conditions', 'Resources', 'Outputs']) {
    if (raw[s] !== undefined && raw[s] !== null && !isObject(raw[s])) throw formatError(`${s} must be an object.`);
  }
  const resources = dictionary<unknown>(raw.Resources);
  if (!Object.keys(resources).length) throw formatError('At least one Resources member must be defined.');
  const t: Template = {
    AWSTemplateFormatVersion: raw.AWSTemplateFormatVersion as string | undefined,
    Description: raw.Description as string | undefined,
    Metadata: raw.Metadata,
    Transform: raw.Transform,
    Parameters: dictionary(raw.Parameters),
    Mappings: dictionary(raw.Mappings),
    Conditions: dictionary(raw.Conditions),
    Resources: resources as Template['Resources'],
    Outputs: dictionary(raw.Outputs),
    Rules: raw.Rules,
  };
  checkStructure(t);
  return t;
}

const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;

function checkStructure(t: Template): void {
  const transforms = t.Transform === undefined ? [] : Array.isArray(t.Transform) ? t.Transform : [t.Transform];
  for (const tr of transforms) {
    if (typeof tr !== 'string' || !SUPPORTED_TRANSFORMS.includes(tr)) {
      throw errors.validation(`Transform ${typeof tr === 'string' ? tr : JSON.stringify(tr)} is not supported by faultline; only ${SUPPORTED_TRANSFORMS.join(', ')} is.`);
    }
  }
  const params = Object.entries(t.Parameters);
  if (params.length > MAX_PARAMETERS) throw formatError(`Parameters section can contain at most ${MAX_PARAMETERS} parameters.`);
  for (const [name, p] of params) {
    if (!LOGICAL_ID.test(name)) throw formatError(`Parameter name ${name} is non alphanumeric.`);
    if (!isObject(p)) throw formatError(`[/Parameters/${name}] parameter must be an object.`);
    if (typeof p.Type !== 'string') throw formatError(`[/Parameters/${name}] Every Parameters object must contain a Type member.`);
  }
  for (const [name, m] of Object.entries(t.Mappings)) {
    if (!isObject(m)) throw formatError(`Mappings attribute ${name} must be an object.`);
    for (const [k, v] of Object.entries(m)) if (!isObject(v)) throw formatError(`Mappings attribute ${name}.${k} must be an object.`);
    t.Mappings[name] = dictionary(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, dictionary(v)])));
  }
  const resources = Object.entries(t.Resources);
  if (resources.length > MAX_RESOURCES) throw formatError(`Number of resources, ${resources.length}, is greater than maximum allowed, ${MAX_RESOURCES}`);
  for (const [id, r] of resources) {
    if (!LOGICAL_ID.test(id)) throw formatError(`Resource name ${id} is non alphanumeric.`);
    if (!isObject(r)) throw formatError(`[/Resources/${id}] resource definition is malformed`);
    if (typeof r.Type !== 'string') throw formatError(`[/Resources/${id}] Every Resources object must contain a Type member.`);
    const bad = Object.keys(r).filter((k) => !RESOURCE_KEYS.has(k));
    if (bad.length) throw formatError(`Invalid template resource property '${bad[0]}'`);
    if (r.Properties !== undefined && r.Properties !== null && !isObject(r.Properties)) throw formatError(`[/Resources/${id}/Properties] properties must be an object.`);
    for (const pol of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const v = r[pol];
      if (v !== undefined && (typeof v !== 'string' || !DELETION_POLICIES.includes(v))) {
        throw formatError(`Unrecognized ${pol} ${JSON.stringify(v)} for resource ${id}`);
      }
    }
    if (r.DependsOn !== undefined) {
      const deps = Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
      if (deps.some((d) => typeof d !== 'string')) throw formatError(`[/Resources/${id}/DependsOn] DependsOn must be a string or a list of strings.`);
    }
    if (r.Condition !== undefined && (typeof r.Condition !== 'string' || !(r.Condition in t.Conditions))) {
      throw formatError(`Unresolved dependencies [${String(r.Condition)}]. Cannot reference resources in the Conditions block of the template`);
    }
  }
  const outputs = Object.entries(t.Outputs);
  if (outputs.length > MAX_OUTPUTS) throw formatError(`Outputs section can contain at most ${MAX_OUTPUTS} outputs.`);
  for (const [id, o] of outputs) {
    if (!LOGICAL_ID.test(id)) throw formatError(`Output name ${id} is non alphanumeric.`);
    if (!isObject(o) || !('Value' in o)) throw formatError(`Every Outputs member must contain a Value object, the Outputs member ${id} does not.`);
    if (o.Condition !== undefined && !(String(o.Condition) in t.Conditions)) throw formatError(`Unresolved dependencies [${String(o.Condition)}]. Cannot reference resources in the Conditions block of the template`);
  }
}

/** The template's Transform names, for GetTemplateSummary and ValidateTemplate. */
export const transformsOf = (t: Template): string[] => (t.Transform === undefined ? [] : Array.isArray(t.Transform) ? t.Transform.map(String) : [String(t.Transform)]);

const cache = new Map<string, Template>();

/** Parses a stored body once per process: loops read the stack's template on every run. */
export function cachedTemplate(body: string): Template {
  let t = cache.get(body);
  if (!t) {
    t = parseTemplate(body);
    if (cache.size > 64) cache.delete(cache.keys().next().value!);
    cache.set(body, t);
  }
  return t;
}
