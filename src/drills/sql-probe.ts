/**
 * The `sql` data probe: the RPO probe for a database reached directly, not through an
 * application. It writes numbered rows into a table it creates, one committed transaction each,
 * and reads back which survived. PostgreSQL only (`postgres://` connection strings), through the
 * `pg` client; each check opens its own connection, as a client that reconnects after a
 * failover does, so that the endpoint's address is looked up and connected to again every time.
 */
import pg from 'pg';
import type { ProbeSpec } from './file.ts';

export type SqlSpec = Extract<ProbeSpec, { kind: 'sql' }>;

/** Runs `fn` on a new connection, closed afterwards; rejects after the probe's timeout. */
async function withClient<T>(spec: SqlSpec, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const ms = spec.timeout * 1000;
  const client = new pg.Client({ connectionString: spec.url, connectionTimeoutMillis: ms, query_timeout: ms });
  // An error after the answer (the server going away) must not become an uncaught 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Inserts row `n` (creating the table the first time); resolves once the server has committed it. */
export function writeRow(spec: SqlSpec, n: number): Promise<void> {
  return withClient(spec, async (c) => {
    await c.query(`CREATE TABLE IF NOT EXISTS ${spec.table} (n integer PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`INSERT INTO ${spec.table} (n) VALUES ($1)`, [n]);
  });
}

/** The row numbers in the table now. */
export function readRows(spec: SqlSpec): Promise<Set<number>> {
  return withClient(spec, async (c) => {
    const { rows } = await c.query<{ n: number }>(`SELECT n FROM ${spec.table}`);
    return new Set(rows.map((r) => r.n));
  });
}

/** The connection string without its password, for reports. */
export function sqlTarget(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}
