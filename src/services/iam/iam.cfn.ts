/**
 * CloudFormation resource handlers for IAM: roles (with inline and managed policies), instance
 * profiles, inline policies (AWS::IAM::Policy), managed policies, users and access keys. IAM is
 * global: the calls act on the account's records whatever the stack's region.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry, policyText as doc, strings, tagsOf } from '../../cloudformation/handler-kit.ts';
import { DONE, type Props, type ResourceContext, type ResourceHandler, type ResourceState } from '../../cloudformation/resource-handler.ts';
import { iam } from './index.ts';
import { ACCESS_KEYS, iamScope, INSTANCE_PROFILES, nameKey, ROLES, USERS, type RoleRecord, type UserRecord } from './state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(iam, op, input, rc.request);

type InlinePolicy = { PolicyName: string; PolicyDocument: unknown };
const inlinePolicies = (v: unknown): InlinePolicy[] => (Array.isArray(v) ? (v as InlinePolicy[]) : []);

/** Puts and deletes a role's or user's inline policies and managed policy attachments from old to new. */
function syncPolicies(rc: ResourceContext, kind: 'Role' | 'User', name: string, oldProps: Props, props: Props): void {
  const before = inlinePolicies(oldProps.Policies);
  const after = inlinePolicies(props.Policies);
  for (const p of before) if (!after.some((a) => a.PolicyName === p.PolicyName)) call(rc, `Delete${kind}Policy`, { [`${kind}Name`]: name, PolicyName: p.PolicyName });
  for (const p of after) call(rc, `Put${kind}Policy`, { [`${kind}Name`]: name, PolicyName: p.PolicyName, PolicyDocument: doc(p.PolicyDocument) });
  const was = strings(oldProps.ManagedPolicyArns);
  const is = strings(props.ManagedPolicyArns);
  for (const arn of was) if (!is.includes(arn)) call(rc, `Detach${kind}Policy`, { [`${kind}Name`]: name, PolicyArn: arn });
  for (const arn of is) if (!was.includes(arn)) call(rc, `Attach${kind}Policy`, { [`${kind}Name`]: name, PolicyArn: arn });
}

const scope = (rc: ResourceContext) => iamScope(rc.request.account);

