/**
 * The checks S3 makes on a bucket policy before it keeps it (PutBucketPolicy), refusing with
 * MalformedPolicy in S3's words: JSON text, statements with an effect, a principal, S3 actions,
 * and resources in this bucket that the actions apply to.
 */
import { asList, wildcard } from '../iam/resource-policy.ts';
import { s3Errors } from './errors.ts';

const MAX_POLICY_BYTES = 20 * 1024;

const PRINCIPAL_ARN = /^arn:aws:(?:iam::\d{12}:(?:root|user\/.+|role\/.+|federated-user\/.+)|sts::\d{12}:(?:assumed-role|federated-user)\/.+)$/;
const ACTION = /^(?:\*|s3:[A-Za-z*?]+)$/i;

type Statement = Record<string, unknown>;

function checkPrincipal(principal: unknown): void {
  if (principal === '*') return;
  if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) throw s3Errors.malformedPolicy('Invalid principal in policy');
  const entries = Object.entries(principal as Record<string, unknown>);
  if (!entries.length) throw s3Errors.malformedPolicy('Invalid principal in policy');
  for (const [kind, value] of entries) {
    const names = asList(value);
    const valid =
      kind === 'AWS' ? names.every((n) => n === '*' || /^\d{12}$/.test(n) || PRINCIPAL_ARN.test(n))
      : kind === 'Service' ? names.every((n) => /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(n))
      : kind === 'CanonicalUser' ? names.every((n) => /^[0-9a-f]{64}$/.test(n))
      : kind === 'Federated';
    if (!valid || !names.length) throw s3Errors.malformedPolicy('Invalid principal in policy');
  }
}

/** Whether an action works on objects (`s3:GetObject`) rather than on the bucket (`s3:ListBucket`); wildcards may do both. */
function actionKinds(action: string): { bucket: boolean; object: boolean } {
  if (action.includes('*') || action.includes('?')) return { bucket: true, object: true };
  const name = action.slice(3);
  // s3:GetBucketObjectLockConfiguration is a bucket action, for all its "Object".
  const object = !/bucket/i.test(name) && /object|multipartuploadpart|abortmultipartupload/i.test(name);
  return { bucket: !object, object };
}

function checkStatement(st: unknown, bucket: string): void {
  if (typeof st !== 'object' || st === null || Array.isArray(st)) throw s3Errors.malformedPolicy('Policies must be valid JSON and the first byte must be \'{\'');
  const s = st as Statement;
  if (s.Effect === undefined) throw s3Errors.malformedPolicy('Missing required field Effect');
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw s3Errors.malformedPolicy(`Invalid effect: ${String(s.Effect)}`);
  if (s.Principal === undefined && s.NotPrincipal === undefined) throw s3Errors.malformedPolicy('Missing required field Principal');
  checkPrincipal(s.Principal ?? s.NotPrincipal);
  const actions = asList(s.Action ?? s.NotAction);
  if (s.Action === undefined && s.NotAction === undefined) throw s3Errors.malformedPolicy('Missing required field Action');
  if (!actions.length || !actions.every((a) => ACTION.test(a))) throw s3Errors.malformedPolicy('Policy has invalid action');
  const resources = asList(s.Resource ?? s.NotResource);
  if (s.Resource === undefined && s.NotResource === undefined) throw s3Errors.malformedPolicy('Missing required field Resource');
  const inBucket = (r: string) => {
    const m = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(r);
    return !!m && wildcard(m[1], bucket, false);
  };
  if (!resources.length || !resources.every(inBucket)) throw s3Errors.malformedPolicy('Policy has invalid resource');
  // A NotAction statement covers every other action, so it always applies to something.
  if (s.Action !== undefined) {
    const kinds = actions.map(actionKinds);
    const applies = resources.some((r) => (r.includes('/') ? kinds.some((k) => k.object) : kinds.some((k) => k.bucket)));
    if (!applies) throw s3Errors.malformedPolicy('Action does not apply to any resource(s) in statement');
  }
}

export function checkBucketPolicy(text: string, bucket: string): void {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw s3Errors.policyTooLarge();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw s3Errors.malformedPolicy('Policies must be valid JSON and the first byte must be \'{\'');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw s3Errors.malformedPolicy('Policies must be valid JSON and the first byte must be \'{\'');
  const { Statement: statements } = doc as Record<string, unknown>;
  if (statements === undefined) throw s3Errors.malformedPolicy('Missing required field Statement');
  const list = Array.isArray(statements) ? statements : [statements];
  if (!list.length) throw s3Errors.malformedPolicy('Could not parse the policy: Statement is empty!');
  for (const st of list) checkStatement(st, bucket);
}
