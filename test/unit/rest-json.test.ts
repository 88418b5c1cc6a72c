/** restJson1, driven by the FIS model: URI labels, query strings, the JSON body, outputs and errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../src/core/errors.ts';
import { models } from '../../src/models/index.ts';
import { RestJsonProtocol } from '../../src/protocols/rest-json.ts';
import type { WireRequest } from '../../src/protocols/protocol.ts';

const protocol = new RestJsonProtocol();
const wire = (method: string, target: string, body = ''): WireRequest => {
  const [path, query = ''] = target.split('?');
  return { method, path: decodeURIComponent(path), rawPath: path, query: new URLSearchParams(query), headers: {}, body: Buffer.from(body) };
};
const parse = (method: string, target: string, body = '') => protocol.parse(wire(method, target, body), models.fis);
const refusal = (method: string, target: string, body = '') => {
  try {
    parse(method, target, body);
  } catch (e) {
    return `${(e as AwsError).code} ${(e as AwsError).status}: ${(e as AwsError).message}`;
  }
  return 'accepted';
};

describe('restJson1', () => {
  it('binds URI labels (an ARN percent-encoded in one segment) and query members, lists repeated', () => {
    assert.deepEqual(parse('GET', '/experimentTemplates/EXT123'), { operation: 'GetExperimentTemplate', input: { id: 'EXT123' } });
    assert.deepEqual(parse('PATCH', '/experimentTemplates/EXT123', '{"description":"new"}'), { operation: 'UpdateExperimentTemplate', input: { id: 'EXT123', description: 'new' } });
    assert.deepEqual(parse('GET', '/experiments?experimentTemplateId=EXT1&maxResults=5'), { operation: 'ListExperiments', input: { experimentTemplateId: 'EXT1', maxResults: 5 } });
    const arn = encodeURIComponent('arn:aws:fis:us-east-1:000000000000:experiment/EXP1');
    assert.deepEqual(parse('DELETE', `/tags/${arn}?tagKeys=a&tagKeys=b`), {
      operation: 'UntagResource',
      input: { resourceArn: 'arn:aws:fis:us-east-1:000000000000:experiment/EXP1', tagKeys: ['a', 'b'] },
    });
  });

  it('reads the members without a location from the JSON body, typed by the model', () => {
    const { operation, input } = parse('POST', '/experiments', JSON.stringify({ clientToken: 't', experimentTemplateId: 'EXT1', tags: { a: '1' }, ignored: true }));
    assert.equal(operation, 'StartExperiment');
    assert.deepEqual(input, { clientToken: 't', experimentTemplateId: 'EXT1', tags: { a: '1' } });
  });

  it('refuses what the model refuses, as ValidationException or SerializationException', () => {
    assert.equal(refusal('POST', '/experiments', '{"clientToken":"t"}'), "ValidationException 400: 1 validation error detected: Value null at 'experimentTemplateId' failed to satisfy constraint: Member must not be null");
    assert.equal(refusal('GET', '/experiments?maxResults=500'), "ValidationException 400: 1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100");
    assert.equal(refusal('GET', '/experiments?maxResults=many'), 'ValidationException 400: Value (many) for parameter maxResults is invalid. Expected an integer.');
    assert.match(refusal('POST', '/experiments', '{"clientToken": 5}'), /^SerializationException 400: VALUE_NUMBER_INT can not be converted to a String/);
    assert.match(refusal('POST', '/experiments', '{oops'), /^SerializationException 400: The request body is not valid JSON/);
    assert.match(refusal('PUT', '/experiments'), /^MethodNotAllowedException 405/);
    assert.match(refusal('GET', '/nothing/here'), /^UnknownOperationException 404/);
  });

  it('writes the output as JSON with epoch-second timestamps, and errors with x-amzn-ErrorType', () => {
    const out = protocol.serialize(models.fis, 'GetExperiment', { experiment: { id: 'EXP1', creationTime: new Date(1_700_000_000_500), state: { status: 'running' } } }, 'req-1');
    assert.equal(out.status, 200);
    assert.equal(out.headers['x-amzn-requestid'], 'req-1');
    assert.deepEqual(JSON.parse(String(out.body)), { experiment: { id: 'EXP1', creationTime: 1_700_000_000.5, state: { status: 'running' } } });
    const err = protocol.serializeError(models.fis, new AwsError('ServiceQuotaExceededException', 'too many', 402), 'req-2');
    assert.equal(err.status, 402);
    assert.equal(err.headers['x-amzn-errortype'], 'ServiceQuotaExceededException');
    assert.deepEqual(JSON.parse(String(err.body)), { message: 'too many' });
  });
});
