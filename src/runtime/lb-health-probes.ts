/**
 * Real health checks of load balancer targets (sandbox driver): from a node's private address
 * inside the VPC (the VPC's agent connects from it), a TCP connect, or an HTTP GET of the
 * check's path whose status must fit the matcher, within the check's timeout. Each target is
 * checked twice a second of real time, from the node in its own zone when that zone is up, else
 * from another node that is up; the latest result is what the health loop reads at each of its
 * intervals (`lbHealth`), so the documented thresholds and intervals stay on the clock while
 * what they count is real.
 *
 * The timeout is the configured one in real time, divided by a scaled clock's rate (at 60 cloud
 * seconds per second a 5 s timeout is 83 ms of real time), never below 200 ms. HTTPS, SSL and TLS
 * checks are TCP connects: faultline's targets have no certificates to check.
 */
// Checks are paced in real time, read through the clock module.
import { Clock } from '../core/clock.ts';
import type { Scope } from '../core/store.ts';
import { scopedKey, type HealthObservation } from '../services/elb/state.ts';
import type { LoadBalancerView } from './lb-plan.ts';
import type { ProbeAnswer, VpcNetwork } from './vpc-network.ts';

/** Real ms between two checks of a target. */
export const PROBE_PERIOD_MS = 500;

/** Whether an HTTP status fits a matcher (`200`, `200,202`, `200-399`). */
export function codeMatches(matcher: string, status: number): boolean {
  return matcher.split(',').some((part) => {
    const [lo, hi] = part.trim().split('-').map(Number);
    return hi === undefined ? status === lo : status >= lo && status <= hi;
  });
}

/** What a check's answer means, in the reasons the health loop reports (NLB has only FailedHealthChecks). */
export function observe(answer: ProbeAnswer, matcher: string, network: boolean): HealthObservation {
  if (!answer.error) {
    if (answer.status === undefined || codeMatches(matcher, answer.status)) return { ok: true };
    return { ok: false, reason: network ? 'Target.FailedHealthChecks' : 'Target.ResponseCodeMismatch', code: String(answer.status) };
  }
  const timedOut = answer.error === 'timeout' || answer.error === 'EHOSTUNREACH' || answer.error === 'ENETUNREACH';
  return { ok: false, reason: timedOut && !network ? 'Target.Timeout' : 'Target.FailedHealthChecks' };
}

/** The real-time timeout of a check whose configured timeout is `seconds` (see the header). */
export const probeTimeoutMs = (seconds: number, scale: number): number => Math.max(200, (seconds * 1000) / Math.max(1, scale));

export class LbHealthProbes {
  private results = new Map<string, HealthObservation>();
  private lastStart = new Map<string, number>();
  private inFlight = new Set<string>();

  constructor(
    private network: (vpcId: string) => VpcNetwork | undefined,
    private clock: Clock,
  ) {}

  /** Starts a check of every target that is due; forgets the targets no longer checked. */
  run(lbs: readonly LoadBalancerView[]): void {
    const now = Clock.wallNow();
    const wanted = new Set<string>();
    for (const lb of lbs) {
      if (!lb.active) continue;
      const net = this.network(lb.vpcId);
      const zones = new Set(lb.nodes.map((n) => n.zone));
      for (const group of lb.groups.values()) {
        if (!group.health.enabled) continue;
        for (const t of group.targets) {
          if (!t.ip || t.state === 'draining' || t.state === 'unused' || (t.zone && !zones.has(t.zone))) continue;
          const node = lb.nodes.find((n) => n.up && n.zone === t.zone) ?? lb.nodes.find((n) => n.up);
          // Until the node's address is on the VPC's bridge, a check could not come from it.
          if (!node || !net?.hasNodeIp(node.privateIp)) continue;
          const key = scopedKey(lb.scope, t.key);
          if (wanted.has(key)) continue;
          wanted.add(key);
          if (this.inFlight.has(key) || now - (this.lastStart.get(key) ?? 0) < PROBE_PERIOD_MS) continue;
          this.lastStart.set(key, now);
          this.inFlight.add(key);
          const h = group.health;
          const port = h.port === 'traffic-port' ? t.port : Number(h.port);
          const http = h.protocol === 'HTTP';
          void net!
            .probe({ host: t.ip, port, source: node.privateIp, timeoutMs: probeTimeoutMs(h.timeoutSeconds, this.clock.scale), path: http ? (h.path ?? '/') : undefined, userAgent: lb.kind === 'classic' ? 'ELB-HealthChecker/1.0' : 'ELB-HealthChecker/2.0' })
            .then((answer) => {
              this.inFlight.delete(key);
              // No answer (the VPC's agent is down): no result, so the health loop counts nothing.
              if (!answer) this.results.delete(key);
              else if (this.lastStart.has(key)) this.results.set(key, observe(answer, h.matcher, lb.kind === 'network'));
            });
        }
      }
    }
    for (const key of this.lastStart.keys()) {
      if (wanted.has(key)) continue;
      this.lastStart.delete(key);
      this.results.delete(key);
    }
  }

  /** The latest check of a target, or undefined when it has not been checked (or no longer is). */
  get(scope: Scope, targetKey: string): HealthObservation | undefined {
    return this.results.get(scopedKey(scope, targetKey));
  }
}
