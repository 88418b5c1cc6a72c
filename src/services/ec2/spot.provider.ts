/**
 * Spot: RequestSpotInstances, DescribeSpotInstanceRequests, CancelSpotInstanceRequests and
 * DescribeSpotPriceHistory (spot-prices.ts), and what RunInstances asks of spot launches.
 *
 * RequestSpotInstances checks the launch specification as RunInstances would (the same checks,
 * run without launching) and records one open request per instance; the request loop
 * (spot.loop.ts) evaluates and fulfils it. RunInstances with `InstanceMarketOptions` launches at
 * once and records a request that is already fulfilled, whose id the instance carries in
 * SpotInstanceRequestId.
 */
import { AwsError } from '../../core/errors.ts';
import { iamId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, paginate, selectIds, type Filter, type Tag } from './filters.ts';
import { instanceHandlers } from './instances.provider.ts';
import { checkTagTypes, idsNotFound, iso } from './scoped.ts';
import { checkMaxPrice, maxPriceTooLow, onDemandPrice, spotPriceHandlers, spotPriceIn } from './spot-prices.ts';
import { putSpotRequest, queueSpotRequest, setStatus, SPOT_REQUESTS, type InterruptionBehavior, type SpotRequestRecord } from './spot-requests.ts';
import type { InstanceRecord } from './state.ts';
import { tagsFor } from './tags.ts';

/** How long EC2 takes to evaluate a new request before fulfilling it (clock ms). */
export const EVALUATION_MS = 5_000;
/**
 * The Spot Instance requests a region holds at once (open, active or disabled). AWS limits an
 * account's Spot Instances (MaxSpotInstanceCountExceeded); faultline's bound keeps one request
 * for a huge InstanceCount from flooding the store and the request loop.
 */
export const MAX_SPOT_REQUESTS = 1000;
/** A request's default lifetime: seven days, as on AWS. */
const DEFAULT_VALIDITY_MS = 7 * 86_400_000;

const requestNotFound = idsNotFound('InvalidSpotInstanceRequestID', 'spot instance request');
const newRequestId = () => iamId('sir-', 12, 'abcdefghijklmnopqrstuvwxyz0123456789');

type SpotOptions = { MaxPrice?: string; SpotInstanceType?: string; InstanceInterruptionBehavior?: string; ValidUntil?: string | Date; BlockDurationMinutes?: number };

function checkTypeAndBehavior(type: string, behavior: string): asserts behavior is InterruptionBehavior {
  if (type !== 'one-time' && type !== 'persistent') throw new AwsError('InvalidParameterValue', `Value (${type}) for parameter type is invalid. Valid values are one-time, persistent.`);
  if (!['terminate', 'stop', 'hibernate'].includes(behavior)) {
    throw new AwsError('InvalidParameterValue', `Value (${behavior}) for parameter instanceInterruptionBehavior is invalid. Valid values are hibernate, stop, terminate.`);
  }
  if (behavior !== 'terminate' && type !== 'persistent') {
    throw new AwsError('InvalidParameterCombination', `The instance interruption behavior '${behavior}' is supported only for persistent Spot Instance requests.`);
  }
}

/** The launch specification as DescribeSpotInstanceRequests shows it, from the instance launched. */
const launchSpecificationOf = (inst: InstanceRecord) => ({
  ImageId: inst.ImageId,
  InstanceType: inst.InstanceType,
  ...(inst.KeyName ? { KeyName: inst.KeyName } : {}),
  SecurityGroups: inst.SecurityGroups,
  SubnetId: inst.SubnetId,
  Placement: { AvailabilityZone: inst.Placement.AvailabilityZone, Tenancy: inst.Placement.Tenancy },
  Monitoring: { Enabled: inst.Monitoring.State === 'enabled' },
  ...(inst.IamInstanceProfile ? { IamInstanceProfile: { Arn: inst.IamInstanceProfile.Arn } } : {}),
  EbsOptimized: inst.EbsOptimized,
});

/** What RunInstances does for a spot launch: writes the instance's request when the instance is written. */
export interface SpotLaunch {
  attach(ctx: RequestContext, inst: InstanceRecord): void;
}

/**
 * Checks a launch's `InstanceMarketOptions` (undefined for an on-demand launch). `spotRequestId`
 * is the request loop's own launch for an existing request, which only marks the instance.
 */
