import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/core/store.ts';

const scope = { account: '111111111111', region: 'us-east-1' };

describe('store', () => {
  it('commits a transaction to disk and reloads it in a new store', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'db');
    const a = new Store(path);
    a.transaction(() => a.put('things', scope, 'x', { n: 1 }));
    a.close();
    const b = new Store(path);
    assert.deepEqual(b.get('things', scope, 'x'), { n: 1 });
    assert.equal(b.get('things', { ...scope, region: 'eu-west-1' }, 'x'), undefined);
    b.close();
  });

  it('rolls back every write of a failed transaction, in SQLite and in memory', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'db');
    const s = new Store(path);
    s.transaction(() => s.put('things', scope, 'keep', { v: 'old' }));
    assert.throws(() =>
      s.transaction(() => {
        s.put('things', scope, 'keep', { v: 'new' });
        s.put('things', scope, 'added', { v: 1 });
        s.delete('things', scope, 'keep');
        throw new Error('boom');
      }),
    );
    assert.deepEqual(s.get('things', scope, 'keep'), { v: 'old' });
    assert.equal(s.get('things', scope, 'added'), undefined);
    s.close();
    const again = new Store(path);
    assert.deepEqual(again.list('things', scope), [{ v: 'old' }]);
    again.close();
  });

  it('refuses writes outside a transaction and asynchronous transactions', () => {
    const s = new Store(':memory:');
    assert.throws(() => s.put('things', scope, 'x', {}), /inside a transaction/);
    assert.throws(() => s.transaction(() => Promise.resolve(1) as unknown as number), /synchronous/);
    assert.equal(s.get('things', scope, 'x'), undefined);
  });

  it('hands out copies for mutation, so an unsaved change does not leak', () => {
    const s = new Store(':memory:');
    s.transaction(() => s.put('things', scope, 'x', { n: 1 }));
    const copy = s.mutable<{ n: number }>('things', scope, 'x')!;
    copy.n = 2;
    assert.deepEqual(s.get('things', scope, 'x'), { n: 1 });
  });
});
