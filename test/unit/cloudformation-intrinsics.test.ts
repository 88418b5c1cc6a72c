/** Every intrinsic and condition function, and the pseudo parameters, against a fixed context. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../src/core/errors.ts';
import { conditionEvaluator, NO_VALUE, resolve, type EvalContext } from '../../src/cloudformation/intrinsics.ts';
import { parseTemplate } from '../../src/cloudformation/template.ts';

function context(conditions: Record<string, unknown> = {}): EvalContext {
  let ctx: EvalContext;
  const condition = conditionEvaluator(conditions, () => ctx);
  ctx = {
    region: 'us-east-1',
    account: '123456789012',
    stackName: 'demo',
    stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/demo/0b6c4e40-0000-4000-8000-000000000000',
    notificationArns: ['arn:aws:sns:us-east-1:123456789012:topic'],
    params: { Env: 'prod', Size: '3', Zones: ['us-east-1a', 'us-east-1b'], Empty: '' },
    mappings: { Images: { 'us-east-1': { HVM: 'ami-1ecae776' } } },
    condition,
    ref: (id) => (id === 'Vpc' ? 'vpc-0123' : `phys-${id}`),
    getAtt: (id, attr) => (id === 'Vpc' && attr === 'CidrBlock' ? '10.0.0.0/16' : id === 'Vpc' && attr === 'Ipv6CidrBlocks' ? ['2600::/56'] : `${id}.${attr}`),
    azs: (region) => [`${region}a`, `${region}b`, `${region}c`],
    importValue: (name) => {
      if (name === 'shared-vpc') return 'vpc-shared';
      throw new AwsError('ValidationError', `No export named ${name} found`);
    },
    resourceNames: new Set(['Vpc', 'Subnet']),
  };
  return ctx;
}

const r = (v: unknown, conditions?: Record<string, unknown>) => resolve(v, context(conditions));
const fails = (v: unknown, pattern: RegExp, conditions?: Record<string, unknown>) => assert.throws(() => r(v, conditions), (e: Error) => pattern.test(e.message));

describe('Ref', () => {
  it('gives parameters (lists as lists), resources and pseudo parameters', () => {
    assert.equal(r({ Ref: 'Env' }), 'prod');
    assert.deepEqual(r({ Ref: 'Zones' }), ['us-east-1a', 'us-east-1b']);
    assert.equal(r({ Ref: 'Vpc' }), 'vpc-0123');
    assert.equal(r({ Ref: 'AWS::Region' }), 'us-east-1');
    assert.equal(r({ Ref: 'AWS::AccountId' }), '123456789012');
    assert.equal(r({ Ref: 'AWS::StackName' }), 'demo');
    assert.match(r({ Ref: 'AWS::StackId' }) as string, /^arn:aws:cloudformation:us-east-1:123456789012:stack\/demo\//);
    assert.equal(r({ Ref: 'AWS::Partition' }), 'aws');
    assert.equal(r({ Ref: 'AWS::URLSuffix' }), 'amazonaws.com');
    assert.deepEqual(r({ Ref: 'AWS::NotificationARNs' }), ['arn:aws:sns:us-east-1:123456789012:topic']);
  });
  it('drops AWS::NoValue from objects and lists', () => {
    assert.equal(r({ Ref: 'AWS::NoValue' }), NO_VALUE);
    assert.deepEqual(r({ A: 1, B: { Ref: 'AWS::NoValue' } }), { A: 1 });
    assert.deepEqual(r(['a', { Ref: 'AWS::NoValue' }, 'b']), ['a', 'b']);
  });
  it('refuses unknown names as unresolved dependencies', () => {
    fails({ Ref: 'Nope' }, /Unresolved resource dependencies \[Nope\] in the Resources block of the template/);
    fails({ Ref: 'AWS::Nope' }, /Unresolved resource dependencies \[AWS::Nope\]/);
  });
});

describe('Fn::GetAtt', () => {
  it('takes the list and the dotted forms', () => {
    assert.equal(r({ 'Fn::GetAtt': ['Vpc', 'CidrBlock'] }), '10.0.0.0/16');
    assert.equal(r({ 'Fn::GetAtt': 'Vpc.CidrBlock' }), '10.0.0.0/16');
    assert.equal(r({ 'Fn::GetAtt': ['Subnet', { Ref: 'Env' }] }), 'Subnet.prod');
  });
  it('refuses an unknown resource', () => fails({ 'Fn::GetAtt': ['Nope', 'Arn'] }, /Unresolved resource dependencies \[Nope\]/));
});

describe('Fn::Join, Fn::Split, Fn::Select, Fn::Length', () => {
  it('joins strings and the results of functions', () => {
    assert.equal(r({ 'Fn::Join': ['', ['http://', { Ref: 'Vpc' }, ':8080']] }), 'http://vpc-0123:8080');
    assert.equal(r({ 'Fn::Join': [',', { Ref: 'Zones' }] }), 'us-east-1a,us-east-1b');
    assert.equal(r({ 'Fn::Join': ['-', [1, true, 'x']] }), '1-true-x');
    fails({ 'Fn::Join': ['', 'notalist'] }, /every Fn::Join object requires two parameters/);
  });
  it('splits, selects and counts', () => {
    assert.deepEqual(r({ 'Fn::Split': [',', 'a,b,,c'] }), ['a', 'b', '', 'c']);
    assert.equal(r({ 'Fn::Select': ['1', { 'Fn::Split': [',', 'a,b,c'] }] }), 'b');
    assert.equal(r({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }), 'us-east-1a');
    fails({ 'Fn::Select': ['5', ['a']] }, /Fn::Select cannot select nonexistent value at index 5/);
    assert.equal(r({ 'Fn::Length': [1, 2, { Ref: 'AWS::NoValue' }] }), 2);
    assert.equal(r({ 'Fn::Length': { Ref: 'Zones' } }), 2);
  });
});

describe('Fn::Sub', () => {
  it('substitutes parameters, resources, attributes and pseudo parameters', () => {
    assert.equal(r({ 'Fn::Sub': '${AWS::StackName}-${Env}-${Vpc}-${Vpc.CidrBlock}' }), 'demo-prod-vpc-0123-10.0.0.0/16');
  });
  it('takes a map of variables, and keeps ${!Literal}', () => {
    assert.equal(r({ 'Fn::Sub': ['${Greeting}, ${Env}! ${!NotAVar}', { Greeting: { 'Fn::Join': ['', ['hel', 'lo']] } }] }), 'hello, prod! ${NotAVar}');
  });
  it('refuses unknown names and lists', () => {
    fails({ 'Fn::Sub': '${Missing}' }, /Unresolved resource dependencies \[Missing\]/);
    fails({ 'Fn::Sub': '${Zones}' }, /is a list/);
  });
});

describe('Fn::Base64, Fn::FindInMap, Fn::GetAZs, Fn::ImportValue, Fn::ToJsonString', () => {
  it('encodes, looks up and imports', () => {
    assert.equal(r({ 'Fn::Base64': '#!/bin/bash\n' }), Buffer.from('#!/bin/bash\n').toString('base64'));
    assert.equal(r({ 'Fn::FindInMap': ['Images', { Ref: 'AWS::Region' }, 'HVM'] }), 'ami-1ecae776');
    fails({ 'Fn::FindInMap': ['Images', 'eu-west-9', 'HVM'] }, /Unable to get mapping for Images::eu-west-9::HVM/);
    assert.equal(r({ 'Fn::FindInMap': ['Images', 'eu-west-9', 'HVM', { DefaultValue: 'ami-default' }] }), 'ami-default');
    assert.deepEqual(r({ 'Fn::GetAZs': '' }), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    assert.deepEqual(r({ 'Fn::GetAZs': { Ref: 'AWS::Region' } }), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    assert.equal(r({ 'Fn::ImportValue': 'shared-vpc' }), 'vpc-shared');
    fails({ 'Fn::ImportValue': 'nope' }, /No export named nope found/);
    assert.equal(r({ 'Fn::ToJsonString': { A: [1, { Ref: 'Env' }] } }), '{"A":[1,"prod"]}');
  });
});

describe('Fn::Cidr', () => {
  it('carves IPv4 and IPv6 blocks', () => {
    assert.deepEqual(r({ 'Fn::Cidr': ['10.0.0.0/16', 3, 8] }), ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']);
    assert.deepEqual(r({ 'Fn::Cidr': [{ 'Fn::GetAtt': ['Vpc', 'CidrBlock'] }, '2', '12'] }), ['10.0.0.0/20', '10.0.16.0/20']);
    assert.deepEqual(r({ 'Fn::Cidr': ['2600:1f10:1:100::/56', 2, 64] }), ['2600:1f10:1:100::/64', '2600:1f10:1:101::/64']);
    fails({ 'Fn::Cidr': ['10.0.0.0/24', 3, 8] }, /cannot make 3 subnets/);
  });
});

describe('conditions: Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition', () => {
  const conditions = {
    IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
    IsBig: { 'Fn::Equals': [{ Ref: 'Size' }, 3] },
    BigProd: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'IsBig' }] },
    EitherWay: { 'Fn::Or': [{ 'Fn::Not': [{ Condition: 'IsProd' }] }, { Condition: 'IsBig' }] },
    NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    Loop1: { Condition: 'Loop2' },
    Loop2: { Condition: 'Loop1' },
  };
  it('evaluates and picks branches', () => {
    assert.equal(r({ 'Fn::If': ['IsProd', 'big', 'small'] }, conditions), 'big');
    assert.equal(r({ 'Fn::If': ['NotProd', 'x', { Ref: 'AWS::NoValue' }] }, conditions), NO_VALUE);
    assert.deepEqual(r({ A: { 'Fn::If': ['NotProd', 'x', { Ref: 'AWS::NoValue' }] } }, conditions), {});
    assert.equal(r({ 'Fn::If': ['BigProd', 1, 2] }, conditions), 1);
    assert.equal(r({ 'Fn::If': ['EitherWay', 1, 2] }, conditions), 1);
    assert.equal(r({ 'Fn::Equals': ['a', 'b'] }, conditions), 'false');
  });
  it('refuses unknown and circular conditions', () => {
    fails({ 'Fn::If': ['Nope', 1, 2] }, /unresolved condition dependency Nope in Fn::If/, conditions);
    fails({ 'Fn::If': ['Loop1', 1, 2] }, /Circular dependency between conditions/, conditions);
  });
});

describe('YAML short-form tags', () => {
  it('read as the long forms', () => {
    const t = parseTemplate(`
Parameters:
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Select [0, !Cidr [10.0.0.0/8, 4, 16]]
      Tags:
        - Key: Name
          Value: !Sub '\${AWS::StackName}-vpc'
        - Key: Zone
          Value: !Select [1, !GetAZs '']
        - Key: Both
          Value: !Join ['-', [!If [IsProd, a, b], !Base64 x, !FindInMap [M, k, v], !ImportValue e, !GetAtt Other.Arn]]
        - Key: Not
          Value: !If [IsProd, !Not [!Condition IsProd], !And [!Condition IsProd, !Or [!Condition IsProd, !Condition IsProd]]]
`);
    const props = t.Resources.Vpc.Properties!;
    assert.deepEqual(props.CidrBlock, { 'Fn::Select': [0, { 'Fn::Cidr': ['10.0.0.0/8', 4, 16] }] });
    const tags = props.Tags as { Value: unknown }[];
    assert.deepEqual(tags[0].Value, { 'Fn::Sub': '${AWS::StackName}-vpc' });
    assert.deepEqual(tags[1].Value, { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] });
    assert.deepEqual(tags[2].Value, {
      'Fn::Join': ['-', [{ 'Fn::If': ['IsProd', 'a', 'b'] }, { 'Fn::Base64': 'x' }, { 'Fn::FindInMap': ['M', 'k', 'v'] }, { 'Fn::ImportValue': 'e' }, { 'Fn::GetAtt': ['Other', 'Arn'] }]],
    });
    assert.deepEqual(tags[3].Value, {
      'Fn::If': ['IsProd', { 'Fn::Not': [{ Condition: 'IsProd' }] }, { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsProd' }] }] }],
    });
    assert.deepEqual(t.Conditions.IsProd, { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] });
  });
  it('refuses malformed YAML and JSON with a position', () => {
    assert.throws(() => parseTemplate('Resources:\n  A: [\n'), /Template format error: YAML not well-formed\. \(line \d+, column \d+\)/);
    assert.throws(() => parseTemplate('{"Resources": {'), /Template format error: JSON not well-formed\./);
    assert.throws(() => parseTemplate('{"Resources": {}}'), /At least one Resources member must be defined/);
    assert.throws(() => parseTemplate('{"Resources": {"A": {"Properties": {}}}}'), /Every Resources object must contain a Type member/);
    assert.throws(() => parseTemplate('{"Resourcez": {}}'), /Invalid template property or properties \[Resourcez\]/);
  });
  it('reads a body that is JSON but for a trailing comma as YAML, as CloudFormation does', () => {
    const t = parseTemplate('{\n  "Resources": {\n    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": [{"Key": "a", "Value": "b"},]}},\n  },\n}\n');
    assert.deepEqual(t.Resources.Topic, { Type: 'AWS::SNS::Topic', Properties: { Tags: [{ Key: 'a', Value: 'b' }] } });
  });
});