export function spotLaunch(
  ctx: RequestContext,
  input: { InstanceMarketOptions?: { MarketType?: string; SpotOptions?: SpotOptions }; spotRequestId?: string; TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[] },
  typeName: string,
  zone: string,
): SpotLaunch | undefined {
  const fulfils = input.spotRequestId;
  if (fulfils) return { attach: (_ctx, inst) => Object.assign(inst, { InstanceLifecycle: 'spot', SpotInstanceRequestId: fulfils }) };
  const market = input.InstanceMarketOptions;
  if (market?.MarketType === undefined) return undefined;
  if (market.MarketType !== 'spot') throw new AwsError('UnsupportedOperation', `faultline launches on-demand and spot instances; the market type '${market.MarketType}' is not supported.`);
  const o = market.SpotOptions ?? {};
  const type = o.SpotInstanceType ?? 'one-time';
  const behavior = o.InstanceInterruptionBehavior ?? 'terminate';
  checkTypeAndBehavior(type, behavior);
  const price = spotPriceIn(ctx, typeName, zone);
  if (o.MaxPrice !== undefined && checkMaxPrice(o.MaxPrice) < Number(price)) throw maxPriceTooLow(o.MaxPrice, price);
  const now = ctx.env.clock.now();
  const validUntil = o.ValidUntil !== undefined ? new Date(o.ValidUntil).getTime() : now + DEFAULT_VALIDITY_MS;
  if (!(validUntil > now)) throw new AwsError('InvalidParameterValue', 'The ValidUntil date and time must be in the future.');
  const tags = tagsFor(input.TagSpecifications, 'spot-instances-request');
  // A relaunch (a persistent request's instance terminated by the user) runs the same launch again, as one instance.
  const { InstanceMarketOptions: _m, MinCount: _min, MaxCount: _max, ClientToken: _t, DryRun: _d, LaunchTemplate: _lt, ...runInput } = input as Record<string, unknown>;
  return {
    attach(ctx, inst) {
      const req: SpotRequestRecord = {
        SpotInstanceRequestId: newRequestId(),
        SpotPrice: o.MaxPrice ?? onDemandPrice(typeName),
        Type: type as SpotRequestRecord['Type'],
        State: 'active',
        Status: { Code: '', Message: '', UpdateTime: iso(now) },
        LaunchSpecification: launchSpecificationOf(inst),
        InstanceId: inst.InstanceId,
        LaunchedAvailabilityZone: inst.Placement.AvailabilityZone,
        LaunchedAvailabilityZoneId: inst.Placement.AvailabilityZoneId,
        CreateTime: iso(now),
        ValidUntil: iso(validUntil),
        InstanceInterruptionBehavior: behavior,
        ProductDescription: 'Linux/UNIX',
        Tags: tags,
        runInput,
      };
      setStatus(ctx.env, req, 'active', 'fulfilled');
      putSpotRequest(ctx.env, ctx, req);
      inst.InstanceLifecycle = 'spot';
      inst.SpotInstanceRequestId = req.SpotInstanceRequestId;
    },
  };
}

/** A one-time request's instance cannot be stopped, as on AWS; a persistent request's can. */
export function checkSpotStop(ctx: RequestContext, inst: InstanceRecord): void {
  if (inst.InstanceLifecycle !== 'spot') return;
  const req = inst.SpotInstanceRequestId ? ctx.env.store.get<SpotRequestRecord>(SPOT_REQUESTS, ctx, inst.SpotInstanceRequestId) : undefined;
  if (req?.Type === 'persistent') return;
  throw new AwsError(
    'UnsupportedOperation',
    `You can't stop the Spot Instance '${inst.InstanceId}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.`,
  );
}

interface RequestSpotLaunchSpecification {
  ImageId?: string;
  InstanceType?: string;
  KeyName?: string;
  SecurityGroupIds?: string[];
  SecurityGroups?: string[];
  SubnetId?: string;
  NetworkInterfaces?: Record<string, unknown>[];
  Placement?: { AvailabilityZone?: string; GroupName?: string; Tenancy?: string };
  UserData?: string;
  IamInstanceProfile?: { Arn?: string; Name?: string };
  Monitoring?: { Enabled?: boolean };
  BlockDeviceMappings?: Record<string, unknown>[];
  EbsOptimized?: boolean;
}

