/**
 * A bucket's configurations through S3's API: lifecycle rules, versioning, default encryption,
 * Block Public Access and Object Ownership, kept and returned with S3's errors; new buckets as S3
 * makes them since April 2023 (ACLs off, public access blocked, SSE-S3); and what the public access
 * settings refuse or ignore. Driven with boto3 (one script per test) and the AWS CLI's s3api.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const OTHER = '222222222222';

const PRELUDE = `${BOTO3_PRELUDE}
from botocore import UNSIGNED
s3 = boto3.client('s3', config=no_retry)
other = boto3.client('s3', config=no_retry, aws_access_key_id='${OTHER}', aws_secret_access_key='x')
anon = boto3.client('s3', config=Config(signature_version=UNSIGNED, retries={'total_max_attempts': 1}))
def code(fn):
    r = outcome(fn)
    return None if r == 'ok' else r.split(' ')[0]
def read(c, bucket, key):
    return c.get_object(Bucket=bucket, Key=key)['Body'].read().decode()
`;

describe('S3 bucket configurations', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  const py = (script: string) => fl.python(PRELUDE + script);

  it('creates buckets with ACLs off, public access blocked and SSE-S3, and returns those settings, through the AWS CLI', async () => {
    await fl.aws('s3api', 'create-bucket', '--bucket', 'defaults-a');
    assert.deepEqual(await fl.aws('s3api', 'get-bucket-ownership-controls', '--bucket', 'defaults-a'), {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    assert.deepEqual(await fl.aws('s3api', 'get-public-access-block', '--bucket', 'defaults-a'), {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    });
    assert.deepEqual(await fl.aws('s3api', 'get-bucket-encryption', '--bucket', 'defaults-a'), {
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] },
    });
    const lifecycle = await fl.awsRaw('s3api', 'get-bucket-lifecycle-configuration', '--bucket', 'defaults-a');
    assert.match(lifecycle.stderr, /\(NoSuchLifecycleConfiguration\).*The lifecycle configuration does not exist/);

    await fl.aws('s3api', 'put-bucket-versioning', '--bucket', 'defaults-a', '--versioning-configuration', 'Status=Enabled');
    assert.deepEqual(await fl.aws('s3api', 'get-bucket-versioning', '--bucket', 'defaults-a'), { Status: 'Enabled' });
    const acl = await fl.awsRaw('s3api', 'put-bucket-acl', '--bucket', 'defaults-a', '--acl', 'public-read');
    assert.match(acl.stderr, /\(AccessControlListNotSupported\).*The bucket does not allow ACLs/);
  });

  it('keeps, returns and deletes lifecycle rules, and refuses bad ones as S3 does', async () => {
    const out = await py(`
s3.create_bucket(Bucket='rules-a')
rules = [
  {'ID': 'old-versions', 'Status': 'Enabled', 'Filter': {}, 'NoncurrentVersionExpiration': {'NoncurrentDays': 365}},
  {'ID': 'logs', 'Status': 'Enabled', 'Filter': {'And': {'Prefix': 'logs/', 'Tags': [{'Key': 'kind', 'Value': 'debug'}]}},
   'Transitions': [{'Days': 30, 'StorageClass': 'STANDARD_IA'}], 'Expiration': {'Days': 90}},
  {'Status': 'Disabled', 'Prefix': 'tmp/', 'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 7}},
]
put = s3.put_bucket_lifecycle_configuration(Bucket='rules-a', LifecycleConfiguration={'Rules': rules})
got = s3.get_bucket_lifecycle_configuration(Bucket='rules-a')
def bad(*rules):
    return outcome(lambda: s3.put_bucket_lifecycle_configuration(Bucket='rules-a', LifecycleConfiguration={'Rules': list(rules)}))
base = {'ID': 'r', 'Status': 'Enabled', 'Filter': {'Prefix': 'a/'}, 'Expiration': {'Days': 1}}
errors = {
  'noAction': bad({'ID': 'r', 'Status': 'Enabled', 'Filter': {}}),
  'zeroDays': bad(dict(base, Expiration={'Days': 0})),
  'twoExpirations': bad(dict(base, Expiration={'Days': 3, 'ExpiredObjectDeleteMarker': True})),
  'notMidnight': bad(dict(base, Expiration={'Date': '2030-01-01T12:00:00Z'})),
  'filterAndPrefix': bad(dict(base, Prefix='b/')),
  'twoPredicates': bad(dict(base, Filter={'Prefix': 'a/', 'ObjectSizeGreaterThan': 10})),
  'iaTooSoon': bad(dict(base, Expiration={'Days': 90}, Transitions=[{'Days': 7, 'StorageClass': 'STANDARD_IA'}])),
  'sameId': bad(base, base),
  'longId': bad(dict(base, ID='x' * 256)),
  'markerWithTags': bad(dict(base, Filter={'Tag': {'Key': 'k', 'Value': 'v'}}, Expiration={'ExpiredObjectDeleteMarker': True})),
  'none': bad(),
  'otherAccount': code(lambda: other.get_bucket_lifecycle_configuration(Bucket='rules-a')),
}
unchanged = s3.get_bucket_lifecycle_configuration(Bucket='rules-a')['Rules'] == got['Rules']
s3.delete_bucket_lifecycle(Bucket='rules-a')
out({'size': put.get('TransitionDefaultMinimumObjectSize'), 'rules': got['Rules'], 'errors': errors, 'unchanged': unchanged,
     'afterDelete': code(lambda: s3.get_bucket_lifecycle_configuration(Bucket='rules-a'))})
`);
    assert.equal(out.size, 'all_storage_classes_128K');
    const [first, second, third] = out.rules;
    assert.deepEqual(first, { ID: 'old-versions', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 365 } });
    assert.deepEqual(second, {
      ID: 'logs',
      Status: 'Enabled',
      Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'kind', Value: 'debug' }] } },
      Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }],
      Expiration: { Days: 90 },
    });
    // A rule sent without an ID gets one.
    assert.match(third.ID, /^\S{20,}$/);
    assert.deepEqual({ ...third, ID: undefined }, { ID: undefined, Status: 'Disabled', Prefix: 'tmp/', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } });
    assert.deepEqual(out.errors, {
      noAction: 'InvalidRequest 400 At least one action needs to be specified in a rule',
      zeroDays: "InvalidArgument 400 'Days' for Expiration action must be a positive integer",
      twoExpirations: 'MalformedXML 400 The XML you provided was not well-formed or did not validate against our published schema',
      notMidnight: "InvalidArgument 400 'Date' must be at midnight GMT",
      filterAndPrefix: 'MalformedXML 400 The XML you provided was not well-formed or did not validate against our published schema',
      twoPredicates: 'MalformedXML 400 The XML you provided was not well-formed or did not validate against our published schema',
      iaTooSoon: "InvalidArgument 400 'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'",
      sameId: 'InvalidArgument 400 Rule ID must be unique. Found same ID for more than one rule',
      longId: 'InvalidArgument 400 ID length should not exceed allowed limit of 255',
      markerWithTags: 'InvalidRequest 400 ExpiredObjectDeleteMarker cannot be specified with tags.',
      none: 'MalformedXML 400 The XML you provided was not well-formed or did not validate against our published schema',
      otherAccount: 'AccessDenied',
    });
    assert.equal(out.unchanged, true);
    assert.equal(out.afterDelete, 'NoSuchLifecycleConfiguration');
  });

  it('keeps versioning and encryption settings, with S3\'s errors', async () => {
    const out = await py(`
s3.create_bucket(Bucket='settings-a')
r = {'neverVersioned': s3.get_bucket_versioning(Bucket='settings-a').get('Status')}
s3.put_bucket_versioning(Bucket='settings-a', VersioningConfiguration={'Status': 'Suspended'})
r['suspended'] = s3.get_bucket_versioning(Bucket='settings-a').get('Status')
r['badStatus'] = code(lambda: s3.put_bucket_versioning(Bucket='settings-a', VersioningConfiguration={'Status': 'On'}))
kms = {'Rules': [{'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'aws:kms', 'KMSMasterKeyID': 'alias/app'}, 'BucketKeyEnabled': True}]}
s3.put_bucket_encryption(Bucket='settings-a', ServerSideEncryptionConfiguration=kms)
r['kms'] = s3.get_bucket_encryption(Bucket='settings-a')['ServerSideEncryptionConfiguration']
r['keyWithAes'] = outcome(lambda: s3.put_bucket_encryption(Bucket='settings-a', ServerSideEncryptionConfiguration={'Rules': [{'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256', 'KMSMasterKeyID': 'k'}}]}))
r['badAlgorithm'] = code(lambda: s3.put_bucket_encryption(Bucket='settings-a', ServerSideEncryptionConfiguration={'Rules': [{'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'rot13'}}]}))
r['noRules'] = code(lambda: s3.put_bucket_encryption(Bucket='settings-a', ServerSideEncryptionConfiguration={'Rules': []}))
s3.delete_bucket_encryption(Bucket='settings-a')
r['afterDelete'] = s3.get_bucket_encryption(Bucket='settings-a')['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault']
r['missingBucket'] = code(lambda: s3.get_bucket_encryption(Bucket='no-such-settings'))
out(r)
`);
    assert.deepEqual(out, {
      neverVersioned: null,
      suspended: 'Suspended',
      badStatus: 'MalformedXML',
      kms: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/app' }, BucketKeyEnabled: true }] },
      keyWithAes: 'InvalidArgument 400 a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
      badAlgorithm: 'MalformedXML',
      noRules: 'MalformedXML',
      afterDelete: { SSEAlgorithm: 'AES256' },
      missingBucket: 'NoSuchBucket',
    });
  });

  it('refuses public ACLs and policies while public access is blocked, and ignores those already there', async () => {
    const publicRead = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::open-a/*' }] });
    // Fixed source accounts make a statement for everyone non-public.
    const fromAccount = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::open-a/*', Condition: { StringEquals: { 'aws:PrincipalAccount': OTHER } } }],
    });
    const out = await py(`
r = {
  'createPublicAcl': outcome(lambda: s3.create_bucket(Bucket='refused-a', ACL='public-read')),
  'createAclOwnerWrites': outcome(lambda: s3.create_bucket(Bucket='refused-a', ACL='public-read', ObjectOwnership='ObjectWriter')),
  'badOwnership': code(lambda: s3.create_bucket(Bucket='refused-a', ObjectOwnership='Anyone')),
}
s3.create_bucket(Bucket='open-a', ObjectOwnership='ObjectWriter')
s3.put_object(Bucket='open-a', Key='page.html', Body=b'page')
r['publicPolicy'] = outcome(lambda: s3.put_bucket_policy(Bucket='open-a', Policy=${JSON.stringify(publicRead)}))
r['narrowPolicy'] = outcome(lambda: s3.put_bucket_policy(Bucket='open-a', Policy=${JSON.stringify(fromAccount)}))
r['otherReadsNarrow'] = read(other, 'open-a', 'page.html')
r['publicBucketAcl'] = code(lambda: s3.put_bucket_acl(Bucket='open-a', ACL='public-read'))
r['publicObjectAcl'] = code(lambda: s3.put_object_acl(Bucket='open-a', Key='page.html', ACL='public-read'))
r['publicUpload'] = code(lambda: s3.put_object(Bucket='open-a', Key='new.html', Body=b'x', ACL='public-read'))
r['privateAclOk'] = code(lambda: s3.put_bucket_acl(Bucket='open-a', ACL='private'))
# Unblocked, the public settings take; blocked again, they stay but grant nothing.
s3.delete_public_access_block(Bucket='open-a')
r['noBlock'] = code(lambda: s3.get_public_access_block(Bucket='open-a'))
s3.put_bucket_policy(Bucket='open-a', Policy=${JSON.stringify(publicRead)})
s3.put_object_acl(Bucket='open-a', Key='page.html', ACL='public-read')
r['anonOpen'] = read(anon, 'open-a', 'page.html')
s3.put_public_access_block(Bucket='open-a', PublicAccessBlockConfiguration={'RestrictPublicBuckets': True})
r['partial'] = s3.get_public_access_block(Bucket='open-a')['PublicAccessBlockConfiguration']
r['anonPolicyRestricted'] = read(anon, 'open-a', 'page.html')
s3.put_public_access_block(Bucket='open-a', PublicAccessBlockConfiguration={'RestrictPublicBuckets': True, 'IgnorePublicAcls': True})
r['anonAllIgnored'] = code(lambda: read(anon, 'open-a', 'page.html'))
r['ownerStillReads'] = read(s3, 'open-a', 'page.html')
r['policyKept'] = s3.get_bucket_policy(Bucket='open-a')['Policy'] == ${JSON.stringify(publicRead)}
out(r)
`);
    assert.deepEqual(out, {
      createPublicAcl: "InvalidBucketAclWithObjectOwnership 400 Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
      createAclOwnerWrites: 'InvalidBucketAclWithBlockPublicAccessError 400 Bucket cannot have public ACLs set with BlockPublicAccess enabled',
      badOwnership: 'InvalidArgument',
      publicPolicy:
        'AccessDenied 403 User: arn:aws:iam::000000000000:root is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::open-a" because public policies are blocked by the BlockPublicPolicy block public access setting.',
      narrowPolicy: 'ok',
      otherReadsNarrow: 'page',
      publicBucketAcl: 'AccessDenied',
      publicObjectAcl: 'AccessDenied',
      publicUpload: 'AccessDenied',
      privateAclOk: null,
      noBlock: 'NoSuchPublicAccessBlockConfiguration',
      anonOpen: 'page',
      partial: { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: true },
      // The object's public ACL still lets anyone read it; only the policy is restricted.
      anonPolicyRestricted: 'page',
      anonAllIgnored: 'AccessDenied',
      ownerStillReads: 'page',
      policyKept: true,
    });
  });

  it('turns ACLs off and on with ownership controls', async () => {
    const out = await py(`
s3.create_bucket(Bucket='owned-a', ObjectOwnership='ObjectWriter')
s3.delete_public_access_block(Bucket='owned-a')
s3.put_object(Bucket='owned-a', Key='k', Body=b'shared', ACL='public-read')
r = {'writer': s3.get_bucket_ownership_controls(Bucket='owned-a')['OwnershipControls']['Rules'], 'anonBefore': read(anon, 'owned-a', 'k')}
s3.put_bucket_ownership_controls(Bucket='owned-a', OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerEnforced'}]})
r['anonEnforced'] = code(lambda: read(anon, 'owned-a', 'k'))
r['ownerFullControlUpload'] = code(lambda: s3.put_object(Bucket='owned-a', Key='k2', Body=b'x', ACL='bucket-owner-full-control'))
r['publicUpload'] = outcome(lambda: s3.put_object(Bucket='owned-a', Key='k3', Body=b'x', ACL='public-read'))
s3.delete_bucket_ownership_controls(Bucket='owned-a')
r['deleted'] = code(lambda: s3.get_bucket_ownership_controls(Bucket='owned-a'))
r['anonAfter'] = read(anon, 'owned-a', 'k')
s3.put_bucket_acl(Bucket='owned-a', ACL='public-read')
r['enforceWithPublicBucketAcl'] = outcome(lambda: s3.put_bucket_ownership_controls(Bucket='owned-a', OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerEnforced'}]}))
r['badRule'] = code(lambda: s3.put_bucket_ownership_controls(Bucket='owned-a', OwnershipControls={'Rules': [{'ObjectOwnership': 'Nobody'}]}))
r['otherPuts'] = code(lambda: other.put_bucket_ownership_controls(Bucket='owned-a', OwnershipControls={'Rules': [{'ObjectOwnership': 'ObjectWriter'}]}))
out(r)
`);
    assert.deepEqual(out, {
      writer: [{ ObjectOwnership: 'ObjectWriter' }],
      anonBefore: 'shared',
      anonEnforced: 'AccessDenied',
      ownerFullControlUpload: null,
      publicUpload: 'AccessControlListNotSupported 400 The bucket does not allow ACLs',
      deleted: 'OwnershipControlsNotFoundError',
      anonAfter: 'shared',
      enforceWithPublicBucketAcl: "InvalidBucketAclWithObjectOwnership 400 Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
      badRule: 'MalformedXML',
      otherPuts: 'AccessDenied',
    });
  });
});
