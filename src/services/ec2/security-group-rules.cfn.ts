/**
 * CloudFormation's AWS::EC2::SecurityGroupIngress and AWS::EC2::SecurityGroupEgress: one rule
 * added to a group that the template declares elsewhere (templates use them to let two groups
 * name each other without a cycle). The physical id is the rule's `sgr-` id, as AWS's; every
 * property but Description replaces the rule, so a change is a new rule. A new Description is
 * applied in place by revoking the rule and authorizing it again, which gives it a new id: Ref and
 * GetAtt Id answer the current one, kept in the resource's data.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry } from '../../cloudformation/handler-kit.ts';
import type { Props, ResourceContext, ResourceHandler, ResourceState } from '../../cloudformation/resource-handler.ts';
import { ec2 } from './index.ts';
import { permission } from './network.cfn.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(ec2, op, input, rc.request);

function ruleResource(type: string, egress: boolean): ResourceHandler {
  const [authorize, revoke] = egress ? ['AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupEgress'] : ['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress'];
  /** Authorizes the rule; its ids (one per address range or group it names) and its group's, for the resource's data. */
  const add = (props: Props, rc: ResourceContext) => {
    const group = props.GroupId !== undefined ? { GroupId: props.GroupId } : { GroupName: props.GroupName };
    const out = call(rc, authorize, { ...group, IpPermissions: [permission(props, egress)] });
    const rules = out.SecurityGroupRules as { SecurityGroupRuleId: string; GroupId: string }[];
    return { groupId: rules[0].GroupId, ruleIds: rules.map((r) => r.SecurityGroupRuleId) };
  };
  const ruleId = (s: ResourceState) => (s.data.ruleIds as string[])[0];
  return {
    type,
    create(props, rc) {
      if (props.GroupId === undefined && (egress || props.GroupName === undefined)) throw new AwsError('ValidationError', `${type} needs a GroupId${egress ? '' : ' (or, in a default VPC, a GroupName)'}.`);
      const data = add(props, rc);
      return { physicalId: data.ruleIds[0], data };
    },
    // Only Description is updated in place (the spec replaces the rule for any other change).
    update(props, old, _changed, rc) {
      call(rc, revoke, { GroupId: old.data.groupId, SecurityGroupRuleIds: old.data.ruleIds });
      return { data: add(props, rc) };
    },
    // A rule or group already gone is done (InvalidSecurityGroupRuleId.NotFound, InvalidGroup.NotFound).
    delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, revoke, { GroupId: s.data.groupId, SecurityGroupRuleIds: s.data.ruleIds })),
    ref: ruleId,
    getAtt: (s, name) => attribute({ Id: () => ruleId(s) }, name, s),
  };
}

export const securityGroupRuleResources: ResourceHandler[] = [
  ruleResource('AWS::EC2::SecurityGroupIngress', false),
  ruleResource('AWS::EC2::SecurityGroupEgress', true),
];
