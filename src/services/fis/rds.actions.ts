/**
 * FIS's `aws:rds:reboot-db-instances`: RebootDBInstance on each DB instance its target resolved
 * to, through RDS's own API, with `forceFailover` for a planned Multi-AZ failover (refused by RDS
 * on a Single-AZ instance, which fails the action).
 */
import { loopContext } from '../ec2/scoped.ts';
import { rds } from '../rds/index.ts';
import type { ActionSpec } from './action.ts';

const idOf = (arn: string) => arn.slice(arn.lastIndexOf(':db:') + 4);

export const rebootDbInstances: ActionSpec = {
  id: 'aws:rds:reboot-db-instances',
  description: 'Reboot the specified Amazon RDS DB instances, with a failover to the standby for Multi-AZ instances when forceFailover is true.',
  target: { key: 'DBInstances', resourceType: 'aws:rds:db' },
  parameters: {
    forceFailover: {
      description: 'If true, a Multi-AZ instance fails over to its standby as it reboots.',
      required: false,
      check: (v) => (v === 'true' || v === 'false' ? undefined : 'must be true or false'),
    },
  },
  start(run) {
    // RDS's refusal (an AwsError) fails the action as the dependent service's failure.
    for (const arn of run.targets) rds.handlers.RebootDBInstance({ DBInstanceIdentifier: idOf(arn), ForceFailover: run.parameters.forceFailover === 'true' }, loopContext(run.env, run.scope));
  },
};
