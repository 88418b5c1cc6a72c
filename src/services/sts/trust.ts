/**
 * Whether a role's trust policy lets a caller assume it: an Allow statement for sts:AssumeRole
 * whose Principal names the caller (its ARN, its account or that account's root, or `*`), and
 * no Deny that does. Conditions are not evaluated (faultline has no request context to test
 * them against), and the caller's own identity policies are not consulted.
 */
import { actionMatches, principalNames, statementsOf } from '../iam/resource-policy.ts';
import type { Principal } from '../service.ts';

export function trustAllows(document: string, caller: Principal, action = 'sts:AssumeRole'): boolean {
  const applies = statementsOf(document).filter((st) => actionMatches(st, action) && principalNames(st.Principal, caller));
  return applies.some((st) => st.Effect === 'Allow') && !applies.some((st) => st.Effect === 'Deny');
}
