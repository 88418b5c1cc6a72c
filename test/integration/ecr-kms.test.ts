/**
 * ECR and KMS through boto3, and their CloudFormation resources through the AWS CLI, on one
 * server and the manual clock.
 *  - ECR: repositories in AWS's form (ARN, `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME` URI,
 *    defaults), their settings, lifecycle and repository policies, tags, paging, the empty image
 *    operations, the authorization token, and each bad input with AWS's code and nothing created.
 *  - KMS: keys named by id, ARN, alias and alias ARN; Encrypt/Decrypt/ReEncrypt/GenerateDataKey
 *    with the encryption context bound; a tampered blob, a wrong context or key, a disabled key,
 *    unknown ids and bad alias names refused as AWS refuses them; deletion after the waiting
 *    period on the clock, with the key's aliases.
 *  - CloudFormation: a repository with a lifecycle policy and a key with an alias, created and
 *    deleted with the stack.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

let fl: Faultline;
before(async () => {
  fl = await startFaultline();
});
after(() => fl.close());

const LIFECYCLE = JSON.stringify({
  rules: [{ rulePriority: 1, description: 'expire old untagged', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: { type: 'expire' } }],
});

test('ECR: repositories, their settings, policies and tags, and AWS errors for bad input', async () => {
  const r = await fl.python(BOTO3_PRELUDE + `
ecr = boto3.client('ecr', config=no_retry)
lifecycle = ${JSON.stringify(LIFECYCLE)}
def rule(**sel):
    s = {'tagStatus': 'untagged', 'countType': 'imageCountMoreThan', 'countNumber': 5}
    s.update(sel)
    return json.dumps({'rules': [{'rulePriority': 1, 'selection': s, 'action': {'type': 'expire'}}]})
made = ecr.create_repository(repositoryName='team/web', imageTagMutability='IMMUTABLE', imageScanningConfiguration={'scanOnPush': True}, tags=[{'Key': 'team', 'Value': 'web'}])['repository']
plain = ecr.create_repository(repositoryName='plain')['repository']
o = {'made': made, 'plain': plain}
o['exists'] = outcome(lambda: ecr.create_repository(repositoryName='plain'))
o['upper'] = outcome(lambda: ecr.create_repository(repositoryName='Web'))
o['trailing'] = outcome(lambda: ecr.create_repository(repositoryName='web-'))
o['badTag'] = outcome(lambda: ecr.create_repository(repositoryName='tagged', tags=[{'Key': 'aws:x', 'Value': 'y'}]))
o['badKms'] = outcome(lambda: ecr.create_repository(repositoryName='sealed', encryptionConfiguration={'encryptionType': 'KMS', 'kmsKey': 'alias/none'}))
key = boto3.client('kms').create_key()['KeyMetadata']
o['kmsRepo'] = ecr.create_repository(repositoryName='sealed', encryptionConfiguration={'encryptionType': 'KMS', 'kmsKey': key['KeyId']})['repository']['encryptionConfiguration']
o['keyArn'] = key['Arn']
o['page1'] = ecr.describe_repositories(maxResults=2)
o['page2'] = ecr.describe_repositories(maxResults=2, nextToken=o['page1']['nextToken'])
o['missing'] = outcome(lambda: ecr.describe_repositories(repositoryNames=['plain', 'nope']))
o['noLifecycle'] = outcome(lambda: ecr.get_lifecycle_policy(repositoryName='plain'))
o['putLifecycle'] = ecr.put_lifecycle_policy(repositoryName='plain', lifecyclePolicyText=lifecycle)['lifecyclePolicyText']
o['getLifecycle'] = ecr.get_lifecycle_policy(repositoryName='plain')['lifecyclePolicyText']
o['notJson'] = outcome(lambda: ecr.put_lifecycle_policy(repositoryName='plain', lifecyclePolicyText='{"rules": [' + ' ' * 100))
o['noUnit'] = outcome(lambda: ecr.put_lifecycle_policy(repositoryName='plain', lifecyclePolicyText=rule(countType='sinceImagePushed').ljust(100)))
o['prefixUntagged'] = outcome(lambda: ecr.put_lifecycle_policy(repositoryName='plain', lifecyclePolicyText=rule(tagPrefixList=['v']).ljust(100)))
o['afterBad'] = ecr.get_lifecycle_policy(repositoryName='plain')['lifecyclePolicyText']
o['deleteLifecycle'] = ecr.delete_lifecycle_policy(repositoryName='plain')['lifecyclePolicyText']
o['deletedLifecycle'] = outcome(lambda: ecr.delete_lifecycle_policy(repositoryName='plain'))
policy = json.dumps({'Version': '2012-10-17', 'Statement': [{'Sid': 'pull', 'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'}, 'Action': ['ecr:BatchGetImage']}]})
o['noPolicy'] = outcome(lambda: ecr.get_repository_policy(repositoryName='plain'))
o['badPolicy'] = outcome(lambda: ecr.set_repository_policy(repositoryName='plain', policyText='not json'))
ecr.set_repository_policy(repositoryName='plain', policyText=policy)
o['policy'] = ecr.get_repository_policy(repositoryName='plain')['policyText']
ecr.delete_repository_policy(repositoryName='plain')
o['policyGone'] = outcome(lambda: ecr.get_repository_policy(repositoryName='plain'))
ecr.put_image_tag_mutability(repositoryName='plain', imageTagMutability='IMMUTABLE')
ecr.put_image_scanning_configuration(repositoryName='plain', imageScanningConfiguration={'scanOnPush': True})
o['changed'] = ecr.describe_repositories(repositoryNames=['plain'])['repositories'][0]
arn = made['repositoryArn']
ecr.tag_resource(resourceArn=arn, tags=[{'Key': 'env', 'Value': 'prod'}, {'Key': 'team', 'Value': 'api'}])
ecr.untag_resource(resourceArn=arn, tagKeys=['env'])
o['tags'] = ecr.list_tags_for_resource(resourceArn=arn)['tags']
o['tagsMissing'] = outcome(lambda: ecr.list_tags_for_resource(resourceArn=arn.replace('team/web', 'nope')))
o['images'] = [ecr.list_images(repositoryName='plain')['imageIds'], ecr.describe_images(repositoryName='plain')['imageDetails']]
o['imageMissing'] = outcome(lambda: ecr.describe_images(repositoryName='plain', imageIds=[{'imageTag': 'latest'}]))
o['batchDelete'] = ecr.batch_delete_image(repositoryName='plain', imageIds=[{'imageTag': 'latest'}])
o['token'] = ecr.get_authorization_token()['authorizationData'][0]
o['deleted'] = ecr.delete_repository(repositoryName='plain')['repository']['repositoryName']
o['deletedAgain'] = outcome(lambda: ecr.delete_repository(repositoryName='plain'))
o['names'] = [x['repositoryName'] for x in ecr.describe_repositories()['repositories']]
out(o)
`);
  assert.deepEqual(
    { ...r.made, createdAt: undefined },
    {
      repositoryArn: 'arn:aws:ecr:us-east-1:000000000000:repository/team/web',
      registryId: '000000000000',
      repositoryName: 'team/web',
      repositoryUri: '000000000000.dkr.ecr.us-east-1.amazonaws.com/team/web',
      createdAt: undefined,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'AES256' },
    },
  );
  assert.equal(r.plain.imageTagMutability, 'MUTABLE');
  assert.deepEqual(r.plain.imageScanningConfiguration, { scanOnPush: false });
  assert.equal(r.exists, "RepositoryAlreadyExistsException 400 The repository with name 'plain' already exists in the registry with id '000000000000'");
  assert.match(r.upper, /^InvalidParameterException 400 Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression /);
  assert.match(r.trailing, /^InvalidParameterException 400 /);
  assert.match(r.badTag, /^InvalidTagParameterException 400 /);
  assert.match(r.badKms, /^KmsException 400 .*alias\/none/);
  assert.deepEqual(r.kmsRepo, { encryptionType: 'KMS', kmsKey: r.keyArn });
  assert.deepEqual(r.page1.repositories.map((x: { repositoryName: string }) => x.repositoryName), ['plain', 'sealed']);
  assert.deepEqual(r.page2.repositories.map((x: { repositoryName: string }) => x.repositoryName), ['team/web']);
  assert.equal(r.page2.nextToken, undefined);
  assert.equal(r.missing, "RepositoryNotFoundException 400 The repository with name 'nope' does not exist in the registry with id '000000000000'");
  assert.equal(r.noLifecycle, "LifecyclePolicyNotFoundException 400 Lifecycle policy does not exist for the repository with name 'plain' in the registry with id '000000000000'");
  assert.equal(r.putLifecycle, LIFECYCLE);
  assert.equal(r.getLifecycle, LIFECYCLE);
  for (const bad of [r.notJson, r.noUnit, r.prefixUntagged]) {
    assert.match(bad, /^InvalidParameterException 400 Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: /);
  }
  assert.match(r.noUnit, /countUnit days/);
  assert.match(r.prefixUntagged, /tagPrefixList can only be used with tagStatus tagged/);
  assert.equal(r.afterBad, LIFECYCLE, 'a refused policy leaves the one in place');
  assert.equal(r.deleteLifecycle, LIFECYCLE);
  assert.match(r.deletedLifecycle, /^LifecyclePolicyNotFoundException 400 /);
  assert.match(r.noPolicy, /^RepositoryPolicyNotFoundException 400 Repository policy does not exist for the repository with name 'plain'/);
  assert.match(r.badPolicy, /^InvalidParameterException 400 Invalid parameter at 'PolicyText'/);
  assert.equal(JSON.parse(r.policy).Statement[0].Sid, 'pull');
  assert.match(r.policyGone, /^RepositoryPolicyNotFoundException 400 /);
  assert.equal(r.changed.imageTagMutability, 'IMMUTABLE');
  assert.deepEqual(r.changed.imageScanningConfiguration, { scanOnPush: true });
  assert.deepEqual(r.tags, [{ Key: 'team', Value: 'api' }]);
  assert.match(r.tagsMissing, /^RepositoryNotFoundException 400 /);
  assert.deepEqual(r.images, [[], []]);
  assert.match(r.imageMissing, /^ImageNotFoundException 400 /);
  assert.deepEqual(r.batchDelete.failures, [{ imageId: { imageTag: 'latest' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
  assert.match(Buffer.from(r.token.authorizationToken, 'base64').toString(), /^AWS:.{20,}/);
  assert.equal(r.token.proxyEndpoint, 'https://000000000000.dkr.ecr.us-east-1.amazonaws.com');
  assert.equal(r.deleted, 'plain');
  assert.match(r.deletedAgain, /^RepositoryNotFoundException 400 /);
  assert.deepEqual(r.names, ['sealed', 'team/web']);
});

test('KMS: keys by id, ARN and alias, encryption with the context bound, AWS errors, and deletion after the waiting period', async () => {
  const r = await fl.python(BOTO3_PRELUDE + `
import base64
kms = boto3.client('kms', config=no_retry)
o = {}
k = kms.create_key(Description='orders', Tags=[{'TagKey': 'team', 'TagValue': 'web'}])['KeyMetadata']
k2 = kms.create_key()['KeyMetadata']
o['k'] = k
kms.create_alias(AliasName='alias/orders', TargetKeyId=k['KeyId'])
alias_arn = 'arn:aws:kms:us-east-1:000000000000:alias/orders'
o['byName'] = [kms.describe_key(KeyId=x)['KeyMetadata']['KeyId'] for x in [k['KeyId'], k['Arn'], 'alias/orders', alias_arn]]
o['policy'] = json.loads(kms.get_key_policy(KeyId=k['KeyId'])['Policy'])
o['policyNames'] = kms.list_key_policies(KeyId=k['KeyId'])['PolicyNames']
o['pages'] = [kms.list_keys(Limit=1)]
while o['pages'][-1]['Truncated']: o['pages'].append(kms.list_keys(Limit=1, Marker=o['pages'][-1]['NextMarker']))
o['allKeys'] = kms.list_keys()
o['badMarker'] = outcome(lambda: kms.list_keys(Marker='xyz'))
ctx = {'order': '42'}
c = kms.encrypt(KeyId='alias/orders', Plaintext=b'secret', EncryptionContext=ctx)
o['encryptKeyId'] = c['KeyId']
d = kms.decrypt(CiphertextBlob=c['CiphertextBlob'], EncryptionContext=ctx)
o['decrypted'] = [d['Plaintext'].decode(), d['KeyId'], d['EncryptionAlgorithm']]
o['wrongContext'] = outcome(lambda: kms.decrypt(CiphertextBlob=c['CiphertextBlob'], EncryptionContext={'order': '43'}))
o['noContext'] = outcome(lambda: kms.decrypt(CiphertextBlob=c['CiphertextBlob']))
blob = bytearray(c['CiphertextBlob']); blob[-1] ^= 1
o['tampered'] = outcome(lambda: kms.decrypt(CiphertextBlob=bytes(blob), EncryptionContext=ctx))
o['garbage'] = outcome(lambda: kms.decrypt(CiphertextBlob=b'not a ciphertext blob at all, not at all, not at all, not at all'))
o['otherKey'] = outcome(lambda: kms.decrypt(CiphertextBlob=c['CiphertextBlob'], EncryptionContext=ctx, KeyId=k2['KeyId']))
re = kms.re_encrypt(CiphertextBlob=c['CiphertextBlob'], SourceEncryptionContext=ctx, DestinationKeyId=k2['Arn'])
o['reencrypted'] = [re['SourceKeyId'], re['KeyId'], kms.decrypt(CiphertextBlob=re['CiphertextBlob'])['Plaintext'].decode()]
dk = kms.generate_data_key(KeyId=k['KeyId'], KeySpec='AES_256')
o['dataKey'] = [len(dk['Plaintext']), kms.decrypt(CiphertextBlob=dk['CiphertextBlob'])['Plaintext'] == dk['Plaintext']]
nk = kms.generate_data_key_without_plaintext(KeyId=k['KeyId'], NumberOfBytes=16, EncryptionContext=ctx)
o['dataKeyNoPlain'] = ['Plaintext' in nk, len(kms.decrypt(CiphertextBlob=nk['CiphertextBlob'], EncryptionContext=ctx)['Plaintext'])]
o['bothSpecs'] = outcome(lambda: kms.generate_data_key(KeyId=k['KeyId'], KeySpec='AES_256', NumberOfBytes=8))
o['random'] = len(kms.generate_random(NumberOfBytes=24)['Plaintext'])
o['unknown'] = outcome(lambda: kms.describe_key(KeyId='11111111-2222-3333-4444-555555555555'))
o['notAnId'] = outcome(lambda: kms.encrypt(KeyId='orders', Plaintext=b'x'))
o['unknownAlias'] = outcome(lambda: kms.encrypt(KeyId='alias/nope', Plaintext=b'x'))
o['aliasNoPrefix'] = outcome(lambda: kms.create_alias(AliasName='orders2', TargetKeyId=k['KeyId']))
o['aliasReserved'] = outcome(lambda: kms.create_alias(AliasName='alias/aws/s3', TargetKeyId=k['KeyId']))
o['aliasExists'] = outcome(lambda: kms.create_alias(AliasName='alias/orders', TargetKeyId=k2['KeyId']))
o['aliasUnknownKey'] = outcome(lambda: kms.create_alias(AliasName='alias/x', TargetKeyId='11111111-2222-3333-4444-555555555555'))
kms.create_alias(AliasName='alias/spare', TargetKeyId=k2['KeyId'])
kms.update_alias(AliasName='alias/spare', TargetKeyId=k['KeyId'])
o['aliasesOfKey'] = [a['AliasName'] for a in kms.list_aliases(KeyId=k['Arn'])['Aliases']]
kms.disable_key(KeyId=k['KeyId'])
o['disabled'] = [outcome(lambda: kms.encrypt(KeyId=k['KeyId'], Plaintext=b'x')), outcome(lambda: kms.decrypt(CiphertextBlob=c['CiphertextBlob'], EncryptionContext=ctx)), kms.describe_key(KeyId=k['KeyId'])['KeyMetadata']['KeyState']]
kms.enable_key(KeyId=k['KeyId'])
o['reenabled'] = kms.decrypt(CiphertextBlob=c['CiphertextBlob'], EncryptionContext=ctx)['Plaintext'].decode()
kms.enable_key_rotation(KeyId=k['KeyId'])
o['rotation'] = kms.get_key_rotation_status(KeyId=k['KeyId'])
kms.update_key_description(KeyId=k['KeyId'], Description='orders v2')
kms.tag_resource(KeyId=k['KeyId'], Tags=[{'TagKey': 'env', 'TagValue': 'prod'}])
kms.untag_resource(KeyId=k['KeyId'], TagKeys=['team'])
o['tags'] = kms.list_resource_tags(KeyId=k['KeyId'])['Tags']
o['reservedTag'] = outcome(lambda: kms.tag_resource(KeyId=k['KeyId'], Tags=[{'TagKey': 'aws:x', 'TagValue': 'y'}]))
o['badPolicy'] = outcome(lambda: kms.put_key_policy(KeyId=k['KeyId'], Policy='{"no": "statements"}'))
o['asymmetric'] = outcome(lambda: kms.create_key(KeySpec='RSA_2048', KeyUsage='SIGN_VERIFY'))
o['shortWindow'] = outcome(lambda: kms.schedule_key_deletion(KeyId=k['KeyId'], PendingWindowInDays=5))
o['scheduled'] = kms.schedule_key_deletion(KeyId=k['KeyId'], PendingWindowInDays=7)
o['pending'] = [outcome(lambda: kms.encrypt(KeyId=k['KeyId'], Plaintext=b'x')), outcome(lambda: kms.enable_key(KeyId=k['KeyId']))]
o['cancel'] = kms.cancel_key_deletion(KeyId=k['KeyId'])['KeyId']
o['afterCancel'] = kms.describe_key(KeyId=k['KeyId'])['KeyMetadata']
o['notPending'] = outcome(lambda: kms.cancel_key_deletion(KeyId=k['KeyId']))
advance(8 * 86400)
o['survives'] = kms.describe_key(KeyId=k['KeyId'])['KeyMetadata']['KeyState']
kms.schedule_key_deletion(KeyId=k['KeyId'], PendingWindowInDays=7)
advance(7 * 86400 - 1)
o['almost'] = kms.describe_key(KeyId='alias/orders')['KeyMetadata']['KeyState']
advance(1)
o['gone'] = outcome(lambda: kms.describe_key(KeyId=k['KeyId']))
o['aliasesLeft'] = [a['AliasName'] for a in kms.list_aliases()['Aliases']]
o['keysLeft'] = [x['KeyId'] for x in kms.list_keys()['Keys']]
o['k2'] = k2['KeyId']
out(o)
`);
  const arn = r.k.Arn as string;
  const id = r.k.KeyId as string;
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(arn, `arn:aws:kms:us-east-1:000000000000:key/${id}`);
  assert.deepEqual(
    [r.k.KeyState, r.k.Enabled, r.k.KeySpec, r.k.KeyUsage, r.k.Origin, r.k.KeyManager, r.k.EncryptionAlgorithms, r.k.Description],
    ['Enabled', true, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'AWS_KMS', 'CUSTOMER', ['SYMMETRIC_DEFAULT'], 'orders'],
  );
  assert.deepEqual(r.byName, [id, id, id, id]);
  assert.deepEqual(r.policy.Statement, [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'kms:*', Resource: '*' }]);
  assert.deepEqual(r.policyNames, ['default']);
  assert.equal(r.allKeys.Truncated, false);
  assert.ok(r.pages.length >= 2 && r.pages.every((p: { Keys: unknown[] }) => p.Keys.length === 1));
  assert.deepEqual(r.pages.flatMap((p: { Keys: unknown[] }) => p.Keys), r.allKeys.Keys, 'pages of one key give every key once');
  assert.match(r.badMarker, /^InvalidMarkerException 400 /);
  assert.equal(r.encryptKeyId, arn);
  assert.deepEqual(r.decrypted, ['secret', arn, 'SYMMETRIC_DEFAULT']);
  for (const bad of [r.wrongContext, r.noContext, r.tampered, r.garbage]) assert.equal(bad, 'InvalidCiphertextException 400 ');
  assert.equal(r.otherKey, 'IncorrectKeyException 400 The key ID in the request does not identify a KMS key that can perform this operation.');
  assert.deepEqual(r.reencrypted, [arn, `arn:aws:kms:us-east-1:000000000000:key/${r.k2}`, 'secret']);
  assert.deepEqual(r.dataKey, [32, true]);
  assert.deepEqual(r.dataKeyNoPlain, [false, 16]);
  assert.match(r.bothSpecs, /^ValidationException 400 /);
  assert.equal(r.random, 24);
  assert.equal(r.unknown, "NotFoundException 400 Key 'arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555' does not exist");
  assert.match(r.notAnId, /^NotFoundException 400 Invalid keyId/);
  assert.equal(r.unknownAlias, "NotFoundException 400 Alias 'arn:aws:kms:us-east-1:000000000000:alias/nope' is not found.");
  assert.equal(r.aliasNoPrefix, 'ValidationException 400 Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  assert.match(r.aliasReserved, /^InvalidAliasNameException 400 .*alias\/aws\//);
  assert.equal(r.aliasExists, 'AlreadyExistsException 400 An alias with the name arn:aws:kms:us-east-1:000000000000:alias/orders already exists');
  assert.match(r.aliasUnknownKey, /^NotFoundException 400 /);
  assert.deepEqual(r.aliasesOfKey, ['alias/orders', 'alias/spare']);
  assert.deepEqual(r.disabled, [`DisabledException 400 ${arn} is disabled.`, `DisabledException 400 ${arn} is disabled.`, 'Disabled']);
  assert.equal(r.reenabled, 'secret');
  assert.equal(r.rotation.KeyRotationEnabled, true);
  assert.equal(r.rotation.RotationPeriodInDays, 365);
  assert.deepEqual(r.tags, [{ TagKey: 'env', TagValue: 'prod' }]);
  assert.match(r.reservedTag, /^TagException 400 /);
  assert.match(r.badPolicy, /^MalformedPolicyDocumentException 400 /);
  assert.match(r.asymmetric, /^UnsupportedOperationException 400 .*SYMMETRIC_DEFAULT/);
  assert.equal(r.shortWindow, "ValidationException 400 1 validation error detected: Value '5' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7");
  assert.equal(r.scheduled.KeyState, 'PendingDeletion');
  assert.equal(r.scheduled.PendingWindowInDays, 7);
  assert.deepEqual(r.pending, [`KMSInvalidStateException 400 ${arn} is pending deletion.`, `KMSInvalidStateException 400 ${arn} is pending deletion.`]);
  assert.equal(r.cancel, arn);
  assert.equal(r.afterCancel.KeyState, 'Disabled', 'a key whose deletion is cancelled is disabled');
  assert.equal(r.afterCancel.DeletionDate, undefined);
  assert.equal(r.afterCancel.Description, 'orders v2');
  assert.match(r.notPending, /^KMSInvalidStateException 400 /);
  assert.equal(r.survives, 'Disabled', 'the cancelled deletion never happens');
  assert.equal(r.almost, 'PendingDeletion');
  assert.equal(r.gone, `NotFoundException 400 Key '${arn}' does not exist`);
  assert.deepEqual(r.aliasesLeft, [], "the key's aliases go with it");
  assert.ok(!r.keysLeft.includes(id) && r.keysLeft.includes(r.k2), 'only the deleted key is gone');
});

test('CloudFormation: a repository with a lifecycle policy and a key with an alias, created and deleted with the stack (AWS CLI)', async () => {
  const template = {
    Resources: {
      Repo: {
        Type: 'AWS::ECR::Repository',
        Properties: {
          ImageTagMutability: 'IMMUTABLE',
          LifecyclePolicy: { LifecyclePolicyText: LIFECYCLE },
          RepositoryPolicyText: { Version: '2012-10-17', Statement: [{ Sid: 'LambdaPull', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['ecr:BatchGetImage'] }] },
          Tags: [{ Key: 'app', Value: 'cdk' }],
        },
      },
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: {
          Description: 'assets',
          EnableKeyRotation: true,
          PendingWindowInDays: 7,
          KeyPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: { Ref: 'AWS::AccountId' } }, Action: 'kms:*', Resource: '*' }] },
        },
      },
      KeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/cdk-assets-key', TargetKeyId: { Ref: 'Key' } } },
    },
    Outputs: {
      RepoName: { Value: { Ref: 'Repo' } },
      RepoUri: { Value: { 'Fn::GetAtt': ['Repo', 'RepositoryUri'] } },
      RepoArn: { Value: { 'Fn::GetAtt': ['Repo', 'Arn'] } },
      KeyId: { Value: { Ref: 'Key' } },
      KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] } },
      Alias: { Value: { Ref: 'KeyAlias' } },
    },
  };
  await fl.aws('cloudformation', 'create-stack', '--stack-name', 'Assets', '--template-body', JSON.stringify(template));
  fl.advance(1);
  const stack = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'Assets')).Stacks[0];
  assert.equal(stack.StackStatus, 'CREATE_COMPLETE', JSON.stringify(stack));
  const outputs = Object.fromEntries(stack.Outputs.map((o: { OutputKey: string; OutputValue: string }) => [o.OutputKey, o.OutputValue]));
  assert.match(outputs.RepoName, /^assets-repo-[a-z0-9]{12}$/);
  assert.equal(outputs.RepoUri, `000000000000.dkr.ecr.us-east-1.amazonaws.com/${outputs.RepoName}`);
  assert.equal(outputs.RepoArn, `arn:aws:ecr:us-east-1:000000000000:repository/${outputs.RepoName}`);
  assert.equal(outputs.KeyArn, `arn:aws:kms:us-east-1:000000000000:key/${outputs.KeyId}`);
  assert.equal(outputs.Alias, 'alias/cdk-assets-key');

  const repo = (await fl.aws('ecr', 'describe-repositories', '--repository-names', outputs.RepoName)).repositories[0];
  assert.equal(repo.imageTagMutability, 'IMMUTABLE');
  assert.equal((await fl.aws('ecr', 'get-lifecycle-policy', '--repository-name', outputs.RepoName)).lifecyclePolicyText, LIFECYCLE);
  assert.equal(JSON.parse((await fl.aws('ecr', 'get-repository-policy', '--repository-name', outputs.RepoName)).policyText).Statement[0].Sid, 'LambdaPull');
  assert.deepEqual((await fl.aws('ecr', 'list-tags-for-resource', '--resource-arn', outputs.RepoArn)).tags, [{ Key: 'app', Value: 'cdk' }]);
  const key = (await fl.aws('kms', 'describe-key', '--key-id', 'alias/cdk-assets-key')).KeyMetadata;
  assert.deepEqual([key.KeyId, key.Description, key.KeyState], [outputs.KeyId, 'assets', 'Enabled']);
  assert.equal((await fl.aws('kms', 'get-key-rotation-status', '--key-id', outputs.KeyId)).KeyRotationEnabled, true);
  assert.deepEqual(JSON.parse((await fl.aws('kms', 'get-key-policy', '--key-id', outputs.KeyId)).Policy).Statement[0].Principal, { AWS: '000000000000' });

  await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'Assets');
  fl.advance(1);
  const gone = await fl.awsRaw('cloudformation', 'describe-stacks', '--stack-name', 'Assets');
  assert.match(gone.stderr, /Stack with id Assets does not exist/);
  assert.match((await fl.awsRaw('ecr', 'describe-repositories', '--repository-names', outputs.RepoName)).stderr, /RepositoryNotFoundException/);
  assert.deepEqual((await fl.aws('kms', 'list-aliases', '--key-id', outputs.KeyId)).Aliases, []);
  const pending = (await fl.aws('kms', 'describe-key', '--key-id', outputs.KeyId)).KeyMetadata;
  assert.equal(pending.KeyState, 'PendingDeletion', 'deleting the stack schedules the key for deletion');
  assert.equal(pending.PendingDeletionWindowInDays, 7);
  fl.advance(7 * 86400);
  assert.match((await fl.awsRaw('kms', 'describe-key', '--key-id', outputs.KeyId)).stderr, /NotFoundException/);
});
