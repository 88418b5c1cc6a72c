/**
 * Which API a request signed for a shared signing name is meant for (src/gateway/unserved.ts).
 * ELB and ELBv2 both sign as `elasticloadbalancing`; once faultline serves one, a request that
 * names the other by its Query Version must still be answered as unserved, and one that names
 * none goes to the served one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unservedApi } from '../../src/gateway/unserved.ts';
import type { ServiceModel } from '../../src/protocols/model.ts';

const elbv2 = { metadata: { protocol: 'query', apiVersion: '2015-12-01', endpointPrefix: 'elasticloadbalancing' }, operations: {}, shapes: {} } as ServiceModel;

describe('APIs that share a signing name', () => {
  it('a request for classic ELB is unserved while ELBv2 is served', () => {
    assert.equal(unservedApi('elasticloadbalancing', elbv2, { version: '2012-06-01', action: true })?.id, 'elb');
    assert.equal(unservedApi('elasticloadbalancing', elbv2, { version: '2015-12-01', action: true }), undefined);
    assert.equal(unservedApi('elasticloadbalancing', elbv2, { action: true }), undefined);
  });

  it('with neither served, the request names which one it is for, and the API named like the signing name is the default', () => {
    assert.equal(unservedApi('elasticloadbalancing', undefined, { version: '2015-12-01', action: true })?.id, 'elbv2');
    assert.equal(unservedApi('elasticloadbalancing', undefined, { version: '2012-06-01', action: true })?.id, 'elb');
    assert.equal(unservedApi('rds', undefined, { action: false })?.id, 'rds');
    assert.equal(unservedApi('dynamodb', undefined, { target: 'DynamoDBStreams_20120810.ListStreams', action: false })?.id, 'dynamodbstreams');
  });
});
