/** What the control API answers, as the console reads it (GET /_faultline/world, /overview, /clock, /drills). */

import type { Resident } from '../world/view.ts';

export type { Resident };

export interface Host {
  hostId: string;
  zone: string;
  capacity: number;
  power: 'on' | 'off';
  network: 'up' | 'down';
  residents: Resident[];
}

export interface Zone {
  zone: string;
  power: 'on' | 'off';
  network: 'up' | 'down';
  hosts: Host[];
}

export interface Fault {
  faultId: string;
  kind: string;
  target: string;
  region?: string;
  effect?: string;
}

export interface World {
  clock: string;
  regions: { region: string; zones: Zone[] }[];
  faults: Fault[];
}

export interface Clock {
  mode: 'real' | 'scaled' | 'manual';
  scale: number;
  paused: boolean;
  now: string;
}

interface Scoped {
  account: string;
  region: string;
}

export interface Alarm extends Scoped {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  since: string;
  metric: string;
  dimensions: string;
}

export interface Group extends Scoped {
  name: string;
  min: number;
  max: number;
  desired: number;
  inService: number;
  instances: number;
  zones: string[];
  status?: string;
  activities: { status: string; description: string; start: string; end?: string }[];
}

export interface Stack extends Scoped {
  name: string;
  status: string;
  reason?: string;
  updated: string;
}

export interface LoadBalancer extends Scoped {
  name: string;
  kind: string;
  scheme: string;
  dnsName: string;
  zones: string[];
  targetGroups: { name: string; targets: { id: string; port: number; zone?: string; state: string; reason?: string }[] }[];
}

export interface DbInstance extends Scoped {
  id: string;
  engine: string;
  instanceClass: string;
  status: string;
  multiAZ: boolean;
  zone?: string;
  secondaryZone?: string;
}

export interface Overview {
  clock: string;
  lastSeq: number;
  alarms: Alarm[];
  groups: Group[];
  stacks: Stack[];
  loadBalancers: LoadBalancer[];
  dbInstances: DbInstance[];
  impaired: string[];
}

export type View = 'alarms' | 'groups' | 'stacks' | 'loadBalancers' | 'dbInstances' | 'impaired';

export interface DrillSummary {
  drillId: string;
  name: string;
  status: 'running' | 'met' | 'breached' | 'error' | 'stopped';
  started: string;
}

export interface Instant {
  cloud: string;
  real: string;
}

export interface TimelineEntry {
  at: Instant;
  phase: string;
  source: string;
  message: string;
  resource?: string;
}

export interface Measure {
  seconds?: number;
  method: string;
}

export interface Drill extends Omit<DrillSummary, 'started'> {
  timeline: TimelineEntry[];
  error?: string;
  result?: {
    status: 'met' | 'breached' | 'error';
    error?: string;
    disruption: string;
    target?: { rtoInSecs: number; rpoInSecs: number };
    compliance: string;
    survived: boolean;
    rto: Measure;
    rpo: Measure;
    probes: { name: string; target: string; samples: { ok: boolean }[] }[];
  };
}
