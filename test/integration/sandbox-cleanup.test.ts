/**
 * What a crash leaves behind: a sandbox faultline killed with SIGKILL leaves its network
 * namespaces, its cgroup, mounts and loop devices under its data directory, and its owner record.
 * `faultline cleanup`, and the start of any other faultline whatever its data directory, remove
 * exactly those, and never what a running faultline owns, nor namespaces that carry no owner
 * and may still be in use.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.ts';
import { listGroups } from '../../src/runtime/cgroups.ts';
import { mountsUnder } from '../../src/runtime/loop-volume.ts';
import { listNamespaces, nsPrefix } from '../../src/runtime/netns.ts';
import { readOwners, type OwnerRecord } from '../../src/runtime/owners.ts';
import type { SandboxDriver } from '../../src/runtime/sandbox.driver.ts';
import { startFaultline, type Faultline } from '../harness.ts';
import { clientsAt, freePort, launchWebServer, loopsLeftUnder, sandboxSkip, startCli, waitFor } from '../sandbox-support.ts';

const run = promisify(execFile);

/** A sandbox `faultline up` with a running instance, killed with SIGKILL; `beforeKill` adds state under its data directory. */
async function crashedFaultline(beforeKill?: (dataDir: string) => Promise<void>): Promise<{ dataDir: string; owner: OwnerRecord; namespaces: string[]; groups: string[]; disks: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-dead-'));
  const port = await freePort();
  const { child } = await startCli(['--port', String(port), '--data-dir', dataDir, '--clock', 'manual', '--driver', 'sandbox']);
  // What it has is read while it still runs: once it is dead, any faultline that starts (another
  // test file's) may remove it at once.
  let left: { owner: OwnerRecord; namespaces: string[]; groups: string[]; disks: string[] };
  try {
    const { aws, advance } = clientsAt(`http://127.0.0.1:${port}`);
    const id = await launchWebServer(aws, 'doomed');
    await advance(60);
    const ip = (await aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0].PublicIpAddress;
    await waitFor(`http://${ip}:8080/index.html`);
    await beforeKill?.(dataDir);
    const owner = readOwners().find((o) => o.dataDir === dataDir)!;
    left = {
      owner,
      namespaces: await listNamespaces(nsPrefix(owner.tag)),
      groups: await groupsOf(owner.tag),
      // Each EBS volume is a loop-mounted disk under the data directory (the instance's root volume).
      disks: await mountsUnder(join(dataDir, 'runtime', 'volumes')),
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  assert.equal(left.namespaces.length, 2, 'the VPC and the instance namespaces are left behind');
  assert.equal(left.disks.length, 1, 'the root volume disk is left mounted');
  return { dataDir, ...left };
}

const groupsOf = async (tag: string) => (await listGroups()).map((g) => g.group).filter((g) => g === `faultline-${tag}`);
const mounted = async (at: string) => (await mountsUnder(at)).includes(at);

describe('cleaning up after faultlines that no longer run', { skip: sandboxSkip }, () => {
  let live: Faultline;
  let liveTag: string;
  let liveIp: string;
  const leftovers: string[] = [];
  before(async () => {
    live = await startFaultline({ driver: 'sandbox' });
    const id = await launchWebServer(live.aws, 'alive');
    live.advance(60);
    liveIp = (await live.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0].PublicIpAddress;
    await waitFor(`http://${liveIp}:8080/index.html`);
    liveTag = (live.app.driver as SandboxDriver).namespacePrefix().slice(3, -1);
  });
  after(async () => {
    await live?.close();
    for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
  });

  /** The running faultline still has everything: its namespaces, its record, its instance's page. */
  async function liveIntact() {
    assert.equal((await listNamespaces(nsPrefix(liveTag))).length, 2);
    assert.ok(readOwners().some((o) => o.tag === liveTag));
    assert.equal((await waitFor(`http://${liveIp}:8080/index.html`)).body, 'alive\n');
  }

  it('faultline cleanup removes what a killed faultline left after its data directory was thrown away, and reports what it leaves', async () => {
    const dead = await crashedFaultline();
    // As a CI runner throws its data directory away: rm deletes what it can and stops at the
    // mount points of the volume disks.
    assert.throws(() => rmSync(dead.dataDir, { recursive: true, force: true }), /EBUSY|busy/);
    // A namespace with no owner on record, as a faultline before this version names them: it may be in use.
    const unlabelled = `fl-${randomBytes(3).toString('hex')}-test`;
    await run('ip', ['netns', 'add', unlabelled]);
    // The namespace-support probe of a process that died before it could delete it.
    const done = spawn('true');
    const deadPid = done.pid!;
    await new Promise((r) => done.once('exit', r));
    const probe = `fl-probe-${deadPid}`;
    await run('ip', ['netns', 'add', probe]);
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'cleanup']);
      const lines = stdout.trim().split('\n');
      assert.ok(lines.includes(`left namespace ${unlabelled}: made by a faultline with no owner on record (an older version), and in use or less than a minute old`), stdout);
      assert.ok(!stdout.includes(liveTag), stdout);
      for (const line of lines.filter((l) => l.includes(dead.owner.tag) || l.includes(probe))) assert.match(line, /^removed /);
      assert.deepEqual(await listNamespaces(probe), []);
      assert.deepEqual(await listNamespaces(nsPrefix(dead.owner.tag)), []);
      assert.deepEqual(await groupsOf(dead.owner.tag), []);
      assert.ok(!readOwners().some((o) => o.tag === dead.owner.tag));
      assert.deepEqual(await listNamespaces(unlabelled), [unlabelled]);
      assert.deepEqual(await mountsUnder(dead.dataDir), []);
      rmSync(dead.dataDir, { recursive: true, force: true });
      await liveIntact();
    } finally {
      await run('ip', ['netns', 'del', unlabelled]);
      await run('ip', ['netns', 'del', probe]).catch(() => {});
    }
  });

  it('a faultline that starts removes what a killed one left, whatever its data directory: namespaces, cgroup, mounts, loop devices', async () => {
    let loop = '';
    const dead = await crashedFaultline(async (dataDir) => {
      // A volume image attached to a loop device and mounted under the data directory.
      const image = join(dataDir, 'runtime', 'vol-test.img');
      await run('truncate', ['-s', '16M', image]);
      await run('mkfs.ext4', ['-q', '-F', image]);
      loop = (await run('losetup', ['--find', '--show', image])).stdout.trim();
      mkdirSync(join(dataDir, 'runtime', 'mnt-test'));
      await run('mount', [loop, join(dataDir, 'runtime', 'mnt-test')]);
    });
    leftovers.push(dead.dataDir);
    const mountPoint = join(dead.dataDir, 'runtime', 'mnt-test');
    assert.ok(await mounted(mountPoint));
    const dataDir = mkdtempSync(join(tmpdir(), 'faultline-next-'));
    leftovers.push(dataDir);
    const log: string[] = [];
    const next = createApp({ dataDir, driver: 'sandbox', clock: 'manual', log: (m) => log.push(m) });
    try {
      await next.listen(0, '127.0.0.1');
    } finally {
      await next.close();
      if (await mounted(mountPoint)) await run('umount', [mountPoint]);
      if (existsSync(`/sys/block/${loop.slice(5)}/loop/backing_file`)) await run('losetup', ['-d', loop]);
    }
    const of = `of faultline pid ${dead.owner.pid} (data directory ${dead.dataDir}), which no longer runs`;
    const expected = [
      ...dead.namespaces.map((n) => `faultline: cleanup: removed namespace ${n} ${of}`),
      ...dead.groups.map((g) => `faultline: cleanup: removed cgroup ${g} ${of}`),
      `faultline: cleanup: removed mount ${mountPoint} ${of}`,
      ...dead.disks.map((d) => `faultline: cleanup: removed mount ${d} ${of}`),
      `faultline: cleanup: removed loop device ${loop} (${join(dead.dataDir, 'runtime', 'vol-test.img')}) ${of}`,
      `faultline: cleanup: removed owner record ${dead.owner.tag} ${of}`,
    ];
    const reported = log.filter((l) => l.includes(dead.dataDir));
    for (const line of expected) assert.ok(reported.includes(line), `${line}\nnot in:\n${reported.join('\n')}`);
    // A volume disk's loop device goes with its last mount, unless a sandbox's mount namespace
    // still held it at that moment: then clean-up detaches it, and says so.
    const diskLoop = new RegExp(`^faultline: cleanup: removed loop device /dev/loop\\d+ \\(${dead.dataDir}/runtime/volumes/vol-[0-9a-f]+/disk\\.img\\) ${of.replace(/[()]/g, '\\$&')}$`);
    for (const line of reported.filter((l) => !expected.includes(l))) assert.match(line, diskLoop);
    // A loop device that another process's mount namespace still holds (a sandbox of another
    // test, which cloned the mount table while the volume was mounted) is detached lazily: the
    // kernel frees it (autoclear) when that last copy goes. None is left attached.
    assert.deepEqual(await loopsLeftUnder(dead.dataDir, { attachedOnly: true }), []);
    assert.ok(!log.some((l) => l.includes(liveTag)), log.join('\n'));
    assert.deepEqual(await listNamespaces(nsPrefix(dead.owner.tag)), []);
    assert.ok(!readOwners().some((o) => o.tag === dead.owner.tag));
    await liveIntact();
  });
});
