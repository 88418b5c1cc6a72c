/**
 * RDS's database engines under the sandbox driver: each DB instance whose record says
 * `engine.running` runs one real engine process (PostgreSQL, db-engine-postgres.ts; MariaDB for
 * the mysql and mariadb engines, db-engine-mariadb.ts), listening on the instance's endpoint
 * address (`endpointIp`, from the loopback pool) and port, so the host's clients reach
 * `Endpoint.Address:Port` as they reach a public IP.
 *
 * Storage: the instance's data directory, `runtime/rds/ACCOUNT/REGION/ID/data`, is its Multi-AZ
 * storage, which survives the loss of one zone. The engine is always stopped as a crash (kill -9
 * of its jail, never a clean shutdown), so every start after a failover, reboot or outage runs the
 * engine's own crash recovery on the same committed data. The directory is marked with the
 * instance's DbiResourceId: an instance re-created under the same identifier (another
 * DbiResourceId) never serves the old data, but a new database, or for a restore
 * (`engine.restoredFrom`) a copy of a snapshot's data.
 *
 * Snapshots: for each DB snapshot record, a copy of a consistent state under
 * `runtime/rds/snapshots/`: the engine's own online backup (pg_basebackup, mariadb-backup) while
 * the instance runs, a file copy of its crash-consistent storage while it does not.
 *
 * Confinement: each engine runs in a jail (bubblewrap): its own PID, IPC, UTS and mount
 * namespaces, the host's /usr read-only, its instance directory at /db and nothing else of the
 * host's files, no capabilities, as the engine's unprivileged system user. It shares the host's
 * network namespace (it listens only on its endpoint address), which no VPC reaches: instances reach it
 * only at its private address in their VPC, where its security groups allow (db-endpoints.ts).
 * The instance directory is root's (0755): the engine's user owns only `data/` in it, so the
 * files faultline writes and opens there (the resource id marker, engine.log, the engine's config,
 * the internal superuser's password) cannot be swapped for a link by whoever runs code as that
 * user. Passwords never go on a command line or into a file the engine's user can read: they reach
 * the engine's tools on stdin.
 */
