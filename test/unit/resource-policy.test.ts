/** Resource policies: who a Principal names, and how conditions decide for keys present and absent. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy, type Caller } from '../../src/services/iam/resource-policy.ts';

const root = (account: string): Caller => ({ kind: 'aws', principal: { account, arn: `arn:aws:iam::${account}:root`, userId: account, accessKeyId: account } });
const session: Caller = { kind: 'aws', principal: { account: '111111111111', arn: 'arn:aws:sts::111111111111:assumed-role/deployer/s1', userId: 'AROA:s1', accessKeyId: 'ASIA' } };
const ARN = 'arn:aws:s3:::b/k';
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const allow = (extra: object) => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', ...extra });
const decide = (document: string, caller: Caller, context?: Record<string, string>) => evaluatePolicy(document, { caller, action: 's3:getobject', resource: ARN, context });

describe('resource policies', () => {
  it('matches principals: everyone, an account, a role by its path-less session, a service, and NotPrincipal', () => {
    assert.equal(decide(doc(allow({ Principal: '*' })), { kind: 'anonymous' }), 'allow');
    assert.equal(decide(doc(allow({ Principal: { AWS: '*' } })), { kind: 'service', service: 'cloudwatch.amazonaws.com' }), 'allow');
    assert.equal(decide(doc(allow({ Principal: { AWS: '111111111111' } })), root('111111111111')), 'allow');
    assert.equal(decide(doc(allow({ Principal: { AWS: '111111111111' } })), root('222222222222')), 'none');
    assert.equal(decide(doc(allow({ Principal: { AWS: '111111111111' } })), { kind: 'anonymous' }), 'none');
    assert.equal(decide(doc(allow({ Principal: { AWS: 'arn:aws:iam::111111111111:role/app/deployer' } })), session), 'allow');
    assert.equal(decide(doc(allow({ Principal: { Service: 'cloudwatch.amazonaws.com' } })), root('111111111111')), 'none');
    assert.equal(decide(doc(allow({ NotPrincipal: { AWS: '111111111111' } })), root('222222222222')), 'allow');
  });

  it('lets a Deny win, and matches actions without case and resources with wildcards', () => {
    const both = doc(allow({ Principal: '*' }), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/k' });
    assert.equal(decide(both, root('111111111111')), 'deny');
    assert.equal(decide(doc(allow({ Principal: '*', Resource: 'arn:aws:s3:::other/*' })), root('111111111111')), 'none');
    assert.equal(decide(doc(allow({ Principal: '*', Action: 'S3:Get*' })), root('111111111111')), 'allow');
    assert.equal(decide('not json', root('111111111111')), 'none');
  });

  it('tests conditions on the keys a request carries; an absent key fails positive tests and passes negated ones', () => {
    const cond = (Condition: object) => doc(allow({ Principal: '*', Condition }));
    assert.equal(decide(cond({ StringEquals: { 'aws:PrincipalAccount': '111111111111' } }), root('111111111111')), 'allow');
    assert.equal(decide(cond({ StringEquals: { 'aws:PrincipalAccount': '111111111111' } }), root('222222222222')), 'none');
    assert.equal(decide(cond({ StringEquals: { 'aws:PrincipalAccount': '111111111111' } }), { kind: 'anonymous' }), 'none');
    assert.equal(decide(cond({ StringNotEquals: { 'aws:SourceAccount': '111111111111' } }), root('222222222222')), 'allow');
    assert.equal(decide(cond({ StringEqualsIfExists: { 'aws:SourceAccount': '111111111111' } }), root('222222222222')), 'allow');
    assert.equal(decide(cond({ ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:*:111111111111:alarm:*' } }), root('2'), { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:a' }), 'allow');
    assert.equal(decide(cond({ Bool: { 'aws:SecureTransport': 'false' } }), root('111111111111')), 'none');
    // An operator faultline does not know makes the statement not apply, for an Allow as for a Deny.
    assert.equal(decide(cond({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), root('111111111111')), 'none');
  });
});
