/**
 * Resource-based policies (S3 bucket policies, SNS topic policies): whether a document lets a
 * caller perform an action on a resource. An explicit Deny wins over any Allow; with neither the
 * answer is 'none', and the service decides (the owner's account acts, others are refused).
 *
 * Conditions are evaluated for the keys faultline knows: aws:PrincipalAccount,
 * aws:PrincipalArn, aws:SecureTransport (always true: faultline stands in for AWS's HTTPS
 * endpoints), and the aws:SourceAccount, aws:SourceOwner and aws:SourceArn a service sets when it
 * acts for a resource (a CloudWatch alarm publishing to a topic). A key the request does not
 * carry is absent, as in AWS; an operator faultline does not know makes the statement not apply.
 */
import type { Principal } from '../service.ts';

/** Who asks: an account's principal, nobody (an unsigned request), or an AWS service. */
export type Caller = { kind: 'aws'; principal: Principal } | { kind: 'anonymous' } | { kind: 'service'; service: string };

export interface PolicyRequest {
  caller: Caller;
  /** e.g. `s3:GetObject`, `SNS:Publish` (actions compare without regard to case). */
  action: string;
  resource: string;
  /** Condition keys the request carries beyond the caller's own (aws:SourceAccount, ...). */
  context?: Record<string, string>;
}

export type Decision = 'allow' | 'deny' | 'none';

type Statement = Record<string, unknown>;

export const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

const pattern = (p: string, flags: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);

/** IAM's `*` and `?` wildcards; `ignoreCase` for actions, whose names compare without case. */
export const wildcard = (p: string, value: string, ignoreCase = true) => pattern(p, ignoreCase ? 'i' : '').test(value);

/** The names an account's principal goes by in a Principal element. */
function callerNames(caller: Principal): string[] {
  const names = [caller.account, `arn:aws:iam::${caller.account}:root`, caller.arn];
  // A role session is named in policies by its role's ARN.
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(caller.arn);
  if (session) names.push(`arn:aws:iam::${session[1]}:role/${session[2]}`);
  return names;
}

/** Whether a Principal element names an account's principal (its ARN, its account or root, or `*`). */
export function principalNames(principal: unknown, caller: Principal): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const names = callerNames(caller);
  return asList((principal as Record<string, unknown>).AWS).some((p) => {
    if (p === '*' || names.includes(p)) return true;
    // A role named with a path matches the session of that role, which carries no path.
    const role = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(p);
    return !!role && names.includes(`arn:aws:iam::${role[1]}:role/${role[2]}`);
  });
}

/** `"*"` and `{"AWS": "*"}` name everyone, signed or not, and services too. */
function principalMatches(principal: unknown, caller: Caller): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const p = principal as Record<string, unknown>;
  if (asList(p.AWS).includes('*')) return true;
  if (caller.kind === 'aws') return principalNames(principal, caller.principal);
  if (caller.kind === 'service') return asList(p.Service).includes(caller.service);
  return false;
}

export function actionMatches(st: Statement, action: string): boolean {
  if (st.NotAction !== undefined) return !asList(st.NotAction).some((a) => wildcard(a, action));
  return asList(st.Action).some((a) => wildcard(a, action));
}

function resourceMatches(st: Statement, resource: string): boolean {
  if (st.NotResource !== undefined) return !asList(st.NotResource).some((r) => wildcard(r, resource, false));
  return st.Resource === undefined || asList(st.Resource).some((r) => wildcard(r, resource, false));
}

function contextOf(req: PolicyRequest): Map<string, string> {
  const keys = new Map<string, string>([['aws:securetransport', 'true']]);
  if (req.caller.kind === 'aws') {
    keys.set('aws:principalaccount', req.caller.principal.account);
    keys.set('aws:principalarn', req.caller.principal.arn);
  }
  for (const [k, v] of Object.entries(req.context ?? {})) keys.set(k.toLowerCase(), v);
  return keys;
}

const OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  StringEquals: (p, v) => p === v,
  StringEqualsIgnoreCase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  StringLike: (p, v) => wildcard(p, v, false),
  ArnEquals: (p, v) => p === v,
  ArnLike: (p, v) => wildcard(p, v, false),
  Bool: (p, v) => p.toLowerCase() === v.toLowerCase(),
};

/** Whether one operator's block holds; undefined when faultline does not know the operator. */
function blockHolds(operator: string, block: unknown, keys: Map<string, string>): boolean | undefined {
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const negated = /^(String|Arn)Not/.test(base);
  const test = OPERATORS[negated ? base.replace('Not', '') : base];
  if (!test || typeof block !== 'object' || block === null) return undefined;
  return Object.entries(block as Record<string, unknown>).every(([key, values]) => {
    const value = keys.get(key.toLowerCase());
    // An absent key fails a positive test and passes a negated one, as in AWS.
    if (value === undefined) return ifExists || negated;
    const any = asList(values).some((p) => test(p, value));
    return negated ? !any : any;
  });
}

function conditionHolds(st: Statement, keys: Map<string, string>): boolean {
  if (st.Condition === undefined) return true;
  if (typeof st.Condition !== 'object' || st.Condition === null) return false;
  return Object.entries(st.Condition as Record<string, unknown>).every(([op, block]) => blockHolds(op, block, keys) === true);
}

/** The statements of a policy document, or none when it does not parse. */
export function statementsOf(document: string): Statement[] {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(document);
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null) return [];
  return (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter((s): s is Statement => typeof s === 'object' && s !== null);
}

export function evaluatePolicy(document: string | undefined, req: PolicyRequest): Decision {
  if (document === undefined) return 'none';
  const keys = contextOf(req);
  const applies = statementsOf(document).filter((st) => {
    const who = st.NotPrincipal !== undefined ? !principalMatches(st.NotPrincipal, req.caller) : principalMatches(st.Principal, req.caller);
    return who && actionMatches(st, req.action) && resourceMatches(st, req.resource) && conditionHolds(st, keys);
  });
  if (applies.some((st) => st.Effect === 'Deny')) return 'deny';
  return applies.some((st) => st.Effect === 'Allow') ? 'allow' : 'none';
}
