/**
 * EBS volumes on disks of their own size (loop-volume.ts), on the real host: a volume's upper
 * layer sits on a filesystem of the volume's size, an empty 8 GiB volume costs the host only a
 * few MiB, snapshots and volumes made from them still work on top of it, and a faultline that
 * starts over the mounts a crashed run left (an abandoned store here: the mounts of a killed
 * process are the same) takes them over, one mount per volume, and leaves none when it closes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopsLeftUnder, sandboxSkip } from '../sandbox-support.ts';
import { run } from '../../src/runtime/exec.ts';
import { mountsUnder } from '../../src/runtime/loop-volume.ts';
import { SnapshotStore } from '../../src/runtime/snapshots.store.ts';
import { VolumeStore } from '../../src/runtime/volumes.store.ts';

const MiB = 1 << 20;
const hostMiB = async (path: string) => Number((await run('du', ['-sx', '--block-size=1M', path])).stdout.split(/\s/)[0]);

describe('volume disks', { skip: sandboxSkip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'faultline-disks-'));
  const snapshots = new SnapshotStore(join(root, 'snapshots'));
  let volumes: VolumeStore;

  before(async () => {
    await snapshots.init();
    volumes = new VolumeStore(join(root, 'volumes'), snapshots);
    await volumes.init();
    assert.equal(volumes.sizeLimitMissing, undefined);
  });
  after(async () => {
    await volumes?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('holds a volume to its size, at a cost of a few MiB of host disk whatever the size', async () => {
    await volumes.create('vol-1g', undefined, 1);
    const fs = statfsSync(volumes.upper('vol-1g'));
    const size = fs.blocks * fs.bsize;
    assert.ok(size > 900 * MiB && size <= 1024 * MiB, `a 1 GiB volume's filesystem has ${size / MiB} MiB`);

    await volumes.create('vol-8g', undefined, 8);
    const big = statfsSync(volumes.upper('vol-8g'));
    assert.ok(big.blocks * big.bsize > 7.5 * 1024 * MiB);
    const used = await hostMiB(volumes.dir('vol-8g'));
    assert.ok(used <= 16, `an empty 8 GiB volume takes ${used} MiB of host disk`);
  });

  it('snapshots a volume from its disk, and makes a volume from the snapshot', async () => {
    writeFileSync(join(volumes.upper('vol-1g'), 'data.txt'), 'kept\n');
    await volumes.snapshot('vol-1g', 'snap-1');
    assert.ok((await snapshots.manifest('snap-1'))!.entries.some((e) => e.p === 'data.txt'));
    await volumes.create('vol-copy', 'snap-1', 1);
    assert.equal(readFileSync(join(await volumes.lower('vol-copy'), 'data.txt'), 'utf8'), 'kept\n');
  });

  it('takes over the mounts that a crashed run left, and leaves none behind', async () => {
    const mounted = await mountsUnder(join(root, 'volumes'));
    assert.equal(mounted.length, 3);
    // The previous store is abandoned with its disks mounted, as a SIGKILL leaves them.
    volumes = new VolumeStore(join(root, 'volumes'), snapshots);
    await volumes.init();
    assert.deepEqual((await mountsUnder(join(root, 'volumes'))).sort(), [...mounted].sort(), 'one mount per volume, no stacked mounts');
    assert.equal(readFileSync(join(volumes.upper('vol-1g'), 'data.txt'), 'utf8'), 'kept\n');

    await volumes.delete('vol-8g');
    assert.equal((await mountsUnder(join(root, 'volumes'))).length, 2);
    await volumes.close();
    assert.deepEqual(await mountsUnder(join(root, 'volumes')), []);
    assert.deepEqual(await loopsLeftUnder(root), [], 'no loop device left attached');
  });
});
