import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  IAMClient,
  CreateRoleCommand,
  GetRoleCommand,
  ListRolesCommand,
  CreateInstanceProfileCommand,
  AddRoleToInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { startFaultline, type Faultline } from '../harness.ts';
import { issueRoleSession } from '../../src/services/sts/sessions.ts';
import { roleOfInstanceProfile } from '../../src/services/iam/lookup.ts';

const ACCOUNT = '000000000000';
const trust = (principal: object) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });
const EC2_TRUST = trust({ Service: 'ec2.amazonaws.com' });
const ACCOUNT_TRUST = trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` });
const S3_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });

/** Runs the CLI expecting failure and returns the error code from its message. */
async function cliError(fl: Faultline, ...args: string[]): Promise<string> {
  const r = await fl.awsRaw(...args);
  assert.notEqual(r.code, 0, `expected aws ${args.join(' ')} to fail`);
  return /An error occurred \(([^)]+)\)/.exec(r.stderr)?.[1] ?? r.stderr;
}

describe('IAM and STS', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('creates, reads and lists roles with decoded documents through the AWS CLI', async () => {
    const created = await fl.aws('iam', 'create-role', '--role-name', 'web', '--path', '/app/', '--assume-role-policy-document', EC2_TRUST, '--tags', 'Key=team,Value=blue');
    assert.match(created.Role.RoleId, /^AROA[A-Z2-7]{17}$/);
    assert.equal(created.Role.Arn, `arn:aws:iam::${ACCOUNT}:role/app/web`);
    assert.equal(Date.parse(created.Role.CreateDate), fl.app.env.clock.now());

    // IAM names ignore case.
    const got = await fl.aws('iam', 'get-role', '--role-name', 'WEB');
    assert.deepEqual(got.Role.AssumeRolePolicyDocument, JSON.parse(EC2_TRUST));
    assert.deepEqual(got.Role.Tags, [{ Key: 'team', Value: 'blue' }]);
    assert.equal(got.Role.MaxSessionDuration, 3600);

    await fl.aws('iam', 'put-role-policy', '--role-name', 'web', '--policy-name', 'read-s3', '--policy-document', S3_POLICY);
    const inline = await fl.aws('iam', 'get-role-policy', '--role-name', 'web', '--policy-name', 'read-s3');
    assert.deepEqual(inline.PolicyDocument, JSON.parse(S3_POLICY));
    assert.deepEqual((await fl.aws('iam', 'list-role-policies', '--role-name', 'web')).PolicyNames, ['read-s3']);

    await fl.aws('iam', 'attach-role-policy', '--role-name', 'web', '--policy-arn', 'arn:aws:iam::aws:policy/AmazonEC2FullAccess');
    const attached = await fl.aws('iam', 'list-attached-role-policies', '--role-name', 'web');
    assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: 'AmazonEC2FullAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEC2FullAccess' }]);
    const ec2Full = await fl.aws('iam', 'get-policy', '--policy-arn', 'arn:aws:iam::aws:policy/AmazonEC2FullAccess');
    assert.equal(ec2Full.Policy.AttachmentCount, 1);

    const listed = await fl.aws('iam', 'list-roles', '--path-prefix', '/app/');
    assert.deepEqual(listed.Roles.map((r: { RoleName: string }) => r.RoleName), ['web']);
    assert.equal(listed.Roles[0].Tags, undefined);
  });

  it('refuses duplicates and deleting a role in use through the AWS CLI', async () => {
    assert.equal(await cliError(fl, 'iam', 'create-role', '--role-name', 'WEB', '--assume-role-policy-document', EC2_TRUST), 'EntityAlreadyExists');
    assert.equal(await cliError(fl, 'iam', 'delete-role', '--role-name', 'web'), 'DeleteConflict');
    assert.equal(await cliError(fl, 'iam', 'get-role', '--role-name', 'nobody'), 'NoSuchEntity');
  });

  it('keeps one role per instance profile, refuses to delete what is in use, and validates input, through boto3', async () => {
    const out = await fl.python(`
