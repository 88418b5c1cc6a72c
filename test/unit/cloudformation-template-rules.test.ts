/** Template Rules: every rule function, RuleCondition, the refusal with AssertDescription, and the section's shape. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionEvaluator, type EvalContext } from '../../src/cloudformation/intrinsics.ts';
import { checkRules, checkRulesShape, RuleEvaluator, type RuleLookups } from '../../src/cloudformation/rules.ts';
import { parseTemplate, type Template } from '../../src/cloudformation/template.ts';

const template = (extra: Record<string, unknown> = {}): Template =>
  parseTemplate(
    JSON.stringify({
      Parameters: {
        Env: { Type: 'String' },
        Size: { Type: 'String' },
        AppVpc: { Type: 'AWS::EC2::VPC::Id' },
        DbVpc: { Type: 'AWS::EC2::VPC::Id' },
        Subnets: { Type: 'List<AWS::EC2::Subnet::Id>' },
      },
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
      Resources: { W: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      ...extra,
    }),
  );

const params = { Env: 'prod', Size: 'large', AppVpc: 'vpc-1', DbVpc: 'vpc-2', Subnets: ['subnet-a', 'subnet-b'] };

function context(t: Template, values: Record<string, string | string[]> = params): EvalContext {
  let ctx: EvalContext;
  const condition = conditionEvaluator(t.Conditions, () => ctx);
  ctx = {
    region: 'us-east-1',
    account: '123456789012',
    stackName: 'demo',
    stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/demo/0b6c4e40-0000-4000-8000-000000000000',
    notificationArns: [],
    params: values,
    mappings: {},
    condition,
    ref: () => assert.fail('rules never read resources'),
    getAtt: () => assert.fail('rules never read resources'),
    azs: () => [],
    importValue: () => assert.fail('rules never import'),
    resourceNames: new Set(Object.keys(t.Resources)),
  };
  return ctx;
}

/** The account: two VPCs (one tagged), two subnets in vpc-1, a third VPC that no parameter names. */
const vpcs: Record<string, Record<string, string | null>> = {
  'vpc-1': { DefaultNetworkAcl: 'acl-1', DefaultSecurityGroup: 'sg-1', 'Tags.Department': 'IT' },
  'vpc-2': { DefaultNetworkAcl: 'acl-2', DefaultSecurityGroup: 'sg-2', 'Tags.Department': null },
  'vpc-3': { DefaultNetworkAcl: 'acl-3', DefaultSecurityGroup: 'sg-3', 'Tags.Department': 'IT' },
};
const subnets: Record<string, Record<string, string | null>> = {
  'subnet-a': { VpcId: 'vpc-1', AvailabilityZone: 'us-east-1a' },
  'subnet-b': { VpcId: 'vpc-1', AvailabilityZone: 'us-east-1b' },
};
const lookups: RuleLookups = {
  all: (type) => Object.keys(type === 'AWS::EC2::VPC::Id' ? vpcs : type === 'AWS::EC2::Subnet::Id' ? subnets : {}),
  attribute: (type, id, attr) => {
    const r = (type === 'AWS::EC2::VPC::Id' ? vpcs : subnets)[id];
    return r === undefined ? undefined : (r[attr] ?? null);
  },
};

const t = template();
const ev = new RuleEvaluator('Test', t, context(t), lookups);
const fails = (expr: unknown, pattern: RegExp) => assert.throws(() => ev.value(expr), (e: Error) => pattern.test(e.message));

