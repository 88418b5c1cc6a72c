/**
 * CloudFormation's AWS::EC2::LaunchTemplate through EC2's handlers. A change to the template
 * data adds a version and makes it the default, as CloudFormation does; Ref is the template id.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry } from '../../cloudformation/handler-kit.ts';
import type { Props, ResourceContext, ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { models } from '../../models/index.ts';
import { ec2 } from './index.ts';
import { COLL } from './state.ts';
import type { LaunchTemplateRecord } from './launch-templates.provider.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(ec2, op, input, rc.request);

const DATA_FIELDS = new Set(Object.keys(models.ec2.shapes.RequestLaunchTemplateData.members ?? {}));

/** LaunchTemplateData as the API takes it; properties the API lacks are refused by name. */
function templateData(props: Props): Record<string, unknown> {
  const data = (props.LaunchTemplateData ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(data).filter((k) => !DATA_FIELDS.has(k));
  if (unknown.length) throw new AwsError('ValidationError', `faultline does not support ${unknown.join(', ')} in LaunchTemplateData.`);
  return data;
}

const launchTemplate: ResourceHandler = {
  type: 'AWS::EC2::LaunchTemplate',
  create(props, rc) {
    const specs = Array.isArray(props.TagSpecifications) ? props.TagSpecifications : undefined;
    const out = call(rc, 'CreateLaunchTemplate', {
      LaunchTemplateName: props.LaunchTemplateName ?? rc.physicalName({ maxLength: 128 }),
      LaunchTemplateData: templateData(props),
      VersionDescription: props.VersionDescription,
      TagSpecifications: specs,
    });
    return { physicalId: out.LaunchTemplate.LaunchTemplateId, data: { name: out.LaunchTemplate.LaunchTemplateName } };
  },
  update(props, old, changed, rc) {
    const other = changed.filter((c) => c !== 'LaunchTemplateData' && c !== 'VersionDescription');
    if (other.length) throw new AwsError('NotUpdatable', `faultline cannot update ${other.join(', ')} of a launch template in place.`);
    const v = call(rc, 'CreateLaunchTemplateVersion', { LaunchTemplateId: old.physicalId, LaunchTemplateData: templateData(props), VersionDescription: props.VersionDescription });
    call(rc, 'ModifyLaunchTemplate', { LaunchTemplateId: old.physicalId, DefaultVersion: String(v.LaunchTemplateVersion.VersionNumber) });
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteLaunchTemplate', { LaunchTemplateId: s.physicalId })),
  getAtt(s, name, rc) {
    const t = rc.env.store.get<LaunchTemplateRecord>(COLL.launchTemplates, rc.request, s.physicalId) as LaunchTemplateRecord | undefined;
    return attribute(
      {
        LaunchTemplateId: () => s.physicalId,
        LatestVersionNumber: () => String(t?.LatestVersionNumber ?? 1),
        DefaultVersionNumber: () => String(t?.DefaultVersionNumber ?? 1),
      },
      name,
      s,
    );
  },
};

export const launchTemplateResources: ResourceHandler[] = [launchTemplate];
