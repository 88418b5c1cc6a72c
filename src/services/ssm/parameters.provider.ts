/**
 * PutParameter, GetParameter(s), DeleteParameter(s), GetParameterHistory and the version labels.
 * A put makes a new version (at most 100 kept: the oldest goes, unless it has a label); tiers,
 * allowed patterns and data types are checked as Parameter Store checks them.
 */
import { wholeMatch } from '../../core/whole-match.ts';
import { AwsError } from '../../core/errors.ts';
import { pageOf } from '../../core/paging.ts';
import type { RequestContext } from '../service.ts';
import { ssmErrors } from './errors.ts';
import { checkName, checkWritableName, isValidLabel } from './names.ts';
import { findParameter, readParameter, selectVersion, shownValue } from './read.ts';
import { MAX_VERSIONS, PARAMETERS, latest, type ParameterRecord, type ParameterType, type Tag, type Tier, type VersionRecord } from './state.ts';
import { checkTags } from './tags.provider.ts';

const STANDARD_MAX = 4096;
const ADVANCED_MAX = 8192;
const MAX_STANDARD_PARAMETERS = 10_000;
const MAX_LABELS = 10;

interface PutInput {
  Name: string;
  Value: string;
  Type?: ParameterType;
  Description?: string;
  KeyId?: string;
  Overwrite?: boolean;
  AllowedPattern?: string;
  Tags?: Tag[];
  Tier?: Tier | 'Intelligent-Tiering';
  Policies?: string;
  DataType?: string;
}

/** AllowedPattern, matching the whole value. */
function compilePattern(pattern: string): RegExp {
  const regex = wholeMatch(pattern);
  if (!regex) throw ssmErrors.badPattern(pattern);
  return regex;
}

/** The tier a value is kept in: Intelligent-Tiering picks Advanced only when the value needs it; an advanced parameter never goes back. */
function tierFor(input: PutInput, previous: VersionRecord | undefined): Tier {
  const size = [...input.Value].length;
  let tier: Tier;
  if (input.Tier === 'Intelligent-Tiering') tier = size > STANDARD_MAX || previous?.Tier === 'Advanced' ? 'Advanced' : 'Standard';
  else tier = input.Tier ?? previous?.Tier ?? 'Standard';
  if (previous?.Tier === 'Advanced' && tier === 'Standard') {
    throw ssmErrors.validation('This parameter uses the advanced-parameter tier. You can\'t downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.');
  }
  if (tier === 'Standard' && size > STANDARD_MAX) {
    throw ssmErrors.validation(
      `Standard tier parameters support a maximum parameter value of ${STANDARD_MAX} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html`,
    );
  }
  if (size > ADVANCED_MAX) throw ssmErrors.validation(`1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to ${ADVANCED_MAX}`);
  return tier;
}

function checkDataType(dataType: string, type: ParameterType, value: string): void {
  if (dataType === 'text') return;
  if (dataType !== 'aws:ec2:image') throw ssmErrors.validation(`The following data type is not supported: ${dataType} (Data type names are all lowercase.)`);
  if (type !== 'String') throw ssmErrors.validation('The parameter type must be String for a parameter with the aws:ec2:image data type.');
  if (!/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value)) throw ssmErrors.validation(`Invalid AMI ID format: ${value}. The value must be an AMI ID such as ami-12345abcdeEXAMPLE.`);
}

