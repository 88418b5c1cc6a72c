/**
 * StackSets' API (SELF_MANAGED only: faultline has no AWS Organizations): stack sets, their
 * stack instances across faultline's accounts and regions, and the operations that deploy them,
 * which the loop in stack-sets.ts runs on the clock.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { uuid } from '../../core/ids.ts';
import { regionZones } from '../../config.ts';
import { requireCapabilities } from '../../cloudformation/validate.ts';
import type { RequestContext } from '../service.ts';
import { checkedTemplate, page, templateBody } from './lookup.ts';
import {
  ADMIN_ROLE,
  EXECUTION_ROLE,
  STACK_SETS,
  instanceKey,
  queueOperation,
  runningOperation,
  startOperation,
  type OperationPreferences,
  type OperationRecord,
  type Parameter,
  type StackInstanceRecord,
  type StackSetRecord,
} from './stack-sets.ts';

type Tag = { Key: string; Value: string };
interface Targets {
  StackSetName: string;
  Accounts?: string[];
  DeploymentTargets?: { Accounts?: string[]; OrganizationalUnitIds?: string[]; AccountsUrl?: string; AccountFilterType?: string };
  Regions?: string[];
  OperationPreferences?: OperationPreferences;
  OperationId?: string;
  CallAs?: string;
}

const notFound = (name: string) => new AwsError('StackSetNotFoundException', `StackSet ${name} not found`, 404);
const noOrganizations = () =>
  errors.validation('faultline has no AWS Organizations: stack sets take the SELF_MANAGED permission model, with target accounts given as Accounts, and CallAs SELF.');

function findSet(ctx: RequestContext, nameOrId: string): StackSetRecord | undefined {
  const all = ctx.env.store.list<StackSetRecord>(STACK_SETS, ctx) as StackSetRecord[];
  const s = all.find((x) => x.StackSetId === nameOrId || x.StackSetARN === nameOrId) ?? all.find((x) => x.StackSetName === nameOrId && x.Status === 'ACTIVE');
  return s && (structuredClone(s) as StackSetRecord);
}

function requireSet(ctx: RequestContext, nameOrId: string): StackSetRecord {
  const s = findSet(ctx, nameOrId);
  if (!s || s.Status === 'DELETED') throw notFound(nameOrId);
  return s;
}

function requireOperation(set: StackSetRecord, id: string): OperationRecord {
  const op = set.operations.find((o) => o.OperationId === id);
  if (!op) throw new AwsError('OperationNotFoundException', `Operation ${id} not found`, 404);
  return op;
}

function refuseBusy(set: StackSetRecord, operationId: string | undefined): void {
  if (operationId && set.operations.some((o) => o.OperationId === operationId)) throw new AwsError('OperationIdAlreadyExistsException', `Operation ${operationId} already exists`, 409);
  if (runningOperation(set)) throw new AwsError('OperationInProgressException', `Another Operation on StackSet ${set.StackSetARN} is in progress`, 409);
}

/** What every call that starts an operation checks first: the set, that it is idle, and the preferences. */
function beginOperation(ctx: RequestContext, input: Targets): { set: StackSetRecord; prefs: OperationPreferences } {
  checkCallAs(input.CallAs);
  const set = requireSet(ctx, input.StackSetName);
  refuseBusy(set, input.OperationId);
  return { set, prefs: checkPreferences(input.OperationPreferences, ctx) };
}

const instanceNotFound = (set: StackSetRecord, t: { Account: string; Region: string }) =>
  new AwsError('StackInstanceNotFoundException', `Stack instance ${t.Account}/${t.Region} not found in stack set ${set.StackSetName}`, 404);

function checkCallAs(callAs: string | undefined): void {
  if (callAs !== undefined && callAs !== 'SELF') throw noOrganizations();
}

function checkPreferences(p: OperationPreferences | undefined, ctx: RequestContext): OperationPreferences {
  if (!p) return {};
  if (p.MaxConcurrentCount !== undefined && p.MaxConcurrentPercentage !== undefined) throw errors.validation('MaxConcurrentCount and MaxConcurrentPercentage cannot both be specified');
  if (p.FailureToleranceCount !== undefined && p.FailureTolerancePercentage !== undefined) throw errors.validation('FailureToleranceCount and FailureTolerancePercentage cannot both be specified');
  for (const r of p.RegionOrder ?? []) checkRegion(ctx, r);
  return p;
}