/** Runs RunInstances' checks on a launch without launching; a zone out of capacity is no error (the request waits). */
function checkLaunch(ctx: RequestContext, runInput: Record<string, unknown>): void {
  try {
    instanceHandlers.RunInstances({ ...runInput, MinCount: 1, MaxCount: 1, DryRun: true } as Parameters<typeof instanceHandlers.RunInstances>[0], ctx);
  } catch (e) {
    if (e instanceof AwsError && (e.code === 'DryRunOperation' || e.code === 'InsufficientInstanceCapacity')) return;
    throw e;
  }
}

const REQUEST_FILTERS: Parameters<typeof applyFilters<SpotRequestRecord>>[2] = {
  'spot-instance-request-id': (r) => r.SpotInstanceRequestId,
  state: (r) => r.State,
  'status-code': (r) => r.Status.Code,
  'status-message': (r) => r.Status.Message,
  type: (r) => r.Type,
  'instance-id': (r) => r.InstanceId,
  'launched-availability-zone': (r) => r.LaunchedAvailabilityZone,
  'spot-price': (r) => r.SpotPrice,
  'product-description': (r) => r.ProductDescription,
  'create-time': (r) => r.CreateTime,
  'valid-from': (r) => r.ValidFrom,
  'valid-until': (r) => r.ValidUntil,
  'launch-group': (r) => r.LaunchGroup,
  'availability-zone-group': (r) => r.AvailabilityZoneGroup,
  'launch.image-id': (r) => r.LaunchSpecification.ImageId as string,
  'launch.instance-type': (r) => r.LaunchSpecification.InstanceType as string,
  'launch.key-name': (r) => r.LaunchSpecification.KeyName as string | undefined,
};

