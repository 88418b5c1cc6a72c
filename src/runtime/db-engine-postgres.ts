/**
 * PostgreSQL 15 from Debian's packages, as RDS runs it: the master user, with its password
 * (SCRAM), may log in, create databases and roles and owns the instance's database, but is not a
 * superuser; the cluster's superuser is an internal one (`rdsadmin`, as on RDS) whose random
 * password only faultline knows, for backups and password changes. Clients connect over TCP from
 * anywhere with a password. Every command runs in an engine jail (db-engines.ts) as the `postgres`
 * system user, with the instance's directory at /db and its data at /db/data.
 */
import type { EngineKind, EngineWant, Jail } from './db-engines.ts';

const BIN = '/usr/lib/postgresql/15/bin';
const ADMIN = 'rdsadmin';

/** Quotes a SQL identifier. */
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** Quotes a SQL string literal (standard_conforming_strings is on: a backslash is itself). */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Password logins over TCP from any address for sessions, and for the internal superuser's
 * pg_basebackup. Kept outside the data directory (hba_file), where the engine cannot change it;
 * the data's own pg_hba.conf rejects everything and is never read.
 */
const HBA = 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\nhost replication rdsadmin 0.0.0.0/0 scram-sha-256\n';

/**
 * Runs SQL statements, one a line (each its own transaction), in single-user mode on the stopped
 * data; stops at the first error (single-user mode would otherwise exit 0 after one).
 */
const single = (jail: Jail, db: string, statements: string[]) =>
  jail.run([`${BIN}/postgres`, '--single', '-F', '-c', 'exit_on_error=on', '-D', '/db/data', db], `${statements.join('\n')}\n`);

/** `argv` with PGPASSWORD read from the first line of stdin, so that no password is on a command line. */
const withPassword = (argv: string[]) => ['/usr/bin/sh', '-c', 'read -r PGPASSWORD && export PGPASSWORD && exec "$@"', 'sh', ...argv];

export const postgres: EngineKind = {
  name: 'PostgreSQL 15',
  systemUser: 'postgres',
  installed: `${BIN}/postgres`,
  config: { 'pg_hba.conf': HBA },

  async create(jail: Jail, w: EngineWant, admin: string): Promise<void> {
    // No password for initdb (it would want one in a file): the single-user step sets them. -N: no fsync (see serve()).
    await jail.run([`${BIN}/initdb`, '-D', '/db/data', '--auth=reject', `--username=${ADMIN}`, '-E', 'UTF8', '--locale=C', '-N']);
    const db = w.dbName ?? 'postgres';
    await single(jail, 'postgres', [
      `ALTER ROLE ${ADMIN} PASSWORD ${literal(admin)};`,
      `CREATE ROLE ${ident(w.user)} LOGIN CREATEDB CREATEROLE PASSWORD ${literal(w.password)};`,
      // RDS for PostgreSQL always has the `postgres` database, where the master user may create tables too; DBName adds another, the master user's.
      `GRANT ALL ON SCHEMA public TO ${ident(w.user)};`,
      ...(db !== 'postgres' ? [`CREATE DATABASE ${ident(db)} OWNER ${ident(w.user)};`] : []),
    ]);
  },

  async reset(jail: Jail, w: EngineWant, admin: string): Promise<void> {
    await single(jail, 'postgres', [
      // Data from before the internal superuser existed had none.
      `DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ADMIN}') THEN CREATE ROLE ${ADMIN} SUPERUSER LOGIN; END IF; END$$;`,
      `ALTER ROLE ${ADMIN} PASSWORD ${literal(admin)};`,
      `ALTER ROLE ${ident(w.user)} PASSWORD ${literal(w.password)};`,
    ]);
  },

  async setPassword(jail: Jail, w: EngineWant, admin: string): Promise<void> {
    const psql = [`${BIN}/psql`, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', w.ip, '-p', String(w.port), '-U', ADMIN, '-d', 'postgres', '-w'];
    await jail.run(withPassword(psql), `${admin}\nALTER ROLE ${ident(w.user)} PASSWORD ${literal(w.password)};\n`);
  },

  serve(w: EngineWant): string[] {
    return [
      `${BIN}/postgres`, '-D', '/db/data',
      '-c', `listen_addresses=${w.ip}`, '-c', `port=${w.port}`,
      '-c', 'hba_file=/db/pg_hba.conf',
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

  async backup(jail: Jail, w: EngineWant, admin: string): Promise<void> {
    // A base backup of the running server, with the WAL it needs (-X stream): a consistent copy taken without stopping it.
    await jail.run(withPassword([`${BIN}/pg_basebackup`, '-h', w.ip, '-p', String(w.port), '-U', ADMIN, '-D', '/backup/data', '-X', 'stream', '-c', 'fast', '-w']), `${admin}\n`);
  },

  staleFiles: ['postmaster.pid'],
};
