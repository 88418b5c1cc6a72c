/**
 * Policy documents: the checks IAM makes before it stores one, and the URL encoding it returns
 * them in (botocore and the CLI URL-decode and parse any member of type policyDocumentType; the
 * SDK for JavaScript hands the encoded string to the caller).
 */
import { iamErrors } from './errors.ts';

export type DocumentKind = 'identity' | 'trust' | 'resource';

const VERSIONS = ['2012-10-17', '2008-10-17'];

type Statement = Record<string, unknown>;

export function checkPolicyDocument(text: string, kind: DocumentKind): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw iamErrors.malformedPolicy('Syntax errors in policy.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw iamErrors.malformedPolicy('Syntax errors in policy.');
  const { Version, Statement: statements } = doc as Record<string, unknown>;
  if (Version !== undefined && !VERSIONS.includes(Version as string)) throw iamErrors.malformedPolicy('The policy failed legacy parsing');
  if (statements === undefined) throw iamErrors.malformedPolicy('Syntax errors in policy.');
  const list = Array.isArray(statements) ? statements : [statements];
  if (!list.length) throw iamErrors.malformedPolicy('Syntax errors in policy.');
  for (const s of list) checkStatement(s, kind);
}

function checkStatement(s: unknown, kind: DocumentKind): void {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw iamErrors.malformedPolicy('Syntax errors in policy.');
  const st = s as Statement;
  if (st.Effect === undefined) throw iamErrors.malformedPolicy('Missing required field Effect');
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw iamErrors.malformedPolicy(`Invalid effect: ${String(st.Effect)}`);
  if (st.Action === undefined && st.NotAction === undefined) throw iamErrors.malformedPolicy('Policy statement must contain actions.');
  const principal = st.Principal !== undefined || st.NotPrincipal !== undefined;
  if (kind === 'identity') {
    if (principal) throw iamErrors.malformedPolicy('Policy document should not specify a principal.');
    if (st.Resource === undefined && st.NotResource === undefined) throw iamErrors.malformedPolicy('Policy statement must contain resources.');
  } else if (kind === 'trust') {
    if (!principal) throw iamErrors.malformedPolicy('Missing required field Principal');
    if (st.Resource !== undefined) throw iamErrors.malformedPolicy('Has prohibited field Resource');
  }
}

/** As IAM returns documents: percent-encoded JSON text. */
export const encodeDocument = (text: string): string => encodeURIComponent(text);

/** IAM's size limits count the characters that are not whitespace. */
export const documentSize = (text: string): number => text.replace(/\s/g, '').length;
