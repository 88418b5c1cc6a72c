/**
 * AWS's public parameters that templates and the CDK read, read-only and the same in every
 * account: the latest Amazon Linux AMIs (`/aws/service/ami-amazon-linux-latest/*`), resolving to
 * faultline's built-in images of the region, and the global infrastructure tree
 * (`/aws/service/global-infrastructure/...`) describing faultline's regions and the services it
 * offers. Only x86_64 images are built in, so only x86_64 names are answered.
 */
import type { Config } from '../../config.ts';
import { own } from '../../core/own.ts';
import { builtinImages } from '../ec2/builtin-images.ts';

export interface PublicParameter {
  Name: string;
  Value: string;
  /** ISO time. */
  LastModifiedDate: string;
}

const AMI_PATH = '/aws/service/ami-amazon-linux-latest';
const INFRA = '/aws/service/global-infrastructure';

/** Public AMI parameter names, by the name prefix of the built-in image they resolve to. */
const AMI_NAMES: Record<string, string[]> = {
  // The CDK's MachineImage.latestAmazonLinux2() reads amzn2-ami-kernel-5.10-hvm-x86_64-gp2.
  'amzn2-ami-hvm-': ['amzn2-ami-hvm-x86_64-gp2', 'amzn2-ami-hvm-x86_64-ebs', 'amzn2-ami-kernel-5.10-hvm-x86_64-gp2', 'amzn2-ami-kernel-5.10-hvm-x86_64-ebs'],
  // MachineImage.latestAmazonLinux2023() reads al2023-ami-kernel-6.1-x86_64.
  'al2023-ami-': ['al2023-ami-kernel-default-x86_64', 'al2023-ami-kernel-6.1-x86_64'],
  'amzn-ami-hvm-': ['amzn-ami-hvm-x86_64-gp2'],
};

/** AWS's long names of its regions (the `longName` parameter); a region not listed is named by its code. */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'ca-central-1': 'Canada (Central)',
  'eu-west-1': 'Europe (Ireland)',
  'eu-west-2': 'Europe (London)',
  'eu-west-3': 'Europe (Paris)',
  'eu-central-1': 'Europe (Frankfurt)',
  'eu-central-2': 'Europe (Zurich)',
  'eu-north-1': 'Europe (Stockholm)',
  'eu-south-1': 'Europe (Milan)',
  'eu-south-2': 'Europe (Spain)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-northeast-3': 'Asia Pacific (Osaka)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-east-1': 'Asia Pacific (Hong Kong)',
  'sa-east-1': 'South America (Sao Paulo)',
  'me-south-1': 'Middle East (Bahrain)',
  'af-south-1': 'Africa (Cape Town)',
};

/** The services faultline offers, by their global-infrastructure code, with AWS's long names. */
const SERVICES: Record<string, string> = {
  autoscaling: 'Amazon EC2 Auto Scaling',
  cloudformation: 'AWS CloudFormation',
  cloudwatch: 'Amazon CloudWatch',
  ec2: 'Amazon Elastic Compute Cloud (EC2)',
  ecr: 'Amazon Elastic Container Registry (ECR)',
  elb: 'Elastic Load Balancing (ELB)',
  fis: 'AWS Fault Injection Service',
  iam: 'AWS Identity and Access Management (IAM)',
  kms: 'AWS Key Management Service',
  rds: 'Amazon Relational Database Service (RDS)',
  route53: 'Amazon Route 53',
  s3: 'Amazon Simple Storage Service (S3)',
  sns: 'Amazon Simple Notification Service (SNS)',
  ssm: 'AWS Systems Manager',
  sts: 'AWS Security Token Service',
};

const cache = new WeakMap<Config, Map<string, PublicParameter[]>>();

/** Every public parameter as the region answers it, sorted by name. */
export function publicParameters(config: Config, region: string): readonly PublicParameter[] {
  let byRegion = cache.get(config);
  if (!byRegion) cache.set(config, (byRegion = new Map()));
  let list = byRegion.get(region);
  if (!list) byRegion.set(region, (list = build(config, region)));
  return list;
}

function build(config: Config, region: string): PublicParameter[] {
  const out: PublicParameter[] = [];
  for (const image of builtinImages(region)) {
    for (const [prefix, names] of Object.entries(AMI_NAMES)) {
      if (image.Name.startsWith(prefix)) for (const n of names) out.push({ Name: `${AMI_PATH}/${n}`, Value: image.ImageId, LastModifiedDate: image.CreationDate });
    }
  }
  const since = '2019-04-22T00:00:00.000Z';
  const add = (name: string, value: string) => out.push({ Name: `${INFRA}/${name}`, Value: value, LastModifiedDate: since });
  const regions = Object.keys(config.regions).sort();
  for (const r of regions) {
    add(`regions/${r}`, r);
    add(`regions/${r}/longName`, own(REGION_NAMES, r) ?? r);
    add(`regions/${r}/domain`, 'amazonaws.com');
    add(`regions/${r}/partition`, 'aws');
    for (const s of Object.keys(SERVICES)) add(`regions/${r}/services/${s}`, s);
  }
  for (const [s, longName] of Object.entries(SERVICES)) {
    add(`services/${s}`, s);
    add(`services/${s}/longName`, longName);
    for (const r of regions) add(`services/${s}/regions/${r}`, r);
  }
  return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}