function checkRegion(ctx: RequestContext, region: string): void {
  if (!regionZones(ctx.env.config, region)) throw errors.validation(`Region ${region} is not supported`);
}

/** The accounts and regions a call names: every account in every region. */
function targetsOf(ctx: RequestContext, input: Targets): { Account: string; Region: string }[] {
  if (input.DeploymentTargets?.OrganizationalUnitIds?.length || input.DeploymentTargets?.AccountsUrl || input.DeploymentTargets?.AccountFilterType) throw noOrganizations();
  const accounts = input.Accounts ?? input.DeploymentTargets?.Accounts;
  if (input.Accounts && input.DeploymentTargets) throw errors.validation('Accounts and DeploymentTargets cannot both be specified');
  if (!accounts?.length) throw errors.validation('Accounts or DeploymentTargets must be specified');
  for (const a of accounts) if (!/^\d{12}$/.test(a)) throw errors.validation(`Account ${a} is not a valid account id`);
  const regions = input.Regions ?? [];
  for (const r of regions) checkRegion(ctx, r);
  return regions.flatMap((Region) => [...new Set(accounts)].map((Account) => ({ Account, Region })));
}

function checkParameters(set: StackSetRecord, given: Parameter[] | undefined): Parameter[] {
  const declared = checkedTemplate(set.templateBody).template.Parameters;
  for (const p of given ?? []) if (!declared[p.ParameterKey]) throw errors.validation(`Parameters: [${p.ParameterKey}] do not exist in the template`);
  return given ?? [];
}

const instanceSummary = (set: StackSetRecord, i: StackInstanceRecord) => ({
  StackSetId: set.StackSetId,
  Region: i.Region,
  Account: i.Account,
  StackId: i.StackId,
  Status: i.Status,
  StatusReason: i.StatusReason,
  StackInstanceStatus: { DetailedStatus: i.DetailedStatus },
  DriftStatus: 'NOT_CHECKED',
  LastOperationId: i.LastOperationId,
});

const operationSummary = (o: OperationRecord) => ({
  OperationId: o.OperationId,
  Action: o.Action,
  Status: o.Status,
  StatusReason: o.StatusReason,
  CreationTimestamp: o.CreationTimestamp,
  EndTimestamp: o.EndTimestamp,
  OperationPreferences: o.OperationPreferences,
  StatusDetails: { FailedStackInstancesCount: o.targets.filter((t) => t.Status === 'FAILED').length },
});

