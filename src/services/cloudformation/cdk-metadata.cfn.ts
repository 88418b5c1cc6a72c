/**
 * AWS::CDK::Metadata, which the CDK CLI adds to every stack it synthesises (the construct
 * library's analytics). CloudFormation keeps it and does nothing with it; so does faultline.
 */
import { uuid } from '../../core/ids.ts';
import { DONE, type ResourceHandler } from '../../cloudformation/resource-handler.ts';

const cdkMetadata: ResourceHandler = {
  type: 'AWS::CDK::Metadata',
  // A UUID, as CloudFormation names it.
  create: () => ({ physicalId: uuid() }),
  update() {},
  delete: () => DONE,
};

export const cdkMetadataResources = [cdkMetadata];
