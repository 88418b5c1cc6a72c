/**
 * CloudFormation's AWS::KMS::Key and AWS::KMS::Alias, through KMS's own operations.
 *  - Key: CreateKey with the template's policy (AWS's default policy when none is given),
 *    description, key spec and usage, and tags; then DisableKey when `Enabled` is false and
 *    EnableKeyRotation when asked. Ref is the key id; GetAtt gives Arn and KeyId. Description,
 *    policy, Enabled, rotation and tags change in place; a change to KeySpec, KeyUsage, Origin or
 *    MultiRegion fails, as AWS refuses it. Deleting the resource schedules the key's deletion
 *    after PendingWindowInDays (30 by default), as AWS does.
 *  - Alias: Ref is the alias name; a new TargetKeyId changes in place (UpdateAlias).
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, bool, num, policyText, tagsOf } from '../../cloudformation/handler-kit.ts';
import { DONE, type Props, type ResourceContext, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { kms } from './index.ts';
import { COLL, keyArn, type KeyRecord } from './state.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (rc: ResourceContext, op: string, input: Record<string, unknown>): any => callService(kms, op, input, rc.request);

const kmsTags = (v: unknown) => tagsOf(v).map((t) => ({ TagKey: t.Key, TagValue: t.Value }));
const gone = (e: unknown) => e instanceof AwsError && e.code === 'NotFoundException';
const IMMUTABLE = ['KeySpec', 'KeyUsage', 'Origin', 'MultiRegion'];

/** Rotation as the template asks for it: on (with its period) or off. */
function setRotation(rc: ResourceContext, keyId: string, p: Props): void {
  if (bool(p.EnableKeyRotation)) call(rc, 'EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: num(p.RotationPeriodInDays) });
  else call(rc, 'DisableKeyRotation', { KeyId: keyId });
}

const key: ResourceHandler = {
  type: 'AWS::KMS::Key',
  create(props, rc) {
    const tags = kmsTags(props.Tags);
    const out = call(rc, 'CreateKey', {
      Policy: props.KeyPolicy === undefined ? undefined : policyText(props.KeyPolicy),
      Description: props.Description,
      KeySpec: props.KeySpec,
      KeyUsage: props.KeyUsage,
      Origin: props.Origin,
      MultiRegion: bool(props.MultiRegion),
      Tags: tags.length ? tags : undefined,
    });
    const keyId = out.KeyMetadata.KeyId as string;
    // Rotation first: a disabled key's rotation cannot be changed.
    if (bool(props.EnableKeyRotation)) setRotation(rc, keyId, props);
    if (bool(props.Enabled) === false) call(rc, 'DisableKey', { KeyId: keyId });
    return { physicalId: keyId };
  },
  update(props, old, changed, rc) {
    const fixed = changed.filter((c) => IMMUTABLE.includes(c));
    if (fixed.length) throw new AwsError('NotUpdatable', `You cannot change the ${fixed.join(', ')} of a KMS key: create a new key instead.`);
    const id = old.physicalId;
    const enabled = bool(props.Enabled) ?? true;
    if (changed.includes('Enabled') && enabled) call(rc, 'EnableKey', { KeyId: id });
    if (changed.includes('Description')) call(rc, 'UpdateKeyDescription', { KeyId: id, Description: String(props.Description ?? '') });
    if (changed.includes('KeyPolicy') && props.KeyPolicy !== undefined) call(rc, 'PutKeyPolicy', { KeyId: id, Policy: policyText(props.KeyPolicy) });
    if (changed.includes('EnableKeyRotation') || changed.includes('RotationPeriodInDays')) setRotation(rc, id, props);
    if (changed.includes('Tags')) {
      const keys = kmsTags(old.props.Tags).map((t) => t.TagKey);
      if (keys.length) call(rc, 'UntagResource', { KeyId: id, TagKeys: keys });
      if (kmsTags(props.Tags).length) call(rc, 'TagResource', { KeyId: id, Tags: kmsTags(props.Tags) });
    }
    if (changed.includes('Enabled') && !enabled) call(rc, 'DisableKey', { KeyId: id });
  },
  delete(s, rc) {
    const k = rc.env.store.get<KeyRecord>(COLL.keys, rc.request, s.physicalId);
    if (!k || k.KeyState === 'PendingDeletion') return DONE;
    try {
      call(rc, 'ScheduleKeyDeletion', { KeyId: s.physicalId, PendingWindowInDays: num(s.props.PendingWindowInDays) });
    } catch (e) {
      if (!gone(e)) throw e;
    }
    return DONE;
  },
  getAtt: (s, name, rc) => attribute({ Arn: () => keyArn(rc.request, s.physicalId), KeyId: () => s.physicalId }, name, s),
};

const alias: ResourceHandler = {
  type: 'AWS::KMS::Alias',
  create(props, rc) {
    call(rc, 'CreateAlias', { AliasName: props.AliasName, TargetKeyId: props.TargetKeyId });
    return { physicalId: String(props.AliasName) };
  },
  update(props, old, _changed, rc) {
    call(rc, 'UpdateAlias', { AliasName: old.physicalId, TargetKeyId: props.TargetKeyId });
  },
  delete(s, rc) {
    try {
      call(rc, 'DeleteAlias', { AliasName: s.physicalId });
    } catch (e) {
      if (!gone(e)) throw e;
    }
    return DONE;
  },
};

export const kmsResources: ResourceHandler[] = [key, alias];
