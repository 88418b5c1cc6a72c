// A drill's probes resolve names as a DNS client does (drills/resolver.ts): from faultline's
// answers, each held for its TTL on the manual clock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { cachingResolver } from '../../src/drills/resolver.ts';
import { seedRecordSet, seedZone } from '../route53-support.ts';

let app: App;
let dir: string;
const advance = (s: number) => app.env.scheduler.advanceTo(app.env.clock.now() + s * 1000);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'drill-resolver-'));
  app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a drill\'s name resolver', () => {
  it('sees a changed record only once the answer it holds is older than its TTL', () => {
    const z = seedZone(app.env, 'drill.test.');
    const www = (ip: string) => seedRecordSet(app.env, z, { Name: 'www.drill.test.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: ip }] });
    www('192.0.2.1');
    const resolve = cachingResolver(app.env);
    assert.deepEqual(resolve('WWW.drill.test'), ['192.0.2.1']);
    www('192.0.2.2');
    advance(59);
    assert.deepEqual(resolve('www.drill.test'), ['192.0.2.1']);
    advance(1);
    assert.deepEqual(resolve('www.drill.test'), ['192.0.2.2']);
  });

  it('holds a name that does not exist for the zone\'s negative TTL, and leaves names that are not faultline\'s to the system', () => {
    const z = seedZone(app.env, 'late.test.');
    const resolve = cachingResolver(app.env);
    assert.deepEqual(resolve('new.late.test'), []);
    seedRecordSet(app.env, z, { Name: 'new.late.test.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.3' }] });
    advance(899);
    assert.deepEqual(resolve('new.late.test'), []);
    advance(1);
    assert.deepEqual(resolve('new.late.test'), ['192.0.2.3']);
    assert.equal(resolve('127.0.0.1'), undefined);
    assert.equal(resolve('localhost'), undefined);
  });
});
