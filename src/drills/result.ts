/**
 * What a drill measured: the contract between the drill runner and every report (terminal,
 * JSON, HTML, JUnit, the chapter's table). The runner fills it; reports only read it.
 * Every instant is given in cloud time (the clock the loops run on) and in real time.
 */

/** Resilience Hub's disruption types; a drill exercises one of them. */
export type DisruptionType = 'Software' | 'Hardware' | 'AZ' | 'Region';

/** Resilience Hub's resiliency policy entry: the drill's targets for one disruption type. */
export interface PolicyTarget {
  rtoInSecs: number;
  rpoInSecs: number;
}

export interface Instant {
  /** Cloud time, ISO 8601. */
  cloud: string;
  /** Real (wall) time, ISO 8601. */
  real: string;
}

/** One line of the timeline, most of them read from the event log. */
export interface TimelineEntry {
  at: Instant;
  /** The phase it belongs to, for drawing and for the breakdown. */
  phase: 'setup' | 'fault' | 'detect' | 'decide' | 'repair' | 'recovered' | 'probe' | 'experiment' | 'info';
  /** Where it came from: an event type such as `ec2.status-check`, or `probe:NAME`, or `drill`. */
  source: string;
  message: string;
  /** The resource it is about (instance id, alarm name, group name...), when there is one. */
  resource?: string;
}

export interface ProbeSample {
  at: Instant;
  ok: boolean;
  /** What was seen: an HTTP status, an error, the JMESPath result, the newest record read... */
  detail?: string;
}

export interface ProbeResult {
  name: string;
  kind: 'http' | 'tcp' | 'aws' | 'data' | 'sql';
  /** What it probes, in words a user recognises: a URL, host:port, an API call. */
  target: string;
  samples: ProbeSample[];
}

/** A measured figure. `seconds` is absent when it could not be measured (never recovered). */
export interface Measure {
  /** Cloud seconds. */
  seconds?: number;
  /** The same span in real seconds. */
  realSeconds?: number;
  /** How it was measured, e.g. "probes passed 3 checks in a row", "data probe: newest surviving
   * record", "storage lineage: same volumes", "storage lineage: volumes from snap-… (started …)". */
  method: string;
}

/** Where the recovery time went, read from the event log, in cloud seconds and in real seconds. */
export interface Breakdown {
  /** Fault → first detection (a status check or health change). */
  detectSeconds?: number;
  detectRealSeconds?: number;
  /** Detection → decision (an alarm in ALARM, an Auto Scaling activity starting). */
  decideSeconds?: number;
  decideRealSeconds?: number;
  /** Decision → service back (running, in service, probes passing). */
  repairSeconds?: number;
  repairRealSeconds?: number;
}

export type ComplianceStatus = 'PolicyMet' | 'PolicyBreached' | 'NotApplicable' | 'MissingPolicy';

export interface DrillResult {
  schemaVersion: 1;
  drill: {
    name: string;
    /** Where it ran: the region of the drill file, and the account (faultline's default). */
    region: string;
    account: string;
    file?: string;
    description?: string;
    /** The row of the chapter's table this drill belongs to (e.g. "recovery alarm"). */
    mechanism?: string;
  };
  /** met → exit 0, breached → exit 1, error (the drill itself could not run) → exit 2. */
  status: 'met' | 'breached' | 'error';
  /** Why the drill could not run, when status is `error`. */
  error?: string;
  driver: 'simulated' | 'sandbox';
  clockMode: string;
  /** The disruption type the drill exercised, and its targets from the drill file. */
  disruption: DisruptionType;
  target?: PolicyTarget;
  compliance: ComplianceStatus;
  experiment?: { id: string; templateId?: string; status: string; reason?: string };
  started: Instant;
  faultStart?: Instant;
  /** When the steady state came back for good; absent when it never did. */
  recovered?: Instant;
  ended: Instant;
  /** Whether the service came back at all within the drill's observation window. */
  survived: boolean;
  rto: Measure;
  rpo: Measure;
  breakdown: Breakdown;
  timeline: TimelineEntry[];
  probes: ProbeResult[];
}
