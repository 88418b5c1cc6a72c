import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Clock } from '../../src/core/clock.ts';
import { Scheduler } from '../../src/core/scheduler.ts';
import { Store } from '../../src/core/store.ts';

const T0 = Date.UTC(2026, 0, 1);

function setup() {
  const store = new Store(':memory:');
  const clock = new Clock({ mode: 'manual', start: T0 });
  const logs: string[] = [];
  const scheduler = new Scheduler(store, clock, (m) => logs.push(m));
  return { store, clock, scheduler, logs };
}

describe('scheduler on a manual clock', () => {
  it('runs each timer at its own due time, in order, and requeues on request', () => {
    const { clock, scheduler } = setup();
    const seen: string[] = [];
    scheduler.register('tick', (key) => {
      seen.push(`${key}@${(clock.now() - T0) / 1000}`);
      return key === 'every-10s' && clock.now() - T0 < 30_000 ? 10_000 : undefined;
    });
    scheduler.enqueue('tick', 'every-10s', T0 + 10_000);
    scheduler.enqueue('tick', 'once', T0 + 15_000);
    scheduler.advanceTo(T0 + 60_000);
    assert.deepEqual(seen, ['every-10s@10', 'once@15', 'every-10s@20', 'every-10s@30']);
    assert.equal(clock.now(), T0 + 60_000);
  });

  it('keeps one timer per key, at the earlier due time', () => {
    const { scheduler } = setup();
    scheduler.register('l', () => undefined);
    scheduler.enqueue('l', 'k', T0 + 5000);
    scheduler.enqueue('l', 'k', T0 + 2000);
    scheduler.enqueue('l', 'k', T0 + 9000);
    assert.deepEqual(scheduler.pending('l'), [{ key: 'k', due: T0 + 2000 }]);
  });

  it('rolls back a failing reconciler and retries it later', () => {
    const { store, scheduler, logs } = setup();
    let calls = 0;
    scheduler.register('bad', () => {
      calls++;
      store.put('things', { account: 'a', region: 'r' }, 'x', { calls });
      if (calls === 1) throw new Error('transient');
    });
    scheduler.enqueue('bad', 'k', T0);
    scheduler.runDue();
    assert.equal(store.get('things', { account: 'a', region: 'r' }, 'x'), undefined);
    assert.equal(logs.length, 1);
    scheduler.advanceTo(T0 + 60_000);
    assert.deepEqual(store.get('things', { account: 'a', region: 'r' }, 'x'), { calls: 2 });
  });
});
