/** Templates: GetTemplate, GetTemplateSummary and ValidateTemplate. */
import { errors } from '../../core/errors.ts';
import { isNoEcho } from '../../cloudformation/parameters.ts';
import { CHANGE_SETS, type ChangeSetRecord } from '../../cloudformation/state.ts';
import { transformsOf, type Template } from '../../cloudformation/template.ts';
import type { RequestContext } from '../service.ts';
import { checkedTemplate, requireStack, templateBody, type CheckedTemplate } from './lookup.ts';

const defaultOf = (v: unknown) => (v === undefined ? undefined : Array.isArray(v) ? v.map(String).join(',') : String(v));

function summaryParameters(t: Template) {
  return Object.entries(t.Parameters).map(([k, p]) => ({
    ParameterKey: k,
    DefaultValue: defaultOf(p.Default),
    ParameterType: p.Type,
    NoEcho: isNoEcho(p),
    Description: p.Description,
    ParameterConstraints: p.AllowedValues ? { AllowedValues: p.AllowedValues.map(String) } : {},
  }));
}

function fromInput(ctx: RequestContext, input: { StackName?: string; TemplateBody?: string; TemplateURL?: string }): CheckedTemplate {
  const given = [input.StackName, input.TemplateBody, input.TemplateURL].filter((v) => v !== undefined).length;
  if (given !== 1) throw errors.validation('Exactly one of StackName, TemplateBody or TemplateURL must be specified.');
  if (input.StackName) return checkedTemplate(requireStack(ctx, input.StackName).templateBody);
  return checkedTemplate(templateBody(ctx, input));
}

export const templateHandlers = {
  GetTemplate(input: { StackName?: string; ChangeSetName?: string; TemplateStage?: string }, ctx: RequestContext) {
    if (!input.StackName && !input.ChangeSetName) throw errors.validation('StackName or ChangeSetName must be specified.');
    if (input.ChangeSetName) {
      const cs = ctx.env.store
        .list<ChangeSetRecord>(CHANGE_SETS, ctx)
        .find((c) => c.ChangeSetId === input.ChangeSetName || (c.ChangeSetName === input.ChangeSetName && input.StackName && (c.StackName === input.StackName || c.StackId === input.StackName)));
      if (!cs) throw errors.validation(`ChangeSet [${input.ChangeSetName}] does not exist`);
      return { TemplateBody: cs.templateBody, StagesAvailable: ['Original', 'Processed'] };
    }
    return { TemplateBody: requireStack(ctx, input.StackName!).templateBody, StagesAvailable: ['Original', 'Processed'] };
  },

  GetTemplateSummary(input: { StackName?: string; TemplateBody?: string; TemplateURL?: string }, ctx: RequestContext) {
    const { template: t, facts } = fromInput(ctx, input);
    return {
      Parameters: summaryParameters(t),
      Description: t.Description,
      Capabilities: facts.capabilities,
      CapabilitiesReason: facts.capabilitiesReason,
      ResourceTypes: facts.resourceTypes,
      Version: t.AWSTemplateFormatVersion,
      Metadata: t.Metadata === undefined ? undefined : JSON.stringify(t.Metadata),
      DeclaredTransforms: transformsOf(t),
      ResourceIdentifierSummaries: [],
    };
  },

  ValidateTemplate(input: { TemplateBody?: string; TemplateURL?: string }, ctx: RequestContext) {
    const { template: t, facts } = checkedTemplate(templateBody(ctx, input));
    return {
      Parameters: Object.entries(t.Parameters).map(([k, p]) => ({ ParameterKey: k, DefaultValue: defaultOf(p.Default), NoEcho: isNoEcho(p), Description: p.Description })),
      Description: t.Description,
      Capabilities: facts.capabilities,
      CapabilitiesReason: facts.capabilitiesReason,
      DeclaredTransforms: transformsOf(t),
    };
  },
};