export const stackSetHandlers = {
  CreateStackSet(
    input: {
      StackSetName: string;
      Description?: string;
      TemplateBody?: string;
      TemplateURL?: string;
      StackId?: string;
      Parameters?: Parameter[];
      Capabilities?: string[];
      Tags?: Tag[];
      AdministrationRoleARN?: string;
      ExecutionRoleName?: string;
      PermissionModel?: string;
      CallAs?: string;
      ManagedExecution?: { Active?: boolean };
    },
    ctx: RequestContext,
  ) {
    if (input.PermissionModel === 'SERVICE_MANAGED') throw noOrganizations();
    checkCallAs(input.CallAs);
    if (input.StackId) throw errors.validation('faultline does not import stacks into stack sets; give TemplateBody or TemplateURL.');
    if (!/^[a-zA-Z][-a-zA-Z0-9]{0,127}$/.test(input.StackSetName)) {
      throw errors.validation(`1 validation error detected: Value '${input.StackSetName}' at 'stackSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
    }
    if (findSet(ctx, input.StackSetName)) throw new AwsError('NameAlreadyExistsException', `StackSet ${input.StackSetName} already exists`, 409);
    const checked = checkedTemplate(templateBody(ctx, input));
    requireCapabilities(checked.facts, input.Capabilities);
    const StackSetId = `${input.StackSetName}:${uuid()}`;
    const set: StackSetRecord = {
      StackSetName: input.StackSetName,
      StackSetId,
      StackSetARN: `arn:aws:cloudformation:${ctx.region}:${ctx.account}:stackset/${StackSetId}`,
      Description: input.Description ?? checked.template.Description,
      Status: 'ACTIVE',
      templateBody: checked.body,
      Parameters: [],
      Capabilities: input.Capabilities ?? [],
      Tags: input.Tags ?? [],
      AdministrationRoleARN: input.AdministrationRoleARN ?? `arn:aws:iam::${ctx.account}:role/${ADMIN_ROLE}`,
      ExecutionRoleName: input.ExecutionRoleName ?? EXECUTION_ROLE,
      instances: {},
      operations: [],
    };
    set.Parameters = checkParameters(set, input.Parameters);
    ctx.env.store.put(STACK_SETS, ctx, StackSetId, set);
    return { StackSetId };
  },

  UpdateStackSet(
    input: Targets & {
      Description?: string;
      TemplateBody?: string;
      TemplateURL?: string;
      UsePreviousTemplate?: boolean;
      Parameters?: Parameter[];
      Capabilities?: string[];
      Tags?: Tag[];
      AdministrationRoleARN?: string;
      ExecutionRoleName?: string;
      PermissionModel?: string;
    },
    ctx: RequestContext,
  ) {
    if (input.PermissionModel === 'SERVICE_MANAGED') throw noOrganizations();
    const { set, prefs } = beginOperation(ctx, input);
    // No template (or UsePreviousTemplate alone) keeps the set's.
    const checked = checkedTemplate(input.TemplateBody === undefined && input.TemplateURL === undefined ? set.templateBody : templateBody(ctx, input));
    requireCapabilities(checked.facts, input.Capabilities ?? set.Capabilities);
    // Parameters left out keep no value (their defaults apply), unless UsePreviousValue says so.
    const previous = new Map(set.Parameters.map((p) => [p.ParameterKey, p.ParameterValue]));
    const params = (input.Parameters ?? []).map((p) => (p.UsePreviousValue ? { ParameterKey: p.ParameterKey, ParameterValue: previous.get(p.ParameterKey) } : p));
    set.templateBody = checked.body;
    set.Parameters = checkParameters(set, params);
    if (input.Description !== undefined) set.Description = input.Description;
    if (input.Capabilities) set.Capabilities = input.Capabilities;
    if (input.Tags) set.Tags = input.Tags;
    if (input.AdministrationRoleARN) set.AdministrationRoleARN = input.AdministrationRoleARN;
    if (input.ExecutionRoleName) set.ExecutionRoleName = input.ExecutionRoleName;
    const all = Object.values(set.instances);
    const named = input.Accounts || input.DeploymentTargets || input.Regions ? targetsOf(ctx, input) : all;
    const targets = named.filter((t) => set.instances[instanceKey(t.Account, t.Region)]);
    if (targets.length < named.length) {
      const missing = named.find((t) => !set.instances[instanceKey(t.Account, t.Region)])!;
      throw instanceNotFound(set, missing);
    }
    return { OperationId: startOperation(ctx, set, 'UPDATE', targets, prefs, { OperationId: input.OperationId }) };
  },

  DeleteStackSet(input: { StackSetName: string; CallAs?: string }, ctx: RequestContext) {
    checkCallAs(input.CallAs);
    const set = requireSet(ctx, input.StackSetName);
    if (runningOperation(set)) throw new AwsError('OperationInProgressException', `Another Operation on StackSet ${set.StackSetARN} is in progress`, 409);
    if (Object.keys(set.instances).length) throw new AwsError('StackSetNotEmptyException', `StackSet ${set.StackSetName} is not empty`, 409);
    set.Status = 'DELETED';
    ctx.env.store.put(STACK_SETS, ctx, set.StackSetId, set);
    return {};
  },

  DescribeStackSet(input: { StackSetName: string; CallAs?: string }, ctx: RequestContext) {
    checkCallAs(input.CallAs);
    const s = findSet(ctx, input.StackSetName);
    if (!s) throw notFound(input.StackSetName);
    return {
      StackSet: {
        StackSetName: s.StackSetName,
        StackSetId: s.StackSetId,
        StackSetARN: s.StackSetARN,
        Description: s.Description,
        Status: s.Status,
        TemplateBody: s.templateBody,
        Parameters: s.Parameters,
        Capabilities: s.Capabilities,
        Tags: s.Tags,
        AdministrationRoleARN: s.AdministrationRoleARN,
        ExecutionRoleName: s.ExecutionRoleName,
        PermissionModel: 'SELF_MANAGED',
        ManagedExecution: { Active: false },
        Regions: [...new Set(Object.values(s.instances).map((i) => i.Region))],
        StackSetDriftDetectionDetails: { DriftStatus: 'NOT_CHECKED' },
      },
    };
  },

  ListStackSets(input: { Status?: 'ACTIVE' | 'DELETED'; NextToken?: string; MaxResults?: number; CallAs?: string }, ctx: RequestContext) {
    checkCallAs(input.CallAs);
    const all = (ctx.env.store.list<StackSetRecord>(STACK_SETS, ctx) as StackSetRecord[]).filter((s) => !input.Status || s.Status === input.Status);
    const p = page(all, input.NextToken, input.MaxResults ?? 100);
    return {
      Summaries: p.items.map((s) => ({
        StackSetName: s.StackSetName,
        StackSetId: s.StackSetId,
        Description: s.Description,
        Status: s.Status,
        PermissionModel: 'SELF_MANAGED',
        DriftStatus: 'NOT_CHECKED',
        ManagedExecution: { Active: false },
      })),
      NextToken: p.NextToken,
    };
  },

  CreateStackInstances(input: Targets & { ParameterOverrides?: Parameter[] }, ctx: RequestContext) {
    const { set, prefs } = beginOperation(ctx, input);
    const targets = targetsOf(ctx, input);
    const overrides = checkParameters(set, input.ParameterOverrides);
    for (const t of targets) {
      const key = instanceKey(t.Account, t.Region);
      set.instances[key] ??= { Account: t.Account, Region: t.Region, Status: 'OUTDATED', DetailedStatus: 'PENDING', ParameterOverrides: [] };
      if (input.ParameterOverrides) set.instances[key].ParameterOverrides = overrides;
    }
    return { OperationId: startOperation(ctx, set, 'CREATE', targets, prefs, { OperationId: input.OperationId }) };
  },

  UpdateStackInstances(input: Targets & { ParameterOverrides?: Parameter[] }, ctx: RequestContext) {
    const { set, prefs } = beginOperation(ctx, input);
    const targets = targetsOf(ctx, input);
    const overrides = checkParameters(set, input.ParameterOverrides);
    for (const t of targets) {
      const inst = set.instances[instanceKey(t.Account, t.Region)];
      if (!inst) throw instanceNotFound(set, t);
      if (input.ParameterOverrides) inst.ParameterOverrides = overrides;
    }
    return { OperationId: startOperation(ctx, set, 'UPDATE', targets, prefs, { OperationId: input.OperationId }) };
  },

  DeleteStackInstances(input: Targets & { RetainStacks: boolean }, ctx: RequestContext) {
    const { set, prefs } = beginOperation(ctx, input);
    const targets = targetsOf(ctx, input).filter((t) => set.instances[instanceKey(t.Account, t.Region)]);
    return { OperationId: startOperation(ctx, set, 'DELETE', targets, prefs, { OperationId: input.OperationId, RetainStacks: input.RetainStacks }) };
  },

  ListStackInstances(
    input: { StackSetName: string; StackInstanceAccount?: string; StackInstanceRegion?: string; Filters?: { Name: string; Values: string }[]; NextToken?: string; MaxResults?: number; CallAs?: string },
    ctx: RequestContext,
  ) {
    checkCallAs(input.CallAs);
    const set = requireSet(ctx, input.StackSetName);
    const matches = (i: StackInstanceRecord) =>
      (input.Filters ?? []).every((f) => (f.Name === 'DETAILED_STATUS' ? i.DetailedStatus === f.Values : f.Name === 'LAST_OPERATION_ID' ? i.LastOperationId === f.Values : f.Values === 'NOT_CHECKED'));
    const all = Object.values(set.instances).filter(
      (i) => (!input.StackInstanceAccount || i.Account === input.StackInstanceAccount) && (!input.StackInstanceRegion || i.Region === input.StackInstanceRegion) && matches(i),
    );
    const p = page(all, input.NextToken, input.MaxResults ?? 100);
    return { Summaries: p.items.map((i) => instanceSummary(set, i)), NextToken: p.NextToken };
  },

  DescribeStackInstance(input: { StackSetName: string; StackInstanceAccount: string; StackInstanceRegion: string; CallAs?: string }, ctx: RequestContext) {
    checkCallAs(input.CallAs);
    const set = requireSet(ctx, input.StackSetName);
    const i = set.instances[instanceKey(input.StackInstanceAccount, input.StackInstanceRegion)];
    if (!i) throw instanceNotFound(set, { Account: input.StackInstanceAccount, Region: input.StackInstanceRegion });
    return { StackInstance: { ...instanceSummary(set, i), ParameterOverrides: i.ParameterOverrides } };
  },

  DescribeStackSetOperation(input: { StackSetName: string; OperationId: string; CallAs?: string }, ctx: RequestContext) {
    checkCallAs(input.CallAs);
    const set = findSet(ctx, input.StackSetName);
    if (!set) throw notFound(input.StackSetName);
    const o = requireOperation(set, input.OperationId);
    return {
      StackSetOperation: {
        ...operationSummary(o),
        StackSetId: set.StackSetId,
        RetainStacks: o.RetainStacks,
        AdministrationRoleARN: o.AdministrationRoleARN,
        ExecutionRoleName: o.ExecutionRoleName,
      },
    };
  },

  ListStackSetOperations(input: { StackSetName: string; NextToken?: string; MaxResults?: number; CallAs?: string }, ctx: RequestContext) {
    checkCallAs(input.CallAs);
    const set = findSet(ctx, input.StackSetName);
    if (!set) throw notFound(input.StackSetName);
    const p = page([...set.operations].reverse(), input.NextToken, input.MaxResults ?? 100);
    return { Summaries: p.items.map(operationSummary), NextToken: p.NextToken };
  },

  ListStackSetOperationResults(input: { StackSetName: string; OperationId: string; NextToken?: string; MaxResults?: number; CallAs?: string; Filters?: { Name: string; Values: string }[] }, ctx: RequestContext) {
    checkCallAs(input.CallAs);
    const set = findSet(ctx, input.StackSetName);
    if (!set) throw notFound(input.StackSetName);
    const o = requireOperation(set, input.OperationId);
    const all = o.targets.filter((t) => (input.Filters ?? []).every((f) => f.Name !== 'OPERATION_RESULT_STATUS' || t.Status === f.Values));
    const p = page(all, input.NextToken, input.MaxResults ?? 100);
    return {
      Summaries: p.items.map((t) => ({
        Account: t.Account,
        Region: t.Region,
        Status: t.Status,
        StatusReason: t.StatusReason,
        // Account gates are a Lambda function of the target account's; faultline has none to call.
        AccountGateResult: { Status: 'SKIPPED', StatusReason: `Function not found: arn:aws:lambda:${t.Region}:${t.Account}:function:AWSCloudFormationStackSetAccountGate` },
      })),
      NextToken: p.NextToken,
    };
  },

  StopStackSetOperation(input: { StackSetName: string; OperationId: string; CallAs?: string }, ctx: RequestContext) {
    checkCallAs(input.CallAs);
    const set = requireSet(ctx, input.StackSetName);
    const o = requireOperation(set, input.OperationId);
    if (o.Status !== 'RUNNING') throw new AwsError('InvalidOperationException', `Operation ${o.OperationId} is in ${o.Status} state and cannot be stopped`, 400);
    // Targets under way finish; the rest are cancelled when the loop next runs.
    o.Status = 'STOPPING';
    ctx.env.store.put(STACK_SETS, ctx, set.StackSetId, set);
    queueOperation(ctx.env, ctx, set);
    return {};
  },
};
