/**
 * CloudFormation's AWS::S3::BucketPolicy through S3's PutBucketPolicy and DeleteBucketPolicy.
 * Its physical id, and so its Ref, is the bucket's name, as on AWS; S3 checks the document as
 * it checks any PutBucketPolicy, so a malformed one fails the resource with S3's reason.
 */
import { callService } from '../../cloudformation/call-service.ts';
import { deleteWithRetry, policyText } from '../../cloudformation/handler-kit.ts';
import type { ResourceContext, ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { s3 } from './index.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(s3, op, input, rc.request);

const bucketPolicy: ResourceHandler = {
  type: 'AWS::S3::BucketPolicy',
  create(props, rc) {
    const bucket = String(props.Bucket);
    call(rc, 'PutBucketPolicy', { Bucket: bucket, Policy: policyText(props.PolicyDocument) });
    return { physicalId: bucket };
  },
  // A new Bucket replaces the resource (the spec says so); only the document changes in place.
  update(props, old, _changed, rc) {
    call(rc, 'PutBucketPolicy', { Bucket: old.physicalId, Policy: policyText(props.PolicyDocument) });
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteBucketPolicy', { Bucket: s.physicalId })),
};

export const s3PolicyResources: ResourceHandler[] = [bucketPolicy];
