/**
 * The rules ECR checks a lifecycle policy against before it keeps it: JSON with a `rules` list,
 * each rule with a unique positive `rulePriority`, a `selection` (tag status, tag prefixes or
 * patterns for tagged images only, a count type with its number and, for the time-based ones,
 * `countUnit: days`) and an `action`; a rule for `any` tag status must come last. A failure is
 * InvalidParameterException, worded as AWS words it ("Lifecycle policy validation failure: …").
 * faultline keeps the policy but expires nothing: a repository never holds images.
 */
import { ecrErrors } from './errors.ts';

const TAG_STATUSES = ['tagged', 'untagged', 'any'];
const COUNT_TYPES = ['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled', 'sinceImageTransitioned'];
const ACTIONS = ['expire', 'transition'];

const fail = (detail: string) => ecrErrors.invalidParameter('LifecyclePolicyText', `Lifecycle policy validation failure: ${detail}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

function only(obj: Record<string, unknown>, allowed: string[], where: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length) throw fail(`object instance has properties which are not allowed by the schema: ${JSON.stringify(extra)} (at ${where})`);
}

function checkSelection(s: unknown, where: string): void {
  if (!isObject(s)) throw fail(`selection must be an object (at ${where})`);
  only(s, ['tagStatus', 'tagPrefixList', 'tagPatternList', 'countType', 'countUnit', 'countNumber', 'storageClass'], where);
  const missing = ['tagStatus', 'countType', 'countNumber'].filter((k) => s[k] === undefined);
  if (missing.length) throw fail(`object has missing required properties (${JSON.stringify(missing)}) (at ${where})`);
  if (!TAG_STATUSES.includes(s.tagStatus as string)) throw fail(`tagStatus must be one of ${TAG_STATUSES.join(', ')} (at ${where})`);
  for (const list of ['tagPrefixList', 'tagPatternList']) {
    const v = s[list];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.length || v.some((x) => typeof x !== 'string' || !x)) throw fail(`${list} must be a non-empty list of non-empty strings (at ${where})`);
    if (s.tagStatus !== 'tagged') throw fail(`${list} can only be used with tagStatus tagged (at ${where})`);
  }
  if (s.tagStatus === 'tagged' && (s.tagPrefixList === undefined) === (s.tagPatternList === undefined)) {
    throw fail(`a rule with tagStatus tagged must have exactly one of tagPrefixList and tagPatternList (at ${where})`);
  }
  if (!COUNT_TYPES.includes(s.countType as string)) throw fail(`countType must be one of ${COUNT_TYPES.join(', ')} (at ${where})`);
  if (!isPositiveInt(s.countNumber)) throw fail(`countNumber must be an integer of at least 1 (at ${where})`);
  if (s.countType === 'imageCountMoreThan') {
    if (s.countUnit !== undefined) throw fail(`countUnit cannot be used with countType imageCountMoreThan (at ${where})`);
  } else if (s.countUnit !== 'days') throw fail(`countType ${String(s.countType)} needs countUnit days (at ${where})`);
}

/** Checks a lifecycle policy's text; throws InvalidParameterException naming the first fault. */
export function checkLifecyclePolicy(text: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw fail(`the policy is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw fail('the policy must be a JSON object');
  only(doc, ['rules'], '/');
  if (!Array.isArray(doc.rules) || !doc.rules.length) throw fail('rules must be a non-empty list (at /rules)');
  const priorities = new Set<number>();
  let anyPriority: number | undefined;
  for (const [i, rule] of doc.rules.entries()) {
    const where = `/rules/${i}`;
    if (!isObject(rule)) throw fail(`a rule must be an object (at ${where})`);
    only(rule, ['rulePriority', 'description', 'selection', 'action'], where);
    const missing = ['rulePriority', 'selection', 'action'].filter((k) => rule[k] === undefined);
    if (missing.length) throw fail(`object has missing required properties (${JSON.stringify(missing)}) (at ${where})`);
    if (!isPositiveInt(rule.rulePriority)) throw fail(`rulePriority must be an integer of at least 1 (at ${where})`);
    const priority = rule.rulePriority as number;
    if (priorities.has(priority)) throw fail(`rulePriority ${priority} is used by more than one rule`);
    priorities.add(priority);
    if (rule.description !== undefined && typeof rule.description !== 'string') throw fail(`description must be a string (at ${where})`);
    checkSelection(rule.selection, `${where}/selection`);
    if ((rule.selection as Record<string, unknown>).tagStatus === 'any') anyPriority = priority;
    const action = rule.action;
    if (!isObject(action) || !ACTIONS.includes(action.type as string)) throw fail(`action.type must be one of ${ACTIONS.join(', ')} (at ${where}/action)`);
  }
  if (anyPriority !== undefined && anyPriority !== Math.max(...priorities)) throw fail('the rule with tagStatus any must have the highest rulePriority');
}
