/**
 * The `sql` data probe: the RPO probe for a database reached directly, not through an
 * application. It writes numbered rows into a table it creates, one committed transaction each,
 * and reads back which survived. PostgreSQL (`postgres://` connection strings, through the `pg`
 * client) and MySQL or MariaDB (`mysql://`, through `mysql2`, loaded only then); each check opens
 * its own connection, as a client that reconnects after a failover does, so that the endpoint's
 * address is looked up and connected to again every time.
 */
import pg from 'pg';
import type { ProbeSpec } from './file.ts';

export type SqlSpec = Extract<ProbeSpec, { kind: 'sql' }>;

/** One connection, with what the probe says in the engine's own SQL. */
interface Session {
  /** The table's definition: the row number, and when the server wrote it. */
  createTable(table: string): Promise<void>;
  insert(table: string, n: number): Promise<void>;
  numbers(table: string): Promise<number[]>;
  close(): Promise<void>;
}

const isMysqlUrl = (url: string) => /^mysql:\/\//.test(url);

async function postgres(spec: SqlSpec, ms: number): Promise<Session> {
  const client = new pg.Client({ connectionString: spec.url, connectionTimeoutMillis: ms, query_timeout: ms });
  // An error after the answer (the server going away) must not become an uncaught 'error' event.
  client.on('error', () => {});
  const session: Session = {
    createTable: async (t) => void (await client.query(`CREATE TABLE IF NOT EXISTS ${t} (n integer PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())`)),
    insert: async (t, n) => void (await client.query(`INSERT INTO ${t} (n) VALUES ($1)`, [n])),
    numbers: async (t) => (await client.query<{ n: number }>(`SELECT n FROM ${t}`)).rows.map((r) => r.n),
    close: () => client.end().catch(() => {}),
  };
  try {
    await client.connect();
  } catch (e) {
    await session.close();
    throw e;
  }
  return session;
}

async function mysql(spec: SqlSpec, ms: number): Promise<Session> {
  const { createConnection } = await import('mysql2/promise');
  const conn = await createConnection({ uri: spec.url, connectTimeout: ms });
  conn.on('error', () => {});
  const query = (sql: string, values: number[] = []) => conn.query({ sql, values, timeout: ms });
  return {
    // InnoDB: the engine whose commits survive a crash.
    createTable: async (t) => void (await query(`CREATE TABLE IF NOT EXISTS ${t} (n integer PRIMARY KEY, written_at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB`)),
    insert: async (t, n) => void (await query(`INSERT INTO ${t} (n) VALUES (?)`, [n])),
    numbers: async (t) => ((await query(`SELECT n FROM ${t}`))[0] as { n: number }[]).map((r) => r.n),
    close: () => conn.end().catch(() => {}),
  };
}

/** Runs `fn` on a new connection, closed afterwards; rejects after the probe's timeout. */
async function withSession<T>(spec: SqlSpec, fn: (s: Session) => Promise<T>): Promise<T> {
  const ms = spec.timeout * 1000;
  const session = await (isMysqlUrl(spec.url) ? mysql : postgres)(spec, ms);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** Inserts row `n` (creating the table the first time); resolves once the server has committed it. */
export function writeRow(spec: SqlSpec, n: number): Promise<void> {
  return withSession(spec, async (s) => {
    await s.createTable(spec.table);
    await s.insert(spec.table, n);
  });
}

/** The row numbers in the table now. */
export function readRows(spec: SqlSpec): Promise<Set<number>> {
  return withSession(spec, async (s) => new Set(await s.numbers(spec.table)));
}

/** The connection string without its password, for reports. */
export function sqlTarget(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}