describe('rule functions', () => {
  it('Ref gives parameters (lists as lists) and pseudo parameters, never resources', () => {
    assert.equal(ev.value({ Ref: 'Env' }), 'prod');
    assert.deepEqual(ev.value({ Ref: 'Subnets' }), ['subnet-a', 'subnet-b']);
    assert.equal(ev.value({ Ref: 'AWS::Region' }), 'us-east-1');
    fails({ Ref: 'W' }, /Unresolved dependencies \[W\]\. Cannot reference resources in the Rules block/);
  });

  it('Fn::Equals compares strings and lists', () => {
    assert.equal(ev.value({ 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }), true);
    assert.equal(ev.value({ 'Fn::Equals': [{ Ref: 'Env' }, 'dev'] }), false);
    assert.equal(ev.value({ 'Fn::Equals': [{ Ref: 'Subnets' }, ['subnet-a', 'subnet-b']] }), true);
    assert.equal(ev.value({ 'Fn::Equals': [3, '3'] }), true);
    fails({ 'Fn::Equals': ['a'] }, /Fn::Equals requires a list of 2 arguments/);
  });

  it('Fn::And, Fn::Or and Fn::Not combine conditions, 2 to 10 of them', () => {
    const yes = { 'Fn::Equals': ['a', 'a'] };
    const no = { 'Fn::Equals': ['a', 'b'] };
    assert.equal(ev.value({ 'Fn::And': [yes, yes] }), true);
    assert.equal(ev.value({ 'Fn::And': [yes, no] }), false);
    assert.equal(ev.value({ 'Fn::Or': [no, yes] }), true);
    assert.equal(ev.value({ 'Fn::Or': [no, no] }), false);
    assert.equal(ev.value({ 'Fn::Not': [no] }), true);
    assert.equal(ev.value({ 'Fn::Not': [yes] }), false);
    fails({ 'Fn::And': [yes] }, /requires a list of 2 to 10 conditions/);
    fails({ 'Fn::Or': Array(11).fill(yes) }, /requires a list of 2 to 10 conditions/);
    fails({ 'Fn::Not': [yes, yes] }, /Fn::Not requires a list of 1 argument/);
    fails({ 'Fn::Not': ['maybe'] }, /does not evaluate to true or false/);
  });

  it('Fn::If picks by a template condition', () => {
    assert.equal(ev.value({ 'Fn::If': ['IsProd', 'big', 'small'] }), 'big');
    fails({ 'Fn::If': ['Nope', 'a', 'b'] }, /unresolved condition dependency Nope/);
  });

  it('Fn::Contains is true when the string is in the list', () => {
    assert.equal(ev.value({ 'Fn::Contains': [['small', 'large'], { Ref: 'Size' }] }), true);
    assert.equal(ev.value({ 'Fn::Contains': [['1', '2', '3'], '6'] }), false);
    fails({ 'Fn::Contains': ['small', 'small'] }, /Fn::Contains requires a list of strings/);
  });

  it('Fn::EachMemberEquals is true when every member is the string', () => {
    assert.equal(ev.value({ 'Fn::EachMemberEquals': [['IT', 'IT'], 'IT'] }), true);
    assert.equal(ev.value({ 'Fn::EachMemberEquals': [['IT', 'HR'], 'IT'] }), false);
  });

  it('Fn::EachMemberIn is true when every member of the first list is in the second', () => {
    assert.equal(ev.value({ 'Fn::EachMemberIn': [['a', 'b'], ['c', 'b', 'a']] }), true);
    assert.equal(ev.value({ 'Fn::EachMemberIn': [['a', 'd'], ['a', 'b']] }), false);
  });

  it('Fn::RefAll lists every value of an AWS-specific type in the account', () => {
    assert.deepEqual(ev.value({ 'Fn::RefAll': 'AWS::EC2::VPC::Id' }), ['vpc-1', 'vpc-2', 'vpc-3']);
    fails({ 'Fn::RefAll': 'String' }, /requires an AWS-specific parameter type/);
  });

  it('Fn::ValueOf reads an attribute of what a parameter names, a list for a list parameter', () => {
    assert.equal(ev.value({ 'Fn::ValueOf': ['AppVpc', 'Tags.Department'] }), 'IT');
    assert.equal(ev.value({ 'Fn::ValueOf': ['AppVpc', 'DefaultSecurityGroup'] }), 'sg-1');
    assert.deepEqual(ev.value({ 'Fn::ValueOf': ['Subnets', 'AvailabilityZone'] }), ['us-east-1a', 'us-east-1b']);
    fails({ 'Fn::ValueOf': ['AppVpc', 'CidrBlock'] }, /attribute CidrBlock is not supported for parameter type AWS::EC2::VPC::Id/);
    fails({ 'Fn::ValueOf': ['Env', 'Tags.Department'] }, /requires an AWS-specific parameter type/);
    fails({ 'Fn::ValueOf': [{ Ref: 'AppVpc' }, 'VpcId'] }, /takes two strings and no functions/);
    const gone = new RuleEvaluator('Test', t, context(t, { ...params, AppVpc: 'vpc-9' }), lookups);
    assert.throws(() => gone.value({ 'Fn::ValueOf': ['AppVpc', 'DefaultNetworkAcl'] }), /parameter value vpc-9 for parameter name AppVpc does not exist/);
  });

  it('Fn::ValueOfAll reads the attribute for every parameter of the type, skipping missing tags', () => {
    assert.deepEqual(ev.value({ 'Fn::ValueOfAll': ['AWS::EC2::VPC::Id', 'Tags.Department'] }), ['IT']);
    assert.deepEqual(ev.value({ 'Fn::ValueOfAll': ['AWS::EC2::Subnet::Id', 'VpcId'] }), ['vpc-1', 'vpc-1']);
    assert.equal(ev.value({ 'Fn::EachMemberIn': [{ 'Fn::ValueOfAll': ['AWS::EC2::Subnet::Id', 'VpcId'] }, { 'Fn::RefAll': 'AWS::EC2::VPC::Id' }] }), true);
  });

  it('refuses functions that rules cannot use', () => {
    fails({ 'Fn::Join': ['', ['a']] }, /Fn::Join is not a function that rules can use/);
  });
});

