/** RDS's errors, with the wire codes and statuses of the model's error shapes (spec rds.md §7) and the texts AWS gives. */
import { AwsError } from '../../core/errors.ts';

export const rdsErrors = {
  invalidValue: (message: string) => new AwsError('InvalidParameterValue', message, 400),
  invalidCombination: (message: string) => new AwsError('InvalidParameterCombination', message, 400),
  missing: (message: string) => new AwsError('MissingParameter', message, 400),
  instanceNotFound: (id: string) => new AwsError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404),
  instanceExists: () => new AwsError('DBInstanceAlreadyExists', 'DB instance already exists', 400),
  instanceState: (message: string) => new AwsError('InvalidDBInstanceState', message, 400),
  subnetGroupNotFound: (name: string) => new AwsError('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${name} not found.`, 404),
  subnetGroupExists: (name: string) => new AwsError('DBSubnetGroupAlreadyExists', `DB Subnet Group ${name} already exists.`, 400),
  subnetGroupInUse: (name: string) => new AwsError('InvalidDBSubnetGroupStateFault', `Cannot delete the subnet group '${name}' because at least one database instance: is still using it.`, 400),
  notEnoughAzs: (coverage: number) =>
    new AwsError(
      'DBSubnetGroupDoesNotCoverEnoughAZs',
      `DB Subnet Group doesn't meet availability zone coverage requirement. Please add subnets to cover at least 2 availability zones. Current coverage: ${coverage}`,
      400,
    ),
  invalidSubnet: (message: string) => new AwsError('InvalidSubnet', message, 400),
  subnetInUse: (subnet: string, instance: string) => new AwsError('SubnetAlreadyInUse', `The subnet ${subnet} is in use by DB instance ${instance}.`, 400),
  /** An instance without a subnet group goes into the default VPC; the account deleted it (or faultline runs with --no-default-vpc). */
  noDefaultVpc: () => new AwsError('InvalidVPCNetworkStateFault', 'There is no default VPC in this region: give a DBSubnetGroupName (a DB subnet group covering at least two availability zones).', 400),
  subnetFull: (subnet: string, group: string) => new AwsError('InvalidVPCNetworkStateFault', `The subnet ${subnet} of DB subnet group ${group} has no free IP address for the DB instance.`, 400),
  parameterGroupNotFound: (name: string) => new AwsError('DBParameterGroupNotFound', `DBParameterGroup not found: ${name}`, 404),
  parameterGroupExists: (name: string) => new AwsError('DBParameterGroupAlreadyExists', `Parameter group ${name} already exists`, 400),
  parameterGroupState: (message: string) => new AwsError('InvalidDBParameterGroupState', message, 400),
  snapshotNotFound: (id: string) => new AwsError('DBSnapshotNotFound', `DBSnapshot ${id} not found.`, 404),
  snapshotExists: (id: string) => new AwsError('DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`, 400),
  snapshotState: (message: string) => new AwsError('InvalidDBSnapshotState', message, 400),
  snapshotQuota: () => new AwsError('SnapshotQuotaExceeded', 'Cannot create more than 100 manual snapshots', 400),
  instanceQuota: () => new AwsError('InstanceQuotaExceeded', 'Cannot create more than 40 DB instances', 400),
  pitrNotEnabled: (id: string) => new AwsError('PointInTimeRestoreNotEnabled', `Point-in-time restore is not enabled for DB instance ${id}: its backup retention period is 0.`, 400),
  /** The fault's documented text (API reference, DBInstanceAutomatedBackupNotFoundFault). */
  automatedBackupNotFound: () => new AwsError('DBInstanceAutomatedBackupNotFound', 'No automated backup for this DB instance was found.', 404),
  invalidRestore: (message: string) => new AwsError('InvalidRestoreFault', message, 400),
  capacity: (zone: string) => new AwsError('InsufficientDBInstanceCapacity', `Cannot create a database instance because there is no capacity in availability zone ${zone}.`, 400),
  badIdentifier: (name: string) =>
    new AwsError(
      'InvalidParameterValue',
      `The parameter ${name} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
      400,
    ),
  resourceNotFound: (arn: string) => new AwsError('DBInstanceNotFound', `DBInstance ${arn} not found.`, 404),
};

/** AWS's identifier rule for instances and snapshots: a letter first, letters, digits and hyphens, no trailing or double hyphen. */
export function checkIdentifier(value: string, name: string, max: number): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(value) || value.length > max || value.endsWith('-') || value.includes('--')) throw rdsErrors.badIdentifier(name);
  return value.toLowerCase();
}
