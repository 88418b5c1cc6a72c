/**
 * How a load balancer node decides where a request goes (spec elb.md §1 "Zones, cross-zone…",
 * §2 "Listeners, rules, actions", "Fail-open"): the listener's first rule whose conditions all
 * match, the target group a forward picks by weight, and the target, among the targets the node
 * may use, by the group's algorithm. Pure functions over the plan (lb-plan.ts), so they are
 * tested without a network.
 */
import { ip4InCidr, parseCidr4, parseIp4 } from '../services/ec2/cidr.ts';
import type { DeepReadonly } from '../core/store.ts';
import type { ActionRecord, ConditionRecord, LoadBalancerKind } from '../services/elb/state.ts';
import type { GroupView, RuleView, TargetView } from './lb-plan.ts';

/** What rule conditions look at in a request. */
export interface RequestFacts {
  /** The Host header, without its port. */
  host: string;
  /** The path, without the query. */
  path: string;
  method: string;
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
  clientIp: string;
}

/** AWS's wildcards: `*` any run of characters, `?` one. */
function wildcard(pattern: string, caseless: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseless ? 'is' : 's');
}

const anyMatch = (patterns: readonly string[], value: string, caseless: boolean) => patterns.some((p) => wildcard(p, caseless).test(value));

function conditionMatches(c: DeepReadonly<ConditionRecord>, r: RequestFacts): boolean {
  switch (c.Field) {
    case 'host-header':
      return anyMatch(c.HostHeaderConfig?.Values ?? c.Values ?? [], r.host, true);
    case 'path-pattern':
      return anyMatch(c.PathPatternConfig?.Values ?? c.Values ?? [], r.path, false);
    case 'http-request-method':
      return (c.HttpRequestMethodConfig?.Values ?? c.Values ?? []).includes(r.method);
    case 'http-header': {
      const cfg = c.HttpHeaderConfig;
      if (!cfg) return false;
      const v = r.headers[cfg.HttpHeaderName.toLowerCase()];
      const values = v === undefined ? [] : Array.isArray(v) ? v : [v];
      return values.some((x) => anyMatch(cfg.Values, x, true));
    }
    case 'query-string':
      return (c.QueryStringConfig?.Values ?? []).some((kv) => [...r.query].some(([k, v]) => (kv.Key === undefined || wildcard(kv.Key, true).test(k)) && wildcard(kv.Value, true).test(v)));
    case 'source-ip': {
      const ip = parseIp4(r.clientIp.replace(/^::ffff:/, ''));
      return ip !== undefined && (c.SourceIpConfig?.Values ?? c.Values ?? []).some((cidr) => {
        const range = parseCidr4(cidr, false);
        return !!range && ip4InCidr(range, ip);
      });
    }
    default:
      return false;
  }
}

/** The first rule whose conditions all hold (the default rule has none, and comes last). */
export function matchRule(rules: readonly RuleView[], r: RequestFacts): RuleView | undefined {
  return rules.find((rule) => rule.conditions.every((c) => conditionMatches(c, r)));
}

/** The group a forward action sends this request to: by weight when it names several. */
export function chooseGroup(action: DeepReadonly<ActionRecord>, random = Math.random): string | undefined {
  const weighted = action.ForwardConfig?.TargetGroups.map((g) => ({ key: g.TargetGroupArn, weight: g.Weight ?? 1 })) ?? [];
  if (!weighted.length) return action.TargetGroupArn;
  const total = weighted.reduce((n, g) => n + Math.max(0, g.weight), 0);
  if (total <= 0) return undefined;
  let x = random() * total;
  for (const g of weighted) if ((x -= Math.max(0, g.weight)) < 0) return g.key;
  return weighted[weighted.length - 1].key;
}

/**
 * The targets a node in `zone` may send new requests to: healthy ones (its own zone's only when
 * cross-zone is off). With none healthy, an ELBv2 node fails open to the unhealthy ones
 * (§2 "Fail-open"); a Classic node has none to use (and answers 503). Draining, initial and
 * unused targets never get new requests.
 */
export function usableTargets(group: GroupView, zone: string, kind: LoadBalancerKind): { targets: TargetView[]; failOpen: boolean } {
  const pool = group.targets.filter((t) => t.ip !== undefined && (group.crossZone || t.zone === zone));
  const healthy = pool.filter((t) => t.state === 'healthy');
  if (healthy.length || kind === 'classic') return { targets: healthy, failOpen: false };
  const unhealthy = pool.filter((t) => t.state === 'unhealthy');
  return { targets: unhealthy, failOpen: unhealthy.length > 0 };
}

/** Picks targets in turn (round robin), or the one with the fewest requests in flight, or at random. */
export class TargetPicker {
  private turns = new Map<string, number>();
  private inFlight = new Map<string, number>();

  pick(turnKey: string, targets: readonly TargetView[], algorithm: string): TargetView | undefined {
    if (!targets.length) return undefined;
    if (algorithm === 'weighted_random') return targets[Math.floor(Math.random() * targets.length)];
    const turn = this.turns.get(turnKey) ?? 0;
    this.turns.set(turnKey, turn + 1);
    if (algorithm !== 'least_outstanding_requests') return targets[turn % targets.length];
    // Fewest in flight; among equals, in turn, so that an idle pool still alternates.
    let best: TargetView | undefined;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(turn + i) % targets.length];
      if (!best || this.outstanding(t.key) < this.outstanding(best.key)) best = t;
    }
    return best;
  }

  /** Forgets the turns not in `keys` (their node or group is gone). */
  keepTurns(keys: ReadonlySet<string>): void {
    for (const key of this.turns.keys()) if (!keys.has(key)) this.turns.delete(key);
  }

  private outstanding(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  /** Counts a request to `key` in flight until the returned function is called. */
  begin(key: string): () => void {
    this.inFlight.set(key, this.outstanding(key) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = this.outstanding(key) - 1;
      if (n > 0) this.inFlight.set(key, n);
      else this.inFlight.delete(key);
    };
  }
}

/** The Location of a redirect action: the parts it gives, `#{…}` filled from the request, the rest kept. */
export function redirectLocation(cfg: NonNullable<DeepReadonly<ActionRecord>['RedirectConfig']>, req: { protocol: string; host: string; port: number; path: string; query: string }): string {
  const fill = (s: string) =>
    s
      .replaceAll('#{protocol}', req.protocol)
      .replaceAll('#{host}', req.host)
      .replaceAll('#{port}', String(req.port))
      .replaceAll('#{path}', req.path.replace(/^\//, ''))
      .replaceAll('#{query}', req.query);
  const protocol = fill(cfg.Protocol ?? '#{protocol}').toLowerCase();
  const host = fill(cfg.Host ?? '#{host}');
  const port = fill(cfg.Port ?? '#{port}');
  let path = fill(cfg.Path ?? '/#{path}');
  if (!path.startsWith('/')) path = `/${path}`;
  const query = fill(cfg.Query ?? '#{query}');
  const defaultPort = (protocol === 'https' && port === '443') || (protocol === 'http' && port === '80');
  return `${protocol}://${host}${defaultPort ? '' : `:${port}`}${path}${query ? `?${query}` : ''}`;
}
