/**
 * Two sandbox faultlines on one machine, as CI runners run jobs in parallel: each takes a public
 * IP pool that no other running faultline holds, so both instances answer on their public IPs; a
 * restart from the same data directory keeps its pool (its instances kept their addresses); a
 * pool that overlaps a running faultline's, and a data directory that one serves, are refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.ts';
import { startFaultline, type Faultline } from '../harness.ts';
import { launchWebServer, sandboxSkip, waitFor } from '../sandbox-support.ts';

const run = promisify(execFile);

describe('two sandbox faultlines side by side', { skip: sandboxSkip }, () => {
  const dataDirA = mkdtempSync(join(tmpdir(), 'faultline-side-a-'));
  let a: Faultline | undefined;
  let b: Faultline | undefined;
  before(async () => {
    b = await startFaultline({ driver: 'sandbox' });
    a = await startFaultline({ driver: 'sandbox', dataDir: dataDirA });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    rmSync(dataDirA, { recursive: true, force: true });
  });

  async function serve(fl: Faultline, text: string): Promise<{ id: string; ip: string }> {
    const id = await launchWebServer(fl.aws, text);
    fl.advance(60);
    const ip = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0].PublicIpAddress;
    return { id, ip };
  }

  let served: { id: string; ip: string };

  it('gives each its own public IP pool, and both instances answer on their public IPs', async () => {
    const poolA = a!.app.env.config.publicIpPool;
    const poolB = b!.app.env.config.publicIpPool;
    assert.notEqual(poolA, poolB);
    served = await serve(a!, 'from a');
    const fromB = await serve(b!, 'from b');
    assert.notEqual(served.ip, fromB.ip);
    assert.equal((await waitFor(`http://${served.ip}:8080/index.html`)).body, 'from a\n');
    assert.equal((await waitFor(`http://${fromB.ip}:8080/index.html`)).body, 'from b\n');
  });

  it('refuses a pool that overlaps a running faultline, before it creates anything', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'faultline-side-c-'));
    try {
      assert.throws(
        () => createApp({ dataDir, driver: 'sandbox', clock: 'manual', config: { publicIpPool: a!.app.env.config.publicIpPool.replace(/\.0\/24$/, '.0/25') } }),
        new RegExp(`overlaps ${a!.app.env.config.publicIpPool.replace(/\./g, '\\.')} of the faultline running as pid ${process.pid} \\(data directory ${dataDirA}\\)`),
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to serve a data directory that a running faultline serves', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'up', '--port', '0', '--data-dir', dataDirA, '--driver', 'sandbox'], { timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `faultline: data directory ${dataDirA} is in use by the faultline running as pid ${process.pid}\n`);
  });

  it('keeps its pool after a restart from the same data directory, so its instance answers at the same address', async () => {
    const pool = a!.app.env.config.publicIpPool;
    await a!.close();
    a = undefined;
    // The other faultline's pool, lower than this one's, is free now: without the preference for
    // the pool used before, the restart would take it.
    await b!.close();
    b = undefined;
    a = await startFaultline({ driver: 'sandbox', dataDir: dataDirA });
    assert.equal(a.app.env.config.publicIpPool, pool);
    const ip = (await a.aws('ec2', 'describe-instances', '--instance-ids', served.id)).Reservations[0].Instances[0].PublicIpAddress;
    assert.equal(ip, served.ip);
    assert.equal((await waitFor(`http://${ip}:8080/index.html`)).body, 'from a\n');
  });
});
