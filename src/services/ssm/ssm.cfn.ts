/**
 * CloudFormation's AWS::SSM::Parameter, through Parameter Store's handlers: a String or
 * StringList parameter (CloudFormation does not create SecureStrings), named by the template or
 * `CFN-LOGICALID-RANDOM`. Every property but Name changes in place (a new version); Tags are a
 * map in templates. Ref is the name; GetAtt gives Type, Value and Arn.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { physicalName } from '../../cloudformation/evaluation.ts';
import { attribute } from '../../cloudformation/handler-kit.ts';
import { DONE, type Props, type ResourceContext, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { ssm } from './index.ts';
import { findParameter } from './read.ts';
import { latest, parameterArn } from './state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(ssm, op, input, rc.request);

const tagList = (v: unknown) => Object.entries((v ?? {}) as Record<string, unknown>).map(([Key, Value]) => ({ Key, Value: String(Value) }));

/** PutParameter's input for the template's properties. */
function putInput(name: string, props: Props): Record<string, unknown> {
  if (props.Type === 'SecureString') throw new AwsError('ValidationError', 'CloudFormation does not create SecureString parameters: create them with PutParameter and read them with {{resolve:ssm-secure:...}}.');
  return {
    Name: name,
    Type: props.Type,
    Value: props.Value,
    Description: props.Description,
    Tier: props.Tier,
    AllowedPattern: props.AllowedPattern,
    DataType: props.DataType,
    Policies: props.Policies,
  };
}

const parameter: ResourceHandler = {
  type: 'AWS::SSM::Parameter',
  create(props, rc) {
    const name = props.Name === undefined ? physicalName('CFN', rc.logicalId, { maxLength: 128 }) : String(props.Name);
    const tags = tagList(props.Tags);
    call(rc, 'PutParameter', { ...putInput(name, props), Tags: tags.length ? tags : undefined });
    return { physicalId: name };
  },
  update(props, old, changed, rc) {
    if (changed.some((c) => c !== 'Tags')) call(rc, 'PutParameter', { ...putInput(old.physicalId, props), Overwrite: true });
    if (changed.includes('Tags')) {
      const now = tagList(props.Tags);
      const gone = tagList(old.props.Tags).filter((t) => !now.some((n) => n.Key === t.Key)).map((t) => t.Key);
      const target = { ResourceType: 'Parameter', ResourceId: old.physicalId };
      if (gone.length) call(rc, 'RemoveTagsFromResource', { ...target, TagKeys: gone });
      if (now.length) call(rc, 'AddTagsToResource', { ...target, Tags: now });
    }
  },
  delete(s, rc) {
    // A parameter already deleted outside the stack is done.
    if (findParameter(rc.env, rc.request, s.physicalId)) call(rc, 'DeleteParameter', { Name: s.physicalId });
    return DONE;
  },
  getAtt(s, name, rc) {
    const current = () => {
      const rec = findParameter(rc.env, rc.request, s.physicalId);
      return rec ? latest(rec) : undefined;
    };
    return attribute(
      {
        Type: () => current()?.Type ?? s.props.Type,
        Value: () => current()?.Value ?? s.props.Value,
        Arn: () => parameterArn(rc.request.region, rc.request.account, s.physicalId),
      },
      name,
      s,
    );
  },
};

export const ssmResources: ResourceHandler[] = [parameter];
