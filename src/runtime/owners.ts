/**
 * Who owns what faultline makes on this machine.
 *
 * Every faultline that runs the sandbox driver registers itself, before it creates anything, in
 * a machine-wide registry (/run/faultline/owners.db, gone at reboot like everything it labels):
 * a row with a tag of its own, its pid and that process's start time (so a reused pid is not
 * taken for it), its data directory and its public IP pool. The tag is in the name of every
 * object it creates on the host (`fl-<tag>-…` namespaces, the `faultline-<tag>` cgroup), and
 * mounts are under its data directory, so any faultline can tell whose an object is and whether
 * that owner still runs (cleanup.ts removes what belongs to no running faultline).
 *
 * The registry is SQLite: a claim is one `BEGIN IMMEDIATE` transaction, so two faultlines
 * starting at once never take the same pool, and the kernel drops the lock if a process dies
 * holding it. Tags are new on every start, so a dead owner's objects never share a name with a
 * running faultline's, even on the same data directory.
 */
import { DatabaseSync } from 'node:sqlite';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, parsePublicIpPool } from '../config.ts';
import { cidr4Overlaps, formatCidr4, ip4InCidr, parseCidr4, type Cidr4 } from '../services/ec2/cidr.ts';

export const RUN_DIR = '/run/faultline';
const DB = join(RUN_DIR, 'owners.db');

export interface OwnerRecord {
  tag: string;
  pid: number;
  /** The process's start time, in clock ticks after boot (/proc/PID/stat, field 22). */
  start: string;
  dataDir: string;
  pool: string;
}

/** A faultline's registration; `release` drops it once its objects are gone. */
export interface Owner extends OwnerRecord {
  /** What the claim wants the user to know (a previous pool that is now someone else's). */
  notes: string[];
  release(): void;
}

/** The start time of a running process, or undefined when there is none (or only a zombie). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

export const isRunning = (o: Pick<OwnerRecord, 'pid' | 'start'>) => processStart(o.pid) === o.start;

function open(): DatabaseSync {
  mkdirSync(RUN_DIR, { recursive: true, mode: 0o755 });
  const db = new DatabaseSync(DB);
  db.exec(`
    PRAGMA busy_timeout = 10000;
    CREATE TABLE IF NOT EXISTS owners (tag TEXT PRIMARY KEY, pid INTEGER NOT NULL, start TEXT NOT NULL,
      data_dir TEXT NOT NULL, pool TEXT NOT NULL);
  `);
  return db;
}

const rows = (db: DatabaseSync) =>
  (db.prepare('SELECT tag, pid, start, data_dir AS dataDir, pool FROM owners').all() as unknown as OwnerRecord[]).map((r) => ({ ...r, pid: Number(r.pid) }));

/** Every registered owner, running or not (none when nothing ever registered on this machine). */
export function readOwners(): OwnerRecord[] {
  if (!existsSync(DB)) return [];
  const db = open();
  try {
    return rows(db);
  } finally {
    db.close();
  }
}

/** Drops a dead owner's row once its objects are gone (only that row: pid and start must match). */
export function forgetOwner(o: OwnerRecord): void {
  const db = open();
  try {
    db.prepare('DELETE FROM owners WHERE tag = ? AND pid = ? AND start = ?').run(o.tag, o.pid, o.start);
  } finally {
    db.close();
  }
}

/** Whether this row is still registered, exactly as it was read. */
export function stillRegistered(o: OwnerRecord): boolean {
  return readOwners().some((r) => r.tag === o.tag && r.pid === o.pid && r.start === o.start);
}

/** IPv4 addresses that something on this machine listens on (the host's /proc/net/tcp). */
function listeningAddresses(): number[] {
  const text = (() => {
    try {
      return readFileSync('/proc/net/tcp', 'utf8');
    } catch {
      return '';
    }
  })();
  const out: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== '0A') continue;
    // The kernel prints the address as a 32-bit number in host byte order.
    const bytes = cols[1].split(':')[0].match(/../g)!.map((h) => parseInt(h, 16));
    if (endianness() === 'LE') bytes.reverse();
    out.push(bytes.reduce((n, b) => n * 256 + b, 0));
  }
  return out;
}

/**
 * The pool a new faultline takes: the one it was given (which must not overlap a running
 * faultline's), else the one its data directory used before (its instances kept their addresses)
 * when it is still free, else the first /24 of the default block that no running faultline holds
 * and nothing on this machine listens in.
 */
export function choosePool(opts: { explicit?: string; previous?: string; running: OwnerRecord[]; listening: number[] }): { pool: string; notes: string[] } {
  const holder = (c: Cidr4) => opts.running.find((o) => cidr4Overlaps(parseCidr4(o.pool)!, c));
  const describe = (o: OwnerRecord) => `${o.pool} of the faultline running as pid ${o.pid} (data directory ${o.dataDir})`;
  if (opts.explicit) {
    const pool = parsePublicIpPool(opts.explicit);
    const other = holder(parseCidr4(pool)!);
    if (other) throw new Error(`public IP pool ${pool} overlaps ${describe(other)}; choose another with --public-ip-pool`);
    return { pool, notes: [] };
  }
  const free = (c: Cidr4) => !holder(c) && !opts.listening.some((ip) => ip4InCidr(c, ip));
  const notes: string[] = [];
  if (opts.previous) {
    const prev = parseCidr4(opts.previous);
    if (prev && free(prev)) return { pool: opts.previous, notes };
    const other = prev && holder(prev);
    notes.push(
      `the public IP pool ${opts.previous} that this data directory used before is ${other ? `held: ${describe(other)}` : 'in use on this machine'}; ` +
        'instances that kept an address from it may not answer on it',
    );
  }
  const block = parseCidr4(defaultConfig().publicIpPool)!;
  for (let base = block.base; base < block.base + block.size; base += 256) {
    const c = { base, prefix: 24, size: 256 };
    if (free(c)) return { pool: formatCidr4(c), notes };
  }
  throw new Error(`every /24 of ${formatCidr4(block)} is held by a running faultline or in use; give this one a pool with --public-ip-pool`);
}

/**
 * Registers this process as the owner of a new faultline on `dataDir`, with its public IP pool.
 * Fails if another running process already serves `dataDir`, or if an explicit pool is taken.
 */
export function claimOwner(opts: { dataDir: string; pool?: string; previousPool?: string }): Owner {
  const start = processStart(process.pid)!;
  const db = open();
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      const all = rows(db);
      const running = all.filter(isRunning);
      const rival = running.find((o) => o.dataDir === opts.dataDir && o.pid !== process.pid);
      if (rival) throw new Error(`data directory ${opts.dataDir} is in use by the faultline running as pid ${rival.pid}`);
      const { pool, notes } = choosePool({ explicit: opts.pool, previous: opts.previousPool, running, listening: listeningAddresses() });
      let tag: string;
      do tag = randomBytes(4).toString('hex');
      while (all.some((o) => o.tag === tag));
      db.prepare('INSERT INTO owners (tag, pid, start, data_dir, pool) VALUES (?, ?, ?, ?, ?)').run(tag, process.pid, start, opts.dataDir, pool);
      db.exec('COMMIT');
      const record: OwnerRecord = { tag, pid: process.pid, start, dataDir: opts.dataDir, pool };
      return { ...record, notes, release: () => forgetOwner(record) };
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  } finally {
    db.close();
  }
}