import boto3, botocore, json
iam = boto3.client('iam')
def code(fn):
    try:
        fn()
        return None
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
EC2_TRUST = ${JSON.stringify(EC2_TRUST)}
S3_POLICY = ${JSON.stringify(S3_POLICY)}
r = {}
ip = iam.create_instance_profile(InstanceProfileName='web-profile')['InstanceProfile']
r['ip'] = [ip['InstanceProfileId'][:4], ip['Arn'], ip['Roles']]
iam.add_role_to_instance_profile(InstanceProfileName='web-profile', RoleName='web')
iam.create_role(RoleName='other', AssumeRolePolicyDocument=EC2_TRUST)
r['second'] = code(lambda: iam.add_role_to_instance_profile(InstanceProfileName='web-profile', RoleName='other'))
got = iam.get_instance_profile(InstanceProfileName='web-profile')['InstanceProfile']
r['roles'] = [x['RoleName'] for x in got['Roles']]
r['roleDoc'] = got['Roles'][0]['AssumeRolePolicyDocument']
r['forRole'] = [p['InstanceProfileName'] for p in iam.list_instance_profiles_for_role(RoleName='web')['InstanceProfiles']]
r['listed'] = [p['InstanceProfileName'] for p in iam.list_instance_profiles()['InstanceProfiles']]
steps = [code(lambda: iam.delete_role(RoleName='web')), code(lambda: iam.delete_instance_profile(InstanceProfileName='web-profile'))]
iam.remove_role_from_instance_profile(InstanceProfileName='web-profile', RoleName='web')
steps.append(code(lambda: iam.delete_role(RoleName='web')))
iam.delete_role_policy(RoleName='web', PolicyName='read-s3')
steps.append(code(lambda: iam.delete_role(RoleName='web')))
iam.detach_role_policy(RoleName='web', PolicyArn='arn:aws:iam::aws:policy/AmazonEC2FullAccess')
steps.append(code(lambda: iam.delete_role(RoleName='web')))
steps.append(code(lambda: iam.delete_instance_profile(InstanceProfileName='web-profile')))
r['steps'] = steps
r['gone'] = [code(lambda: iam.get_role(RoleName='web')), code(lambda: iam.get_instance_profile(InstanceProfileName='web-profile'))]
r['invalid'] = [
  code(lambda: iam.create_role(RoleName='bad name', AssumeRolePolicyDocument=EC2_TRUST)),
  code(lambda: iam.create_role(RoleName='r2', AssumeRolePolicyDocument='{not json')),
  code(lambda: iam.create_role(RoleName='r2', AssumeRolePolicyDocument=S3_POLICY)),
  code(lambda: iam.put_role_policy(RoleName='other', PolicyName='p', PolicyDocument=EC2_TRUST)),
  code(lambda: iam.create_role(RoleName='r2', Path='nopath', AssumeRolePolicyDocument=EC2_TRUST)),
  code(lambda: iam.attach_role_policy(RoleName='other', PolicyArn='arn:aws:iam::aws:policy/NoSuchPolicy')),
  code(lambda: iam.detach_role_policy(RoleName='other', PolicyArn='arn:aws:iam::aws:policy/ReadOnlyAccess')),
  code(lambda: iam.get_role_policy(RoleName='other', PolicyName='none')),
]
print(json.dumps(r))
`);
    assert.deepEqual(out.ip, ['AIPA', `arn:aws:iam::${ACCOUNT}:instance-profile/web-profile`, []]);
    assert.equal(out.second, 'LimitExceeded');
    assert.deepEqual(out.roles, ['web']);
    assert.deepEqual(out.roleDoc, JSON.parse(EC2_TRUST));
    assert.deepEqual(out.forRole, ['web-profile']);
    assert.deepEqual(out.listed, ['web-profile']);
    // In use by the profile; the profile holds a role; an inline policy; an attached policy; then free.
    assert.deepEqual(out.steps, ['DeleteConflict', 'DeleteConflict', 'DeleteConflict', 'DeleteConflict', null, null]);
    assert.deepEqual(out.gone, ['NoSuchEntity', 'NoSuchEntity']);
    assert.deepEqual(out.invalid, ['ValidationError', 'MalformedPolicyDocument', 'MalformedPolicyDocument', 'MalformedPolicyDocument', 'ValidationError', 'NoSuchEntity', 'NoSuchEntity', 'NoSuchEntity']);
  });

  it('manages users, keys and managed policies, and signs as the user, through boto3', async () => {
    const out = await fl.python(`
import boto3, botocore, json, urllib.parse
iam = boto3.client('iam')
def code(fn):
    try:
        fn()
        return None
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
user = iam.create_user(UserName='alice', Path='/staff/')['User']
key = iam.create_access_key(UserName='alice')['AccessKey']
second = iam.create_access_key(UserName='alice')['AccessKey']
as_alice = boto3.client('sts', aws_access_key_id=key['AccessKeyId'], aws_secret_access_key=key['SecretAccessKey'])
me = as_alice.get_caller_identity()
alice_iam = boto3.client('iam', aws_access_key_id=key['AccessKeyId'], aws_secret_access_key=key['SecretAccessKey'])
pol = iam.create_policy(PolicyName='read-things', Path='/team/', PolicyDocument=${JSON.stringify(S3_POLICY)}, Description='reads')['Policy']
iam.attach_user_policy(UserName='alice', PolicyArn=pol['Arn'])
iam.put_user_policy(UserName='alice', PolicyName='inline', PolicyDocument=${JSON.stringify(S3_POLICY)})
version = iam.get_policy_version(PolicyArn=pol['Arn'], VersionId='v1')['PolicyVersion']
admin = iam.get_policy_version(PolicyArn='arn:aws:iam::aws:policy/AdministratorAccess', VersionId='v1')['PolicyVersion']
for i in range(5):
    iam.create_role(RoleName=f'page-{i}', AssumeRolePolicyDocument=${JSON.stringify(EC2_TRUST)})
