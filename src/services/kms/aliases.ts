/**
 * KMS aliases (CreateAlias, UpdateAlias, DeleteAlias, ListAliases): names that start with
 * `alias/`, unique in the account and region, each pointing at one customer key; `alias/aws/` is
 * reserved for AWS managed keys, which faultline does not make.
 */
import type { RequestContext } from '../service.ts';
import { kmsErrors } from './errors.ts';
import { findKey, page } from './keys.ts';
import { aliasArn, COLL, type AliasRecord, type KeyRecord } from './state.ts';

function checkAliasName(name: string): void {
  if (!name.startsWith('alias/')) throw kmsErrors.validation('Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name)) throw kmsErrors.validation(`${name} contains invalid characters for an alias`);
}

/** The key an alias may point at: named by key id or ARN, not pending deletion. */
function target(ctx: RequestContext, id: string): KeyRecord {
  const key = findKey(ctx, id);
  if (key.KeyState === 'PendingDeletion') throw kmsErrors.invalidState(`${key.Arn} is pending deletion.`);
  return key;
}

export const aliasHandlers = {
  CreateAlias(input: { AliasName: string; TargetKeyId: string }, ctx: RequestContext) {
    checkAliasName(input.AliasName);
    if (input.AliasName.startsWith('alias/aws/')) throw kmsErrors.invalidAliasName(`${input.AliasName}: alias names that begin with alias/aws/ are reserved for AWS managed keys.`);
    const key = target(ctx, input.TargetKeyId);
    const arn = aliasArn(ctx, input.AliasName);
    if (ctx.env.store.get(COLL.aliases, ctx, input.AliasName)) throw kmsErrors.alreadyExists(`An alias with the name ${arn} already exists`);
    const now = new Date(ctx.env.clock.now()).toISOString();
    const alias: AliasRecord = { AliasName: input.AliasName, AliasArn: arn, TargetKeyId: key.KeyId, CreationDate: now, LastUpdatedDate: now };
    ctx.env.store.put(COLL.aliases, ctx, alias.AliasName, alias);
    return {};
  },

  UpdateAlias(input: { AliasName: string; TargetKeyId: string }, ctx: RequestContext) {
    checkAliasName(input.AliasName);
    const alias = ctx.env.store.mutable<AliasRecord>(COLL.aliases, ctx, input.AliasName);
    if (!alias) throw kmsErrors.aliasNotFound(aliasArn(ctx, input.AliasName));
    alias.TargetKeyId = target(ctx, input.TargetKeyId).KeyId;
    alias.LastUpdatedDate = new Date(ctx.env.clock.now()).toISOString();
    ctx.env.store.put(COLL.aliases, ctx, alias.AliasName, alias);
    return {};
  },

  DeleteAlias(input: { AliasName: string }, ctx: RequestContext) {
    checkAliasName(input.AliasName);
    if (!ctx.env.store.get(COLL.aliases, ctx, input.AliasName)) throw kmsErrors.aliasNotFound(aliasArn(ctx, input.AliasName));
    ctx.env.store.delete(COLL.aliases, ctx, input.AliasName);
    return {};
  },

  /** Every alias, or those of one key (named by key id or ARN), by name. */
  ListAliases(input: { KeyId?: string; Limit?: number; Marker?: string }, ctx: RequestContext) {
    const keyId = input.KeyId === undefined ? undefined : findKey(ctx, input.KeyId).KeyId;
    const aliases = ctx.env.store
      .list<AliasRecord>(COLL.aliases, ctx)
      .filter((a) => keyId === undefined || a.TargetKeyId === keyId)
      .sort((a, b) => a.AliasName.localeCompare(b.AliasName));
    const p = page(aliases, input);
    return { Aliases: p.items, NextMarker: p.NextMarker, Truncated: p.Truncated };
  },
};
