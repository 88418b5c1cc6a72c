/**
 * EBS volumes as real storage under the data directory.
 *
 * A volume is an overlay: a read-only lower layer (the materialised tree of the snapshot it was
 * created from, shared by every volume made from that snapshot) and its own upper layer, where
 * every write lands. So a volume from a snapshot is ready at once, whatever its size, and a
 * snapshot of a volume only has to look at what the upper layer holds, which keeps snapshots
 * incremental. The overlay is mounted only inside an instance's private mount namespace, so a
 * crash of faultline leaves no overlay behind on the host.
 *
 * The upper and work directories live on the volume's own disk (loop-volume.ts), of the volume's
 * size, so that the volume holds no more than that: past it, writes fail with ENOSPC. The lower
 * layer does not count against it (a volume from a snapshot holds its size on top of the
 * snapshot's data). Where the host has no loop devices, `disk` is a plain directory and the size
 * is not enforced (`sizeLimitMissing` says why).
 *
 * Layout: volumes/<vol-id>/{disk.img,disk/{upper,work},meta.json}.
 */
import { lstat, mkdir, readFile, readlink, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.ts';
import { createDisk, diskLimitMissing, freezeDisk, mountDisk, mountsUnder, thawDisk, unmountDisk } from './loop-volume.ts';
import { type ManifestEntry, type SnapshotStore, walk } from './snapshots.store.ts';

interface VolumeMeta {
  /** The snapshot the volume was created from; its tree is the lower layer. */
  base?: string;
  /** File hashes by path, reused while inode, size and times are unchanged. */
  cache: Record<string, { ino: number; size: number; mtimeMs: number; ctimeMs: number; hash: string }>;
}

const exists = async (p: string) => !!(await lstat(p).catch(() => undefined));

// overlayfs marks a directory that replaced a lower one with this xattr; Node has no xattr API, so
// the host's python3 lists them in one pass.
const OPAQUE_SCRIPT = `
import os, sys, json
out = []
for d, dirs, files in os.walk(sys.argv[1]):
    for n in dirs:
        p = os.path.join(d, n)
        try:
            if os.getxattr(p, 'trusted.overlay.opaque', follow_symlinks=False) == b'y': out.append(os.path.relpath(p, sys.argv[1]))
        except OSError: pass
print(json.dumps(out))
`;

export class VolumeStore {
  readonly empty: string;
  /** Why volumes are not limited to their size on this host (known after init), or undefined. */
  sizeLimitMissing: string | undefined;

  constructor(
    readonly root: string,
    private snapshots: SnapshotStore,
  ) {
    this.empty = join(root, '.empty');
  }

  /**
   * Mounts every volume's disk; first unmounts what a previous run (a crash) left mounted. A
   * volume whose disk does not mount (a crash while it was being made) is left unmounted, to be
   * made again when it is used, rather than keeping faultline from starting.
   */
  async init(log: (m: string) => void = () => {}): Promise<void> {
    await mkdir(this.empty, { recursive: true });
    this.sizeLimitMissing = await diskLimitMissing();
    // A crash while a volume's I/O was paused leaves its disk frozen.
    await Promise.all((await mountsUnder(this.root)).map(thawDisk));
    await this.close();
    await Promise.all(
      (await this.ids()).map(async (id) => {
        if (await exists(this.image(id))) {
          if (!this.sizeLimitMissing && (await this.exists(id))) await mountDisk(this.image(id), this.disk(id)).catch((e) => log(`faultline: volume ${id}: its disk does not mount: ${(e as Error).message}`));
        } else if (await exists(join(this.dir(id), 'upper'))) {
          // A volume made before volumes had disks keeps its layers, without a size limit.
          await mkdir(this.disk(id), { recursive: true });
          for (const d of ['upper', 'work']) await rename(join(this.dir(id), d), join(this.disk(id), d)).catch(() => {});
        }
      }),
    );
  }

  /** Unmounts every volume's disk (the sandboxes that used them are gone); disks are never nested. */
  async close(): Promise<void> {
    await Promise.all((await mountsUnder(this.root)).map(unmountDisk));
  }

  dir = (id: string) => join(this.root, id);
  private image = (id: string) => join(this.root, id, 'disk.img');
  private disk = (id: string) => join(this.root, id, 'disk');
  upper = (id: string) => join(this.disk(id), 'upper');
  work = (id: string) => join(this.disk(id), 'work');

  async exists(id: string): Promise<boolean> {
    return exists(join(this.dir(id), 'meta.json'));
  }

  async ids(): Promise<string[]> {
    return (await readdir(this.root).catch(() => [] as string[])).filter((n) => n.startsWith('vol-'));
  }

  private async meta(id: string): Promise<VolumeMeta> {
    return JSON.parse(await readFile(join(this.dir(id), 'meta.json'), 'utf8')) as VolumeMeta;
  }

  private async saveMeta(id: string, m: VolumeMeta): Promise<void> {
    await writeFile(join(this.dir(id), 'meta.json.tmp'), JSON.stringify(m));
    await run('mv', [join(this.dir(id), 'meta.json.tmp'), join(this.dir(id), 'meta.json')]);
  }

  /** Creates the volume of `sizeGiB`, empty or from a snapshot (whose tree is built now if it is not yet). */
  async create(id: string, base: string | undefined, sizeGiB: number): Promise<void> {
    if (await this.exists(id)) return;
    if (base) await this.snapshots.tree(base);
    await this.delete(id); // what an interrupted create left
    await mkdir(this.dir(id), { recursive: true });
    if (!this.sizeLimitMissing) {
      await createDisk(this.image(id), sizeGiB);
      await mountDisk(this.image(id), this.disk(id));
    }
    await mkdir(this.upper(id), { recursive: true });
    await mkdir(this.work(id), { recursive: true });
    await writeFile(join(this.dir(id), 'meta.json'), JSON.stringify({ base, cache: {} } satisfies VolumeMeta));
  }

  /** The lower layer of the volume's overlay. */
  async lower(id: string): Promise<string> {
    const m = await this.meta(id);
    return m.base ? this.snapshots.tree(m.base) : this.empty;
  }

  /**
   * Every sandbox's private mount namespace holds a copy of each disk mounted when it started;
   * removing the mount point detaches those copies too (the kernel does that for a deleted mount
   * point), so the loop device and its space are freed now, not when those sandboxes stop.
   */
  async delete(id: string): Promise<void> {
    for (const m of await mountsUnder(this.dir(id))) await unmountDisk(m);
    await rm(this.dir(id), { recursive: true, force: true });
  }

  /**
   * Snapshots the volume into `snapId`: the base snapshot's entries, with the upper layer's
   * changes applied (new and changed files, whiteouts for deletions, opaque directories).
   * Only files whose inode, size or times changed since the last snapshot are read again.
   */
  async snapshot(id: string, snapId: string): Promise<void> {
    const m = await this.meta(id);
    const base = m.base ? await this.snapshots.manifest(m.base) : undefined;
    const entries = await captureTree(this.snapshots, this.upper(id), base?.entries ?? [], m.cache, true);
    await this.snapshots.writeManifest({ id: snapId, entries });
    await this.saveMeta(id, m);
  }

  /**
   * Pauses (freezes) or resumes (thaws) the I/O of the volume's disk: writes to it block while it
   * is paused. False when the volume cannot be paused: it has no disk of its own on this host.
   */
  async setPaused(id: string, paused: boolean): Promise<boolean> {
    if (this.sizeLimitMissing) return false;
    if (!paused) return thawDisk(this.disk(id)).then(() => true);
    return freezeDisk(this.disk(id));
  }

  /** Bytes the volume itself holds (its upper layer), for disk metrics and benchmarks. */
  async bytesUsed(id: string): Promise<number> {
    const out = await run('du', ['-sb', this.upper(id)], { allowFail: true });
    return Number(out.stdout.split(/\s/)[0]) || 0;
  }
}

/**
 * Turns a directory (an overlay upper layer, or a plain tree when `overlay` is false) laid over
 * `lowerEntries` into a snapshot's entries, storing new file contents as blobs.
 */
export async function captureTree(
  snapshots: SnapshotStore,
  dir: string,
  lowerEntries: readonly ManifestEntry[],
  cache: VolumeMeta['cache'],
  overlay: boolean,
): Promise<ManifestEntry[]> {
  const map = new Map<string, ManifestEntry>(lowerEntries.map((e) => [e.p, e]));
  const dropChildren = (p: string) => {
    const prefix = p + '/';
    for (const k of map.keys()) if (k.startsWith(prefix)) map.delete(k);
  };
  const opaque = new Set<string>();
  if (overlay && lowerEntries.length) {
    const out = await run('python3', ['-c', OPAQUE_SCRIPT, dir], { allowFail: true });
    if (out.code === 0) for (const p of JSON.parse(out.stdout) as string[]) opaque.add(p);
  }
  const seen = new Set<string>();
  await walk(dir, async (rel, abs, st) => {
    const own = { m: Number(st.mode) & 0o7777, u: Number(st.uid), g: Number(st.gid) };
    if (overlay && st.isCharacterDevice() && Number(st.rdev) === 0) {
      map.delete(rel);
      dropChildren(rel);
      return;
    }
    if (st.isDirectory()) {
      if (opaque.has(rel) || map.get(rel)?.t !== 'd') dropChildren(rel);
      map.set(rel, { p: rel, t: 'd', ...own });
    } else if (st.isSymbolicLink()) {
      dropChildren(rel);
      map.set(rel, { p: rel, t: 'l', ...own, l: await readlink(abs) });
    } else if (st.isFile()) {
      dropChildren(rel);
      seen.add(rel);
      const c = cache[rel];
      const fresh = c && c.ino === Number(st.ino) && c.size === Number(st.size) && c.mtimeMs === Number(st.mtimeMs) && c.ctimeMs === Number(st.ctimeMs);
      const { key, hash } = await snapshots.putFile(abs, { mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid) }, fresh ? c.hash : undefined);
      cache[rel] = { ino: Number(st.ino), size: Number(st.size), mtimeMs: Number(st.mtimeMs), ctimeMs: Number(st.ctimeMs), hash };
      map.set(rel, { p: rel, t: 'f', ...own, k: key, s: Number(st.size) });
    }
    // Sockets, fifos and devices are not carried by snapshots.
  });
  for (const k of Object.keys(cache)) if (!seen.has(k)) delete cache[k];
  return [...map.values()].sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
}

export { exists as pathExists };
