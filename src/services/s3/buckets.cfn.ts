/**
 * CloudFormation's AWS::S3::Bucket through S3's handlers. Generated names are lower case, as
 * bucket names must be; deleting a bucket that still holds objects fails, as it does on AWS. The
 * bucket's lifecycle, versioning, encryption, public access block and ownership controls are set
 * after it is made and changed in place (bucket-configurations.cfn.ts).
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry } from '../../cloudformation/handler-kit.ts';
import type { ResourceContext, ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { CONFIGURATION_PROPERTIES, configurationCalls } from './bucket-configurations.cfn.ts';
import { s3 } from './index.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(s3, op, input, rc.request);

/** Properties that only configure what faultline's S3 does not serve; refused rather than ignored. */
const UNSERVED = ['AccelerateConfiguration', 'AnalyticsConfigurations', 'CorsConfiguration', 'IntelligentTieringConfigurations', 'InventoryConfigurations', 'LoggingConfiguration', 'MetricsConfigurations', 'NotificationConfiguration', 'ObjectLockConfiguration', 'ReplicationConfiguration', 'WebsiteConfiguration'];

const bucket: ResourceHandler = {
  type: 'AWS::S3::Bucket',
  create(props, rc) {
    const unserved = UNSERVED.filter((p) => props[p] !== undefined);
    if (unserved.length) throw new AwsError('InvalidRequest', `faultline's S3 does not serve ${unserved.join(', ')}.`);
    const name = String(props.BucketName ?? rc.physicalName({ maxLength: 63, lowercase: true }));
    const region = rc.request.region;
    call(rc, 'CreateBucket', { Bucket: name, CreateBucketConfiguration: region === 'us-east-1' ? undefined : { LocationConstraint: region } });
    for (const c of configurationCalls(props, {}, CONFIGURATION_PROPERTIES)) call(rc, c.op, { ...c.input, Bucket: name });
    return { physicalId: name };
  },
  update(props, old, changed, rc) {
    // The rest configure features faultline's S3 does not serve, and were refused at create.
    const others = changed.filter((p) => !CONFIGURATION_PROPERTIES.includes(p));
    if (others.length) throw new AwsError('NotUpdatable', `faultline cannot update ${others.join(', ')} of a bucket in place.`);
    for (const c of configurationCalls(props, old.props, changed)) call(rc, c.op, { ...c.input, Bucket: old.physicalId });
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteBucket', { Bucket: s.physicalId })),
  getAtt(s, name, rc) {
    const region = rc.request.region;
    return attribute(
      {
        Arn: () => `arn:aws:s3:::${s.physicalId}`,
        DomainName: () => `${s.physicalId}.s3.amazonaws.com`,
        DualStackDomainName: () => `${s.physicalId}.s3.dualstack.${region}.amazonaws.com`,
        RegionalDomainName: () => `${s.physicalId}.s3.${region}.amazonaws.com`,
        WebsiteURL: () => `http://${s.physicalId}.s3-website-${region}.amazonaws.com`,
      },
      name,
      s,
    );
  },
};

export const s3Resources: ResourceHandler[] = [bucket];
