/**
 * The rules behind ownership on a shared machine: which public IP pool a faultline takes, what a
 * valid pool is, when a process counts as the same one that registered, and when objects that
 * carry no owner may be taken for stale.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePublicIpPool } from '../../src/config.ts';
import { choosePool, isRunning, processStart, type OwnerRecord } from '../../src/runtime/owners.ts';
import { unlabelledStale } from '../../src/runtime/cleanup.ts';
import { parseIp4 } from '../../src/services/ec2/cidr.ts';

const owner = (pool: string, pid = 4242): OwnerRecord => ({ tag: 'abcd1234', pid, start: '1', dataDir: '/tmp/other', pool });

describe('public IP pool of a faultline', () => {
  it('takes the first /24 of 127.100.0.0/16 that no running faultline holds and nothing listens in', () => {
    assert.deepEqual(choosePool({ running: [], listening: [] }), { pool: '127.100.0.0/24', notes: [] });
    const running = [owner('127.100.0.0/24'), owner('127.100.2.0/23')];
    assert.equal(choosePool({ running, listening: [] }).pool, '127.100.1.0/24');
    assert.equal(choosePool({ running, listening: [parseIp4('127.100.1.9')!] }).pool, '127.100.4.0/24', 'a listener in 127.100.1.0/24 makes it taken');
  });

  it('prefers the pool its data directory used before, and says so when that one is taken', () => {
    assert.deepEqual(choosePool({ previous: '127.100.7.0/24', running: [], listening: [] }), { pool: '127.100.7.0/24', notes: [] });
    const { pool, notes } = choosePool({ previous: '127.100.7.0/24', running: [owner('127.100.0.0/21')], listening: [] });
    assert.equal(pool, '127.100.8.0/24');
    assert.match(notes[0], /127\.100\.7\.0\/24 that this data directory used before is held: 127\.100\.0\.0\/21 of the faultline running as pid 4242/);
  });

  it('takes a given pool unless it overlaps a running faultline', () => {
    assert.equal(choosePool({ explicit: '127.101.5.0/24', running: [owner('127.100.0.0/24')], listening: [] }).pool, '127.101.5.0/24');
    assert.throws(() => choosePool({ explicit: '127.100.0.0/16', running: [owner('127.100.3.0/24')], listening: [] }), /127\.100\.0\.0\/16 overlaps 127\.100\.3\.0\/24 of the faultline running as pid 4242 \(data directory \/tmp\/other\)/);
  });

  it('fails clearly when every default pool is taken', () => {
    assert.throws(() => choosePool({ running: [owner('127.100.0.0/16')], listening: [] }), /every \/24 of 127\.100\.0\.0\/16 is held .* --public-ip-pool/);
  });

  it('accepts only network addresses inside 127.0.0.0/8 with a /8 to /30 prefix', () => {
    assert.equal(parsePublicIpPool('127.101.5.0/24'), '127.101.5.0/24');
    assert.equal(parsePublicIpPool('127.0.0.0/8'), '127.0.0.0/8');
    assert.throws(() => parsePublicIpPool('10.0.0.0/24'), /10\.0\.0\.0\/24 must lie inside 127\.0\.0\.0\/8/);
    assert.throws(() => parsePublicIpPool('127.101.5.7/24'), /not a network address; did you mean 127\.101\.5\.0\/24\?/);
    assert.throws(() => parsePublicIpPool('127.101.5.0/31'), /prefix must be \/8 to \/30/);
    assert.throws(() => parsePublicIpPool('127.0.0.0/7'), /prefix must be \/8 to \/30/);
    assert.throws(() => parsePublicIpPool('127.300.0.0/16'), /must be a CIDR block such as 127\.101\.0\.0\/24, not "127\.300\.0\.0\/16"/);
    assert.throws(() => parsePublicIpPool('loopback'), /must be a CIDR block/);
  });
});

describe('owners and unlabelled objects', () => {
  it('knows a process by its pid and start time, so a reused pid is not the owner', () => {
    const start = processStart(process.pid)!;
    assert.match(start, /^\d+$/);
    assert.equal(isRunning({ pid: process.pid, start }), true);
    assert.equal(isRunning({ pid: process.pid, start: String(Number(start) + 1) }), false);
    assert.equal(isRunning({ pid: 2 ** 22 + 1, start }), false, 'above pid_max: no such process');
  });

  it('takes objects without an owner for stale only when nothing runs in any and none is new', () => {
    const now = 1_000_000;
    assert.equal(unlabelledStale([{ busy: false, createdAt: now - 61_000 }, { busy: false, createdAt: now - 120_000 }], now), true);
    assert.equal(unlabelledStale([{ busy: false, createdAt: now - 61_000 }, { busy: true, createdAt: now - 120_000 }], now), false, 'a VPC agent still runs');
    assert.equal(unlabelledStale([{ busy: false, createdAt: now - 61_000 }, { busy: false, createdAt: now - 5_000 }], now), false, 'a boot may be in progress');
    assert.equal(unlabelledStale([], now), false);
  });
});
