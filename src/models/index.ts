/** Loads the generated models. One import per service keeps the list explicit. */
import { readFileSync } from 'node:fs';
import type { ServiceModel } from '../protocols/model.ts';

/** A generated file beside this module (in dist/, beside the bundle: scripts/build.mjs copies them). */
export const readGenerated = (name: string): unknown => JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), 'utf8'));

const load = (name: string): ServiceModel => readGenerated(name) as ServiceModel;

export const models = {
  ec2: load('ec2'),
  iam: load('iam'),
  sts: load('sts'),
  s3: load('s3'),
  cloudwatch: load('cloudwatch'),
  sns: load('sns'),
  cloudformation: load('cloudformation'),
  autoscaling: load('autoscaling'),
  fis: load('fis'),
  elb: load('elb'),
  elbv2: load('elbv2'),
  route53: load('route53'),
  rds: load('rds'),
  ssm: load('ssm'),
  ecr: load('ecr'),
  kms: load('kms'),
};
