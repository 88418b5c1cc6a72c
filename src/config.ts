import { cidr4Contains, formatCidr4, parseCidr4, parseIp4 } from './services/ec2/cidr.ts';
import { own } from './core/own.ts';
import { REGIONS } from './models/ec2-catalogue.ts';

const LOOPBACK = parseCidr4('127.0.0.0/8')!;

/** faultline's settings, with the embedded defaults a bare `faultline up` uses. */
export interface Config {
  /** Region name to its AZ letters: by default every commercial region with its AZs (src/models/ec2-regions.json). */
  regions: Record<string, string[]>;
  defaultRegion: string;
  defaultAccount: string;
  /**
   * Whether an account finds a default VPC in a region at its first use of the region, as new
   * AWS accounts do (`faultline up --no-default-vpc` turns it off).
   */
  defaultVpc: boolean;
  /** Cloud seconds from RunInstances to `running`. */
  bootSeconds: number;
  /** Cloud seconds that stopping and shutting down take. */
  stopSeconds: number;
  /** Cloud minutes a terminated instance stays visible. */
  terminatedVisibleMinutes: number;
  /** Cloud seconds after reaching `running` that status checks report `initializing`. */
  statusCheckInitSeconds: number;
  /** Cloud seconds of continuous system impairment before simplified automatic recovery acts. */
  autoRecoverySeconds: number;
  /** Cloud seconds an image or snapshot stays `pending`. */
  imageSeconds: number;
  snapshotSeconds: number;
  /**
   * Check every operation's output against the model before it is sent (protocols/shape-check.ts),
   * answering InternalFailure and logging what does not fit. The tests turn it on.
   */
  checkResponseShapes?: boolean;
  /** The token the control API requires (gateway/control-token.ts); unset, it requires none. */
  controlToken?: string;
  /** Physical hosts in each AZ, and how many instances each holds. */
  hostsPerZone: number;
  hostCapacity: number;
  /**
   * How many instances the sandbox driver runs at once on this machine (`--max-instances`);
   * unset, the driver works it out from the machine's CPUs and memory (sandbox.driver.ts).
   */
  maxInstances?: number;
  /**
   * The loopback block that public and Elastic IPs come from. With the sandbox driver, unless it
   * is set, each faultline claims a /24 of it that no other running faultline holds (runtime/owners.ts).
   */
  publicIpPool: string;
  /** Largest request body accepted, except S3 object uploads. */
  maxRequestBytes: number;
  maxObjectBytes: number;
  /** Extra periods CloudWatch reads beyond EvaluationPeriods when it evaluates an alarm (not published; AWS's example uses 2). */
  alarmEvaluationExtraPeriods: number;
  /**
   * Cloud seconds a new load balancer target stays `initial` (`Elb.RegistrationInProgress`)
   * before its health checks start, by kind of load balancer. Undocumented as a number: the
   * Classic guide says registration takes "up to about 30 seconds", and NLB "a few minutes".
   */
  lbRegistrationSeconds: { classic: number; application: number; network: number };
  /**
   * Cloud seconds a Route 53 change stays `PENDING` before it is `INSYNC` and DNS answers it.
   * AWS says "generally within 60 seconds" and gives no number (spec route53.md §1).
   */
  route53PropagationSeconds: number;
  /**
   * RDS timings, in cloud seconds (spec rds.md §2-§5; AWS documents none of them as a number, so
   * these are the spec's suggestions): `creating`, the first `backing-up`, `modifying`,
   * `rebooting`, `stopping`/`starting`, `deleting`, a manual snapshot, and a Multi-AZ failover
   * (AWS: "typically 60-120 seconds"; counted from detection, which the instance loop makes every
   * `rdsHealthCheckSeconds`). A Single-AZ instance whose host fails (its zone up) moves to new
   * compute after `rdsSingleAzRecoverySeconds`; a lost standby is replaced after `rdsStandbyRecoverySeconds`.
   */
  rdsCreateSeconds: number;
  rdsBackupSeconds: number;
  rdsModifySeconds: number;
  rdsRebootSeconds: number;
  rdsStopSeconds: number;
  rdsDeleteSeconds: number;
  rdsSnapshotSeconds: number;
  rdsFailoverSeconds: number;
  rdsHealthCheckSeconds: number;
  rdsSingleAzRecoverySeconds: number;
  rdsStandbyRecoverySeconds: number;
}

