/**
 * A small built-in set of AWS managed policies (arn:aws:iam::aws:policy/...), the ones templates
 * and tutorials most often attach. Their documents are abridged; what matters here is that they
 * exist, can be read and can be attached. They belong to no account, so they are constants, not
 * records.
 */
import { createHash } from 'node:crypto';

export interface AwsManagedPolicy {
  PolicyName: string;
  Path: string;
  Arn: string;
  PolicyId: string;
  Description: string;
  DefaultVersionId: string;
  CreateDate: string;
  UpdateDate: string;
  Document: string;
}

const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (Action: string | string[], Resource: string | string[] = '*') => ({ Effect: 'Allow', Action, Resource });

/** A stable id in IAM's shape, so that every faultline shows the same one. */
const policyId = (name: string) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = createHash('sha256').update(`aws-managed:${name}`).digest();
  return 'ANPA' + [...bytes.subarray(0, 17)].map((b) => alphabet[b % 32]).join('');
};

const define = (PolicyName: string, Path: string, Description: string, statements: object[], CreateDate = '2015-02-06T18:40:00Z', UpdateDate = CreateDate) => ({
  PolicyName,
  Path,
  Arn: `arn:aws:iam::aws:policy${Path}${PolicyName}`,
  PolicyId: policyId(PolicyName),
  Description,
  DefaultVersionId: 'v1',
  CreateDate,
  UpdateDate,
  Document: doc(statements),
});

export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [
  define('AdministratorAccess', '/', 'Provides full access to AWS services and resources.', [allow('*')]),
  define('PowerUserAccess', '/', 'Provides full access to AWS services and resources, but does not allow management of Users and groups.', [
    { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
    allow(['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles', 'organizations:DescribeOrganization', 'account:ListRegions']),
  ]),
  define('ReadOnlyAccess', '/', 'Provides read-only access to AWS services and resources.', [
    allow(['autoscaling:Describe*', 'cloudformation:Describe*', 'cloudformation:Get*', 'cloudformation:List*', 'cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*', 'ec2:Describe*', 'ec2:Get*', 'iam:Get*', 'iam:List*', 's3:Get*', 's3:List*', 'sns:Get*', 'sns:List*', 'sts:GetCallerIdentity']),
  ]),
  define('IAMFullAccess', '/', 'Provides full access to IAM via the AWS Management Console.', [allow(['iam:*', 'organizations:DescribeAccount', 'organizations:DescribeOrganization', 'organizations:ListAccounts'])]),
  define('AmazonEC2FullAccess', '/', 'Provides full access to Amazon EC2 via the AWS Management Console.', [
    allow(['ec2:*', 'elasticloadbalancing:*', 'cloudwatch:*', 'autoscaling:*']),
    {
      Effect: 'Allow',
      Action: 'iam:CreateServiceLinkedRole',
      Resource: '*',
      Condition: { StringEquals: { 'iam:AWSServiceName': ['autoscaling.amazonaws.com', 'ec2scheduled.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'spot.amazonaws.com', 'spotfleet.amazonaws.com', 'transitgateway.amazonaws.com'] } },
    },
  ]),
  define('AmazonEC2ReadOnlyAccess', '/', 'Provides read only access to Amazon EC2 via the AWS Management Console.', [
    allow(['ec2:Describe*', 'elasticloadbalancing:Describe*', 'cloudwatch:ListMetrics', 'cloudwatch:GetMetricStatistics', 'cloudwatch:Describe*', 'autoscaling:Describe*']),
  ]),
  define('AmazonS3FullAccess', '/', 'Provides full access to all buckets via the AWS Management Console.', [allow(['s3:*', 's3-object-lambda:*'])]),
  define('AmazonS3ReadOnlyAccess', '/', 'Provides read only access to all buckets via the AWS Management Console.', [allow(['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'])]),
  define('AmazonSSMManagedInstanceCore', '/', 'The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.', [
    allow(['ssm:DescribeAssociation', 'ssm:GetDeployablePatchSnapshotForInstance', 'ssm:GetDocument', 'ssm:DescribeDocument', 'ssm:GetManifest', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:ListAssociations', 'ssm:ListInstanceAssociations', 'ssm:PutInventory', 'ssm:PutComplianceItems', 'ssm:PutConfigurePackageResult', 'ssm:UpdateAssociationStatus', 'ssm:UpdateInstanceAssociationStatus', 'ssm:UpdateInstanceInformation']),
    allow(['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']),
    allow(['ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint', 'ec2messages:GetMessages', 'ec2messages:SendReply']),
  ], '2019-03-15T17:22:12Z'),
  define('CloudWatchAgentServerPolicy', '/', 'Permissions required to use AmazonCloudWatchAgent on servers', [
    allow(['cloudwatch:PutMetricData', 'ec2:DescribeVolumes', 'ec2:DescribeTags', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:DescribeLogGroups', 'logs:CreateLogStream', 'logs:CreateLogGroup']),
    allow('ssm:GetParameter', 'arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*'),
  ], '2019-02-11T21:05:12Z'),
  define('CloudWatchFullAccess', '/', 'Provides full access to CloudWatch.', [allow(['autoscaling:Describe*', 'cloudwatch:*', 'logs:*', 'sns:*', 'iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:GetRole'])]),
  define('AutoScalingFullAccess', '/', 'Provides full access to Auto Scaling.', [allow(['autoscaling:*', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms', 'ec2:Describe*', 'ec2:CreateTags', 'iam:CreateServiceLinkedRole'])]),
  define('AmazonSNSFullAccess', '/', 'Provides full access to Amazon SNS via the AWS Management Console.', [allow('sns:*')]),
  define('AWSCloudFormationFullAccess', '/', 'Provides full access to AWS CloudFormation.', [allow('cloudformation:*')], '2019-07-26T21:50:10Z'),
  define('AmazonEC2RoleforSSM', '/service-role/', 'This policy will soon be deprecated. Please use AmazonSSMManagedInstanceCore policy to enable AWS Systems Manager service core functionality on EC2 instances.', [
    allow(['ssm:*', 'ec2messages:*', 'cloudwatch:PutMetricData', 'ds:CreateComputer', 'ds:DescribeDirectories', 'ec2:DescribeInstanceStatus', 'logs:*', 's3:GetBucketLocation', 's3:PutObject', 's3:GetObject', 's3:ListBucket']),
  ]),
];

const byArn = new Map(AWS_MANAGED_POLICIES.map((p) => [p.Arn, p]));

export const awsManagedPolicy = (arn: string): AwsManagedPolicy | undefined => byArn.get(arn);
