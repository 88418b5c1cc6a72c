/** Loads the generated models. One import per service keeps the list explicit. */
import { readFileSync } from 'node:fs';
import type { ServiceModel } from '../protocols/model.ts';

const load = (name: string): ServiceModel =>
  JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), 'utf8')) as ServiceModel;

export const models = {
  ec2: load('ec2'),
  iam: load('iam'),
  sts: load('sts'),
  s3: load('s3'),
  cloudwatch: load('cloudwatch'),
  sns: load('sns'),
  cloudformation: load('cloudformation'),
  autoscaling: load('autoscaling'),
};
