/**
 * The snapshot store: EBS snapshots as content-addressed blobs plus one manifest per snapshot.
 *
 * A blob is a file's content with its mode and owner (so that a materialised tree can hard-link
 * it as is); two snapshots that share a file share its blob, which is what makes snapshots
 * incremental: a second snapshot of a volume that changed by 1 MB stores 1 MB plus a manifest.
 * A snapshot is turned into a read-only directory tree of hard links ("materialised") when a
 * volume is created from it; the tree is the lower layer of that volume's overlay, so creating a
 * volume from a snapshot costs a directory walk, never a copy of the data.
 *
 * Layout under `root`: blobs/ab/<key>, manifests/<snap-id>.json, trees/<snap-id>/.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, chown, copyFile, link, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { run } from './exec.ts';

export interface ManifestEntry {
  /** Path relative to the volume's root, '/'-separated, no leading slash. */
  p: string;
  t: 'd' | 'f' | 'l';
  m: number;
  u: number;
  g: number;
  /** Regular files: blob key and size. */
  k?: string;
  s?: number;
  /** Symlinks: target. */
  l?: string;
}

export interface Manifest {
  id: string;
  entries: ManifestEntry[];
}

const exists = async (p: string) => !!(await lstat(p).catch(() => undefined));

export class SnapshotStore {
  readonly blobs: string;
  private manifests: string;
  private trees: string;
  private building = new Map<string, Promise<string>>();

  constructor(readonly root: string) {
    this.blobs = join(root, 'blobs');
    this.manifests = join(root, 'manifests');
    this.trees = join(root, 'trees');
  }

  async init(): Promise<void> {
    await Promise.all([mkdir(this.blobs, { recursive: true }), mkdir(this.manifests, { recursive: true }), mkdir(this.trees, { recursive: true })]);
    // Trees that a crash left half built, aside.
    for (const name of await readdir(this.trees)) if (name.startsWith('.')) await rm(join(this.trees, name), { recursive: true, force: true });
  }

  private manifestPath = (id: string) => join(this.manifests, `${id}.json`);
  private blobPath = (key: string) => join(this.blobs, key.slice(0, 2), key);

  has(id: string): Promise<boolean> {
    return exists(this.manifestPath(id));
  }

  async manifest(id: string): Promise<Manifest | undefined> {
    const text = await readFile(this.manifestPath(id), 'utf8').catch(() => undefined);
    return text ? (JSON.parse(text) as Manifest) : undefined;
  }

  async ids(): Promise<string[]> {
    return (await readdir(this.manifests)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  }

  /** Stores a file's content as a blob (once per content, mode and owner) and returns its key. */
  async putFile(path: string, st: { mode: number; uid: number; gid: number }, knownHash?: string): Promise<{ key: string; hash: string }> {
    const hash = knownHash ?? (await hashFile(path));
    const key = `${hash}-${(st.mode & 0o7777).toString(8)}-${st.uid}-${st.gid}`;
    const dest = this.blobPath(key);
    if (!(await exists(dest))) {
      await mkdir(dirname(dest), { recursive: true });
      const tmp = `${dest}.${randomBytes(4).toString('hex')}.tmp`;
      await copyFile(path, tmp);
      await chown(tmp, st.uid, st.gid);
      await chmod(tmp, st.mode & 0o7777);
      await rename(tmp, dest);
    }
    return { key, hash };
  }

  /** Writes a manifest atomically: a snapshot either exists whole or not at all. */
  async writeManifest(m: Manifest): Promise<void> {
    const tmp = `${this.manifestPath(m.id)}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(m));
    await rename(tmp, this.manifestPath(m.id));
  }

  /**
   * A read-only tree of the snapshot, hard-linked to its blobs; built once and kept. Many boots
   * want the same tree at once (every root volume of a launch comes from the base image): they
   * share one build, which happens aside in a directory of its own and is renamed into place
   * whole, so no one ever sees, or deletes, a tree half built.
   */
  tree(id: string): Promise<string> {
    let p = this.building.get(id);
    if (!p) {
      p = this.buildTree(id).finally(() => this.building.delete(id));
      this.building.set(id, p);
    }
    return p;
  }

  private async buildTree(id: string): Promise<string> {
    const dir = join(this.trees, id);
    const root = join(dir, 'root');
    if (await exists(join(dir, '.complete'))) return root;
    const m = await this.manifest(id);
    if (!m) throw new Error(`no snapshot data for ${id}`);
    const aside = join(this.trees, `.${id}.${randomBytes(6).toString('hex')}`);
    try {
      const into = join(aside, 'root');
      await mkdir(into, { recursive: true });
      const dirs: ManifestEntry[] = [];
      for (const e of m.entries) {
        const p = join(into, e.p);
        if (e.t === 'd') {
          await mkdir(p, { recursive: true });
          dirs.push(e);
        } else {
          await mkdir(dirname(p), { recursive: true });
          if (e.t === 'f') await link(this.blobPath(e.k!), p);
          else await symlink(e.l!, p);
        }
      }
      // Directory modes last, so that a read-only directory does not stop its own filling.
      for (const e of dirs) {
        const p = join(into, e.p);
        await chown(p, e.u, e.g);
        await chmod(p, e.m & 0o7777);
      }
      await writeFile(join(aside, '.complete'), '');
      // A tree without its mark is what an older faultline left when it crashed mid-build.
      if (!(await exists(join(dir, '.complete')))) await rm(dir, { recursive: true, force: true });
      // Builds of one tree never overlap (`building`), and one faultline serves a data dir (owners.ts).
      await rename(aside, dir);
      return root;
    } finally {
      await rm(aside, { recursive: true, force: true });
    }
  }

  async delete(id: string): Promise<void> {
    await rm(this.manifestPath(id), { force: true });
    await rm(join(this.trees, id), { recursive: true, force: true });
  }

  /** Removes blobs that no manifest uses any more (DeleteSnapshot frees only unshared blocks). */
  async gc(): Promise<number> {
    const live = new Set<string>();
    for (const id of await this.ids()) for (const e of (await this.manifest(id))?.entries ?? []) if (e.k) live.add(e.k);
    let freed = 0;
    for (const shard of await readdir(this.blobs).catch(() => [] as string[])) {
      for (const key of await readdir(join(this.blobs, shard))) {
        if (live.has(key) || key.endsWith('.tmp')) continue;
        const p = join(this.blobs, shard, key);
        freed += (await stat(p)).size;
        await rm(p, { force: true });
      }
    }
    return freed;
  }

  /** Bytes held in blobs: what the snapshots really store. */
  async bytesStored(): Promise<number> {
    const out = await run('du', ['-sb', this.blobs], { allowFail: true });
    return Number(out.stdout.split(/\s/)[0]) || 0;
  }
}

export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** Lists a plain directory tree as manifest entries (for trees that are not overlays: the base image). */
export async function walk(root: string, visit: (rel: string, abs: string, st: Awaited<ReturnType<typeof lstat>>) => Promise<void>, rel = ''): Promise<void> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = join(root, r);
    const st = await lstat(abs);
    await visit(r, abs, st);
    if (st.isDirectory()) await walk(root, visit, r);
  }
}

export { readlink };
