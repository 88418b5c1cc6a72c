/**
 * What the CloudFormation operations share: finding a stack by name or id, reading a template
 * from a body or from faultline's S3, checking it, and the stack's shape in DescribeStacks.
 */
import { AwsError, errors } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import { evalContext, type EngineDeps } from '../../cloudformation/evaluation.ts';
import { checkRules } from '../../cloudformation/rules.ts';
import { resolveParameters, resolveSsmParameters, type GivenParameter, type StackParameter } from '../../cloudformation/parameters.ts';
import { checkDynamicReferences } from '../../cloudformation/dynamic-references.ts';
import { parseStackId, STACKS, type StackRecord } from '../../cloudformation/state.ts';
import { MAX_BODY_BYTES, MAX_URL_TEMPLATE_BYTES, parseTemplate, type Template } from '../../cloudformation/template.ts';
import { checkTemplate, type TemplateFacts } from '../../cloudformation/validate.ts';
import type { RequestContext } from '../service.ts';
import { isS3Url, readObjectByUrl } from '../s3/urls.ts';
import { ROLES, iamScope, nameKey, type RoleRecord } from '../iam/state.ts';

export const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;

export const notFound = (name: string) => errors.validation(`Stack with id ${name} does not exist`);

export function checkStackName(name: string): void {
  if (!STACK_NAME.test(name)) {
    throw errors.validation(`1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
  }
}

/** A stack by name (the live one) or by id (deleted ones too, for 90 days). */
export function findStack(ctx: RequestContext, nameOrId: string): StackRecord | undefined {
  if (nameOrId.startsWith('arn:')) {
    const id = parseStackId(nameOrId);
    if (!id || id.account !== ctx.account || id.region !== ctx.region) return undefined;
    return ctx.env.store.mutable<StackRecord>(STACKS, ctx, nameOrId);
  }
  const s = ctx.env.store.list<StackRecord>(STACKS, ctx).find((x) => x.StackName === nameOrId && x.StackStatus !== 'DELETE_COMPLETE');
  return s ? (structuredClone(s) as StackRecord) : undefined;
}

export function requireStack(ctx: RequestContext, nameOrId: string): StackRecord {
  const s = findStack(ctx, nameOrId);
  if (!s) throw notFound(nameOrId);
  return s;
}

export const putStack = (ctx: RequestContext, s: StackRecord) => ctx.env.store.put(STACKS, ctx as Scope, s.StackId, s);

/**
 * Refuses a service role (RoleARN) CloudFormation could not assume: one of another account (a
 * role can be passed only within its own account) or one that does not exist. Its trust policy
 * and permissions are not checked.
 */
export function checkRoleArn(ctx: RequestContext, arn: string | undefined): void {
  if (arn === undefined) return;
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) throw errors.validation(`${arn} is not a valid RoleARN`);
  const role = m[1] === ctx.account ? ctx.env.store.get<RoleRecord>(ROLES, iamScope(m[1]), nameKey(m[2])) : undefined;
  if (!role || role.Arn !== arn) throw errors.validation(`Role ${arn} is invalid or cannot be assumed`);
}

/** The template body a call names: a body, an S3 URL on this faultline, or the stack's current one. */
export function templateBody(ctx: RequestContext, input: { TemplateBody?: string; TemplateURL?: string; UsePreviousTemplate?: boolean }, current?: StackRecord): string {
  const given = [input.TemplateBody !== undefined, input.TemplateURL !== undefined, !!input.UsePreviousTemplate].filter(Boolean).length;
  if (given > 1) throw errors.validation('Specify exactly one of TemplateBody, TemplateUrl or UsePreviousTemplate.');
  if (given === 0) throw errors.validation('Either Template URL or Template Body must be specified.');
  if (input.UsePreviousTemplate) {
    if (!current) throw errors.validation('UsePreviousTemplate can only be used with an existing stack.');
    return current.templateBody;
  }
  if (input.TemplateBody !== undefined) {
    if (Buffer.byteLength(input.TemplateBody) > MAX_BODY_BYTES) {
      throw errors.validation(`1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BODY_BYTES}`);
    }
    return input.TemplateBody;
  }
  return readTemplateUrl(ctx, input.TemplateURL!, 'TemplateURL must be a supported URL.');
}

/**
 * The template an S3 URL names, read as the caller. A URL that S3 does not serve (another host,
 * or no object path) is refused with `badUrl`, the text AWS gives where the URL was given.
 */
export function readTemplateUrl(ctx: RequestContext, url: string, badUrl: string): string {
  if (!isS3Url(url, ctx.env.endpoint)) throw errors.validation(badUrl);
  let bytes: Buffer;
  try {
    bytes = readObjectByUrl(ctx.env, url, ctx.principal);
  } catch (e) {
    if (e instanceof AwsError && e.code !== 'ValidationError') throw errors.validation(`S3 error: ${e.message}`);
    throw e;
  }
  if (bytes.length > MAX_URL_TEMPLATE_BYTES) throw errors.validation(`Template may not exceed ${MAX_URL_TEMPLATE_BYTES} bytes in size.`);
  return bytes.toString('utf8');
}

export interface CheckedTemplate {
  body: string;
  template: Template;
  facts: TemplateFacts;
}

export function checkedTemplate(body: string): CheckedTemplate {
  const template = parseTemplate(body);
  return { body, template, facts: checkTemplate(template) };
}

/**
 * Parameters for a template, checked, with those of Systems Manager types resolved from the
 * parameter store; the template's literal dynamic references checked; its conditions evaluated
 * once, so that a condition that cannot be evaluated fails the call rather than the stack; and
 * its Rules, on the resolved values.
 */
export function checkedParameters(ctx: RequestContext, deps: EngineDeps, t: Template, given: GivenParameter[] | undefined, stack: StackRecord): StackParameter[] {
  const read = (selector: string) => deps.readParameter(ctx, selector);
  const params = resolveSsmParameters(t, resolveParameters(t, given, stack.parameters), read);
  checkDynamicReferences(t.Resources, read);
  const ec = evalContext(ctx.env, ctx, deps, stack, t, params);
  for (const name of Object.keys(t.Conditions)) ec.condition(name);
  checkRules(t, ec, deps.ruleLookups(ctx));
  return params;
}

export const MASK = '****';

/** A stack's or change set's parameter as DescribeStacks and DescribeChangeSet show it. */
export const parameterView = (p: StackParameter) => ({
  ParameterKey: p.ParameterKey,
  ParameterValue: p.NoEcho ? MASK : p.ParameterValue,
  ResolvedValue: p.ResolvedValue === undefined ? undefined : p.NoEcho ? MASK : p.ResolvedValue,
});

/** A stack in DescribeStacks' shape. */
export function stackView(s: StackRecord) {
  return {
    StackId: s.StackId,
    StackName: s.StackName,
    ChangeSetId: s.ChangeSetId,
    Description: s.Description,
    Parameters: s.parameters.map(parameterView),
    CreationTime: s.CreationTime,
    DeletionTime: s.DeletionTime,
    LastUpdatedTime: s.LastUpdatedTime,
    RollbackConfiguration: {},
    StackStatus: s.StackStatus,
    StackStatusReason: s.StackStatusReason,
    DisableRollback: s.DisableRollback,
    NotificationARNs: s.NotificationARNs,
    TimeoutInMinutes: s.TimeoutInMinutes,
    Capabilities: s.Capabilities,
    Outputs: s.StackStatus === 'DELETE_COMPLETE' ? undefined : s.outputs,
    RoleARN: s.RoleARN,
    Tags: s.Tags,
    EnableTerminationProtection: s.EnableTerminationProtection,
    ParentId: s.ParentId,
    RootId: s.RootId,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

/** Offsets as page tokens: DescribeStacks, DescribeStackEvents, ListStacks and friends page this way. */
export function page<T>(items: T[], token: string | undefined, size: number): { items: T[]; NextToken?: string } {
  let start = 0;
  if (token) {
    const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(n) || n < 0 || n > items.length) throw errors.validation('Invalid NextToken');
    start = n;
  }
  const end = start + size;
  return { items: items.slice(start, end), NextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}
