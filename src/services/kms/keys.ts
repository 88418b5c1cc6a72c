/**
 * KMS keys: how a request names one (key id, key ARN, alias name or alias ARN), and the
 * operations that manage them (create, describe, list, enable and disable, deletion on the clock,
 * description, policy, rotation setting, tags).
 *
 * Only symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT) with key material that KMS
 * makes (Origin AWS_KMS) are offered. Rotation is a setting that is kept and reported; the key
 * material is never rotated.
 */
import { randomBytes } from 'node:crypto';
import { uuid } from '../../core/ids.ts';
import { pageOf } from '../../core/paging.ts';
import type { Scope } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { kmsErrors } from './errors.ts';
import { aliasArn, COLL, DELETION_LOOP, keyArn, scopedKey, type AliasRecord, type KeyRecord, type KmsTag } from './state.ts';

const DAY_MS = 86_400_000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_TAGS = 50;

/**
 * The key a request names. Aliases (`alias/NAME` or its ARN) are accepted where AWS accepts them
 * (DescribeKey and the cryptographic operations), not by the operations that manage a key.
 */
export function findKey(ctx: RequestContext, id: string, opts: { aliases?: boolean } = {}): KeyRecord {
  const arn = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):((key|alias)\/.+)$/.exec(id);
  const resource = arn ? arn[3] : id;
  const home = !arn || (arn[1] === ctx.region && arn[2] === ctx.account);
  if (resource.startsWith('alias/')) {
    if (!opts.aliases) throw kmsErrors.notFound(`Invalid keyId ${id}`);
    const alias = home ? ctx.env.store.get<AliasRecord>(COLL.aliases, ctx, resource) : undefined;
    if (!alias) throw kmsErrors.aliasNotFound(arn ? id : aliasArn(ctx, resource));
    return findKey(ctx, alias.TargetKeyId);
  }
  if (id.startsWith('arn:') && !arn) throw kmsErrors.notFound(`Invalid arn ${id}`);
  const keyId = resource.startsWith('key/') ? resource.slice(4) : resource;
  if (!UUID_RE.test(keyId)) throw kmsErrors.notFound(`Invalid keyId '${id}'`);
  const key = home ? ctx.env.store.mutable<KeyRecord>(COLL.keys, ctx, keyId) : undefined;
  if (!key) throw kmsErrors.keyNotFound(arn ? id : keyArn(ctx, keyId));
  return key;
}

/** The key ARN that an id, ARN or alias names in this account's KMS (for other services that take a KMS key). */
export const kmsKeyArn = (ctx: RequestContext, id: string): string => findKey(ctx, id, { aliases: true }).Arn;

/** A key that may be changed: not pending deletion. */
function changeable(ctx: RequestContext, id: string): KeyRecord {
  const key = findKey(ctx, id);
  if (key.KeyState === 'PendingDeletion') throw kmsErrors.invalidState(`${key.Arn} is pending deletion.`);
  return key;
}

export const saveKey = (ctx: RequestContext, key: KeyRecord): void => ctx.env.store.put(COLL.keys, ctx, key.KeyId, key);

/** KeyMetadata as DescribeKey returns it. */
export function metadata(key: KeyRecord) {
  const { policy: _p, rotation: _r, tags: _t, material: _m, ...out } = key;
  return out;
}

