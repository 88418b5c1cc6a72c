/**
 * The engine's rules that need no server: parameter constraints (with the seed's Unicode
 * AllowedPattern), update types from the resource specification, the dependency graph, and the
 * capabilities a template needs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolveParameters, patternRegex } from '../../src/cloudformation/parameters.ts';
import { parseTemplate } from '../../src/cloudformation/template.ts';
import { updateKind, propertyChanges, checkProperties, isKnownType } from '../../src/cloudformation/update-behaviour.ts';
import { buildGraph } from '../../src/cloudformation/graph.ts';
import { checkTemplate, requireCapabilities } from '../../src/cloudformation/validate.ts';

const seed = (name: string) => readFileSync(new URL(`../fixtures/aws-in-action-ch11/${name}`, import.meta.url), 'utf8');

describe('parameters', () => {
  const t = parseTemplate(
    JSON.stringify({
      Parameters: {
        Name: { Type: 'String', AllowedPattern: '[a-z]+', MinLength: '2', MaxLength: 5 },
        Size: { Type: 'Number', MinValue: 1, MaxValue: '10', Default: 2 },
        Kind: { Type: 'String', AllowedValues: ['a', 'b'], Default: 'a' },
        Ports: { Type: 'List<Number>', Default: '80, 443' },
        Zones: { Type: 'CommaDelimitedList', AllowedValues: ['x', 'y'], Default: 'x' },
        Secret: { Type: 'String', NoEcho: true, Default: 'hidden', ConstraintDescription: 'must be secret-ish', AllowedPattern: 'hid.*' },
      },
      Resources: { W: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
    }),
  );
  const given = (kv: Record<string, string>) => Object.entries(kv).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
  const refuse = (kv: Record<string, string>, pattern: RegExp) => assert.throws(() => resolveParameters(t, given(kv)), (e: Error) => pattern.test(e.message));

  it('applies defaults and keeps NoEcho', () => {
    const p = resolveParameters(t, given({ Name: 'abc' }));
    assert.deepEqual(p.find((x) => x.ParameterKey === 'Size'), { ParameterKey: 'Size', ParameterValue: '2' });
    assert.deepEqual(p.find((x) => x.ParameterKey === 'Secret'), { ParameterKey: 'Secret', ParameterValue: 'hidden', NoEcho: true });
  });
  it('refuses missing and unknown parameters', () => {
    refuse({}, /^Parameters: \[Name\] must have values$/);
    refuse({ Name: 'abc', Other: 'x' }, /^Parameters: \[Other\] do not exist in the template$/);
  });
  it('checks each constraint with AWS texts', () => {
    refuse({ Name: 'a' }, /^Parameter 'Name' must contain at least 2 characters$/);
    refuse({ Name: 'abcdef' }, /^Parameter 'Name' must contain at most 5 characters$/);
    refuse({ Name: 'ab1' }, /^Parameter Name must match pattern \[a-z\]\+$/);
    refuse({ Name: 'ab', Size: 'x' }, /^Parameter 'Size' must be a number\.$/);
    refuse({ Name: 'ab', Size: '0' }, /^Parameter 'Size' must be a number not less than 1$/);
    refuse({ Name: 'ab', Size: '11' }, /^Parameter 'Size' must be a number not greater than 10$/);
    refuse({ Name: 'ab', Kind: 'c' }, /^Parameter 'Kind' must be one of AllowedValues$/);
    refuse({ Name: 'ab', Ports: '80,http' }, /^Parameter 'Ports' must be a number\.$/);
    refuse({ Name: 'ab', Zones: 'x, z' }, /^Parameter 'Zones' must be one of AllowedValues$/);
    refuse({ Name: 'ab', Secret: 'nope' }, /^Parameter Secret failed to satisfy constraint: must be secret-ish$/);
  });
  it('matches AllowedPattern against the whole value', () => {
    assert.equal(patternRegex('[a-z]+').test('abc1'), false);
    assert.equal(patternRegex('a|b').test('ab'), false);
  });
  it("takes the seed's Unicode ranges, astral planes included", () => {
    const decl = JSON.parse(seed('multiaz-ebs.json')).Parameters.AMISnapshot;
    const re = patternRegex(decl.AllowedPattern);
    assert.ok(re.test('ami-0123456789abcdef0'));
    assert.ok(re.test('näme 😀\ttab'));
    assert.equal(re.test('\u0001'), false);
    assert.equal(re.test('\uFFFE'), false);
  });
  it('takes UsePreviousValue, and refuses it for a new parameter', () => {
    const previous = resolveParameters(t, given({ Name: 'old' }));
    const p = resolveParameters(t, [{ ParameterKey: 'Name', UsePreviousValue: true }], previous);
    assert.equal(p.find((x) => x.ParameterKey === 'Name')!.ParameterValue, 'old');
    assert.throws(() => resolveParameters(t, [{ ParameterKey: 'Name', UsePreviousValue: true }], []), /Cannot specify usePreviousValue as true for a parameter key not in the previous template/);
  });
});

describe('update types from the resource specification', () => {
  it('replaces an instance for ImageId, KeyName, SubnetId and AvailabilityZone', () => {
    for (const p of ['ImageId', 'KeyName', 'SubnetId', 'AvailabilityZone', 'PrivateIpAddress']) {
      assert.equal(updateKind('AWS::EC2::Instance', { [p]: 'a' }, { [p]: 'b' }).kind, 'Replacement', p);
    }
  });
  it('interrupts an instance for InstanceType, UserData, SecurityGroupIds and BlockDeviceMappings', () => {
    for (const p of ['InstanceType', 'UserData', 'SecurityGroupIds', 'BlockDeviceMappings']) {
      assert.equal(updateKind('AWS::EC2::Instance', { [p]: 'a' }, { [p]: 'b' }).kind, 'Interruption', p);
    }
    assert.deepEqual(propertyChanges('AWS::EC2::Instance', ['UserData']), [{ name: 'UserData', requiresRecreation: 'Conditionally' }]);
  });
  it('changes an instance without interruption for Tags, Monitoring and IamInstanceProfile', () => {
    for (const p of ['Tags', 'Monitoring', 'IamInstanceProfile']) {
      assert.equal(updateKind('AWS::EC2::Instance', { [p]: 'a' }, { [p]: 'b' }).kind, 'NoInterruption', p);
    }
  });
  it('replaces a launch configuration for any change, an alarm for its name, an EIP for its domain', () => {
    assert.equal(updateKind('AWS::AutoScaling::LaunchConfiguration', { ImageId: 'a', InstanceType: 't2.micro' }, { ImageId: 'b', InstanceType: 't2.micro' }).kind, 'Replacement');
    assert.equal(updateKind('AWS::AutoScaling::LaunchConfiguration', { InstanceMonitoring: false }, { InstanceMonitoring: true }).kind, 'Replacement');
    assert.equal(updateKind('AWS::CloudWatch::Alarm', { AlarmName: 'a' }, { AlarmName: 'b' }).kind, 'Replacement');
    assert.equal(updateKind('AWS::CloudWatch::Alarm', { Threshold: '0' }, { Threshold: '1' }).kind, 'NoInterruption');
    assert.equal(updateKind('AWS::EC2::EIP', { Domain: 'vpc' }, { Domain: 'standard' }).kind, 'Replacement');
  });
  it("updates a group's VPCZoneIdentifier in place", () => {
    assert.notEqual(updateKind('AWS::AutoScaling::AutoScalingGroup', { VPCZoneIdentifier: ['a'] }, { VPCZoneIdentifier: ['a', 'b'] }).kind, 'Replacement');
  });
  it('treats numbers and their strings as equal, so a template that writes "60" is unchanged by 60', () => {
    assert.equal(updateKind('AWS::CloudWatch::Alarm', { Period: '60', Dimensions: [{ Name: 'a', Value: 'b' }] }, { Period: 60, Dimensions: [{ Value: 'b', Name: 'a' }] }).kind, 'None');
  });
  it('lets a handler say a conditional change replaces', () => {
    assert.equal(updateKind('AWS::EC2::Instance', { UserData: 'a' }, { UserData: 'b' }, () => true).kind, 'Replacement');
  });
  it('knows every AWS type, and the properties of the supported ones', () => {
    assert.ok(isKnownType('AWS::Lambda::Function'));
    assert.ok(!isKnownType('AWS::EC2::Nope'));
    assert.equal(checkProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16', Bogus: 1 }), 'Encountered unsupported property Bogus');
    assert.match(checkProperties('AWS::EC2::Subnet', {}) ?? '', /The property \{\/VpcId\} is required/);
  });
});

describe('dependency graph and template checks', () => {
  it('follows Ref, GetAtt, Sub and DependsOn, and refuses cycles and unknown names', () => {
    const t = parseTemplate(seed('recovery.json'));
    const g = buildGraph(t);
    assert.deepEqual([...g.get('InternetRoute')!].sort(), ['GatewayToInternet', 'InternetGateway', 'RouteTable']);
    assert.deepEqual([...g.get('RecoveryAlarm')!], ['Server']);
    assert.deepEqual([...g.get('VPC')!], []);
    const sub = parseTemplate(JSON.stringify({ Resources: { A: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::Sub': '${B.TopicName}-${!C}' } } }, B: { Type: 'AWS::SNS::Topic' } } }));
    assert.deepEqual([...buildGraph(sub).get('A')!], ['B']);
    const cycle = parseTemplate(JSON.stringify({ Resources: { A: { Type: 'AWS::SNS::Topic', DependsOn: 'B' }, B: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::GetAtt': ['A', 'TopicName'] } } } } }));
    assert.throws(() => buildGraph(cycle), /Circular dependency between resources: \[A, B\]/);
    const unknown = parseTemplate(JSON.stringify({ Resources: { A: { Type: 'AWS::SNS::Topic', DependsOn: 'Ghost' } } }));
    assert.throws(() => buildGraph(unknown), /Unresolved resource dependencies \[Ghost\] in the Resources block of the template/);
  });
  it('asks for CAPABILITY_IAM, or CAPABILITY_NAMED_IAM for named IAM resources', () => {
    const facts = checkTemplate(parseTemplate(seed('multiaz-elasticip.json')));
    assert.deepEqual(facts.capabilities, ['CAPABILITY_IAM']);
    assert.throws(() => requireCapabilities(facts, undefined), /Requires capabilities : \[CAPABILITY_IAM\]/);
    requireCapabilities(facts, ['CAPABILITY_IAM']);
    requireCapabilities(facts, ['CAPABILITY_NAMED_IAM']);
    const named = checkTemplate(parseTemplate(JSON.stringify({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'x', AssumeRolePolicyDocument: {} } } } })));
    assert.throws(() => requireCapabilities(named, ['CAPABILITY_IAM']), /Requires capabilities : \[CAPABILITY_NAMED_IAM\]/);
  });
  it('refuses unknown resource types and attributes', () => {
    assert.throws(() => checkTemplate(parseTemplate('{"Resources": {"A": {"Type": "AWS::EC2::Nope"}}}')), /Unrecognized resource types: \[AWS::EC2::Nope\]/);
    assert.throws(
      () => checkTemplate(parseTemplate('{"Resources": {"A": {"Type": "AWS::EC2::EIP"}}, "Outputs": {"O": {"Value": {"Fn::GetAtt": ["A", "Nope"]}}}}')),
      /resource A does not support attribute type Nope in Fn::GetAtt/,
    );
  });
  it('accepts the four seed templates', () => {
    for (const name of ['recovery.json', 'multiaz.json', 'multiaz-ebs.json', 'multiaz-elasticip.json']) checkTemplate(parseTemplate(seed(name)));
  });
});