export const parameterHandlers = {
  PutParameter(input: PutInput, ctx: RequestContext) {
    checkWritableName(input.Name);
    const { store } = ctx.env;
    const existing = store.mutable<ParameterRecord>(PARAMETERS, ctx, input.Name);
    if (existing && !input.Overwrite) throw ssmErrors.alreadyExists();
    if (input.Tags?.length && input.Overwrite) {
      throw ssmErrors.validation('Invalid request: tags and overwrite can\'t be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.');
    }
    if (input.Policies !== undefined) throw ssmErrors.validation('faultline does not apply parameter policies (Expiration, ExpirationNotification, NoChangeNotification); put the parameter without Policies.');
    const previous = existing ? latest(existing) : undefined;
    const type = input.Type ?? previous?.Type;
    if (!type) throw ssmErrors.validation('A parameter type is required when you create a parameter.');
    if (input.KeyId !== undefined && type !== 'SecureString') throw ssmErrors.validation('KeyId is required for SecureString type parameter only.');
    if (input.Value === '') throw ssmErrors.validation("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1");
    const tier = tierFor(input, previous);
    const dataType = input.DataType ?? (existing ? previous!.DataType : 'text');
    checkDataType(dataType, type, input.Value);
    // An overwrite without a pattern keeps, and is checked against, the one the parameter has.
    const allowedPattern = input.AllowedPattern ?? previous?.AllowedPattern;
    if (allowedPattern !== undefined && !compilePattern(allowedPattern).test(input.Value)) throw ssmErrors.patternMismatch(allowedPattern);
    if (input.Tags) checkTags(input.Tags);
    if (!existing && tier === 'Standard' && store.list<ParameterRecord>(PARAMETERS, ctx).filter((p) => latest(p).Tier === 'Standard').length >= MAX_STANDARD_PARAMETERS) {
      throw ssmErrors.tooManyParameters(MAX_STANDARD_PARAMETERS);
    }
    const rec: ParameterRecord = existing ?? { Name: input.Name, versions: [], tags: input.Tags ?? [] };
    if (rec.versions.length >= MAX_VERSIONS) {
      if (rec.versions[0].Labels.length) throw ssmErrors.maxVersions(input.Name, rec.versions[0].Version);
      rec.versions.shift();
    }
    const version: VersionRecord = {
      Version: (previous?.Version ?? 0) + 1,
      Value: input.Value,
      Type: type,
      Description: input.Description ?? previous?.Description,
      AllowedPattern: allowedPattern,
      KeyId: type === 'SecureString' ? (input.KeyId ?? previous?.KeyId ?? 'alias/aws/ssm') : undefined,
      Tier: tier,
      DataType: dataType,
      LastModifiedDate: ctx.env.clock.now(),
      LastModifiedUser: ctx.principal.arn,
      Labels: [],
    };
    rec.versions.push(version);
    store.put(PARAMETERS, ctx, rec.Name, rec);
    return { Version: version.Version, Tier: tier };
  },

  GetParameter(input: { Name: string; WithDecryption?: boolean }, ctx: RequestContext) {
    checkName(input.Name.split(':')[0]);
    return { Parameter: readParameter(ctx.env, ctx, input.Name, input.WithDecryption) };
  },

  GetParameters(input: { Names: string[]; WithDecryption?: boolean }, ctx: RequestContext) {
    const Parameters = [];
    const InvalidParameters = [];
    for (const n of new Set(input.Names)) {
      checkName(n.split(':')[0]);
      try {
        Parameters.push(readParameter(ctx.env, ctx, n, input.WithDecryption));
      } catch (e) {
        if (!(e instanceof AwsError && (e.code === 'ParameterNotFound' || e.code === 'ParameterVersionNotFound'))) throw e;
        InvalidParameters.push(n);
      }
    }
    return { Parameters, InvalidParameters };
  },

  DeleteParameter(input: { Name: string }, ctx: RequestContext) {
    checkWritableName(input.Name);
    if (!findParameter(ctx.env, ctx, input.Name)) throw ssmErrors.notFound();
    ctx.env.store.delete(PARAMETERS, ctx, input.Name);
    return {};
  },

  DeleteParameters(input: { Names: string[] }, ctx: RequestContext) {
    const DeletedParameters = [];
    const InvalidParameters = [];
    for (const n of new Set(input.Names)) {
      checkWritableName(n);
      if (findParameter(ctx.env, ctx, n)) {
        ctx.env.store.delete(PARAMETERS, ctx, n);
        DeletedParameters.push(n);
      } else InvalidParameters.push(n);
    }
    return { DeletedParameters, InvalidParameters };
  },

  GetParameterHistory(input: { Name: string; WithDecryption?: boolean; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    checkName(input.Name);
    const rec = findParameter(ctx.env, ctx, input.Name);
    if (!rec) throw ssmErrors.notFound();
    const all = rec.versions.map((v) => ({
      Name: rec.Name,
      Type: v.Type,
      KeyId: v.KeyId,
      LastModifiedDate: new Date(v.LastModifiedDate),
      LastModifiedUser: v.LastModifiedUser,
      Description: v.Description,
      Value: shownValue(v, input.WithDecryption),
      AllowedPattern: v.AllowedPattern,
      Version: v.Version,
      Labels: v.Labels,
      Tier: v.Tier,
      Policies: [],
      DataType: v.DataType,
    }));
    const page = pageOf(all, input.NextToken, input.MaxResults ?? 50, ssmErrors.invalidNextToken);
    return { Parameters: page.items, NextToken: page.next };
  },

  LabelParameterVersion(input: { Name: string; ParameterVersion?: number; Labels: string[] }, ctx: RequestContext) {
    checkWritableName(input.Name);
    const rec = ctx.env.store.mutable<ParameterRecord>(PARAMETERS, ctx, input.Name);
    if (!rec) throw ssmErrors.notFound();
    const target = selectVersion(rec, { version: input.ParameterVersion });
    const valid = input.Labels.filter(isValidLabel);
    const InvalidLabels = input.Labels.filter((l) => !isValidLabel(l));
    // A label names one version of a parameter: attaching it here moves it from any other.
    for (const v of rec.versions) if (v !== target) v.Labels = v.Labels.filter((l) => !valid.includes(l));
    target.Labels = [...new Set([...target.Labels, ...valid])];
    if (target.Labels.length > MAX_LABELS) throw ssmErrors.labelLimit();
    ctx.env.store.put(PARAMETERS, ctx, rec.Name, rec);
    return { InvalidLabels, ParameterVersion: target.Version };
  },

  UnlabelParameterVersion(input: { Name: string; ParameterVersion: number; Labels: string[] }, ctx: RequestContext) {
    checkWritableName(input.Name);
    const rec = ctx.env.store.mutable<ParameterRecord>(PARAMETERS, ctx, input.Name);
    if (!rec) throw ssmErrors.notFound();
    const target = selectVersion(rec, { version: input.ParameterVersion });
    const RemovedLabels = input.Labels.filter((l) => target.Labels.includes(l));
    const InvalidLabels = input.Labels.filter((l) => !target.Labels.includes(l));
    target.Labels = target.Labels.filter((l) => !RemovedLabels.includes(l));
    ctx.env.store.put(PARAMETERS, ctx, rec.Name, rec);
    return { RemovedLabels, InvalidLabels };
  },
};
