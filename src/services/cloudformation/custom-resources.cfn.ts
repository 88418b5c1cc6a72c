/**
 * Custom resources (AWS::CloudFormation::CustomResource and Custom::*). Their provider is named
 * by ServiceToken: a Lambda function (what CDK's providers use) or an SNS topic. faultline
 * offers neither way of running a provider, so creating one fails at once with a reason that
 * names the provider, rather than waiting the hour CloudFormation waits for a response.
 */
import { AwsError } from '../../core/errors.ts';
import { DONE, type ResourceHandler } from '../../cloudformation/resource-handler.ts';

export const CUSTOM_RESOURCE = 'AWS::CloudFormation::CustomResource';

const customResource: ResourceHandler = {
  type: CUSTOM_RESOURCE,
  create(props, rc) {
    const token = props.ServiceToken;
    if (typeof token !== 'string' || !token) throw new AwsError('ValidationError', `Custom resource ${rc.logicalId} has no ServiceToken.`);
    const service = /^arn:aws[a-z-]*:([a-z0-9-]+):/.exec(token)?.[1];
    if (service === 'lambda') {
      throw new AwsError('ValidationError', `faultline does not offer AWS Lambda, so it cannot run the Lambda-backed custom resource ${rc.logicalId} (ServiceToken ${token}).`);
    }
    if (service === 'sns') {
      throw new AwsError('ValidationError', `faultline does not deliver custom resource requests to SNS topics, so it cannot run the custom resource ${rc.logicalId} (ServiceToken ${token}).`);
    }
    throw new AwsError('ValidationError', `Invalid service token ${token}: a custom resource's ServiceToken is the ARN of a Lambda function or an SNS topic.`);
  },
  // Never created, so there is nothing to delete.
  delete: () => DONE,
};

export const customResources = [customResource];