describe('checkRules', () => {
  const withRules = (rules: unknown) => template({ Rules: rules });
  const run = (rules: unknown, values = params) => {
    const tt = withRules(rules);
    checkRules(tt, context(tt, values), lookups);
  };

  it('refuses with the failing assertion’s AssertDescription', () => {
    const bootstrap = {
      CheckBootstrapVersion: {
        Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Contains': [['1', '2', '3', '4', '5'], { Ref: 'Env' }] }] }, AssertDescription: 'CDK bootstrap stack version 6 required.' }],
      },
    };
    assert.throws(() => run(bootstrap, { ...params, Env: '5' }), (e: Error & { code?: string }) => e.message === 'CDK bootstrap stack version 6 required.' && e.code === 'ValidationError');
    run(bootstrap, { ...params, Env: '30' });
  });

  it('skips a rule whose RuleCondition is false, and checks every assertion otherwise', () => {
    const rules = {
      ProdIsLarge: {
        RuleCondition: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
        Assertions: [
          { Assert: { 'Fn::Contains': [['large', 'xlarge'], { Ref: 'Size' }] }, AssertDescription: 'prod must be large' },
          { Assert: { 'Fn::EachMemberEquals': [{ 'Fn::ValueOf': ['Subnets', 'VpcId'] }, { Ref: 'AppVpc' }] }, AssertDescription: 'subnets must be in the app VPC' },
        ],
      },
    };
    run(rules);
    assert.throws(() => run(rules, { ...params, Size: 'small' }), /prod must be large/);
    run(rules, { ...params, Env: 'dev', Size: 'small' });
    assert.throws(() => run(rules, { ...params, AppVpc: 'vpc-2' }), /subnets must be in the app VPC/);
  });

  it('names the rule when the assertion has no description', () => {
    assert.throws(() => run({ Never: { Assertions: [{ Assert: { 'Fn::Equals': ['a', 'b'] } }] } }), /an assertion of rule Never failed/);
  });
});

describe('the Rules section’s shape', () => {
  const shape = (rules: unknown) => () => checkRulesShape(rules);
  it('accepts CDK’s bootstrap rule and no section at all', () => {
    checkRulesShape(undefined);
    checkRulesShape({ R: { RuleCondition: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }, Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Contains': [['1'], { Ref: 'V' }] }] }, AssertDescription: 'd' }] } });
  });
  it('refuses malformed rules with template format errors', () => {
    assert.throws(shape([]), /Template format error: Rules must be an object/);
    assert.throws(shape({ R: {} }), /rule R must contain a non-empty Assertions list/);
    assert.throws(shape({ R: { Assertions: [{ AssertDescription: 'x' }] } }), /must contain an Assert/);
    assert.throws(shape({ R: { Assertions: [{ Assert: true }], Extra: 1 } }), /Invalid rule property or properties \[Extra\]/);
    assert.throws(shape({ R: { Assertions: [{ Assert: { 'Fn::Sub': 'x' } }] } }), /Fn::Sub is not a function that rules can use/);
  });
});