function roleOf(rc: ResourceContext, name: string): RoleRecord {
  const r = rc.env.store.get<RoleRecord>(ROLES, scope(rc), nameKey(name)) as RoleRecord | undefined;
  if (!r) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`);
  return r;
}

const role: ResourceHandler = {
  type: 'AWS::IAM::Role',
  create(props, rc) {
    const name = String(props.RoleName ?? rc.physicalName({ maxLength: 64 }));
    call(rc, 'CreateRole', {
      RoleName: name,
      AssumeRolePolicyDocument: doc(props.AssumeRolePolicyDocument),
      Path: props.Path,
      Description: props.Description,
      MaxSessionDuration: props.MaxSessionDuration,
      PermissionsBoundary: props.PermissionsBoundary,
      Tags: tagsOf(props.Tags).length ? tagsOf(props.Tags) : undefined,
    });
    syncPolicies(rc, 'Role', name, {}, props);
    return { physicalId: name };
  },
  update(props, old, changed, rc) {
    const fixed = changed.filter((c) => !['Policies', 'ManagedPolicyArns', 'AssumeRolePolicyDocument', 'Description', 'MaxSessionDuration', 'Tags'].includes(c));
    if (fixed.length) throw new AwsError('NotUpdatable', `faultline cannot update ${fixed.join(', ')} of a role in place yet.`);
    if (changed.includes('AssumeRolePolicyDocument')) call(rc, 'UpdateAssumeRolePolicy', { RoleName: old.physicalId, PolicyDocument: doc(props.AssumeRolePolicyDocument) });
    if (changed.includes('Policies') || changed.includes('ManagedPolicyArns')) syncPolicies(rc, 'Role', old.physicalId, old.props, props);
    if (changed.includes('Tags')) {
      const keys = tagsOf(old.props.Tags).map((t) => t.Key);
      if (keys.length) call(rc, 'UntagRole', { RoleName: old.physicalId, TagKeys: keys });
      if (tagsOf(props.Tags).length) call(rc, 'TagRole', { RoleName: old.physicalId, Tags: tagsOf(props.Tags) });
    }
  },
  delete(s, rc) {
    return deleteWithRetry(s, rc.env.clock.now(), () => {
      const r = rc.env.store.get<RoleRecord>(ROLES, scope(rc), nameKey(s.physicalId));
      if (!r) return;
      for (const arn of r.attachedPolicies) call(rc, 'DetachRolePolicy', { RoleName: s.physicalId, PolicyArn: arn });
      for (const p of Object.keys(r.inlinePolicies)) call(rc, 'DeleteRolePolicy', { RoleName: s.physicalId, PolicyName: p });
      call(rc, 'DeleteRole', { RoleName: s.physicalId });
    });
  },
  getAtt(s, name, rc) {
    return attribute<RoleRecord>({ Arn: (r) => r.Arn, RoleId: (r) => r.RoleId }, name, roleOf(rc, s.physicalId));
  },
};

type ProfileRecord = { InstanceProfileName: string; Arn: string; roles: string[] };

const instanceProfile: ResourceHandler = {
  type: 'AWS::IAM::InstanceProfile',
  create(props, rc) {
    const roles = strings(props.Roles);
    if (roles.length !== 1) throw new AwsError('ValidationError', 'Roles must name exactly one role.');
    const name = String(props.InstanceProfileName ?? rc.physicalName({ maxLength: 128 }));
    call(rc, 'CreateInstanceProfile', { InstanceProfileName: name, Path: props.Path });
    call(rc, 'AddRoleToInstanceProfile', { InstanceProfileName: name, RoleName: roles[0] });
    return { physicalId: name };
  },
  update(props, old, changed, rc) {
    if (changed.some((c) => c !== 'Roles')) throw new AwsError('NotUpdatable', 'faultline cannot update this instance profile in place.');
    for (const r of strings(old.props.Roles)) call(rc, 'RemoveRoleFromInstanceProfile', { InstanceProfileName: old.physicalId, RoleName: r });
    for (const r of strings(props.Roles)) call(rc, 'AddRoleToInstanceProfile', { InstanceProfileName: old.physicalId, RoleName: r });
  },
  delete(s, rc) {
    return deleteWithRetry(s, rc.env.clock.now(), () => {
      const p = rc.env.store.get<ProfileRecord>(INSTANCE_PROFILES, scope(rc), nameKey(s.physicalId));
      if (!p) return;
      for (const r of p.roles) call(rc, 'RemoveRoleFromInstanceProfile', { InstanceProfileName: s.physicalId, RoleName: r });
      call(rc, 'DeleteInstanceProfile', { InstanceProfileName: s.physicalId });
    });
  },
  getAtt(s, name, rc) {
    const p = rc.env.store.get<ProfileRecord>(INSTANCE_PROFILES, scope(rc), nameKey(s.physicalId)) as ProfileRecord | undefined;
    if (!p) throw new AwsError('NoSuchEntity', `Instance Profile ${s.physicalId} cannot be found.`);
    return attribute<ProfileRecord>({ Arn: (x) => x.Arn }, name, p);
  },
};

/** AWS::IAM::Policy: one inline policy put on each of its roles, users (and groups, which faultline lacks). */
function putInline(rc: ResourceContext, props: Props): void {
  if (strings(props.Groups).length) throw new AwsError('ValidationError', 'faultline has no IAM groups.');
  for (const r of strings(props.Roles)) call(rc, 'PutRolePolicy', { RoleName: r, PolicyName: props.PolicyName, PolicyDocument: doc(props.PolicyDocument) });
  for (const u of strings(props.Users)) call(rc, 'PutUserPolicy', { UserName: u, PolicyName: props.PolicyName, PolicyDocument: doc(props.PolicyDocument) });
}

function removeInline(rc: ResourceContext, props: Props, keep: Props = {}): void {
  const gone = (v: unknown, still: unknown) => strings(v).filter((x) => props.PolicyName !== keep.PolicyName || !strings(still).includes(x));
  for (const r of gone(props.Roles, keep.Roles)) if (rc.env.store.get(ROLES, scope(rc), nameKey(r))) call(rc, 'DeleteRolePolicy', { RoleName: r, PolicyName: props.PolicyName });
  for (const u of gone(props.Users, keep.Users)) if (rc.env.store.get(USERS, scope(rc), nameKey(u))) call(rc, 'DeleteUserPolicy', { UserName: u, PolicyName: props.PolicyName });
}

const policy: ResourceHandler = {
  type: 'AWS::IAM::Policy',
  create(props, rc) {
    if (!strings(props.Roles).length && !strings(props.Users).length && !strings(props.Groups).length) {
      throw new AwsError('ValidationError', 'At least one of [Groups,Roles,Users] must be non-empty.');
    }
    putInline(rc, props);
    return { physicalId: rc.physicalName({ maxLength: 128 }) };
  },
  update(props, old, _changed, rc) {
    removeInline(rc, old.props, props);
    putInline(rc, props);
  },
  delete(s, rc) {
    return deleteWithRetry(s, rc.env.clock.now(), () => removeInline(rc, s.props));
  },
};

const managedPolicy: ResourceHandler = {
  type: 'AWS::IAM::ManagedPolicy',
  create(props, rc) {
    const out = call(rc, 'CreatePolicy', {
      PolicyName: props.ManagedPolicyName ?? rc.physicalName({ maxLength: 128 }),
      PolicyDocument: doc(props.PolicyDocument),
      Path: props.Path,
      Description: props.Description,
    });
    const arn = out.Policy.Arn;
    for (const r of strings(props.Roles)) call(rc, 'AttachRolePolicy', { RoleName: r, PolicyArn: arn });
    for (const u of strings(props.Users)) call(rc, 'AttachUserPolicy', { UserName: u, PolicyArn: arn });
    return { physicalId: arn };
  },
  delete(s, rc) {
    return deleteWithRetry(s, rc.env.clock.now(), () => {
      for (const r of strings(s.props.Roles)) if (rc.env.store.get(ROLES, scope(rc), nameKey(r))) call(rc, 'DetachRolePolicy', { RoleName: r, PolicyArn: s.physicalId });
      for (const u of strings(s.props.Users)) if (rc.env.store.get(USERS, scope(rc), nameKey(u))) call(rc, 'DetachUserPolicy', { UserName: u, PolicyArn: s.physicalId });
      call(rc, 'DeletePolicy', { PolicyArn: s.physicalId });
    });
  },
  getAtt: (s, name) => attribute({ PolicyArn: () => s.physicalId }, name, s),
};

const user: ResourceHandler = {
  type: 'AWS::IAM::User',
  create(props, rc) {
    if (props.LoginProfile !== undefined) throw new AwsError('ValidationError', 'faultline has no console passwords (LoginProfile).');
    if (strings(props.Groups).length) throw new AwsError('ValidationError', 'faultline has no IAM groups.');
    const name = String(props.UserName ?? rc.physicalName({ maxLength: 64 }));
    call(rc, 'CreateUser', { UserName: name, Path: props.Path, PermissionsBoundary: props.PermissionsBoundary, Tags: tagsOf(props.Tags).length ? tagsOf(props.Tags) : undefined });
    syncPolicies(rc, 'User', name, {}, props);
    return { physicalId: name };
  },
  update(props, old, changed, rc) {
    const fixed = changed.filter((c) => !['Policies', 'ManagedPolicyArns'].includes(c));
    if (fixed.length) throw new AwsError('NotUpdatable', `faultline cannot update ${fixed.join(', ')} of a user in place yet.`);
    syncPolicies(rc, 'User', old.physicalId, old.props, props);
  },
  delete(s, rc) {
    return deleteWithRetry(s, rc.env.clock.now(), () => {
      const u = rc.env.store.get<UserRecord>(USERS, scope(rc), nameKey(s.physicalId));
      if (!u) return;
      for (const arn of u.attachedPolicies) call(rc, 'DetachUserPolicy', { UserName: s.physicalId, PolicyArn: arn });
      for (const p of Object.keys(u.inlinePolicies)) call(rc, 'DeleteUserPolicy', { UserName: s.physicalId, PolicyName: p });
      call(rc, 'DeleteUser', { UserName: s.physicalId });
    });
  },
  getAtt(s, name, rc) {
    const u = rc.env.store.get<UserRecord>(USERS, scope(rc), nameKey(s.physicalId)) as UserRecord | undefined;
    if (!u) throw new AwsError('NoSuchEntity', `The user with name ${s.physicalId} cannot be found.`);
    return attribute<UserRecord>({ Arn: (x) => x.Arn }, name, u);
  },
};

const accessKey: ResourceHandler = {
  type: 'AWS::IAM::AccessKey',
  create(props, rc) {
    if (props.Status !== undefined && props.Status !== 'Active') throw new AwsError('ValidationError', 'faultline creates access keys Active only.');
    const out = call(rc, 'CreateAccessKey', { UserName: props.UserName });
    // The secret is shown once, as on AWS: CloudFormation keeps it for GetAtt SecretAccessKey.
    return { physicalId: out.AccessKey.AccessKeyId, data: { secret: out.AccessKey.SecretAccessKey } };
  },
  delete(s: ResourceState, rc) {
    if (!rc.env.store.get(ACCESS_KEYS, scope(rc), s.physicalId)) return DONE;
    return deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteAccessKey', { AccessKeyId: s.physicalId, UserName: s.props.UserName }));
  },
  getAtt: (s, name) => attribute({ SecretAccessKey: () => s.data.secret }, name, s),
};

export const iamResources: ResourceHandler[] = [role, instanceProfile, policy, managedPolicy, user, accessKey];
