/**
 * Spot Instance requests: the record (in DescribeSpotInstanceRequests' shape, plus internal
 * fields), its states and AWS's request status codes, and the loop that moves a request on
 * (spot.loop.ts). Every spot instance has one: RequestSpotInstances makes open ones, and
 * RunInstances with `InstanceMarketOptions` makes a one-time (or persistent) request that is
 * fulfilled at once.
 *
 * States and codes as AWS's "State changes for a Spot request" lists them: `open` with
 * pending-evaluation, not-scheduled-yet, price-too-low or capacity-not-available; `active` with
 * fulfilled, marked-for-termination or marked-for-stop; `disabled` while a persistent request's
 * instance is stopped (instance-stopped-*); `closed` when a one-time request's instance is gone
 * (instance-terminated-*); `cancelled` (canceled-before-fulfillment,
 * request-canceled-and-instance-running, schedule-expired); `failed` (bad-parameters).
 * AWS documents the codes but not every message: the messages below are faultline's wording
 * where AWS's is not published.
 */
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import type { Tag } from './filters.ts';
import { iso, loopKey } from './scoped.ts';
import type { IsoTime } from './state.ts';

export const SPOT_REQUESTS = 'ec2.spotInstanceRequests';
export const SPOT_LOOP = 'ec2.spot-request';

export type SpotState = 'open' | 'active' | 'closed' | 'cancelled' | 'failed' | 'disabled';
export type InterruptionBehavior = 'terminate' | 'stop' | 'hibernate';
/** Who interrupts: EC2 reclaiming capacity, the spot price rising above the maximum, or an FIS experiment. */
export type InterruptedBy = 'no-capacity' | 'by-price' | 'by-experiment';

/** An interruption under way: when each of its steps is due (clock ms) and which have happened. */
export interface Interruption {
  instanceId: string;
  recommendedAt: number;
  noticeAt: number;
  at: number;
  by: InterruptedBy;
  recommended?: boolean;
  noticed?: boolean;
  done?: boolean;
}

export interface SpotRequestRecord {
  SpotInstanceRequestId: string;
  SpotPrice: string;
  Type: 'one-time' | 'persistent';
  State: SpotState;
  Status: { Code: string; Message: string; UpdateTime: IsoTime };
  LaunchSpecification: Record<string, unknown>;
  InstanceId?: string;
  LaunchedAvailabilityZone?: string;
  LaunchedAvailabilityZoneId?: string;
  CreateTime: IsoTime;
  ValidFrom?: IsoTime;
  ValidUntil: IsoTime;
  InstanceInterruptionBehavior: InterruptionBehavior;
  ProductDescription: 'Linux/UNIX';
  LaunchGroup?: string;
  AvailabilityZoneGroup?: string;
  Tags: Tag[];

  // Internal fields: never on the wire.
  /** The RunInstances input each launch of the request makes (one instance). */
  runInput: Record<string, unknown>;
  /** Clock ms of the request's next evaluation while it is open. */
  evaluateAt?: number;
  interruption?: Interruption;
}

const MESSAGES: Record<string, string> = {
  'pending-evaluation': 'Your Spot request has been submitted for review, and is pending evaluation.',
  'not-scheduled-yet': 'Your Spot request will not be evaluated until the scheduled date.',
  'capacity-not-available': 'There is no capacity available for the instance type that you requested.',
  fulfilled: 'Your spot request is fulfilled.',
  'marked-for-termination': 'Your Spot Instance is marked for termination.',
  'marked-for-stop': 'Your Spot Instance is marked to be stopped.',
  'instance-terminated-by-user': 'Spot Instance terminated due to user-initiated termination.',
  'instance-terminated-no-capacity': 'Your Spot Instance was terminated because there is no Spot capacity available for the instance type.',
  'instance-terminated-by-price': 'Your Spot Instance was terminated because the Spot price rose above your maximum price.',
  'instance-terminated-by-experiment': 'Your Spot Instance was terminated by an AWS FIS experiment.',
  'instance-stopped-by-user': 'Your Spot Instance was stopped by you.',
  'instance-stopped-no-capacity': 'Your Spot Instance was stopped because there is no Spot capacity available for the instance type.',
  'instance-stopped-by-price': 'Your Spot Instance was stopped because the Spot price rose above your maximum price.',
  'instance-stopped-by-experiment': 'Your Spot Instance was stopped by an AWS FIS experiment.',
  'canceled-before-fulfillment': 'Your Spot request was canceled before it was fulfilled.',
  'request-canceled-and-instance-running': 'Your Spot request is canceled, but your Spot Instance is still running.',
  'schedule-expired': 'Your Spot request expired before it was fulfilled.',
};

/** Moves a request to a state and status code (the message is AWS's for the code unless given); the caller puts it. */
export function setStatus(env: Env, req: SpotRequestRecord, state: SpotState, code: string, message?: string): void {
  if (req.State === state && req.Status.Code === code) return;
  req.State = state;
  req.Status = { Code: code, Message: message ?? MESSAGES[code] ?? code, UpdateTime: iso(env.clock.now()) };
}

export const getSpotRequest = (env: Env, scope: Scope, id: string) => env.store.mutable<SpotRequestRecord>(SPOT_REQUESTS, scope, id);
export const putSpotRequest = (env: Env, scope: Scope, req: SpotRequestRecord) => env.store.put(SPOT_REQUESTS, scope, req.SpotInstanceRequestId, req);

/** Queues the request's loop at `at` (now by default). */
export const queueSpotRequest = (env: Env, scope: Scope, id: string, at = env.clock.now()) => env.scheduler.enqueue(SPOT_LOOP, loopKey(scope, id), at);
