/**
 * RDS's real engines (PostgreSQL 15; MariaDB 10.11, which serves the mysql and mariadb engines)
 * under the sandbox driver, on this machine, for each engine:
 *  1. the engine's part of creation: from an instance record whose engine should run (what the
 *     RDS API writes when the instance turns `available`) to the first accepted connection
 *     (initdb or mariadb-install-db, the master user, the database, the server start); target:
 *     under 5 s;
 *  2. the real part of a failover: from the engine's restart on the standby's host (its old
 *     process killed, as a crash) to the first answer, with every committed row there; target:
 *     under 2 s;
 *  3. a snapshot (pg_basebackup or mariadb-backup of the running server) and a restore from it to
 *     the first answer;
 *  4. the CPU an idle engine uses.
 * The cloud clock does not enter these: they are the real work the runtime does when the records
 * change, whatever the time scale (manual clock here; under --time-scale 60 the API's statuses
 * take 60 times less real time, and the engine's part is the same).
 *
 *   npx tsx bench/rds.bench.ts [rounds=5] [rows=100000] [engines=postgres,mariadb]
 */
import { execFileSync } from 'node:child_process';
import { startFaultline } from '../test/harness.ts';
import { sandboxSkip } from '../test/sandbox-support.ts';
import { dbInstanceRecord, dbSnapshotRecord, mariadb, mariadbUntil, psql, psqlUntil } from '../test/rds-support.ts';
import { procStat } from '../test/user-shell.ts';
import { parseCidr4, formatIp4 } from '../src/services/ec2/cidr.ts';
import { COLL, type DBInstanceRecord, type DBSnapshotRecord } from '../src/services/rds/state.ts';

if (sandboxSkip) {
  console.log(`rds bench skipped: ${sandboxSkip}`);
  process.exit(0);
}
const rounds = Number(process.argv[2] ?? 5);
const rows = Number(process.argv[3] ?? 100_000);
const fast = { stepMs: 10 };

/** What differs between the engines: the record, the client, the SQL that fills a table, the system user. */
interface Engine {
  record: Partial<DBInstanceRecord>;
  port: number;
  /** One statement in the `shop` database; undefined when nothing answers. */
  sql(ip: string, sql: string): Promise<string | undefined>;
  until(ip: string, sql: string, opts: { gone?: boolean; stepMs?: number }): Promise<string | undefined>;
  fill: string;
  systemUser: string;
}
const ENGINES: Record<string, Engine> = {
  postgres: {
    record: {},
    port: 5432,
    sql: (ip, sql) => psql(ip, 5432, 'shop', sql),
    until: (ip, sql, opts) => psqlUntil(ip, 5432, 'shop', sql, opts),
    fill: `CREATE TABLE t (n int PRIMARY KEY, pad text); INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, ${rows}) g`,
    systemUser: 'postgres',
  },
  mariadb: {
    record: { Engine: 'mariadb', EngineVersion: '10.11.9' },
    port: 3306,
    sql: async (ip, sql) => (await mariadb(ip, 3306, sql, { db: 'shop' })).out,
    until: (ip, sql, opts) => mariadbUntil(ip, 3306, sql, { db: 'shop', ...opts }),
    fill: `CREATE TABLE t (n int PRIMARY KEY, pad text) ENGINE=InnoDB; INSERT INTO t SELECT seq, REPEAT('x', 100) FROM seq_1_to_${rows}`,
    systemUser: 'mysql',
  },
};
const engines = (process.argv[4] ?? 'postgres,mariadb').split(',');

const fl = await startFaultline({ driver: 'sandbox' });
const scope = { account: '000000000000', region: 'us-east-1' };
const store = fl.app.env.store;
const put = (r: DBInstanceRecord) => store.transaction(() => store.put(COLL.instances, scope, r.DBInstanceIdentifier, r));
const get = (id: string) => store.get<DBInstanceRecord>(COLL.instances, scope, id) as DBInstanceRecord;
const pool = parseCidr4(fl.app.env.config.publicIpPool)!;
const ms = (t0: number) => Math.round(performance.now() - t0);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]} ms, min ${s[0]} ms, max ${s.at(-1)} ms (${s.length} runs)`;
};
/** The instance record of engine `e` on `ip`. */
const record = (e: Engine, id: string, ip: string, extra: Partial<DBInstanceRecord> = {}) => {
  const r = dbInstanceRecord(id, ip, { ...e.record, ...extra });
  return { ...r, Endpoint: { ...r.Endpoint!, Port: e.port } };
};

try {
  for (const [n, name] of engines.entries()) {
    const e = ENGINES[name];
    if (!e) throw new Error(`no engine ${name}: postgres or mariadb`);
    console.log(`== ${name}`);
    const create: number[] = [];
    const failover: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const ip = formatIp4(pool.base + 100 + n * 50 + i);
      const id = `${name}-${i}`;
      let t = performance.now();
      put(record(e, id, ip));
      await e.until(ip, 'SELECT 1', fast);
      create.push(ms(t));
      if ((await e.sql(ip, e.fill)) === undefined) throw new Error(`${id}: could not write the rows`);
      // The primary's host fails: the engine is killed; then the standby's host takes over the same storage.
      put({ ...get(id), engine: { running: false } });
      await e.until(ip, 'SELECT 1', { gone: true, ...fast });
      const r = get(id);
      t = performance.now();
      put({ ...r, placement: { primary: r.placement.standby, standby: r.placement.primary }, engine: { running: true } });
      const count = await e.until(ip, 'SELECT count(*) FROM t', fast);
      failover.push(ms(t));
      if (count !== String(rows)) throw new Error(`after the failover ${count} rows, not ${rows}`);
    }
    console.log(`engine start, record to first connection: ${stats(create)}`);
    console.log(`failover real part, restart to first answer with ${rows} rows: ${stats(failover)}`);

    let t = performance.now();
    const snap = `${name}-snap`;
    store.transaction(() =>
      store.put<DBSnapshotRecord>(COLL.snapshots, scope, snap, { ...dbSnapshotRecord(snap, `${name}-0`, fl.app.env.clock.now()), Engine: get(`${name}-0`).Engine }),
    );
    await fl.app.driver.settle();
    console.log(`snapshot (online backup of a running server, ${rows} rows): ${ms(t)} ms`);
    const ip = formatIp4(pool.base + 100 + n * 50 + 49);
    t = performance.now();
    put(record(e, `${name}-restored`, ip, { engine: { running: true, restoredFrom: { snapshot: snap } } }));
    const count = await e.until(ip, 'SELECT count(*) FROM t', fast);
    console.log(`restore from the snapshot to first answer: ${ms(t)} ms (${count} rows)`);

    // Idle CPU: every process of the engine's system user, CPU time over 10 s.
    const cpu = () =>
      execFileSync('ps', ['-u', e.systemUser, '-o', 'pid='], { encoding: 'utf8' })
        .trim().split('\n')
        .reduce((sum, l) => {
          try {
            const f = procStat(Number(l.trim()));
            return sum + Number(f[11]) + Number(f[12]);
          } catch {
            return sum;
          }
        }, 0);
    const c0 = cpu();
    await new Promise((r) => setTimeout(r, 10_000));
    console.log(`idle CPU of ${rounds + 1} engines: ${(((cpu() - c0) / 100 / 10) * 100).toFixed(1)}% of one CPU`);
  }
} finally {
  await fl.close();
}
