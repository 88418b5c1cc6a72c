/**
 * What CloudFormation checks when it accepts a template, before any stack work: known resource
 * types, references and cycles, GetAtt attributes, the capabilities the template needs, and
 * that conditions and parameters evaluate.
 */
import { AwsError, errors } from '../core/errors.ts';
import { buildGraph } from './graph.ts';
import { intrinsicName } from './intrinsics.ts';
import { checkRulesShape } from './rules.ts';
import type { Template } from './template.ts';
import { isKnownType, typeSpec } from './update-behaviour.ts';

/** IAM types that need CAPABILITY_IAM, and the property that names each (which needs CAPABILITY_NAMED_IAM). */
const IAM_TYPES: Record<string, string | undefined> = {
  'AWS::IAM::AccessKey': undefined,
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::IAM::Policy': undefined,
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::UserToGroupAddition': undefined,
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
};

export const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];

export interface TemplateFacts {
  /** The capabilities the template needs, and why (GetTemplateSummary's CapabilitiesReason). */
  capabilities: string[];
  capabilitiesReason?: string;
  resourceTypes: string[];
}

/** Checks a parsed template; throws ValidationError with CloudFormation's texts. */
export function checkTemplate(t: Template): TemplateFacts {
  const unknown = [...new Set(Object.values(t.Resources).map((r) => r.Type))].filter((type) => !isKnownType(type));
  if (unknown.length) throw errors.validation(`Template format error: Unrecognized resource types: [${unknown.join(', ')}]`);
  buildGraph(t);
  checkGetAtts(t);
  checkRulesShape(t.Rules);
  const iam = Object.entries(t.Resources).filter(([, r]) => Object.hasOwn(IAM_TYPES, r.Type));
  const named = iam.filter(([, r]) => {
    const prop = IAM_TYPES[r.Type];
    return prop !== undefined && r.Properties?.[prop] !== undefined;
  });
  const capabilities = named.length ? ['CAPABILITY_NAMED_IAM'] : iam.length ? ['CAPABILITY_IAM'] : [];
  const capabilitiesReason = capabilities.length ? `The following resource(s) require capabilities: [${[...new Set(iam.map(([, r]) => r.Type))].join(', ')}]` : undefined;
  return { capabilities, capabilitiesReason, resourceTypes: [...new Set(Object.values(t.Resources).map((r) => r.Type))] };
}

/** Refuses a call that lacks a capability the template needs. */
export function requireCapabilities(facts: TemplateFacts, given: string[] | undefined): void {
  for (const c of given ?? []) if (!CAPABILITIES.includes(c)) throw errors.validation(`Capability ${c} is not valid; valid capabilities are ${CAPABILITIES.join(', ')}`);
  const have = new Set(given ?? []);
  const need = facts.capabilities.filter((c) => !have.has(c) && !(c === 'CAPABILITY_IAM' && have.has('CAPABILITY_NAMED_IAM')));
  if (need.length) throw new AwsError('InsufficientCapabilitiesException', `Requires capabilities : [${need.join(', ')}]`, 400);
}

/** GetAtt of an attribute the type does not have is a template error, for the types the spec describes. */
function checkGetAtts(t: Template): void {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    if (intrinsicName(v) === 'Fn::GetAtt') {
      const arg = (v as Record<string, unknown>)['Fn::GetAtt'];
      const [id, attr] = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : Array.isArray(arg) ? arg : [];
      const r = typeof id === 'string' ? t.Resources[id] : undefined;
      const spec = r && typeSpec(r.Type);
      // A nested stack's outputs are `Outputs.NAME`, under the one attribute `Outputs` the spec lists.
      const known = (a: string) => spec!.a.includes(a) || attrAliases(r!.Type).includes(a) || (/^Outputs\../.test(a) && spec!.a.includes('Outputs'));
      if (spec && typeof attr === 'string' && !known(attr)) {
        throw errors.validation(`Template error: resource ${id} does not support attribute type ${attr} in Fn::GetAtt`);
      }
    }
    Object.values(v).forEach(visit);
  };
  for (const r of Object.values(t.Resources)) visit(r.Properties);
  for (const o of Object.values(t.Outputs)) visit(o.Value);
}

/** Attributes CloudFormation documents that the registry schemas leave out. */
function attrAliases(type: string): string[] {
  switch (type) {
    case 'AWS::EC2::SecurityGroup':
      return ['GroupId', 'VpcId'];
    case 'AWS::EC2::Subnet':
      return ['AvailabilityZone', 'AvailabilityZoneId', 'CidrBlock', 'Ipv6CidrBlocks', 'NetworkAclAssociationId', 'OutpostArn', 'SubnetId', 'VpcId'];
    case 'AWS::EC2::VPC':
      return ['CidrBlock', 'CidrBlockAssociations', 'DefaultNetworkAcl', 'DefaultSecurityGroup', 'Ipv6CidrBlocks', 'VpcId'];
    default:
      return [];
  }
}