first = iam.list_roles(PathPrefix='/', MaxItems=2)
rest = iam.list_roles(PathPrefix='/', MaxItems=100, Marker=first['Marker'])
result = {
  'userId': user['UserId'], 'arn': user['Arn'], 'keyId': key['AccessKeyId'], 'secretLen': len(key['SecretAccessKey']),
  'me': [me['Arn'], me['UserId'], me['Account']],
  'selfGet': alice_iam.get_user()['User']['UserName'],
  'keys': sorted(k['AccessKeyId'] for k in iam.list_access_keys(UserName='alice')['AccessKeyMetadata']),
  'third': code(lambda: iam.create_access_key(UserName='alice')),
  'policyArn': pol['Arn'], 'policyId': pol['PolicyId'],
  'local': [p['PolicyName'] for p in iam.list_policies(Scope='Local')['Policies']],
  'attachedOnly': sorted(p['PolicyName'] for p in iam.list_policies(OnlyAttached=True)['Policies']),
  'version': [version['Document'], version['IsDefaultVersion']],
  'adminDoc': admin['Document'],
  'deletePolicyInUse': code(lambda: iam.delete_policy(PolicyArn=pol['Arn'])),
  'deleteUserWithKeys': code(lambda: iam.delete_user(UserName='alice')),
  'pages': [[r['RoleName'] for r in first['Roles']], first['IsTruncated'], [r['RoleName'] for r in rest['Roles']], rest['IsTruncated']],
  'noUser': code(lambda: iam.get_user(UserName='bob')),
}
iam.delete_access_key(UserName='alice', AccessKeyId=key['AccessKeyId'])
result['revoked'] = code(lambda: as_alice.get_caller_identity())
iam.delete_access_key(UserName='alice', AccessKeyId=second['AccessKeyId'])
result['deleteUserWithPolicies'] = code(lambda: iam.delete_user(UserName='alice'))
iam.delete_user_policy(UserName='alice', PolicyName='inline')
iam.detach_user_policy(UserName='alice', PolicyArn=pol['Arn'])
iam.delete_user(UserName='alice')
iam.delete_policy(PolicyArn=pol['Arn'])
result['gone'] = [code(lambda: iam.get_user(UserName='alice')), code(lambda: iam.get_policy(PolicyArn=pol['Arn']))]
print(json.dumps(result))
`);
    assert.match(out.userId, /^AIDA/);
    assert.equal(out.arn, `arn:aws:iam::${ACCOUNT}:user/staff/alice`);
    assert.match(out.keyId, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(out.secretLen, 40);
    assert.deepEqual(out.me, [out.arn, out.userId, ACCOUNT]);
    assert.equal(out.selfGet, 'alice');
    assert.equal(out.keys.length, 2);
    assert.equal(out.third, 'LimitExceeded');
    assert.equal(out.policyArn, `arn:aws:iam::${ACCOUNT}:policy/team/read-things`);
    assert.match(out.policyId, /^ANPA/);
    assert.deepEqual(out.local, ['read-things']);
    assert.deepEqual(out.attachedOnly, ['read-things']);
    assert.deepEqual(out.version, [JSON.parse(S3_POLICY), true]);
    assert.equal(out.adminDoc.Statement[0].Action, '*');
    assert.equal(out.deletePolicyInUse, 'DeleteConflict');
    assert.equal(out.deleteUserWithKeys, 'DeleteConflict');
    assert.deepEqual(out.pages, [['other', 'page-0'], true, ['page-1', 'page-2', 'page-3', 'page-4'], false]);
    assert.equal(out.noUser, 'NoSuchEntity');
    assert.equal(out.revoked, 'InvalidClientTokenId');
    assert.equal(out.deleteUserWithPolicies, 'DeleteConflict');
    assert.deepEqual(out.gone, ['NoSuchEntity', 'NoSuchEntity']);
  });

  it('assumes roles and acts as the session, through the SDK for JavaScript v3', async () => {
    const iam = new IAMClient(fl.sdk);
    const created = await iam.send(new CreateRoleCommand({ RoleName: 'deployer', AssumeRolePolicyDocument: ACCOUNT_TRUST, MaxSessionDuration: 7200 }));
    const got = await iam.send(new GetRoleCommand({ RoleName: 'deployer' }));
    // The SDK leaves documents as IAM sends them: URL-encoded.
    assert.notEqual(got.Role?.AssumeRolePolicyDocument, ACCOUNT_TRUST);
    assert.equal(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!), ACCOUNT_TRUST);
    assert.ok((await iam.send(new ListRolesCommand({}))).Roles?.some((r) => r.RoleName === 'deployer'));

    const sts = new STSClient(fl.sdk);
    const before = fl.app.env.clock.now();
    const session = await sts.send(new AssumeRoleCommand({ RoleArn: created.Role!.Arn, RoleSessionName: 'ci-run', DurationSeconds: 7200 }));
    assert.match(session.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    assert.ok(session.Credentials!.SessionToken!.length > 100);
    assert.equal(session.Credentials!.Expiration!.getTime(), before + 7200 * 1000);
    assert.equal(session.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci-run`);
    assert.equal(session.AssumedRoleUser!.AssumedRoleId, `${created.Role!.RoleId}:ci-run`);

    const asRole = new STSClient({
      ...fl.sdk,
      credentials: { accessKeyId: session.Credentials!.AccessKeyId!, secretAccessKey: session.Credentials!.SecretAccessKey!, sessionToken: session.Credentials!.SessionToken! },
    });
    const who = await asRole.send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci-run`);
    assert.equal(who.UserId, `${created.Role!.RoleId}:ci-run`);
    assert.equal(who.Account, ACCOUNT);

    // Role chaining caps the session at an hour.
    await assert.rejects(asRole.send(new AssumeRoleCommand({ RoleArn: created.Role!.Arn, RoleSessionName: 'chained', DurationSeconds: 7200 })), (e: Error) => e.name === 'ValidationError');
    await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: created.Role!.Arn, RoleSessionName: 'long', DurationSeconds: 7201 })), (e: Error) => e.name === 'ValidationError');
    await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: created.Role!.Arn, RoleSessionName: 'short', DurationSeconds: 899 })), (e: Error) => e.name === 'ValidationError');

    fl.advance(7200);
    await assert.rejects(asRole.send(new GetCallerIdentityCommand({})), (e: Error) => e.name === 'ExpiredToken');
  });

  it('denies AssumeRole of a missing role, or of a role whose trust policy does not name the caller', async () => {
    const sts = new STSClient(fl.sdk);
    await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/nobody`, RoleSessionName: 's1' })), (e: Error) => {
      assert.equal(e.name, 'AccessDenied');
      assert.match(e.message, /is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role\/nobody/);
      return true;
    });
    // "other" trusts only EC2.
    assert.equal(await cliError(fl, 'sts', 'assume-role', '--role-arn', `arn:aws:iam::${ACCOUNT}:role/other`, '--role-session-name', 's1'), 'AccessDenied');
    // Another account's root is named by the trust policy of "deployer"'s account only.
    const stranger = new STSClient({ ...fl.sdk, credentials: { accessKeyId: '111111111111', secretAccessKey: 'x' } });
    await assert.rejects(stranger.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deployer`, RoleSessionName: 's1' })), (e: Error) => e.name === 'AccessDenied');
  });

  it('keeps accounts apart and mints role sessions for other services', async () => {
    const other = new IAMClient({ ...fl.sdk, credentials: { accessKeyId: '111111111111', secretAccessKey: 'x' } });
    const theirs = await other.send(new ListRolesCommand({}));
    assert.deepEqual(theirs.Roles, []);

    const iam = new IAMClient(fl.sdk);
    const profile = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'app-profile' }));
    assert.equal(roleOfInstanceProfile(fl.app.env, ACCOUNT, 'app-profile'), undefined);
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'app-profile', RoleName: 'other' }));
    const role = roleOfInstanceProfile(fl.app.env, ACCOUNT, profile.InstanceProfile!.Arn!);
    assert.equal(role?.RoleName, 'other');
    assert.equal(roleOfInstanceProfile(fl.app.env, '111111111111', 'app-profile'), undefined);

    const session = issueRoleSession(fl.app.env, ACCOUNT, role.RoleName, 'i-0123456789abcdef0', 900);
    assert.equal(session.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/other/i-0123456789abcdef0`);
    const asInstance = new STSClient({ ...fl.sdk, credentials: { accessKeyId: session.Credentials.AccessKeyId, secretAccessKey: session.Credentials.SecretAccessKey } });
    assert.equal((await asInstance.send(new GetCallerIdentityCommand({}))).Arn, session.AssumedRoleUser.Arn);
    assert.throws(() => issueRoleSession(fl.app.env, ACCOUNT, 'missing', 's', 900), { code: 'NoSuchEntity' });
  });
});
