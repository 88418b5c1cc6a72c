/**
 * A drill's setup, done as a user would do it with the AWS CLI: a key pair, a CloudFormation
 * stack created (or updated, when a later step names it again) and waited for, an image made
 * from a stack's running instance and waited for, or cloud time let pass. Each step's results
 * (outputs, physical ids, the zones of the stack's instance and database, the image and its snapshot) are what
 * later `${STEP....}` references read.
 */
import { AwsError } from '../core/errors.ts';
import { callAws } from './aws-call.ts';
import type { SetupStep } from './file.ts';
import type { Pace } from './pace.ts';
import { resolveRefs, type SetupValues } from './refs.ts';

/** Cloud seconds a stack or an image may take before the drill gives up. */
const SETUP_LIMIT_SECONDS = 3600;

export interface SetupContext {
  endpoint: string;
  region: string;
  pace: Pace;
  /** Template bodies by the step's `template` path, read when the drill was accepted. */
  templates: Map<string, string>;
  /** A suffix that makes names the drill invents unique. */
  unique: string;
  note(message: string, resource?: string): void;
}

type Step<K extends string> = Extract<SetupStep, Record<K, unknown>>;

export async function runSetup(steps: readonly SetupStep[], ctx: SetupContext): Promise<SetupValues> {
  const values: SetupValues = {};
  const call = (service: string, operation: string, parameters: Record<string, unknown> = {}) => callAws(ctx.endpoint, ctx.region, { service, operation, parameters });
  for (const written of steps) {
    // A step reads what earlier steps made (the image id a stack update launches from).
    const step = resolveRefs(written, values);
    if ('wait' in step) {
      ctx.note(`letting ${step.wait.seconds} s of cloud time pass`);
      let left = step.wait.seconds;
      while (left > 0) {
        const s = Math.min(left, ctx.pace.stepSeconds);
        await ctx.pace.step(s);
        left -= s;
      }
    } else if ('keyPair' in step) {
      values[step.keyPair.name] = await keyPair(step, call, ctx);
    } else if ('stack' in step) {
      values[step.stack.name] = await stack(step, call, ctx);
    } else {
      values[step.image.name] = await image(step, values, call, ctx);
    }
  }
  return values;
}

type Call = (service: string, operation: string, parameters?: Record<string, unknown>) => Promise<Record<string, any>>;

async function keyPair(step: Step<'keyPair'>, call: Call, ctx: SetupContext) {
  const name = step.keyPair.name;
  try {
    await call('ec2', 'CreateKeyPair', { KeyName: name });
    ctx.note(`key pair ${name} created`, name);
  } catch (e) {
    if (!(e instanceof AwsError && e.code === 'InvalidKeyPair.Duplicate')) throw e;
    ctx.note(`key pair ${name} is there already`, name);
  }
  return { keyName: name };
}

