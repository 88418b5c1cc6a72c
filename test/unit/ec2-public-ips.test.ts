import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/core/store.ts';
import { defaultConfig } from '../../src/config.ts';
import type { Env } from '../../src/services/service.ts';
import { allocatePublicIp, poolRange, privateDnsName, publicDnsName, publicIpHolder, releasePublicIp } from '../../src/services/ec2/public-ips.ts';

function env(pool: string): Env {
  const store = new Store(join(mkdtempSync(join(tmpdir(), 'pubip-')), 'db'));
  return { store, config: { ...defaultConfig(), publicIpPool: pool } } as unknown as Env;
}

const holder = { kind: 'auto' as const, account: '111111111111', region: 'us-east-1', owner: 'eni-1' };

describe('public IP pool', () => {
  it('skips the network and broadcast addresses', () => {
    assert.deepEqual(poolRange('127.100.0.0/16'), { first: (127 * 256 + 100) * 65536 + 1, last: (127 * 256 + 100) * 65536 + 65534 });
  });

  it('hands out distinct addresses, does not reuse a released one at once, and fails when empty', () => {
    const e = env('127.100.0.0/29'); // .1 to .6 usable
    const ips = e.store.transaction(() => [1, 2, 3].map(() => allocatePublicIp(e, holder)));
    assert.deepEqual(ips, ['127.100.0.1', '127.100.0.2', '127.100.0.3']);
    assert.equal(publicIpHolder(e, '127.100.0.2')?.owner, 'eni-1');
    e.store.transaction(() => releasePublicIp(e, '127.100.0.1'));
    assert.equal(publicIpHolder(e, '127.100.0.1'), undefined);
    const next = e.store.transaction(() => allocatePublicIp(e, holder));
    assert.equal(next, '127.100.0.4', 'the cursor moves on rather than reusing .1');
    e.store.transaction(() => [5, 6].forEach(() => allocatePublicIp(e, holder)));
    assert.equal(e.store.transaction(() => allocatePublicIp(e, holder)), '127.100.0.1', 'wraps around to a free address');
    assert.throws(() => e.store.transaction(() => allocatePublicIp(e, holder)), /no free addresses/);
  });

  it('names addresses as AWS does in and outside us-east-1', () => {
    assert.equal(publicDnsName('us-east-1', '127.100.0.5'), 'ec2-127-100-0-5.compute-1.amazonaws.com');
    assert.equal(publicDnsName('eu-west-1', '127.100.0.5'), 'ec2-127-100-0-5.eu-west-1.compute.amazonaws.com');
    assert.equal(privateDnsName('us-east-1', '10.0.0.5'), 'ip-10-0-0-5.ec2.internal');
    assert.equal(privateDnsName('us-west-2', '10.0.0.5'), 'ip-10-0-0-5.us-west-2.compute.internal');
  });
});