// Real processes are paced in real time (retries after a failed start), read through the clock module.
import { Clock } from '../core/clock.ts';
import { connect } from 'node:net';
import { chmod, chown, lstat, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { DeepReadonly, Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { COLL, scopedKey, snapshotIdOf, type DBInstanceRecord, type DBSnapshotRecord } from '../services/rds/state.ts';
import { run, start, type Started } from './exec.ts';
import { postgres } from './db-engine-postgres.ts';
import { mariadb } from './db-engine-mariadb.ts';

/** What one instance's engine should be now, from its record. */
export interface EngineWant {
  key: string;
  scope: Scope;
  id: string;
  kind: EngineKind;
  ip: string;
  port: number;
  user: string;
  password: string;
  dbName?: string;
  /** The instance's DbiResourceId, which its data directory is marked with. */
  resourceId: string;
  restoredFrom?: DBInstanceRecord['engine']['restoredFrom'];
  /** Changes when the process must start again: another instance (re-created), address, port or primary host. */
  runKey: string;
}

/**
 * Commands run as the engine's system user in a jail over one root-owned directory (mounted at
 * /db) whose `data/` the user owns; `input` is the command's stdin (where passwords go).
 */
export interface Jail {
  run(argv: string[], input?: string): Promise<void>;
}

/** One database engine: how to create its data, serve it and back it up. */
export interface EngineKind {
  name: string;
  systemUser: string;
  /** A file whose presence says the engine is installed. */
  installed: string;
  /** Files faultline writes into the instance's directory (root's, read-only to the engine), which serve() names at /db/NAME. */
  config: Record<string, string>;
  /**
   * Makes the empty /db/data (the engine's user owns it) a new database: the internal superuser
   * with the password `admin`, the master user with its password, and the instance's database.
   */
  create(jail: Jail, w: EngineWant, admin: string): Promise<void>;
  /** Sets the internal superuser's and the master user's passwords in /db/data while no server runs (after a restore, or a change while stopped). */
  reset(jail: Jail, w: EngineWant, admin: string): Promise<void>;
  /** Sets the master user's password in the running server, as the internal superuser. */
  setPassword(jail: Jail, w: EngineWant, admin: string): Promise<void>;
  /** The server's command line (in the jail). */
  serve(w: EngineWant): string[];
  /**
   * Writes a consistent copy of the running server's data into the empty /backup/data, as the
   * internal superuser, in a jail over the instance's directory (/db, as the server has it) in
   * which /backup is the snapshot's directory (root's, its `data/` the engine user's).
   */
  backup(jail: Jail, w: EngineWant, admin: string): Promise<void>;
  /** Files of a running server that a file copy of its storage must not carry over. */
  staleFiles: string[];
}

const KINDS: Partial<Record<DBInstanceRecord['Engine'], EngineKind>> = { postgres, mysql: mariadb, mariadb };

interface Running {
  proc: Started;
  want: EngineWant;
  /** The internal superuser's password. */
  admin: string;
}

type User = { uid: number; gid: number };

/** The file in an instance's directory that names the instance (DbiResourceId) whose data is there. */
const RESOURCE_ID = 'resource-id';

class NotInstalled extends Error {}

/** Real ms before an engine whose start failed is tried again. */
const RETRY_MS = 5_000;

export class DbEngines {
  private running = new Map<string, Running>();
  /** Instances whose directory this runtime has made (by scoped key), so a deleted one's goes. */
  private known = new Set<string>();
  /** Snapshots whose data is complete (scoped keys). */
  private snapshots = new Set<string>();
  /** Engine starts and snapshot captures that failed, by scoped key, tried again after RETRY_MS. */
  private failed = new Map<string, { runKey: string; at: number }>();
  private users = new Map<string, { uid: number; gid: number } | undefined>();
  private said = new Set<string>();
  private closed = false;

  constructor(
    private env: Env,
    /** runtime/rds under the data directory. */
    private root: string,
    private log: (m: string) => void,
  ) {}

  async init(): Promise<void> {
    for (const [account, region, id] of await this.tree(this.root, 3)) if (account !== 'snapshots') this.known.add(scopedKey({ account, region }, id));
    for (const [account, region, id] of await this.tree(join(this.root, 'snapshots'), 3)) {
      if (await exists(join(this.root, 'snapshots', account, region, id, 'complete'))) this.snapshots.add(scopedKey({ account, region }, decodeURIComponent(id)));
    }
  }

  /** Starts the work that brings the engines in line with the records (one task per instance or snapshot at a time). */
  reconcile(task: (key: string, fn: () => Promise<void>) => void): void {
    const wants = new Map<string, EngineWant>();
    const records = new Set<string>();
    for (const [scope, inst] of this.env.store.scan<DBInstanceRecord>(COLL.instances)) {
      const key = scopedKey(scope, inst.DBInstanceIdentifier.toLowerCase());
      records.add(key);
      const w = this.wantOf(key, scope, inst);
      if (w) wants.set(key, w);
    }
    // Snapshots first: a capture is the first task of its instance's key (one task per key a pass),
    // so it copies the data it was taken of before a stop, or the start of an instance re-created
    // under the same identifier, changes it.
    const pending = this.reconcileSnapshots(task, wants);
    for (const [key, r] of this.running) {
      const w = wants.get(key);
      if (!w || w.runKey !== r.want.runKey) task(`db:${key}`, () => this.stop(key));
      else if (w.password !== r.want.password && !this.failedLately(`${key}#password`)) task(`db:${key}`, () => this.setPassword(w));
    }
    for (const w of wants.values()) {
      if (this.running.has(w.key)) continue;
      if (this.failedLately(w.key, w.runKey)) continue;
      task(`db:${w.key}`, () => this.start(w));
    }
    // A deleted instance's storage goes once every snapshot of it has been taken (a final snapshot is taken from it).
    for (const key of this.known) if (!records.has(key) && !this.running.has(key) && !pending.has(key)) task(`db:${key}`, () => this.remove(key));
  }

  /** Kills every engine (as a crash: its storage stays for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.keys()].map((k) => this.stop(k)));
  }

  /** What the instance's engine should be now, if it should run. */
  private wantOf(key: string, scope: Scope, r: DeepReadonly<DBInstanceRecord>): EngineWant | undefined {
    if (!r.engine?.running || !r.endpointIp || !r.Endpoint?.Port) return undefined;
    const kind = KINDS[r.Engine];
    if (!kind) {
      this.sayOnce(`engine:${r.Engine}`, `faultline: rds: no ${r.Engine} engine runs under the sandbox driver yet; ${r.DBInstanceIdentifier} has no server`);
      return undefined;
    }
    return {
      key, scope, id: r.DBInstanceIdentifier.toLowerCase(), kind,
      ip: r.endpointIp, port: r.Endpoint.Port,
      user: r.MasterUsername, password: r.masterPassword, dbName: r.DBName,
      resourceId: r.DbiResourceId, restoredFrom: r.engine.restoredFrom,
      runKey: [r.DbiResourceId, r.endpointIp, r.Endpoint.Port, r.placement?.primary?.host ?? ''].join('|'),
    };
  }

  private dirOf(key: string): string {
    const [account, region, ...id] = key.split('/');
    return join(this.root, account, region, id.join('/'));
  }

  private snapshotDirOf(key: string): string {
    const [account, region, ...id] = key.split('/');
    return join(this.root, 'snapshots', account, region, encodeURIComponent(id.join('/')));
  }

  private async start(w: EngineWant): Promise<void> {
    if (this.closed) return;
    try {
      const user = await this.userOf(w.kind);
      const dir = this.dirOf(w.key);
      this.known.add(w.key);
      await rootDir(dir);
      const admin = await this.prepare(w, this.jail(dir, user), dir, user);
      for (const [name, text] of Object.entries(w.kind.config)) await writeOwn(join(dir, name), text, 0o644);
      const proc = await start('bwrap', jailArgs(dir, user, w.kind.serve(w)), join(dir, 'engine.log'));
      if (this.closed) return proc.kill('SIGKILL');
      const r: Running = { proc, want: w, admin };
      this.running.set(w.key, r);
      this.failed.delete(w.key);
      // An engine that ends by itself (it could not start, or crashed) is started again after a while.
      void proc.exited.then((code) => {
        if (this.running.get(w.key) !== r) return;
        this.running.delete(w.key);
        this.failed.set(w.key, { runKey: w.runKey, at: Clock.wallNow() });
        if (!this.closed) this.log(`faultline: rds: the ${w.kind.name} server of ${w.id} exited with ${code ?? 'a signal'}; see ${join(dir, 'engine.log')}`);
      });
    } catch (e) {
      this.failed.set(w.key, { runKey: w.runKey, at: Clock.wallNow() });
      // An engine the host lacks is said once, not at every retry of every instance of it.
      if (e instanceof NotInstalled) return this.sayOnce(`installed:${w.kind.name}`, `faultline: rds: ${e.message}; its DB instances have no server`);
      throw new Error(`rds: could not start the engine of ${w.id}: ${(e as Error).message}`);
    }
  }

  /**
   * Makes the data of this instance (its DbiResourceId), once: a copy of a snapshot for a restore, else
   * a new database; and sets the master password if it changed while the engine was stopped.
   * Returns the internal superuser's password, which a new database or a restore gets afresh (a
   * restore's data carries its source's). `admin` and `applied` (a digest of the master password
   * the engine has) are root's, unreadable to the engine's user.
   */
  private async prepare(w: EngineWant, jail: Jail, dir: string, user: User): Promise<string> {
    const data = join(dir, 'data');
    const marker = join(dir, RESOURCE_ID);
    const secret = join(dir, 'admin');
    const applied = join(dir, 'applied');
    const fresh = (await this.resourceIdOf(dir)) !== w.resourceId || !(await exists(data));
    if (!fresh) {
      const admin = await readFile(secret, 'utf8').catch(() => undefined);
      if (admin && (await readFile(applied, 'utf8').catch(() => undefined)) === digest(w.password)) return admin;
    }
    const admin = randomBytes(24).toString('base64url');
    if (fresh) {
      await rm(data, { recursive: true, force: true });
      const from = w.restoredFrom && this.restoreSource(w);
      if (from) {
        await run('cp', ['-a', join(this.snapshotDirOf(from), 'data'), data]);
        await w.kind.reset(jail, w, admin);
      } else {
        await dataDir(dir, user);
        await w.kind.create(jail, w, admin);
      }
    } else await w.kind.reset(jail, w, admin);
    await writeOwn(secret, admin, 0o600);
    await writeOwn(applied, digest(w.password), 0o600);
    await writeOwn(marker, w.resourceId, 0o644);
    return admin;
  }

  /**
   * The snapshot a restore starts from: the one named, or for a point-in-time restore the latest
   * snapshot (manual or automated) of the source instance taken at or before that time (so a
   * point-in-time restore is as coarse as the backups). Throws until its data is there.
   */
  private restoreSource(w: EngineWant): string {
    const r = w.restoredFrom!;
    let key: string | undefined;
    if (r.snapshot) key = scopedKey(w.scope, r.snapshot.toLowerCase());
    else if (r.sourceInstance) {
      const until = r.pointInTime ? Date.parse(r.pointInTime) : Infinity;
      const source = r.sourceInstance.toLowerCase();
      const candidates = this.env.store
        .list<DBSnapshotRecord>(COLL.snapshots, w.scope)
        .filter((s) => s.DBInstanceIdentifier.toLowerCase() === source && (r.sourceDbiResourceId === undefined || s.DbiResourceId === r.sourceDbiResourceId))
        .filter((s) => s.takenAt <= until && this.snapshots.has(scopedKey(w.scope, s.DBSnapshotIdentifier.toLowerCase())))
        .sort((a, b) => b.takenAt - a.takenAt);
      if (!candidates.length) throw new Error(`no backup of ${r.sourceInstance} taken at or before ${r.pointInTime ?? 'now'}`);
      key = scopedKey(w.scope, candidates[0].DBSnapshotIdentifier.toLowerCase());
    }
    if (!key) return '';
    if (!this.snapshots.has(key)) throw new Error(`the data of snapshot ${key.split('/').slice(2).join('/')} is not there (yet)`);
    return key;
  }

  /** Whether `key`'s work (for `runKey`, if given) failed less than RETRY_MS ago. */
  private failedLately(key: string, runKey?: string): boolean {
    const f = this.failed.get(key);
    return !!f && (runKey === undefined || f.runKey === runKey) && Clock.wallNow() - f.at < RETRY_MS;
  }

  /** Gives the running engine the record's new master password (no restart), as RDS applies a new one at once. */
  private async setPassword(w: EngineWant): Promise<void> {
    const r = this.running.get(w.key);
    if (!r || r.want.runKey !== w.runKey) return;
    try {
      const dir = this.dirOf(w.key);
      await w.kind.setPassword(this.jail(dir, await this.userOf(w.kind)), w, r.admin);
      await writeOwn(join(dir, 'applied'), digest(w.password), 0o600);
      r.want = w;
    } catch (e) {
      this.failed.set(`${w.key}#password`, { runKey: '', at: Clock.wallNow() });
      throw new Error(`rds: could not set the master password of ${w.id}: ${(e as Error).message}`);
    }
  }

  /** Kills the engine's jail: a crash, whatever the reason (its host is gone, a failover, a reboot). */
  private async stop(key: string): Promise<void> {
    const r = this.running.get(key);
    if (!r) return;
    this.running.delete(key);
    r.proc.kill('SIGKILL');
    await r.proc.exited;
    // Killing the jail's monitor ends its PID namespace; wait until the port is free for the next start.
    await closedPort(r.want.ip, r.want.port, 2_000);
  }

  private async remove(key: string): Promise<void> {
    this.known.delete(key);
    this.failed.delete(key);
    await rm(this.dirOf(key), { recursive: true, force: true });
  }

  /**
   * Captures the data of each snapshot record that has none yet (a copy's from its source
   * snapshot's data), and removes the data of deleted ones, but not while a copy still needs it;
   * returns the instances (scoped keys) that snapshots still wait to be taken from.
   */
  private reconcileSnapshots(task: (key: string, fn: () => Promise<void>) => void, wants: Map<string, EngineWant>): Set<string> {
    const pending = new Set<string>();
    const present = new Set<string>();
    const copied = new Set<string>();
    for (const [scope, s] of this.env.store.scan<DBSnapshotRecord>(COLL.snapshots)) {
      const key = scopedKey(scope, s.DBSnapshotIdentifier.toLowerCase());
      present.add(key);
      if (this.snapshots.has(key)) continue;
      if (s.SourceDBSnapshotIdentifier !== undefined) {
        const from = scopedKey(scope, snapshotIdOf(s.SourceDBSnapshotIdentifier).toLowerCase());
        copied.add(from);
        if (this.snapshots.has(from) && !this.failedLately(key)) task(`dbsnap:${key}`, () => this.capture(key, s.DBSnapshotIdentifier, (staging) => this.copySnapshot(from, staging)));
        continue;
      }
      const source = scopedKey(scope, s.DBInstanceIdentifier.toLowerCase());
      if (!this.known.has(source) && !wants.has(source)) continue;
      pending.add(source);
      if (this.failedLately(key)) continue;
      // One task per source instance: a backup never meets the instance's own start or stop halfway.
      task(`db:${source}`, () => this.capture(key, s.DBSnapshotIdentifier, (staging) => this.copyInstance(source, s as DBSnapshotRecord, staging)));
    }
    for (const key of this.snapshots) {
      if (present.has(key) || copied.has(key)) continue;
      this.snapshots.delete(key);
      task(`dbsnap:${key}`, () => rm(this.snapshotDirOf(key), { recursive: true, force: true }));
    }
    return pending;
  }

  /** Writes a snapshot's data with `fill` into a staging directory, then puts it in place, complete. */
  private async capture(key: string, name: string, fill: (staging: string) => Promise<void>): Promise<void> {
    if (this.snapshots.has(key)) return;
    const dest = this.snapshotDirOf(key);
    const staging = `${dest}.partial`;
    try {
      await rm(staging, { recursive: true, force: true });
      await rootDir(staging);
      await fill(staging);
      await writeFile(join(staging, 'complete'), new Date(this.env.clock.now()).toISOString());
      await mkdir(dirname(dest), { recursive: true });
      await rm(dest, { recursive: true, force: true });
      await rename(staging, dest);
      this.snapshots.add(key);
    } catch (e) {
      this.failed.set(key, { runKey: '', at: Clock.wallNow() });
      throw new Error(`rds: snapshot ${name}: ${(e as Error).message}`);
    }
  }

  /** An instance's data: the engine's online backup while it runs, else a copy of its storage. */
  private async copyInstance(source: string, s: DBSnapshotRecord, staging: string): Promise<void> {
    const r = this.running.get(source);
    const resourceId = r ? r.want.resourceId : await this.resourceIdOf(this.dirOf(source));
    if (resourceId !== s.DbiResourceId) throw new Error(`the data of ${s.DBInstanceIdentifier} (${s.DbiResourceId}) is gone`);
    if (r) {
      const user = await this.userOf(r.want.kind);
      await dataDir(staging, user);
      await r.want.kind.backup(this.jail(this.dirOf(source), user, ['--bind', staging, '/backup']), r.want, r.admin);
    } else {
      const data = join(this.dirOf(source), 'data');
      if (!(await exists(data))) throw new Error(`${s.DBInstanceIdentifier} has no data`);
      // Not running: its storage is as a crash left it, which the engine's recovery makes consistent.
      await run('cp', ['-a', data, join(staging, 'data')]);
      const stale = KINDS[s.Engine]?.staleFiles ?? [];
      await Promise.all(stale.map((f) => rm(join(staging, 'data', f), { force: true })));
    }
  }

  /** A copy of another snapshot's data (CopyDBSnapshot): what that snapshot holds, whatever its instance holds now. */
  private async copySnapshot(from: string, staging: string): Promise<void> {
    await run('cp', ['-a', join(this.snapshotDirOf(from), 'data'), join(staging, 'data')]);
  }

  /** The DbiResourceId of the instance whose data is in `dir`, if any. */
  private resourceIdOf(dir: string): Promise<string | undefined> {
    return readFile(join(dir, RESOURCE_ID), 'utf8').catch(() => undefined);
  }

  private async userOf(kind: EngineKind): Promise<User> {
    if (!this.users.has(kind.systemUser)) {
      const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
      const line = passwd.split('\n').find((l) => l.startsWith(`${kind.systemUser}:`));
      const installed = await exists(kind.installed);
      this.users.set(kind.systemUser, line && installed ? { uid: Number(line.split(':')[2]), gid: Number(line.split(':')[3]) } : undefined);
    }
    const user = this.users.get(kind.systemUser);
    if (!user) throw new NotInstalled(`${kind.name} is not installed on this host (no ${kind.installed} or no ${kind.systemUser} user)`);
    return user;
  }

  /** Runs commands in a jail over `dir`, with `mounts` (more of bubblewrap's mount options) first. */
  private jail(dir: string, user: User, mounts: string[] = []): Jail {
    return { run: async (argv, input) => void (await run('bwrap', [...mounts, ...jailArgs(dir, user, argv)], { input })) };
  }

  private async tree(dir: string, depth: number): Promise<string[][]> {
    if (depth === 0) return [[]];
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: string[][] = [];
    for (const n of names) for (const rest of await this.tree(join(dir, n), depth - 1)) out.push([n, ...rest]);
    return out;
  }

  private sayOnce(key: string, m: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.log(m);
  }
}

/**
 * bubblewrap's arguments for `argv` run as `user` in a jail over `dir` (at /db): new PID, IPC, UTS
 * and mount namespaces, the host's /usr read-only, the user and group names, no capabilities
 * once setpriv has changed to the user (bwrap, run by root, keeps only the two it needs for that).
 */
function jailArgs(dir: string, user: User, argv: string[]): string[] {
  return [
    '--die-with-parent', '--new-session', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--hostname', 'rds',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/sbin', '/sbin',
    '--perms', '0755', '--dir', '/etc', '--ro-bind', '/etc/passwd', '/etc/passwd', '--ro-bind', '/etc/group', '/etc/group',
    '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run',
    '--bind', dir, '/db',
    '--clearenv', '--setenv', 'LC_ALL', 'C', '--setenv', 'PATH', '/usr/bin:/bin',
    '--chdir', '/db',
    '--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID',
    '/usr/bin/setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--',
    ...argv,
  ];
}

const exists = (p: string) => stat(p).then(() => true, () => false);
const digest = (password: string) => createHash('sha256').update(password).digest('hex');

/**
 * Makes `dir` root's, 0755, so that the engine's user can create, remove or replace nothing in it
 * but inside `data/`; a link its user planted before (when the directory was theirs) is removed.
 */
async function rootDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chown(dir, 0, 0);
  await chmod(dir, 0o755);
  const log = join(dir, 'engine.log');
  if ((await lstat(log).catch(() => undefined))?.isSymbolicLink()) await rm(log);
}

/** The empty `data/` in a root-owned directory, the engine user's (0700, as the engines require). */
async function dataDir(dir: string, user: User): Promise<void> {
  await mkdir(join(dir, 'data'), { mode: 0o700 });
  await chown(join(dir, 'data'), user.uid, user.gid);
}

/** Writes a file of root's anew: never through a link or into a file that was there (O_CREAT|O_EXCL). */
async function writeOwn(path: string, text: string, mode: number): Promise<void> {
  await rm(path, { force: true });
  await writeFile(path, text, { mode, flag: 'wx' });
}

/** Resolves once nothing accepts connections on ip:port (or after `timeoutMs` of real time). */
async function closedPort(ip: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Clock.wallNow() + timeoutMs;
  while (Clock.wallNow() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host: ip, port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (!open) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
