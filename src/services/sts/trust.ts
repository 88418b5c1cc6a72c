/**
 * Whether a role's trust policy lets a caller assume it: an Allow statement for sts:AssumeRole
 * whose Principal names the caller (its ARN, its account or that account's root, or `*`), and
 * no Deny that does. Conditions are not evaluated (faultline has no request context to test
 * them against), and the caller's own identity policies are not consulted.
 */
import type { Principal } from '../service.ts';

type Statement = { Effect?: string; Action?: unknown; NotAction?: unknown; Principal?: unknown };

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

const wildcard = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(value);

/** The names a caller goes by in a Principal element. */
function callerNames(caller: Principal): string[] {
  const names = [caller.account, `arn:aws:iam::${caller.account}:root`, caller.arn];
  // A role session is named in trust policies by its role's ARN.
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(caller.arn);
  if (session) names.push(`arn:aws:iam::${session[1]}:role/${session[2]}`);
  return names;
}

function principalMatches(principal: unknown, caller: Principal): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const names = callerNames(caller);
  return list((principal as Record<string, unknown>).AWS).some((p) => {
    if (p === '*' || names.includes(p)) return true;
    // A role named with a path matches the session of that role, which carries no path.
    const role = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(p);
    return !!role && names.includes(`arn:aws:iam::${role[1]}:role/${role[2]}`);
  });
}

function actionMatches(st: Statement, action: string): boolean {
  if (st.NotAction !== undefined) return !list(st.NotAction).some((a) => wildcard(a, action));
  return list(st.Action).some((a) => wildcard(a, action));
}

export function trustAllows(document: string, caller: Principal, action = 'sts:AssumeRole'): boolean {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(document);
  } catch {
    return false;
  }
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter(Boolean) as Statement[];
  const applies = statements.filter((st) => actionMatches(st, action) && principalMatches(st.Principal, caller));
  return applies.some((st) => st.Effect === 'Allow') && !applies.some((st) => st.Effect === 'Deny');
}