/** The policy a key gets when none is given, as AWS writes it: the account may do anything with the key. */
function defaultPolicy(scope: Scope): string {
  const doc = {
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${scope.account}:root` }, Action: 'kms:*', Resource: '*' }],
  };
  return JSON.stringify(doc, null, 2);
}

/** A key policy must be a JSON policy document with statements. */
function checkPolicy(text: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw kmsErrors.malformedPolicy(`The key policy is not valid JSON: ${(e as Error).message}`);
  }
  const statements = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as { Statement?: unknown }).Statement : undefined;
  if (!statements || (typeof statements !== 'object') || (Array.isArray(statements) && !statements.length)) {
    throw kmsErrors.malformedPolicy('The key policy must be a JSON object with at least one Statement.');
  }
  return text;
}

function checkPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== 'default') throw kmsErrors.notFound(`No such policy exists: ${name}. A key's only policy is named default.`);
}

/** Tags as KMS accepts them: keys not starting with `aws:`, at most 50 on a key; a key given twice keeps the later value. */
function mergeTags(current: KmsTag[], added: KmsTag[]): KmsTag[] {
  for (const t of added) if (t.TagKey.toLowerCase().startsWith('aws:')) throw kmsErrors.tag(`Tag keys beginning with aws: are reserved: ${t.TagKey}`);
  const byKey = new Map([...current, ...added].map((t) => [t.TagKey, { TagKey: t.TagKey, TagValue: t.TagValue }]));
  if (byKey.size > MAX_TAGS) throw kmsErrors.tag(`A key can have at most ${MAX_TAGS} tags.`);
  return [...byKey.values()];
}

type ListInput = { Limit?: number; Marker?: string };
/** KMS's paging: Limit (default 100), an opaque Marker, and Truncated. */
export function page<T>(items: readonly T[], input: ListInput): { items: T[]; NextMarker?: string; Truncated: boolean } {
  const p = pageOf(items, input.Marker, input.Limit ?? 100, () => kmsErrors.invalidMarker());
  return { items: p.items, NextMarker: p.next, Truncated: p.next !== undefined };
}

interface CreateKeyInput {
  Policy?: string;
  Description?: string;
  KeyUsage?: string;
  KeySpec?: string;
  CustomerMasterKeySpec?: string;
  Origin?: string;
  CustomKeyStoreId?: string;
  XksKeyId?: string;
  MultiRegion?: boolean;
  Tags?: KmsTag[];
}

export const keyHandlers = {
  CreateKey(input: CreateKeyInput, ctx: RequestContext) {
    if (input.KeySpec && input.CustomerMasterKeySpec) throw kmsErrors.validation('You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.');
    const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
    if (spec !== 'SYMMETRIC_DEFAULT') throw kmsErrors.unsupported(`faultline's KMS makes only symmetric encryption keys (SYMMETRIC_DEFAULT); KeySpec ${spec} is not supported.`);
    const usage = input.KeyUsage ?? 'ENCRYPT_DECRYPT';
    if (usage !== 'ENCRYPT_DECRYPT') throw kmsErrors.validation(`KeyUsage ${usage} is not compatible with KeySpec SYMMETRIC_DEFAULT.`);
    if ((input.Origin ?? 'AWS_KMS') !== 'AWS_KMS' || input.CustomKeyStoreId || input.XksKeyId) {
      throw kmsErrors.unsupported('faultline\'s KMS makes only keys with key material of its own (Origin AWS_KMS): no imported material and no custom key stores.');
    }
    if (input.MultiRegion) throw kmsErrors.unsupported('faultline\'s KMS does not make multi-Region keys.');
    const policy = input.Policy === undefined ? defaultPolicy(ctx) : checkPolicy(input.Policy);
    const tags = mergeTags([], input.Tags ?? []);
    const keyId = uuid();
    const key: KeyRecord = {
      KeyId: keyId,
      Arn: keyArn(ctx, keyId),
      AWSAccountId: ctx.account,
      CreationDate: new Date(ctx.env.clock.now()).toISOString(),
      Enabled: true,
      Description: input.Description ?? '',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
      policy,
      rotation: { enabled: false, periodDays: 365 },
      tags,
      material: randomBytes(32).toString('base64'),
    };
    saveKey(ctx, key);
    return { KeyMetadata: metadata(key) };
  },

  DescribeKey(input: { KeyId: string }, ctx: RequestContext) {
    return { KeyMetadata: metadata(findKey(ctx, input.KeyId, { aliases: true })) };
  },

  ListKeys(input: ListInput, ctx: RequestContext) {
    const keys = [...ctx.env.store.list<KeyRecord>(COLL.keys, ctx)].sort((a, b) => a.CreationDate.localeCompare(b.CreationDate) || a.KeyId.localeCompare(b.KeyId));
    const p = page(keys, input);
    return { Keys: p.items.map((k) => ({ KeyId: k.KeyId, KeyArn: k.Arn })), NextMarker: p.NextMarker, Truncated: p.Truncated };
  },

  EnableKey(input: { KeyId: string }, ctx: RequestContext) {
    const key = changeable(ctx, input.KeyId);
    Object.assign(key, { Enabled: true, KeyState: 'Enabled' });
    saveKey(ctx, key);
    return {};
  },

  DisableKey(input: { KeyId: string }, ctx: RequestContext) {
    const key = changeable(ctx, input.KeyId);
    Object.assign(key, { Enabled: false, KeyState: 'Disabled' });
    saveKey(ctx, key);
    return {};
  },

  /** The key becomes PendingDeletion and is deleted, with its aliases, by the deletion loop when the waiting period (7 to 30 days, 30 by default) ends. */
  ScheduleKeyDeletion(input: { KeyId: string; PendingWindowInDays?: number }, ctx: RequestContext) {
    const days = input.PendingWindowInDays ?? 30;
    if (days < 7) throw kmsErrors.outOfRange(days, 'pendingWindowInDays', 'greater', 7);
    if (days > 30) throw kmsErrors.outOfRange(days, 'pendingWindowInDays', 'less', 30);
    const key = changeable(ctx, input.KeyId);
    const at = ctx.env.clock.now() + days * DAY_MS;
    Object.assign(key, { Enabled: false, KeyState: 'PendingDeletion', DeletionDate: new Date(at).toISOString(), PendingDeletionWindowInDays: days });
    saveKey(ctx, key);
    ctx.env.scheduler.enqueue(DELETION_LOOP, scopedKey(ctx, key.KeyId), at);
    return { KeyId: key.Arn, DeletionDate: key.DeletionDate, KeyState: key.KeyState, PendingWindowInDays: days };
  },

  /** A key whose deletion is cancelled is Disabled, as in AWS. */
  CancelKeyDeletion(input: { KeyId: string }, ctx: RequestContext) {
    const key = findKey(ctx, input.KeyId);
    if (key.KeyState !== 'PendingDeletion') throw kmsErrors.invalidState(`${key.Arn} is not pending deletion.`);
    Object.assign(key, { KeyState: 'Disabled', DeletionDate: undefined, PendingDeletionWindowInDays: undefined });
    saveKey(ctx, key);
    return { KeyId: key.Arn };
  },

  UpdateKeyDescription(input: { KeyId: string; Description: string }, ctx: RequestContext) {
    const key = changeable(ctx, input.KeyId);
    key.Description = input.Description;
    saveKey(ctx, key);
    return {};
  },

  GetKeyPolicy(input: { KeyId: string; PolicyName?: string }, ctx: RequestContext) {
    checkPolicyName(input.PolicyName);
    return { Policy: findKey(ctx, input.KeyId).policy, PolicyName: 'default' };
  },

  PutKeyPolicy(input: { KeyId: string; Policy: string; PolicyName?: string }, ctx: RequestContext) {
    checkPolicyName(input.PolicyName);
    const key = changeable(ctx, input.KeyId);
    key.policy = checkPolicy(input.Policy);
    saveKey(ctx, key);
    return {};
  },

  ListKeyPolicies(input: { KeyId: string } & ListInput, ctx: RequestContext) {
    findKey(ctx, input.KeyId);
    return { PolicyNames: ['default'], Truncated: false };
  },

  EnableKeyRotation(input: { KeyId: string; RotationPeriodInDays?: number }, ctx: RequestContext) {
    const key = changeable(ctx, input.KeyId);
    if (key.KeyState === 'Disabled') throw kmsErrors.disabled(key.Arn);
    const periodDays = input.RotationPeriodInDays ?? 365;
    key.rotation = { enabled: true, periodDays, nextRotation: new Date(ctx.env.clock.now() + periodDays * DAY_MS).toISOString() };
    saveKey(ctx, key);
    return {};
  },

  DisableKeyRotation(input: { KeyId: string }, ctx: RequestContext) {
    const key = changeable(ctx, input.KeyId);
    if (key.KeyState === 'Disabled') throw kmsErrors.disabled(key.Arn);
    key.rotation = { enabled: false, periodDays: key.rotation.periodDays };
    saveKey(ctx, key);
    return {};
  },

  GetKeyRotationStatus(input: { KeyId: string }, ctx: RequestContext) {
    const key = changeable(ctx, input.KeyId);
    const r = key.rotation;
    return { KeyId: key.Arn, KeyRotationEnabled: r.enabled, RotationPeriodInDays: r.enabled ? r.periodDays : undefined, NextRotationDate: r.nextRotation };
  },

  TagResource(input: { KeyId: string; Tags: KmsTag[] }, ctx: RequestContext) {
    const key = changeable(ctx, input.KeyId);
    key.tags = mergeTags(key.tags, input.Tags);
    saveKey(ctx, key);
    return {};
  },

  UntagResource(input: { KeyId: string; TagKeys: string[] }, ctx: RequestContext) {
    const key = changeable(ctx, input.KeyId);
    key.tags = key.tags.filter((t) => !input.TagKeys.includes(t.TagKey));
    saveKey(ctx, key);
    return {};
  },

  ListResourceTags(input: { KeyId: string } & ListInput, ctx: RequestContext) {
    const p = page(findKey(ctx, input.KeyId).tags, input);
    return { Tags: p.items, NextMarker: p.NextMarker, Truncated: p.Truncated };
  },
};