export const spotHandlers = {
  ...spotPriceHandlers,

  RequestSpotInstances(
    input: {
      InstanceCount?: number;
      Type?: string;
      SpotPrice?: string;
      InstanceInterruptionBehavior?: string;
      ValidFrom?: Date;
      ValidUntil?: Date;
      LaunchGroup?: string;
      AvailabilityZoneGroup?: string;
      LaunchSpecification?: RequestSpotLaunchSpecification;
      TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[];
      ClientToken?: string;
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    const { env } = ctx;
    const count = input.InstanceCount ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new AwsError('InvalidParameterValue', `Value (${count}) for parameter instanceCount is invalid. Expected a positive integer.`);
    const type = input.Type ?? 'one-time';
    const behavior = input.InstanceInterruptionBehavior ?? 'terminate';
    checkTypeAndBehavior(type, behavior);
    checkTagTypes(input.TagSpecifications, ['spot-instances-request']);
    const tags = tagsFor(input.TagSpecifications, 'spot-instances-request');
    const spec = input.LaunchSpecification ?? {};
    const runInput: Record<string, unknown> = {
      ImageId: spec.ImageId,
      InstanceType: spec.InstanceType,
      KeyName: spec.KeyName,
      SecurityGroupIds: spec.SecurityGroupIds,
      SecurityGroups: spec.SecurityGroups,
      SubnetId: spec.SubnetId,
      NetworkInterfaces: spec.NetworkInterfaces,
      Placement: spec.Placement,
      UserData: spec.UserData,
      IamInstanceProfile: spec.IamInstanceProfile,
      Monitoring: spec.Monitoring,
      BlockDeviceMappings: spec.BlockDeviceMappings,
      EbsOptimized: spec.EbsOptimized,
    };
    checkLaunch(ctx, runInput);
    const typeName = spec.InstanceType ?? 'm1.small';
    if (input.SpotPrice !== undefined) checkMaxPrice(input.SpotPrice);
    const now = env.clock.now();
    const validFrom = input.ValidFrom ? new Date(input.ValidFrom).getTime() : undefined;
    const validUntil = input.ValidUntil ? new Date(input.ValidUntil).getTime() : now + DEFAULT_VALIDITY_MS;
    if (!(validUntil > now)) throw new AwsError('InvalidParameterValue', 'The ValidUntil date and time must be in the future.');
    if (validFrom !== undefined && !(validFrom < validUntil)) throw new AwsError('InvalidParameterCombination', 'The ValidFrom date and time must be before the ValidUntil date and time.');
    if (input.ClientToken) {
      const same = env.store.list<SpotRequestRecord>(SPOT_REQUESTS, ctx).filter((r) => r.runInput.clientToken === input.ClientToken);
      if (same.length) return { SpotInstanceRequests: same };
    }
    const launchSpecification = {
      ...spec,
      SecurityGroups: [...(spec.SecurityGroupIds ?? []).map((GroupId) => ({ GroupId })), ...(spec.SecurityGroups ?? []).map((GroupName) => ({ GroupName }))],
      SecurityGroupIds: undefined,
      UserData: undefined,
    };
    const held = env.store.list<SpotRequestRecord>(SPOT_REQUESTS, ctx).filter((r) => r.State === 'open' || r.State === 'active' || r.State === 'disabled').length;
    if (held + count > MAX_SPOT_REQUESTS) {
      throw new AwsError('MaxSpotInstanceCountExceeded', `You've reached the limit on the number of Spot Instances that you can launch: ${MAX_SPOT_REQUESTS} in this region, ${held} of them requested already.`);
    }
    const created: SpotRequestRecord[] = [];
    for (let i = 0; i < count; i++) {
      const req: SpotRequestRecord = {
        SpotInstanceRequestId: newRequestId(),
        SpotPrice: input.SpotPrice ?? onDemandPrice(typeName),
        Type: type as SpotRequestRecord['Type'],
        State: 'open',
        Status: { Code: '', Message: '', UpdateTime: iso(now) },
        LaunchSpecification: launchSpecification,
        CreateTime: iso(now),
        ...(validFrom !== undefined ? { ValidFrom: iso(validFrom) } : {}),
        ValidUntil: iso(validUntil),
        InstanceInterruptionBehavior: behavior,
        ProductDescription: 'Linux/UNIX',
        ...(input.LaunchGroup ? { LaunchGroup: input.LaunchGroup } : {}),
        ...(input.AvailabilityZoneGroup ? { AvailabilityZoneGroup: input.AvailabilityZoneGroup } : {}),
        Tags: tags,
        runInput: { ...runInput, ...(input.ClientToken ? { clientToken: input.ClientToken } : {}) },
        evaluateAt: now + EVALUATION_MS,
      };
      setStatus(env, req, 'open', 'pending-evaluation');
      putSpotRequest(env, ctx, req);
      queueSpotRequest(env, ctx, req.SpotInstanceRequestId, req.evaluateAt);
      created.push(req);
    }
    return { SpotInstanceRequests: created };
  },

  DescribeSpotInstanceRequests(input: { SpotInstanceRequestIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const all = ctx.env.store.list<SpotRequestRecord>(SPOT_REQUESTS, ctx) as SpotRequestRecord[];
    const picked = selectIds(all, input.SpotInstanceRequestIds, (r) => r.SpotInstanceRequestId, requestNotFound);
    if (input.SpotInstanceRequestIds?.length && input.MaxResults !== undefined) {
      throw new AwsError('InvalidParameterCombination', 'The parameter spotInstanceRequestIds cannot be used with the parameter maxResults');
    }
    const sorted = applyFilters(picked, input.Filters, REQUEST_FILTERS).sort((a, b) => a.CreateTime.localeCompare(b.CreateTime) || a.SpotInstanceRequestId.localeCompare(b.SpotInstanceRequestId));
    const { page, NextToken } = paginate(sorted, input.MaxResults, input.NextToken, 5, 1000);
    return { SpotInstanceRequests: page, NextToken };
  },

  CancelSpotInstanceRequests(input: { SpotInstanceRequestIds: string[]; DryRun?: boolean }, ctx: RequestContext) {
    const all = ctx.env.store.list<SpotRequestRecord>(SPOT_REQUESTS, ctx) as SpotRequestRecord[];
    const picked = selectIds(all, input.SpotInstanceRequestIds, (r) => r.SpotInstanceRequestId, requestNotFound).map((r) => structuredClone(r));
    return {
      CancelledSpotInstanceRequests: picked.map((req) => {
        // Cancelling never touches the instance: a running one keeps running.
        if (req.State === 'open') setStatus(ctx.env, req, 'cancelled', 'canceled-before-fulfillment');
        else if (req.State === 'active' || req.State === 'disabled') setStatus(ctx.env, req, 'cancelled', 'request-canceled-and-instance-running');
        putSpotRequest(ctx.env, ctx, req);
        return { SpotInstanceRequestId: req.SpotInstanceRequestId, State: req.State };
      }),
    };
  },
};
