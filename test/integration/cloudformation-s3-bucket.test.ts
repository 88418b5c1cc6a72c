/**
 * AWS::S3::Bucket's configuration properties (LifecycleConfiguration, VersioningConfiguration,
 * BucketEncryption, PublicAccessBlockConfiguration, OwnershipControls) through CloudFormation:
 * set when the stack makes the bucket, changed and removed in place by updates, and bad values
 * failing the resource with S3's error. Driven with boto3 on the manual clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const BUCKET = 'cfn-configured-bucket';

/** The bucket as the CDK bootstrap stack makes its staging bucket, with ownership controls too. */
const created = {
  BucketName: BUCKET,
  VersioningConfiguration: { Status: 'Enabled' },
  BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/cdk-key' } }] },
  PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
  OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
  LifecycleConfiguration: {
    Rules: [
      { Id: 'CleanupOldVersions', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 365 } },
      { Id: 'Logs', Status: 'Enabled', Prefix: 'logs/', TagFilters: [{ Key: 'kind', Value: 'debug' }], ExpirationInDays: '30', Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 7 }] },
    ],
  },
};

/** The same bucket after an update: each property changed, and the lifecycle rules removed. */
const updated = {
  BucketName: BUCKET,
  VersioningConfiguration: { Status: 'Suspended' },
  BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: 'false' }] },
  PublicAccessBlockConfiguration: { BlockPublicAcls: 'true', IgnorePublicAcls: true },
  OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] },
};

const template = (props: object) => JSON.stringify({ Resources: { Staging: { Type: 'AWS::S3::Bucket', Properties: props } } });

/** `configs()`: what S3 says of the bucket now, each configuration or its error code. */
const PRELUDE = `${BOTO3_PRELUDE}
cfn, s3 = boto3.client('cloudformation'), boto3.client('s3')
def get(fn, key):
    try:
        return fn(Bucket='${BUCKET}')[key]
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
def configs():
    return {
      'versioning': get(s3.get_bucket_versioning, 'Status'),
      'encryption': get(s3.get_bucket_encryption, 'ServerSideEncryptionConfiguration'),
      'block': get(s3.get_public_access_block, 'PublicAccessBlockConfiguration'),
      'ownership': get(s3.get_bucket_ownership_controls, 'OwnershipControls'),
      'lifecycle': get(s3.get_bucket_lifecycle_configuration, 'Rules'),
      'created': [b['CreationDate'] for b in s3.list_buckets()['Buckets'] if b['Name'] == '${BUCKET}'],
    }
def stack(name):
    s = cfn.describe_stacks(StackName=name)['Stacks'][0]
    failed = [e['ResourceStatusReason'] for e in cfn.describe_stack_events(StackName=name)['StackEvents'] if e['ResourceStatus'].endswith('_FAILED')]
    return {'status': s['StackStatus'], 'failed': failed}
`;

describe('CloudFormation S3 bucket configurations', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  const py = (script: string) => fl.python(PRELUDE + script);

  it('sets all five configurations with the bucket, and updates and removes them in place', async () => {
    await py(`cfn.create_stack(StackName='staging', TemplateBody=${JSON.stringify(template(created))})`);
    fl.advance(5);
    const first = await py(`out({'stack': stack('staging'), 'configs': configs()})`);
    assert.deepEqual(first.stack, { status: 'CREATE_COMPLETE', failed: [] });
    const c = first.configs;
    assert.equal(c.versioning, 'Enabled');
    assert.deepEqual(c.encryption, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/cdk-key' } }] });
    assert.deepEqual(c.block, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    assert.deepEqual(c.ownership, { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    assert.deepEqual(c.lifecycle, [
      { ID: 'CleanupOldVersions', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 365 } },
      {
        ID: 'Logs',
        Status: 'Enabled',
        Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'kind', Value: 'debug' }] } },
        Expiration: { Days: 30 },
        Transitions: [{ Days: 7, StorageClass: 'GLACIER' }],
      },
    ]);

    await py(`cfn.update_stack(StackName='staging', TemplateBody=${JSON.stringify(template(updated))})`);
    fl.advance(5);
    const second = await py(`out({'stack': stack('staging'), 'configs': configs()})`);
    assert.deepEqual(second.stack, { status: 'UPDATE_COMPLETE', failed: [] });
    assert.deepEqual(second.configs, {
      versioning: 'Suspended',
      encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] },
      block: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false },
      ownership: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] },
      lifecycle: 'NoSuchLifecycleConfiguration',
      // The same bucket, changed in place rather than replaced.
      created: c.created,
    });
  });

  it('fails a bucket whose configuration S3 refuses, or that has a key the type does not, and rolls back', async () => {
    const badRule = { BucketName: 'cfn-bad-rule-bucket', LifecycleConfiguration: { Rules: [{ Status: 'Enabled', ExpirationInDays: 0 }] } };
    const badKey = { BucketName: 'cfn-bad-key-bucket', VersioningConfiguration: { Status: 'Enabled', MfaDelete: 'Enabled' } };
    const out = await py(`
cfn.create_stack(StackName='bad-rule', TemplateBody=${JSON.stringify(template(badRule))})
cfn.create_stack(StackName='bad-key', TemplateBody=${JSON.stringify(template(badKey))})
advance(5)
names = [b['Name'] for b in s3.list_buckets()['Buckets']]
out({'rule': stack('bad-rule'), 'key': stack('bad-key'), 'left': [n for n in names if n.startswith('cfn-bad')]})
`);
    assert.equal(out.rule.status, 'ROLLBACK_COMPLETE');
    assert.match(out.rule.failed[0], /^'Days' for Expiration action must be a positive integer \(Service: S3; Status Code: 400; Error Code: InvalidArgument;/);
    assert.equal(out.key.status, 'ROLLBACK_COMPLETE');
    assert.equal(out.key.failed[0], 'Properties validation failed: #/VersioningConfiguration: extraneous key [MfaDelete] is not permitted');
    assert.deepEqual(out.left, []);
  });
});