async function stack(step: Step<'stack'>, call: Call, ctx: SetupContext) {
  const { name, template, parameters, capabilities } = step.stack;
  const input = {
    StackName: name,
    TemplateBody: ctx.templates.get(template)!,
    Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    ...(capabilities.length ? { Capabilities: capabilities } : {}),
  };
  const existing = await call('cloudformation', 'DescribeStacks', { StackName: name }).catch((e) => {
    if (e instanceof AwsError && e.code === 'ValidationError') return undefined;
    throw e;
  });
  if (existing?.Stacks?.length) {
    try {
      await call('cloudformation', 'UpdateStack', input);
      ctx.note(`updating stack ${name} from ${template}`, name);
    } catch (e) {
      if (!(e instanceof AwsError && /No updates are to be performed/.test(e.message))) throw e;
      ctx.note(`stack ${name} is up to date`, name);
    }
  } else {
    await call('cloudformation', 'CreateStack', input);
    ctx.note(`creating stack ${name} from ${template}`, name);
  }
  let described: Record<string, any> = {};
  await ctx.pace.until(
    async () => {
      described = (await call('cloudformation', 'DescribeStacks', { StackName: name })).Stacks[0];
      const status = String(described.StackStatus);
      if (/(ROLLBACK|FAILED)/.test(status)) throw new Error(`stack ${name} ended ${status}: ${await firstFailure(call, name)}`);
      return /_COMPLETE$/.test(status);
    },
    SETUP_LIMIT_SECONDS,
    `stack ${name} did not complete`,
  );
  const resources = (await call('cloudformation', 'DescribeStackResources', { StackName: name })).StackResources as { LogicalResourceId: string; PhysicalResourceId?: string; ResourceType: string }[];
  ctx.note(`stack ${name} ${described.StackStatus}`, name);
  const types = Object.fromEntries(resources.map((r) => [r.LogicalResourceId, r.ResourceType]));
  const physical = Object.fromEntries(resources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId ?? '']));
  // The zone the stack's (first) instance runs in, for a drill that fails that zone.
  const [first] = await stackInstances({ resources: physical, resourceTypes: types }, call);
  const zone = first ? (await call('ec2', 'DescribeInstances', { InstanceIds: [first] })).Reservations[0].Instances[0].Placement.AvailabilityZone : undefined;
  // The zone of the primary of the stack's (first) DB instance, for a drill that fails the database's zone.
  const database = resources.find((r) => r.ResourceType === 'AWS::RDS::DBInstance')?.PhysicalResourceId;
  const databaseZone = database ? (await call('rds', 'DescribeDBInstances', { DBInstanceIdentifier: database })).DBInstances[0].AvailabilityZone : undefined;
  return {
    stackId: described.StackId,
    ...(zone ? { zone } : {}),
    ...(databaseZone ? { databaseZone } : {}),
    outputs: Object.fromEntries(((described.Outputs ?? []) as { OutputKey: string; OutputValue: string }[]).map((o) => [o.OutputKey, o.OutputValue])),
    resources: physical,
    resourceTypes: types,
  };
}

/** What made a stack fail, as describe-stack-events tells it (the oldest failure is the cause). */
async function firstFailure(call: Call, stack: string): Promise<string> {
  const events = (await call('cloudformation', 'DescribeStackEvents', { StackName: stack })).StackEvents as { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string }[];
  const failed = events.filter((e) => e.ResourceStatus.endsWith('_FAILED')).pop();
  return failed ? `${failed.LogicalResourceId} ${failed.ResourceStatus}: ${failed.ResourceStatusReason ?? ''}` : 'see describe-stack-events';
}

/** The running instances a stack made: its instances, and the in-service members of its groups. */
async function stackInstances(stackValues: Record<string, unknown>, call: Call): Promise<string[]> {
  const resources = stackValues.resources as Record<string, string>;
  const types = stackValues.resourceTypes as Record<string, string>;
  const ids: string[] = [];
  for (const [logical, type] of Object.entries(types)) {
    if (type === 'AWS::EC2::Instance') ids.push(resources[logical]);
    if (type === 'AWS::AutoScaling::AutoScalingGroup') {
      const g = (await call('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [resources[logical]] })).AutoScalingGroups[0];
      for (const m of g?.Instances ?? []) if (m.LifecycleState === 'InService') ids.push(m.InstanceId);
    }
  }
  return ids;
}

async function image(step: Step<'image'>, values: SetupValues, call: Call, ctx: SetupContext) {
  const { name, stack } = step.image;
  const [instanceId] = await stackInstances(values[stack], call);
  if (!instanceId) throw new Error(`image ${name}: stack ${stack} has no running instance to image`);
  const { ImageId } = await call('ec2', 'CreateImage', { InstanceId: instanceId, Name: `${name}-${ctx.unique}` });
  ctx.note(`creating image ${ImageId} of ${instanceId}`, ImageId);
  let img: Record<string, any> = {};
  await ctx.pace.until(
    async () => {
      img = (await call('ec2', 'DescribeImages', { ImageIds: [ImageId] })).Images[0];
      if (img.State === 'failed' || img.State === 'error') throw new Error(`image ${ImageId} ${img.State}`);
      return img.State === 'available';
    },
    SETUP_LIMIT_SECONDS,
    `image ${ImageId} did not become available`,
  );
  ctx.note(`image ${ImageId} available`, ImageId);
  return { imageId: ImageId, instanceId, snapshotId: img.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId ?? '' };
}
