/** Every service faultline serves, listed explicitly. */
import type { Service } from './service.ts';
import { autoscaling } from './autoscaling/index.ts';
import { cloudformation } from './cloudformation/index.ts';
import { cloudwatch } from './cloudwatch/index.ts';
import { ec2 } from './ec2/index.ts';
import { elb, elbv2 } from './elb/index.ts';
import { fis } from './fis/index.ts';
import { iam } from './iam/index.ts';
import { route53 } from './route53/index.ts';
import { rds } from './rds/index.ts';
import { s3 } from './s3/index.ts';
import { ssm } from './ssm/index.ts';
import { ecr } from './ecr/index.ts';
import { kms } from './kms/index.ts';
import { sns } from './sns/index.ts';
import { sts } from './sts/index.ts';

export const services: readonly Service[] = [ec2, iam, sts, s3, cloudwatch, sns, autoscaling, cloudformation, fis, elb, elbv2, route53, rds, ssm, ecr, kms];
