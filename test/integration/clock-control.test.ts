/**
 * POST /_faultline/clock: a scaled clock pauses, resumes and changes speed at run time, from the
 * instant of the change (cloud time never jumps or runs backwards); a manual clock refuses (it
 * is stepped), and bad input gets a clear error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

async function call(fl: Faultline, method: string, body?: unknown) {
  const r = await fetch(`${fl.url}/_faultline/clock`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

/** Lets some real time pass: what a paused clock must not follow. */
const realMoment = () => new Promise((r) => setTimeout(r, 50));

describe('the clock through the control API', () => {
  let scaled: Faultline;
  let manual: Faultline;
  before(async () => {
    scaled = await startFaultline({ clock: 'scaled', timeScale: 60 });
    manual = await startFaultline();
  });
  after(async () => {
    await scaled.close();
    await manual.close();
  });

  it('pauses a scaled clock, which then stands still, and resumes it at a new speed from where it stood', async () => {
    const paused = await call(scaled, 'POST', { paused: true });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.paused, true);
    assert.equal(paused.body.scale, 60);
    await realMoment();
    assert.equal((await call(scaled, 'GET')).body.now, paused.body.now);

    const resumed = await call(scaled, 'POST', { paused: false, scale: 1000 });
    assert.equal(resumed.status, 200);
    assert.deepEqual([resumed.body.paused, resumed.body.scale], [false, 1000]);
    assert.ok(Date.parse(resumed.body.now) >= Date.parse(paused.body.now), 'cloud time never runs backwards');
    await realMoment();
    assert.ok(Date.parse((await call(scaled, 'GET')).body.now) > Date.parse(resumed.body.now), 'a resumed clock runs again');
  });

  it('refuses bad input and a manual clock', async () => {
    assert.deepEqual(await call(scaled, 'POST', {}), { status: 400, body: { error: 'give scale (cloud seconds per real second) or paused (true or false)' } });
    assert.deepEqual(await call(scaled, 'POST', { scale: -2 }), { status: 400, body: { error: 'scale must be a number above 0 and at most 1000000' } });
    assert.deepEqual(await call(scaled, 'POST', { paused: 'yes' }), { status: 400, body: { error: 'paused must be true or false' } });
    assert.deepEqual(await call(manual, 'POST', { paused: true }), {
      status: 409,
      body: { error: 'the clock is manual; only a scaled clock (faultline up --time-scale N) can change speed or pause' },
    });
    assert.equal((await call(scaled, 'GET')).body.scale, 1000, 'a refused change changes nothing');
  });
});
