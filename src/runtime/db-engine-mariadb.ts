/**
 * MariaDB 10.11 from Debian's packages, for both the `mariadb` and the `mysql` engines (RDS for
 * MySQL 8.0 is served by MariaDB here: the same wire protocol and SQL for what applications use,
 * not MySQL 8.0's own features). As RDS sets it up: the master user (`USER@'%'`, with its
 * password) has the privileges RDS documents for its master user on `*.*` WITH GRANT OPTION, and
 * none of SUPER, FILE or SHUTDOWN; the superuser is an internal one, `rdsadmin`@`localhost`, whose
 * random password only faultline knows and which logs in only through the Unix socket inside the
 * instance's jail, for backups and password changes. No `root` account is left. Every command runs
 * in an engine jail (db-engines.ts) as the `mysql` system user, with the instance's directory at
 * /db and its data at /db/data.
 */
import type { EngineKind, EngineWant, Jail } from './db-engines.ts';

const MARIADBD = '/usr/sbin/mariadbd';
const ADMIN = `'rdsadmin'@'localhost'`;
/** In the data directory: the only place in the jail the engine's user may create a file. */
const SOCKET = '/db/data/mysqld.sock';
const PID_FILE = '/db/data/mariadbd.pid';

/**
 * What RDS for MariaDB grants its master user (the AWS documentation's "Master user account
 * privileges"; RDS for MySQL 8.0 adds MySQL-only ones, such as ROLE_ADMIN, that MariaDB has not).
 */
const MASTER_PRIVILEGES = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'RELOAD', 'PROCESS', 'REFERENCES', 'INDEX', 'ALTER',
  'SHOW DATABASES', 'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'EXECUTE', 'REPLICATION CLIENT', 'CREATE VIEW', 'SHOW VIEW',
  'CREATE ROUTINE', 'ALTER ROUTINE', 'CREATE USER', 'EVENT', 'TRIGGER', 'REPLICATION SLAVE',
].join(', ');

/**
 * Options of every mariadbd run here, the installer's, a bootstrap's and the server's: the data,
 * and its temporary files there too (the jail's /tmp is not the engine's to write), and small
 * memory and redo log, as many instances share one machine.
 */
const DATA_OPTIONS = ['--datadir=/db/data', '--tmpdir=/db/data', '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M'];

/** Quotes a SQL string literal (backslashes are escapes in MariaDB's default SQL mode). */
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const master = (w: EngineWant) => `${literal(w.user)}@'%'`;

/**
 * The master user as RDS keeps it: there, with its password and its privileges; RDS gives them
 * back when the master password is set again, which is how a user who revoked them recovers.
 */
const masterUser = (w: EngineWant) => [
  `CREATE USER IF NOT EXISTS ${master(w)};`,
  `ALTER USER ${master(w)} IDENTIFIED BY ${literal(w.password)};`,
  `GRANT ${MASTER_PRIVILEGES} ON *.* TO ${master(w)} WITH GRANT OPTION;`,
];

const adminUser = (admin: string) => [
  `CREATE USER IF NOT EXISTS ${ADMIN};`,
  `ALTER USER ${ADMIN} IDENTIFIED BY ${literal(admin)};`,
  `GRANT ALL PRIVILEGES ON *.* TO ${ADMIN} WITH GRANT OPTION;`,
];

/**
 * SQL statements run on the stopped data by `mariadbd --bootstrap` (one a line, as it reads them;
 * it stops with an error at the first that fails). The grant tables are loaded first: bootstrap
 * runs without them, and CREATE USER, ALTER USER and GRANT need them.
 */
const bootstrap = (jail: Jail, statements: string[]) =>
  jail.run([MARIADBD, '--no-defaults', '--bootstrap', ...DATA_OPTIONS, '--log-warnings=0'], ['FLUSH PRIVILEGES;', ...statements].join('\n') + '\n');

/** `argv` with MYSQL_PWD (which MariaDB's clients read) from the first line of stdin, so that no password is on a command line. */
const withPassword = (argv: string[]) => ['/usr/bin/sh', '-c', 'read -r MYSQL_PWD && export MYSQL_PWD && exec "$@"', 'sh', ...argv];

export const mariadb: EngineKind = {
  name: 'MariaDB 10.11',
  systemUser: 'mysql',
  installed: MARIADBD,
  config: {},

  async create(jail: Jail, w: EngineWant, admin: string): Promise<void> {
    // --force: the jail's host name resolves nowhere (the rows that name it go below).
    await jail.run(['/usr/bin/mariadb-install-db', '--no-defaults', '--force', '--skip-test-db', '--auth-root-authentication-method=socket', ...DATA_OPTIONS]);
    // Then the users, with the passwords on stdin (the installer takes its extra SQL only from a file).
    await bootstrap(jail, [
      // The installer's root@localhost (Unix socket authentication) and its proxy rows: RDS has no root.
      `DROP USER 'root'@'localhost';`,
      `DELETE FROM mysql.proxies_priv WHERE User = 'root';`,
      ...adminUser(admin),
      ...masterUser(w),
      // RDS for MySQL and MariaDB make DBName only when it is given.
      ...(w.dbName ? [`CREATE DATABASE \`${w.dbName.replace(/`/g, '``')}\`;`] : []),
    ]);
  },

  async reset(jail: Jail, w: EngineWant, admin: string): Promise<void> {
    await bootstrap(jail, [...adminUser(admin), ...masterUser(w)]);
  },

  async setPassword(jail: Jail, w: EngineWant, admin: string): Promise<void> {
    const client = ['/usr/bin/mariadb', '--no-defaults', `--socket=${SOCKET}`, '--user=rdsadmin', '--batch'];
    await jail.run(withPassword(client), `${admin}\n${masterUser(w).join('\n')}\n`);
  },

  serve(w: EngineWant): string[] {
    return [
      MARIADBD, '--no-defaults', ...DATA_OPTIONS,
      `--bind-address=${w.ip}`, `--port=${w.port}`, `--socket=${SOCKET}`, `--pid-file=${PID_FILE}`,
      // Accounts are by address ('%' for the master user): no reverse lookups on connection.
      '--skip-name-resolve',
      // The redo log is written to the OS at each commit and synced once a second: what faultline
      // kills is the engine's process, never the machine, so each commit survives in the page
      // cache, and crash recovery (InnoDB's redo, the doublewrite buffer for torn pages) runs at
      // every start after a kill. Syncing at each commit would only slow writes on a shared disk.
      '--innodb-flush-log-at-trx-commit=2',
      // What RDS for MySQL 8.0 and Debian's MariaDB use, rather than MariaDB's own latin1 default.
      '--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci',
      '--max-connections=50',
    ];
  },

  async backup(jail: Jail, w: EngineWant, admin: string): Promise<void> {
    // mariadb-backup copies the running server's files (InnoDB's with the redo written meanwhile),
    // then --prepare applies that redo: a consistent data directory, taken without stopping it.
    await jail.run(
      withPassword(['/usr/bin/mariadb-backup', '--no-defaults', '--backup', '--datadir=/db/data', '--target-dir=/backup/data', `--socket=${SOCKET}`, '--user=rdsadmin']),
      `${admin}\n`,
    );
    await jail.run(['/usr/bin/mariadb-backup', '--no-defaults', '--prepare', '--target-dir=/backup/data', '--tmpdir=/backup/data']);
  },

  staleFiles: ['mysqld.sock', 'mariadbd.pid'],
};
