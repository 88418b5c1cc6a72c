/**
 * The catalogue of AWS managed policies: any of them can be read (GetPolicy, GetPolicyVersion
 * with its real document), listed (ListPolicies with Scope=AWS, paging, path prefixes) and
 * attached, through the AWS CLI, boto3 and a CloudFormation role's ManagedPolicyArns; the
 * policies of service-linked roles cannot be attached to a customer's role.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const policy = (name: string) => `arn:aws:iam::aws:policy/${name}`;

describe('AWS managed policies', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  it('reads and attaches AWSCloudFormationReadOnlyAccess and policies under paths through the AWS CLI', async () => {
    await fl.aws('iam', 'create-role', '--role-name', 'deployer', '--assume-role-policy-document', TRUST);
    for (const name of ['AWSCloudFormationReadOnlyAccess', 'job-function/ViewOnlyAccess', 'service-role/AmazonEC2ContainerServiceforEC2Role'])
      await fl.aws('iam', 'attach-role-policy', '--role-name', 'deployer', '--policy-arn', policy(name));
    const attached = await fl.aws('iam', 'list-attached-role-policies', '--role-name', 'deployer');
    assert.deepEqual(attached.AttachedPolicies.map((p: { PolicyArn: string }) => p.PolicyArn).sort(), [
      policy('AWSCloudFormationReadOnlyAccess'),
      policy('job-function/ViewOnlyAccess'),
      policy('service-role/AmazonEC2ContainerServiceforEC2Role'),
    ]);

    const got = (await fl.aws('iam', 'get-policy', '--policy-arn', policy('AWSCloudFormationReadOnlyAccess'))).Policy;
    assert.equal(got.PolicyName, 'AWSCloudFormationReadOnlyAccess');
    assert.equal(got.Path, '/');
    assert.equal(got.AttachmentCount, 1);
    assert.equal(got.IsAttachable, true);
    assert.match(got.DefaultVersionId, /^v\d+$/);
    const version = (await fl.aws('iam', 'get-policy-version', '--policy-arn', policy('AWSCloudFormationReadOnlyAccess'), '--version-id', got.DefaultVersionId)).PolicyVersion;
    assert.equal(version.IsDefaultVersion, true);
    assert.ok(version.Document.Statement[0].Action.includes('cloudformation:Describe*'), JSON.stringify(version.Document));

    const serviceLinked = await fl.awsRaw('iam', 'attach-role-policy', '--role-name', 'deployer', '--policy-arn', policy('aws-service-role/AutoScalingServiceRolePolicy'));
    assert.match(serviceLinked.stderr, /\(PolicyNotAttachable\).*Cannot attach a Service Role Policy to a Customer Role\./);
    const missing = await fl.awsRaw('iam', 'get-policy', '--policy-arn', policy('NoSuchManagedPolicy'));
    assert.match(missing.stderr, /\(NoSuchEntity\)/);
  });

  it('lists the whole catalogue with Scope=AWS, page by page, and by path, through boto3', async () => {
    const out = await fl.python(`${BOTO3_PRELUDE}
iam = boto3.client('iam')
names, pages, kw = [], 0, {'Scope': 'AWS', 'MaxItems': 400}
while True:
    page = iam.list_policies(**kw)
    names += [p['PolicyName'] for p in page['Policies']]
    pages += 1
    if not page['IsTruncated']:
        break
    kw['Marker'] = page['Marker']
job = [p['Arn'] for p in iam.list_policies(Scope='AWS', PathPrefix='/job-function/')['Policies']]
local = iam.list_policies(Scope='Local')['Policies']
attached = sorted(p['PolicyName'] for p in iam.list_policies(Scope='AWS', OnlyAttached=True)['Policies'])
slr = iam.get_policy(PolicyArn='arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy')['Policy']
out({'count': len(names), 'unique': len(set(names)), 'sorted': names == sorted(names), 'pages': pages,
     'has': [n in names for n in ('AWSCloudFormationReadOnlyAccess', 'AdministratorAccess', 'AmazonSSMManagedInstanceCore', 'AmazonS3ReadOnlyAccess')],
     'job': job, 'local': local, 'attached': attached, 'slrAttachable': slr['IsAttachable'], 'slrPath': slr['Path']})
`);
    assert.ok(out.count > 1000, `only ${out.count} policies`);
    assert.equal(out.unique, out.count);
    assert.equal(out.sorted, true);
    assert.equal(out.pages, Math.ceil(out.count / 400));
    assert.deepEqual(out.has, [true, true, true, true]);
    assert.ok(out.job.includes(policy('job-function/ViewOnlyAccess')) && out.job.every((a: string) => a.startsWith(policy('job-function/'))), JSON.stringify(out.job));
    assert.deepEqual(out.local, []);
    assert.deepEqual(out.attached, ['AWSCloudFormationReadOnlyAccess', 'AmazonEC2ContainerServiceforEC2Role', 'ViewOnlyAccess']);
    assert.deepEqual([out.slrAttachable, out.slrPath], [false, '/aws-service-role/']);
  });

  it('attaches managed policies from a CloudFormation role\'s ManagedPolicyArns', async () => {
    const template = JSON.stringify({
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            RoleName: 'cfn-exec',
            AssumeRolePolicyDocument: JSON.parse(TRUST),
            ManagedPolicyArns: [
              { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AWSCloudFormationReadOnlyAccess' },
              policy('AmazonSSMManagedInstanceCore'),
              policy('service-role/AWSLambdaBasicExecutionRole'),
            ],
          },
        },
      },
    });
    await fl.python(`${BOTO3_PRELUDE}
boto3.client('cloudformation').create_stack(StackName='exec-role', TemplateBody=${JSON.stringify(template)}, Capabilities=['CAPABILITY_NAMED_IAM'])
`);
    fl.advance(5);
    const stack = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'exec-role')).Stacks[0];
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', stack.StackStatusReason);
    const attached = await fl.aws('iam', 'list-attached-role-policies', '--role-name', 'cfn-exec');
    assert.deepEqual(attached.AttachedPolicies.map((p: { PolicyName: string }) => p.PolicyName).sort(), [
      'AWSCloudFormationReadOnlyAccess',
      'AWSLambdaBasicExecutionRole',
      'AmazonSSMManagedInstanceCore',
    ]);
  });
});
