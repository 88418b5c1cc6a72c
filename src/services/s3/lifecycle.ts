/**
 * The checks S3 makes on a lifecycle configuration (PutBucketLifecycleConfiguration) before it
 * keeps it, in S3's words: MalformedXML for what the schema does not allow (a rule with both a
 * Filter and a Prefix, or neither; a filter with two predicates outside And; an expiration that
 * says more than one thing), InvalidArgument for bad numbers and dates, InvalidRequest for a
 * rule with nothing to do or with actions that cannot go with tags.
 *
 * faultline keeps and returns the rules; it does not run them: objects do not expire or move
 * between storage classes as time passes.
 */
import { randomBytes } from 'node:crypto';
import { s3Errors } from './errors.ts';

const MAX_RULES = 1000;
const MAX_ID_LENGTH = 255;
const STORAGE_CLASSES = new Set(['GLACIER', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'DEEP_ARCHIVE', 'GLACIER_IR']);
/** Infrequent-access classes take objects at least 30 days old. */
const MIN_DAYS: Record<string, number> = { STANDARD_IA: 30, ONEZONE_IA: 30 };
const MIN_OBJECT_SIZES = new Set(['varies_by_storage_class', 'all_storage_classes_128K']);

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
const count = (o: Obj, keys: string[]) => keys.filter((k) => o[k] !== undefined).length;
const positive = (n: unknown) => Number.isInteger(n) && (n as number) > 0;

/** Whether the rule's filter names tags (where some actions are not allowed). */
function hasTags(rule: Obj): boolean {
  const f = rule.Filter;
  if (!isObj(f)) return false;
  return f.Tag !== undefined || (isObj(f.And) && Array.isArray(f.And.Tags) && f.And.Tags.length > 0);
}

function checkFilter(rule: Obj): void {
  if (count(rule, ['Filter', 'Prefix']) !== 1) throw s3Errors.malformedXml();
  if (rule.Filter === undefined) return;
  if (!isObj(rule.Filter) || count(rule.Filter, ['Prefix', 'Tag', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan', 'And']) > 1) throw s3Errors.malformedXml();
}

function checkDate(date: unknown): void {
  const d = date instanceof Date ? date : new Date(String(date));
  if (Number.isNaN(d.getTime())) throw s3Errors.malformedXml();
  if (d.getUTCHours() || d.getUTCMinutes() || d.getUTCSeconds() || d.getUTCMilliseconds()) throw s3Errors.invalidArgument("'Date' must be at midnight GMT", 'Date', d.toISOString());
}

function checkExpiration(rule: Obj): void {
  const e = rule.Expiration;
  if (e === undefined) return;
  if (!isObj(e) || count(e, ['Days', 'Date', 'ExpiredObjectDeleteMarker']) !== 1) throw s3Errors.malformedXml();
  if (e.Days !== undefined && !positive(e.Days)) throw s3Errors.invalidArgument("'Days' for Expiration action must be a positive integer", 'Days', String(e.Days));
  if (e.Date !== undefined) checkDate(e.Date);
  if (e.ExpiredObjectDeleteMarker !== undefined && hasTags(rule)) throw s3Errors.invalidRequest('ExpiredObjectDeleteMarker cannot be specified with tags.');
}

function checkTransitions(list: unknown, dayKey: 'Days' | 'NoncurrentDays', action: string): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw s3Errors.malformedXml();
  for (const t of list) {
    if (!isObj(t) || typeof t.StorageClass !== 'string' || !STORAGE_CLASSES.has(t.StorageClass)) throw s3Errors.malformedXml();
    const when = dayKey === 'Days' ? count(t, ['Days', 'Date']) : count(t, ['NoncurrentDays']);
    if (when !== 1) throw s3Errors.malformedXml();
    if (t.Date !== undefined) checkDate(t.Date);
    const days = t[dayKey];
    if (days === undefined) continue;
    if (!Number.isInteger(days) || (days as number) < 0) throw s3Errors.invalidArgument(`'${dayKey}' in ${action} action must be nonnegative`, dayKey, String(days));
    const min = MIN_DAYS[t.StorageClass] ?? 0;
    if ((days as number) < min)
      throw s3Errors.invalidArgument(`'${dayKey}' in ${action} action must be greater than or equal to ${min} for storageClass '${t.StorageClass}'`, dayKey, String(days));
  }
}

function checkRule(rule: Obj): void {
  if (rule.ID !== undefined && String(rule.ID).length > MAX_ID_LENGTH) throw s3Errors.invalidArgument('ID length should not exceed allowed limit of 255', 'ID', String(rule.ID));
  if (rule.Status !== 'Enabled' && rule.Status !== 'Disabled') throw s3Errors.malformedXml();
  checkFilter(rule);
  const actions = ['Expiration', 'Transitions', 'NoncurrentVersionExpiration', 'NoncurrentVersionTransitions', 'AbortIncompleteMultipartUpload'];
  if (!actions.some((a) => rule[a] !== undefined && !(Array.isArray(rule[a]) && rule[a].length === 0)))
    throw s3Errors.invalidRequest('At least one action needs to be specified in a rule');
  checkExpiration(rule);
  checkTransitions(rule.Transitions, 'Days', 'Transition');
  checkTransitions(rule.NoncurrentVersionTransitions, 'NoncurrentDays', 'NoncurrentVersionTransition');
  const nve = rule.NoncurrentVersionExpiration;
  if (nve !== undefined && (!isObj(nve) || !positive(nve.NoncurrentDays)))
    throw s3Errors.invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer", 'NoncurrentDays', String(isObj(nve) ? nve.NoncurrentDays : nve));
  const abort = rule.AbortIncompleteMultipartUpload;
  if (abort !== undefined) {
    if (!isObj(abort) || !positive(abort.DaysAfterInitiation))
      throw s3Errors.invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer", 'DaysAfterInitiation', String(isObj(abort) ? abort.DaysAfterInitiation : abort));
    if (hasTags(rule)) throw s3Errors.invalidRequest('AbortIncompleteMultipartUpload cannot be specified with Tags.');
  }
}

/** Dates as ISO text, so that the kept rules are plain JSON. */
function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/**
 * The configuration to keep, or S3's error for it. A rule without an ID gets one, as S3 gives it.
 * `minimumSize` is the x-amz-transition-default-minimum-object-size header.
 */
export function checkLifecycle(rules: Obj[] | undefined, minimumSize: string | undefined): { Rules: Obj[]; TransitionDefaultMinimumObjectSize: string } {
  if (!rules?.length || rules.length > MAX_RULES) throw s3Errors.malformedXml();
  if (minimumSize !== undefined && !MIN_OBJECT_SIZES.has(minimumSize))
    throw s3Errors.invalidArgument('Invalid value for x-amz-transition-default-minimum-object-size', 'x-amz-transition-default-minimum-object-size', minimumSize);
  const ids = new Set<string>();
  for (const rule of rules) {
    checkRule(rule);
    if (rule.ID === undefined) continue;
    if (ids.has(String(rule.ID))) throw s3Errors.invalidArgument('Rule ID must be unique. Found same ID for more than one rule', 'ID', String(rule.ID));
    ids.add(String(rule.ID));
  }
  return {
    Rules: rules.map((r) => ({ ID: randomBytes(36).toString('base64'), ...(plain(r) as Obj) })),
    // Configurations set since September 2024 default to not transitioning objects under 128 KB.
    TransitionDefaultMinimumObjectSize: minimumSize ?? 'all_storage_classes_128K',
  };
}