export const defaultConfig = (): Config => ({
  regions: Object.fromEntries(Object.entries(REGIONS).map(([region, r]) => [region, r.zones.map(([letter]) => letter)])),
  defaultRegion: 'us-east-1',
  defaultAccount: '000000000000',
  defaultVpc: true,
  bootSeconds: 30,
  stopSeconds: 20,
  terminatedVisibleMinutes: 60,
  statusCheckInitSeconds: 120,
  autoRecoverySeconds: 300,
  imageSeconds: 60,
  snapshotSeconds: 30,
  hostsPerZone: 8,
  hostCapacity: 128,
  publicIpPool: '127.100.0.0/16',
  maxRequestBytes: 10 * 1024 * 1024,
  maxObjectBytes: 256 * 1024 * 1024,
  alarmEvaluationExtraPeriods: 2,
  lbRegistrationSeconds: { classic: 30, application: 10, network: 60 },
  route53PropagationSeconds: 30,
  rdsCreateSeconds: 300,
  rdsBackupSeconds: 60,
  rdsModifySeconds: 60,
  rdsRebootSeconds: 60,
  rdsStopSeconds: 60,
  rdsDeleteSeconds: 60,
  rdsSnapshotSeconds: 60,
  rdsFailoverSeconds: 75,
  rdsHealthCheckSeconds: 10,
  rdsSingleAzRecoverySeconds: 600,
  rdsStandbyRecoverySeconds: 300,
});

/**
 * Checks a public IP pool (`127.101.5.0/24`) and returns it: a network address with a /8 to /30
 * prefix inside 127.0.0.0/8, whose addresses the machine answers on with no set-up, so that every
 * public IP can be a real local endpoint.
 */
export function parsePublicIpPool(spec: string): string {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(spec.trim());
  const ip = m ? parseIp4(m[1]) : undefined;
  if (!m || ip === undefined) throw new Error(`public IP pool must be a CIDR block such as 127.101.0.0/24, not "${spec}"`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 30) throw new Error(`public IP pool ${spec}: the prefix must be /8 to /30`);
  const cidr = parseCidr4(spec.trim(), false)!;
  if (!cidr4Contains(LOOPBACK, cidr)) throw new Error(`public IP pool ${spec} must lie inside 127.0.0.0/8 (loopback addresses, which this machine answers on with no set-up)`);
  if (cidr.base !== ip) throw new Error(`public IP pool ${spec} is not a network address; did you mean ${formatCidr4(cidr)}?`);
  return formatCidr4(cidr);
}

/**
 * The AZ letters of `region` if this faultline offers it, else undefined. Region names come from
 * requests and templates, so only the map's own keys count (`toString` is no region).
 */
export const regionZones = (config: Config, region: string): string[] | undefined => own(config.regions, region);

/**
 * Parses `us-east-1=a,b,c;eu-west-1=a,b` into a region map; a region named without letters
 * (`us-east-1;eu-west-1`) has its AZs from the region table.
 */
export function parseRegions(spec: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const [region, azs] = part.split('=');
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new Error(`bad region spec "${part}": expected e.g. us-east-1=a,b,c`);
    if (azs === undefined) {
      const known = own(REGIONS, region);
      if (!known) throw new Error(`unknown region ${region}: give its AZ letters (${region}=a,b,c)`);
      out[region] = known.zones.map(([letter]) => letter);
      continue;
    }
    const letters = azs.split(',').map((s) => s.trim());
    if (letters.some((l) => !/^[a-z]$/.test(l))) throw new Error(`bad AZ letters in "${part}"`);
    out[region] = letters;
  }
  return out;
}
