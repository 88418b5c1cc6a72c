/**
 * AWS::CloudFormation::Stack: a nested stack. The child is a real stack, named
 * `<parent>-<logicalId>-<RANDOM>`, with ParentId and RootId, whose template is read from
 * faultline's S3 (TemplateURL); the stack loop runs it as any other stack. The parent's resource
 * waits for the child's status, which wakes it as it changes (engine.ts); a child that fails
 * fails the resource with AWS's "Embedded stack ..." texts, and so the parent, whose rollback
 * rolls the child back (an update) or deletes it (a create).
 */
import { errors } from '../../core/errors.ts';
import type { GivenParameter } from '../../cloudformation/parameters.ts';
import { DONE, wait, type Props, type ResourceContext, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { attribute, num, strings, tagsOf } from '../../cloudformation/handler-kit.ts';
import { stackEventPage } from '../../cloudformation/events.ts';
import { STACKS, type StackRecord } from '../../cloudformation/state.ts';
import { cachedTemplate } from '../../cloudformation/template.ts';
import { sameValue } from '../../cloudformation/update-behaviour.ts';
import { requireCapabilities } from '../../cloudformation/validate.ts';
import { checkedParameters, checkedTemplate, putStack, readTemplateUrl, type CheckedTemplate } from './lookup.ts';
import { engineDeps } from './registry.ts';
import { beginDelete, newStack, sameParameters, startCreate, startUpdate } from './stacks.provider.ts';

const TYPE = 'AWS::CloudFormation::Stack';
/** A backstop: the child's status changes wake the parent at once. */
const POLL_MS = 60_000;

const mutableStack = (rc: ResourceContext, id: string) => rc.env.store.mutable<StackRecord>(STACKS, rc.request, id);

function childTemplate(rc: ResourceContext, props: Props): CheckedTemplate {
  if (typeof props.TemplateURL !== 'string' || !props.TemplateURL) throw errors.validation('TemplateURL must be an Amazon S3 URL.');
  return checkedTemplate(readTemplateUrl(rc.request, props.TemplateURL, 'TemplateURL must be an Amazon S3 URL.'));
}

/** The Parameters property, a map of names to strings (or numbers and booleans), as the API's list. */
function givenParameters(props: Props): GivenParameter[] {
  const p = props.Parameters ?? {};
  const simple = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);
  if (typeof p !== 'object' || Array.isArray(p) || !Object.values(p).every(simple)) {
    throw errors.validation('Value of property Parameters must be an object with String (or simple type) properties');
  }
  return Object.entries(p).map(([k, v]) => ({ ParameterKey: k, ParameterValue: String(v) }));
}

/** The stack's tags pass on to the child; the resource's own Tags add to them. */
function childTags(parent: StackRecord, props: Props): StackRecord['Tags'] {
  const own = tagsOf(props.Tags);
  return [...parent.Tags.filter((t) => !own.some((o) => o.Key === t.Key)), ...own];
}

