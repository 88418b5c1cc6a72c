import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { carriesToken, controlToken, loopbackOnly } from '../../src/gateway/control-token.ts';

describe('the control token', () => {
  it('is needed beyond loopback only, unless one is given', () => {
    for (const host of ['127.0.0.1', '127.0.0.53', 'localhost', 'api.localhost', '::1', '[::1]']) {
      assert.equal(loopbackOnly(host), true, host);
      assert.equal(controlToken(host, undefined), undefined, host);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'faultline.internal', '128.0.0.1']) {
      assert.equal(loopbackOnly(host), false, host);
      assert.match(controlToken(host, undefined)!, /^[\w-]{32}$/, host);
    }
    assert.notEqual(controlToken('0.0.0.0', undefined), controlToken('0.0.0.0', undefined), 'a new token each start');
    assert.equal(controlToken('127.0.0.1', 'mine'), 'mine');
  });

  it('is read from the header, else the query, and compared whole', () => {
    const url = (q = '') => new URL(`http://x/_faultline/world${q}`);
    assert.equal(carriesToken('abc', 'abc', url()), true);
    assert.equal(carriesToken('abc', undefined, url('?token=abc')), true);
    assert.equal(carriesToken('abc', 'abd', url('?token=abc')), false, 'a wrong header is not excused by the query');
    assert.equal(carriesToken('abc', 'ab', url()), false);
    assert.equal(carriesToken('abc', undefined, url()), false);
  });
});
