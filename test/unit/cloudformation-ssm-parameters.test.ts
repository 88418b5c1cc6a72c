/**
 * Systems Manager parameters in CloudFormation, against a fixed parameter store: the parameter
 * types (which are valid, what Ref gives, ResolvedValue, AWS's errors for a missing or SecureString
 * parameter, constraints on the name) and dynamic references (ssm with and without a version,
 * ssm-secure only where AWS allows it, Secrets Manager refused by name, literal ones checked early).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkParameterType, parameterValues, resolveParameters, resolveSsmParameters, ssmValueType, type StoredParameter } from '../../src/cloudformation/parameters.ts';
import { checkDynamicReferences, resolveDynamicReferences } from '../../src/cloudformation/dynamic-references.ts';
import { parseTemplate } from '../../src/cloudformation/template.ts';

const STORE: Record<string, StoredParameter> = {
  '/ami': { Type: 'String', Value: 'ami-0abc' },
  '/subnets': { Type: 'StringList', Value: 'subnet-1,subnet-2' },
  '/db/password': { Type: 'SecureString', Value: 'hunter2' },
  '/v': { Type: 'String', Value: 'three' },
  '/v:1': { Type: 'String', Value: 'one' },
};
const read = (name: string) => STORE[name];

const template = (params: Record<string, unknown>) => parseTemplate(JSON.stringify({ Parameters: params, Resources: { R: { Type: 'AWS::SNS::Topic' } } }));

describe('Systems Manager parameter types', () => {
  it('knows the types AWS has and refuses the others', () => {
    assert.equal(ssmValueType('AWS::SSM::Parameter::Value<String>'), 'String');
    assert.equal(ssmValueType('AWS::SSM::Parameter::Value<List<String>>'), 'List<String>');
    assert.equal(ssmValueType('AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>'), 'AWS::EC2::Image::Id');
    assert.equal(ssmValueType('AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>'), 'List<AWS::EC2::Subnet::Id>');
    assert.equal(ssmValueType('AWS::SSM::Parameter::Value<Number>'), undefined);
    assert.doesNotThrow(() => checkParameterType('P', { Type: 'AWS::SSM::Parameter::Name' }));
    assert.throws(() => checkParameterType('P', { Type: 'AWS::SSM::Parameter::Value<Number>' }), /Unrecognized parameter type: AWS::SSM::Parameter::Value<Number>/);
  });

  it('resolves values from the store, as Ref then sees them, keeping the name as the value given', () => {
    const t = template({
      Ami: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/ami' },
      Subnets: { Type: 'AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>', Default: '/subnets' },
      Old: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/v:1' },
      Plain: { Type: 'String', Default: '/ami' },
    });
    const params = resolveSsmParameters(t, resolveParameters(t, undefined), read);
    assert.deepEqual(
      params.map((p) => [p.ParameterKey, p.ParameterValue, p.ResolvedValue]),
      [
        ['Ami', '/ami', 'ami-0abc'],
        ['Subnets', '/subnets', 'subnet-1,subnet-2'],
        ['Old', '/v:1', 'one'],
        ['Plain', '/ami', undefined],
      ],
    );
    assert.deepEqual({ ...parameterValues(t, params) }, { Ami: 'ami-0abc', Subnets: ['subnet-1', 'subnet-2'], Old: 'one', Plain: '/ami' });
  });

  it("fails a missing or SecureString parameter with AWS's texts, and checks constraints on the name", () => {
    const missing = template({ A: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/nope' }, B: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/gone' } });
    assert.throws(() => resolveSsmParameters(missing, resolveParameters(missing, undefined), read), {
      code: 'ValidationError',
      message: 'Unable to fetch parameters [/nope,/gone] from parameter store for this account.',
    });
    const secure = template({ A: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/db/password' } });
    assert.throws(() => resolveSsmParameters(secure, resolveParameters(secure, undefined), read), {
      message: 'Parameters [/db/password] referenced by template have types not supported by CloudFormation.',
    });
    const pattern = template({ A: { Type: 'AWS::SSM::Parameter::Value<String>', AllowedPattern: '^/app/.*' } });
    assert.throws(() => resolveParameters(pattern, [{ ParameterKey: 'A', ParameterValue: '/ami' }]), /Parameter A must match pattern/);
  });
});

describe('dynamic references', () => {
  it('replaces ssm references, with and without a version, anywhere in a string', () => {
    const props = { Name: 'x-{{resolve:ssm:/v}}-{{resolve:ssm:/v:1}}', Tags: [{ Key: 'ami', Value: '{{resolve:ssm:/ami}}' }], Count: 3 };
    assert.deepEqual(resolveDynamicReferences(props, 'AWS::SNS::Topic', read), { Name: 'x-three-one', Tags: [{ Key: 'ami', Value: 'ami-0abc' }], Count: 3 });
  });

  it('gives a SecureString only through ssm-secure, only in the properties AWS allows', () => {
    assert.deepEqual(resolveDynamicReferences({ MasterUserPassword: '{{resolve:ssm-secure:/db/password}}' }, 'AWS::RDS::DBInstance', read), { MasterUserPassword: 'hunter2' });
    assert.deepEqual(resolveDynamicReferences({ LoginProfile: { Password: '{{resolve:ssm-secure:/db/password}}' } }, 'AWS::IAM::User', read), { LoginProfile: { Password: 'hunter2' } });
    assert.throws(() => resolveDynamicReferences({ DisplayName: '{{resolve:ssm-secure:/db/password}}' }, 'AWS::SNS::Topic', read), {
      message: 'SSM Secure reference is not supported in: [AWS::SNS::Topic/Properties/DisplayName]',
    });
    assert.throws(() => resolveDynamicReferences({ DisplayName: '{{resolve:ssm:/db/password}}' }, 'AWS::SNS::Topic', read), /SecureString parameter: read it with \{\{resolve:ssm-secure:\/db\/password\}\}/);
  });

  it("fails a missing parameter with AWS's text, and names Secrets Manager", () => {
    assert.throws(() => resolveDynamicReferences({ DisplayName: '{{resolve:ssm:/nope:2}}' }, 'AWS::SNS::Topic', read), { code: 'ValidationError', message: 'Parameters: [ssm:/nope:2] cannot be found.' });
    assert.throws(() => resolveDynamicReferences({ DisplayName: '{{resolve:secretsmanager:db:SecretString:password}}' }, 'AWS::SNS::Topic', read), /faultline does not offer AWS Secrets Manager/);
  });

  it('checks literal references early and leaves those built with Fn::Sub for later', () => {
    const resources = { T: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::Sub': '{{resolve:ssm:/${Env}/name}}' } } } };
    assert.doesNotThrow(() => checkDynamicReferences(resources, read));
    assert.throws(() => checkDynamicReferences({ T: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: '{{resolve:ssm:/missing}}' } } }, read), /Parameters: \[ssm:\/missing\] cannot be found\./);
  });
});