/** The statuses in which a stack's operation fails. */
const FAILING = ['CREATE_FAILED', 'ROLLBACK_IN_PROGRESS', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_IN_PROGRESS', 'DELETE_FAILED'];

/**
 * The status in which a child's operation failed, and why (without the "Rollback requested by
 * user." that the status adds): a child's rollback may have run to its end by the time its
 * parent looks, and AWS's parent reports the failure as it saw it.
 */
function childFailure(rc: ResourceContext, child: StackRecord): { status: string; reason: string } {
  const ev = stackEventPage(rc.env, rc.request, child.StackId).events.find((e) => e.PhysicalResourceId === child.StackId && FAILING.includes(e.ResourceStatus));
  const [status, reason] = ev ? [ev.ResourceStatus, ev.ResourceStatusReason] : [child.StackStatus, child.StackStatusReason];
  return { status, reason: (reason ?? '').replace(/ (Rollback|Delete) requested by user\.$/, '').trimEnd() };
}

function parentOf(rc: ResourceContext): StackRecord {
  const parent = mutableStack(rc, rc.stackId);
  if (!parent) throw new Error(`nested stack resource ${rc.logicalId} without its stack ${rc.stackId}`);
  return parent;
}

export const nestedStackResources: ResourceHandler[] = [
  {
    type: TYPE,
    create(props, rc) {
      const parent = parentOf(rc);
      const checked = childTemplate(rc, props);
      requireCapabilities(checked.facts, parent.Capabilities);
      const child = newStack(rc.request, rc.physicalName({ maxLength: 128 }), {
        templateBody: checked.body,
        parameters: [],
        ParentId: parent.StackId,
        RootId: parent.RootId ?? parent.StackId,
        // A tree rolls back as a unit: a child keeps what failed only when its root does.
        DisableRollback: parent.DisableRollback || parent.OnFailure === 'DO_NOTHING',
        TimeoutInMinutes: num(props.TimeoutInMinutes),
        Capabilities: parent.Capabilities,
        NotificationARNs: props.NotificationARNs === undefined ? parent.NotificationARNs : strings(props.NotificationARNs),
        Tags: childTags(parent, props),
        RoleARN: parent.RoleARN,
        EnableTerminationProtection: parent.EnableTerminationProtection,
      });
      child.parameters = checkedParameters(rc.request, engineDeps, checked.template, givenParameters(props), child);
      startCreate(rc.request, child);
      return { physicalId: child.StackId };
    },

    stabilize(state, rc) {
      const child = mutableStack(rc, state.physicalId);
      if (!child) throw errors.validation(`Stack with id ${state.physicalId} does not exist`);
      const status = child.StackStatus;
      if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE') return DONE;
      if (rc.rollingBack) {
        if (status === 'UPDATE_ROLLBACK_COMPLETE') return DONE;
        if (status.endsWith('_IN_PROGRESS')) return wait(POLL_MS);
      } else if (['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'].includes(status)) return wait(POLL_MS);
      const failure = childFailure(rc, child);
      if (status.startsWith('UPDATE_')) {
        throw errors.validation(`Embedded stack ${child.StackId} was not successfully updated. Currently in ${failure.status} with reason: ${failure.reason}`);
      }
      throw errors.validation(`Embedded stack ${child.StackId} was not successfully created: ${failure.reason}`);
    },

    update(props, old, _changed, rc) {
      const parent = parentOf(rc);
      const child = mutableStack(rc, old.physicalId);
      if (!child || child.StackStatus === 'DELETE_COMPLETE') throw errors.validation(`Stack with id ${old.physicalId} does not exist`);
      const checked = childTemplate(rc, props);
      requireCapabilities(checked.facts, parent.Capabilities);
      const parameters = checkedParameters(rc.request, engineDeps, checked.template, givenParameters(props), child);
      child.TimeoutInMinutes = num(props.TimeoutInMinutes);
      child.NotificationARNs = props.NotificationARNs === undefined ? parent.NotificationARNs : strings(props.NotificationARNs);
      child.Tags = childTags(parent, props);
      // A child that failed its own update has already rolled back to what the parent's rollback asks.
      if (sameValue(cachedTemplate(child.templateBody), checked.template) && sameParameters(child.parameters, parameters)) {
        putStack(rc.request, child);
        return;
      }
      if (child.op) throw errors.validation(`Stack:${child.StackId} is in ${child.StackStatus} state and can not be updated.`);
      startUpdate(rc.request, child, checked.body, parameters, rc.rollingBack);
    },

    delete(state, rc) {
      const child = mutableStack(rc, state.physicalId);
      if (!child || child.StackStatus === 'DELETE_COMPLETE') return DONE;
      if (child.op?.kind === 'DELETE') return wait(POLL_MS);
      if (state.data.deleting && child.StackStatus === 'DELETE_FAILED') {
        throw errors.validation(`Embedded stack ${child.StackId} was not successfully deleted: ${childFailure(rc, child).reason}`);
      }
      // A rollback of its own runs to its end first; a create is cancelled.
      if (child.op && child.op.kind !== 'CREATE') return wait(POLL_MS);
      beginDelete(rc.request, child);
      return wait(POLL_MS, { deleting: true });
    },

    getAtt(state, name, rc) {
      const child = mutableStack(rc, state.physicalId);
      if (!child) return undefined;
      const output = /^Outputs\.(.+)$/.exec(name);
      if (output) return child.outputs.find((o) => o.OutputKey === output[1])?.OutputValue;
      return attribute<StackRecord>(
        {
          StackId: (s) => s.StackId,
          StackStatus: (s) => s.StackStatus,
          ParentId: (s) => s.ParentId,
          RootId: (s) => s.RootId,
          CreationTime: (s) => new Date(s.CreationTime).toISOString(),
          LastUpdateTime: (s) => (s.LastUpdatedTime === undefined ? undefined : new Date(s.LastUpdatedTime).toISOString()),
        },
        name,
        child,
      );
    },
  },
];
