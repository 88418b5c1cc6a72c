/**
 * PostgreSQL 15 from Debian's packages, as RDS runs it: the master user is the cluster's
 * superuser, with its password (SCRAM), and the instance's database; clients connect over TCP
 * from anywhere with a password. Every command runs in an engine jail (db-engines.ts) as the
 * `postgres` system user, with the instance's directory at /db and its data at /db/data.
 */
import type { EngineKind, EngineWant, Jail } from './db-engines.ts';

const BIN = '/usr/lib/postgresql/15/bin';

/** Quotes a SQL identifier. */
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Password logins over TCP from any address, for sessions and for pg_basebackup. */
const HBA = 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\nhost replication all 0.0.0.0/0 scram-sha-256\n';

export const postgres: EngineKind = {
  name: 'PostgreSQL 15',
  systemUser: 'postgres',
  installed: `${BIN}/postgres`,

  async create(jail: Jail, w: EngineWant): Promise<void> {
    // initdb reads the password from a file; it lives in the instance's directory only while initdb runs.
    await jail.writeFile('pwfile', `${w.password}\n`);
    try {
      // -N, -F: no fsync (see serve()).
      await jail.run([`${BIN}/initdb`, '-D', '/db/data', '--auth=scram-sha-256', `--username=${w.user}`, '--pwfile=/db/pwfile', '-E', 'UTF8', '--locale=C', '-N']);
    } finally {
      await jail.removeFile('pwfile');
    }
    await jail.appendFile('data/pg_hba.conf', HBA);
    const db = w.dbName ?? 'postgres';
    // RDS for PostgreSQL always has the `postgres` database; DBName adds another.
    if (db !== 'postgres') await jail.run([`${BIN}/postgres`, '--single', '-F', '-D', '/db/data', 'postgres'], `CREATE DATABASE ${ident(db)};\n`);
  },

  serve(w: EngineWant): string[] {
    return [
      `${BIN}/postgres`, '-D', '/db/data',
      '-c', `listen_addresses=${w.ip}`, '-c', `port=${w.port}`,
      // No Unix socket: clients come over TCP, as to RDS.
      '-c', 'unix_socket_directories=',
      // No fsync: what faultline kills is the engine's process, never the machine, so every write
      // the engine made (its WAL at each commit) is in the host's page cache and survives; crash
      // recovery still replays the WAL after every kill. Syncing would only slow starts and
      // checkpoints (the end-of-recovery one most) on a machine many instances share.
      '-c', 'fsync=off',
      // Small: many instances share one machine (db.t3.micro has 1 GiB in all).
      '-c', 'shared_buffers=16MB', '-c', 'max_connections=50',
    ];
  },

  async backup(jail: Jail, w: EngineWant): Promise<void> {
    // A base backup of the running server, with the WAL it needs (-X stream): a consistent copy taken without stopping it.
    await jail.run([`${BIN}/pg_basebackup`, '-h', w.ip, '-p', String(w.port), '-U', w.user, '-D', '/db/data', '-X', 'stream', '-c', 'fast', '-w'], undefined, { PGPASSWORD: w.password });
  },

  staleFiles: ['postmaster.pid'],
};
