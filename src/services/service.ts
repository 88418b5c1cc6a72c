/**
 * What a service is to the rest of faultline: a model, the protocols it speaks, a plain map of
 * operation handlers, and its reconcile loops. Services are listed explicitly in services/index.ts.
 */
import type { Clock } from '../core/clock.ts';
import type { EventLog } from '../core/events.ts';
import type { Reconciler, Scheduler } from '../core/scheduler.ts';
import type { Scope, Store } from '../core/store.ts';
import type { ServiceModel } from '../protocols/model.ts';
import type { Protocol } from '../protocols/protocol.ts';
import type { Config } from '../config.ts';
import type { MachineCapacity } from '../runtime/driver.ts';
import type { HealthObservation, TrafficCounters } from './elb/state.ts';
import type { ProbeResult } from './route53/health-check.probe.ts';

/** What every handler and loop can reach. */
export interface Env {
  store: Store;
  clock: Clock;
  scheduler: Scheduler;
  events: EventLog;
  config: Config;
  /** The URL this faultline answers on once it listens, for URLs it hands out (CloudFormation's wait condition handles). */
  endpoint?: string;
  /** Where the host's DNS server answers (`127.0.0.1:PORT`), when it runs. */
  dnsAddress?: string;
  /** Where instances reach faultline's API when they are real processes (the sandbox driver's address inside every VPC). */
  instanceEndpoint?: string;
  /** The compute driver's view of real instances (src/runtime/); absent or empty under the simulated driver. */
  runtime?: {
    consoleOutput(scope: Scope, instanceId: string): string | undefined;
    capacity(): MachineCapacity | undefined;
    /**
     * The latest real health check of a load balancer target (services/elb/state.ts), made by
     * the driver from the load balancer's node. Absent under the simulated driver, which runs
     * no data plane: the health loop reads the world instead. Under the sandbox driver,
     * undefined means not checked yet (or the check had no answer, as while a VPC's agent is
     * restarting): the loop counts nothing.
     */
    lbHealth?(scope: Scope, targetKey: string): HealthObservation | undefined;
    /** A load balancer's traffic so far (cumulative), for its CloudWatch metrics; sandbox driver only. */
    lbTraffic?(scope: Scope, lbKey: string): TrafficCounters | undefined;
    /**
     * The latest real request of a Route 53 health check (route53/health-check.probe.ts), made by
     * the driver from the host to the check's public address; undefined when none has been made yet.
     * Absent when the driver makes none (simulated): the health check loop reads the world instead.
     */
    route53Health?(account: string, healthCheckId: string): ProbeResult | undefined;
  };
}

export interface Principal {
  account: string;
  arn: string;
  userId: string;
  accessKeyId: string;
  /** Set for a request that carries no credentials at all; S3 serves it only what is public. */
  anonymous?: boolean;
}

export interface RequestContext extends Scope {
  requestId: string;
  principal: Principal;
  env: Env;
}

// Inputs are validated against the model by the protocol layer before a handler sees them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (input: any, ctx: RequestContext) => unknown;

export interface Service {
  /** The name in the SigV4 credential scope, e.g. `ec2`, `monitoring`. */
  signingName: string;
  model: ServiceModel;
  /** The protocols it speaks; the first is the default for errors before one is chosen. */
  protocols: Protocol[];
  /** IAM, STS and S3 keep one set of records per account rather than per region. */
  global?: boolean;
  handlers: Record<string, Handler>;
  loops?: (env: Env) => Record<string, Reconciler>;
}
