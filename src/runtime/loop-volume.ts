/**
 * A volume's own disk, so that it holds no more than its size: a sparse file of that size,
 * formatted ext4, loop-mounted on the host. The volume's overlay keeps its upper and work
 * directories on it, so a write past the size fails with ENOSPC inside the instance, while the
 * host (snapshots, disk metrics) reads the upper directory where it always was.
 *
 * An empty disk costs a few MiB of host disk and a few tens of milliseconds to make, whatever its
 * size: the file is sparse, and ext4's inode tables and journal are left to lazy initialisation
 * (and noinit_itable keeps the kernel from zeroing them later). Mounted with `discard`, so that
 * what the instance deletes is given back to the host. No blocks are reserved for root (-m 0):
 * the instance's root should get the whole size, as on an EBS volume.
 *
 * The mounts live in the host's mount namespace, so a crash leaves them behind: `mountsUnder`
 * finds them. The next faultline on the same data directory unmounts and mounts them again
 * (volumes.store.ts); any other faultline removes them once their owner is dead (cleanup.ts). `mount -o loop`
 * sets the loop device to free itself when the last mount of it goes.
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { run } from './exec.ts';

/** Why volumes cannot be limited to their size on this host, or undefined when they can. */
export async function diskLimitMissing(): Promise<string | undefined> {
  if (!(await access('/dev/loop-control').then(() => true, () => false))) return 'no loop devices (/dev/loop-control is missing)';
  for (const cmd of ['mkfs.ext4', 'losetup', 'mount', 'umount', 'truncate']) {
    if ((await run('sh', ['-c', `command -v ${cmd}`], { allowFail: true })).code !== 0) return `${cmd} is missing`;
  }
  return undefined;
}

/** Makes the disk image: a sparse file of `sizeGiB`, formatted ext4. */
export async function createDisk(image: string, sizeGiB: number): Promise<void> {
  await run('truncate', ['-s', `${sizeGiB}G`, image]);
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1,nodiscard', image]);
}

export async function mountDisk(image: string, at: string): Promise<void> {
  await mkdir(at, { recursive: true });
  await run('mount', ['-t', 'ext4', '-o', 'loop,discard,noinit_itable,nosuid,nodev', image, at]);
}

/**
 * Freezes a disk's filesystem (fsfreeze): from then on every write to it, from the host or from
 * inside an instance, blocks until the disk is thawed. This is how a volume's I/O is paused.
 * False when it could not be frozen.
 */
export async function freezeDisk(at: string): Promise<boolean> {
  return (await run('fsfreeze', ['-f', at], { allowFail: true })).code === 0;
}

/** Thaws a frozen disk: the writes that waited complete. A disk that is not frozen is left as it is. */
export async function thawDisk(at: string): Promise<void> {
  await run('fsfreeze', ['-u', at], { allowFail: true });
}

/**
 * Unmounts a disk (or any mount); lazily if something on the host still holds it open, so that it
 * goes when that does. False when neither worked. A frozen disk must be thawed first (what waits
 * on it could not end otherwise): the driver thaws what it froze, and what a dead faultline left
 * frozen is thawed by the next one on its data directory (volumes.store.ts) or by clean-up.
 */
export async function unmountDisk(at: string): Promise<boolean> {
  if ((await run('umount', [at], { allowFail: true })).code === 0) return true;
  return (await run('umount', ['-l', at], { allowFail: true })).code === 0;
}

/** Mount points at or under `root` in the host's mount table, deepest first. */
export async function mountsUnder(root: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return table
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === root || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}
