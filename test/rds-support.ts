/**
 * For tests and benchmarks of RDS's engines: a DB instance record as the RDS API writes it
 * (available, its engine running on `ip`), a snapshot record of one, and `psql` and `mariadb` run
 * as a user runs them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DBInstanceRecord, DBSnapshotRecord } from '../src/services/rds/state.ts';

const runFile = promisify(execFile);
export const PASSWORD = 'Secret-pass1';

export function dbInstanceRecord(id: string, ip: string, extra: Partial<DBInstanceRecord> = {}): DBInstanceRecord {
  return {
    DBInstanceIdentifier: id, DBInstanceArn: `arn:aws:rds:us-east-1:000000000000:db:${id}`, DbiResourceId: `db-${id.toUpperCase()}`,
    DBInstanceClass: 'db.t3.micro', Engine: 'postgres', EngineVersion: '15.4', DBInstanceStatus: 'available', MasterUsername: 'app', DBName: 'shop',
    Endpoint: { Address: `${id}.abcdefghijkl.us-east-1.rds.amazonaws.com`, Port: 5432, HostedZoneId: 'Z2R2ITUGPM61AM' },
    AllocatedStorage: 20, StorageType: 'gp3', PreferredBackupWindow: '03:00-03:30', BackupRetentionPeriod: 1, DBSecurityGroups: [], VpcSecurityGroups: [],
    DBParameterGroups: [], DBSubnetGroupName: 'db', PreferredMaintenanceWindow: 'sun:05:00-sun:05:30', PendingModifiedValues: {}, MultiAZ: true,
    AutoMinorVersionUpgrade: true, PubliclyAccessible: false, StorageEncrypted: false, DeletionProtection: false, CopyTagsToSnapshot: false, tags: [],
    masterPassword: PASSWORD, placement: { primary: { zone: 'us-east-1a', host: 'h-a', subnetId: 'subnet-a' }, standby: { zone: 'us-east-1b', host: 'h-b', subnetId: 'subnet-b' } },
    endpointIp: ip, engine: { running: true }, createdAt: 0,
    ...extra,
  };
}

/**
 * Whole hours (in seconds) from cloud time `now` (ms) to the hour from 12:00 UTC. A test that
 * creates instances with the default backup window (03:00-03:30 UTC) advances there first, so that
 * no daily backup falls in its hours, whatever time of day it runs; whole hours keep the clock off
 * the 10-second beat of health checks, as the test found it.
 */
export const toMidday = (now: number): number => (((12 - new Date(now).getUTCHours()) % 24) + 24) % 24 * 3600;

/** A manual snapshot of `instanceId` (a dbInstanceRecord) as the RDS API writes it when it starts taking one at `takenAt`. */
export function dbSnapshotRecord(id: string, instanceId: string, takenAt: number): DBSnapshotRecord {
  return {
    DBSnapshotIdentifier: id, DBInstanceIdentifier: instanceId, DBSnapshotArn: `arn:aws:rds:us-east-1:000000000000:snapshot:${id}`, Engine: 'postgres', EngineVersion: '15.4',
    AllocatedStorage: 20, Status: 'creating', Port: 5432, MasterUsername: 'app', SnapshotType: 'manual', PercentProgress: 0, DbiResourceId: `db-${instanceId.toUpperCase()}`, tags: [],
    masterPassword: PASSWORD, DBInstanceClass: 'db.t3.micro', takenAt,
  };
}

/** One `psql` command as the master user; undefined when the server refuses or is not there. */
export async function psql(ip: string, port: number, db: string, sql: string): Promise<string | undefined> {
  try {
    const { stdout } = await runFile('psql', ['-h', ip, '-p', String(port), '-U', 'app', '-d', db, '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: { ...process.env, PGPASSWORD: PASSWORD, PGCONNECT_TIMEOUT: '2' } });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

type UntilOptions = { gone?: boolean; timeoutMs?: number; stepMs?: number };

/** Polls `ask` (real time, `stepMs` apart) until it answers, or with `gone` until it stops answering (undefined). */
async function until(where: string, ask: () => Promise<string | undefined>, opts: UntilOptions): Promise<string | undefined> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const out = await ask();
    if (opts.gone ? out === undefined : out !== undefined) return out;
    if (Date.now() > deadline) throw new Error(`${where}: ${opts.gone ? 'still answers' : 'no answer'} after ${opts.timeoutMs ?? 30_000} ms`);
    await new Promise((r) => setTimeout(r, opts.stepMs ?? 100));
  }
}

/** Polls until `sql` answers through psql, or with `gone` until it stops answering. */
export function psqlUntil(ip: string, port: number, db: string, sql: string, opts: UntilOptions = {}): Promise<string | undefined> {
  return until(`${ip}:${port}`, () => psql(ip, port, db, sql), opts);
}

/**
 * One statement through MariaDB's client (`mariadb`, or `mysql`, its other name) as the master
 * user, the password in MYSQL_PWD: the output, or `error` with the client's message when it fails.
 */
export async function mariadb(ip: string, port: number, sql: string, opts: { db?: string; client?: string; password?: string } = {}): Promise<{ out?: string; error?: string }> {
  const args = ['-h', ip, '-P', String(port), '-u', 'app', '--connect-timeout=2', '-N', '-B', '-e', sql, ...(opts.db ? [opts.db] : [])];
  try {
    const { stdout } = await runFile(opts.client ?? 'mariadb', args, { env: { ...process.env, MYSQL_PWD: opts.password ?? PASSWORD } });
    return { out: stdout.trim() };
  } catch (e) {
    return { error: String((e as { stderr?: string }).stderr ?? e).trim() };
  }
}

/** Polls until `sql` answers through MariaDB's client, or with `gone` until it stops answering. */
export function mariadbUntil(ip: string, port: number, sql: string, opts: UntilOptions & { db?: string; client?: string; password?: string } = {}): Promise<string | undefined> {
  return until(`${ip}:${port}`, async () => (await mariadb(ip, port, sql, opts)).out, opts);
}
