/**
 * The durable store: SQLite in WAL mode, with an in-memory mirror for fast reads.
 *
 * Records are plain JSON documents in named collections, keyed by scope (account and region) and
 * id. Writes go through `transaction`, which commits to SQLite before returning, so an API call
 * that answers has its state on disk. If the transaction throws, SQLite rolls back and the
 * mirror is reloaded for every key the transaction touched, so no partial state survives.
 *
 * Reads return the mirror's objects typed read-only; callers that change a record take a copy
 * with `mutable` and `put` it back.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Scope {
  account: string;
  region: string;
}

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

const scopeKey = (s: Scope) => `${s.account}/${s.region}`;

export class Store {
  private db: DatabaseSync;
  private mirror = new Map<string, Map<string, Map<string, unknown>>>(); // collection -> scope -> id -> doc
  private touched: Set<string> | null = null; // "collection\0scope\0id" written in the open transaction
  private stmts: Record<string, StatementSync>;
  private gen = 0;
  /** The DDL of the tables services keep beside the docs (ensureTables), made again after a rollback. */
  private serviceTables = new Set<string>();

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS docs (coll TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (coll, scope, id));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS timers (key TEXT PRIMARY KEY, due INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS timers_due ON timers (due);
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL,
        real INTEGER, type TEXT NOT NULL, detail TEXT NOT NULL);
    `);
    this.stmts = {
      put: this.db.prepare('INSERT INTO docs (coll, scope, id, doc) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc'),
      del: this.db.prepare('DELETE FROM docs WHERE coll = ? AND scope = ? AND id = ?'),
      one: this.db.prepare('SELECT doc FROM docs WHERE coll = ? AND scope = ? AND id = ?'),
      all: this.db.prepare('SELECT coll, scope, id, doc FROM docs'),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value'),
    };
    for (const row of this.stmts.all.all() as { coll: string; scope: string; id: string; doc: string }[]) {
      this.bucket(row.coll, row.scope, true)!.set(row.id, JSON.parse(row.doc));
    }
  }

  /**
   * Creates a service's own tables (`CREATE ... IF NOT EXISTS` statements). They are usually first
   * asked for inside a request's transaction or a loop's savepoint, and a rollback would drop them
   * under the statements the service has prepared and keeps: so they are made again after one.
   */
  ensureTables(ddl: string): void {
    this.serviceTables.add(ddl);
    this.db.exec(ddl);
  }

  private restoreTables(): void {
    for (const ddl of this.serviceTables) this.db.exec(ddl);
  }

  /** The raw database, for the scheduler and the event log that share the file. */
  get sql(): DatabaseSync {
    return this.db;
  }

  private bucket(coll: string, scope: string, create: boolean): Map<string, unknown> | undefined {
    let c = this.mirror.get(coll);
    if (!c) {
      if (!create) return undefined;
      this.mirror.set(coll, (c = new Map()));
    }
    let b = c.get(scope);
    if (!b && create) c.set(scope, (b = new Map()));
    return b;
  }

  get<T>(coll: string, scope: Scope, id: string): DeepReadonly<T> | undefined {
    return this.bucket(coll, scopeKey(scope), false)?.get(id) as DeepReadonly<T> | undefined;
  }

  /** A private copy of a record, to change and `put` back. */
  mutable<T>(coll: string, scope: Scope, id: string): T | undefined {
    const v = this.bucket(coll, scopeKey(scope), false)?.get(id);
    return v === undefined ? undefined : (structuredClone(v) as T);
  }

  list<T>(coll: string, scope: Scope): DeepReadonly<T>[] {
    const b = this.bucket(coll, scopeKey(scope), false);
    return b ? ([...b.values()] as DeepReadonly<T>[]) : [];
  }

  /** Every record of a collection across all scopes, with its scope. */
  *scan<T>(coll: string): Iterable<[Scope, DeepReadonly<T>]> {
    const c = this.mirror.get(coll);
    if (!c) return;
    for (const [sk, b] of c) {
      const [account, region] = sk.split('/');
      for (const v of b.values()) yield [{ account, region }, v as DeepReadonly<T>];
    }
  }

  /**
   * A number that changes whenever any record does (writes, rollbacks, reset): readers that
   * derive something from many records (the DNS answers' index) rebuild it only when it moved.
   */
  get generation(): number {
    return this.gen;
  }

  count(coll: string, scope: Scope): number {
    return this.bucket(coll, scopeKey(scope), false)?.size ?? 0;
  }

  put<T>(coll: string, scope: Scope, id: string, doc: T): void {
    this.requireTx();
    const sk = scopeKey(scope);
    this.stmts.put.run(coll, sk, id, JSON.stringify(doc));
    this.touched!.add(`${coll}\0${sk}\0${id}`);
    this.bucket(coll, sk, true)!.set(id, doc);
    this.gen++;
  }

  delete(coll: string, scope: Scope, id: string): void {
    this.requireTx();
    const sk = scopeKey(scope);
    this.stmts.del.run(coll, sk, id);
    this.touched!.add(`${coll}\0${sk}\0${id}`);
    this.bucket(coll, sk, false)?.delete(id);
    this.gen++;
  }

  getMeta(key: string): string | undefined {
    return (this.stmts.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  get inTransaction(): boolean {
    return this.touched !== null;
  }

  /**
   * Runs `fn` atomically. Nested calls join the outer transaction. `fn` must be synchronous:
   * handlers never wait inside a transaction, so no other request can interleave with it.
   */
  transaction<T>(fn: () => T): T {
    if (this.touched) return fn();
    this.touched = new Set();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      if (out instanceof Promise) throw new Error('store transactions must be synchronous');
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      this.db.exec('ROLLBACK');
      this.restoreTables();
      this.reload(this.touched);
      throw e;
    } finally {
      this.touched = null;
    }
  }

  /**
   * Runs `fn` inside the open transaction so that, if it throws, only its own writes are undone
   * (SQLite savepoint) and the rest of the transaction stands. The scheduler runs many loop
   * steps in one transaction this way: one commit for a batch, one failure for one step.
   */
  savepoint<T>(fn: () => T): T {
    if (!this.touched) return this.transaction(() => this.savepoint(fn));
    const outer = this.touched;
    this.touched = new Set();
    this.db.exec('SAVEPOINT step');
    try {
      const out = fn();
      this.db.exec('RELEASE step');
      for (const k of this.touched) outer.add(k);
      return out;
    } catch (e) {
      this.db.exec('ROLLBACK TO step');
      this.db.exec('RELEASE step');
      this.restoreTables();
      this.reload(this.touched);
      for (const k of this.touched) outer.add(k);
      throw e;
    } finally {
      this.touched = outer;
    }
  }

  private reload(keys: Set<string>): void {
    this.gen++;
    for (const k of keys) {
      const [coll, sk, id] = k.split('\0');
      const row = this.stmts.one.get(coll, sk, id) as { doc: string } | undefined;
      if (row) this.bucket(coll, sk, true)!.set(id, JSON.parse(row.doc));
      else this.bucket(coll, sk, false)?.delete(id);
    }
  }

  private requireTx(): void {
    if (!this.touched) throw new Error('store writes must run inside a transaction');
  }

  /** Forgets everything: every record, timer and event, and the rows of tables services created (metrics, history). */
  reset(): void {
    this.transaction(() => {
      const tables = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
      for (const { name } of tables) this.db.exec(`DELETE FROM "${name.replace(/"/g, '""')}"`);
    });
    this.mirror.clear();
    this.gen++;
  }

  close(): void {
    this.db.close();
  }
}
