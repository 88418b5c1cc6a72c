/**
 * What faultline puts inside every sandbox: its stand-in for cloud-init (the init script), the
 * commands that let an instance power itself off, and the AWS CLI; the CloudFormation helper
 * scripts (cfn-init, cfn-signal, cfn-get-metadata in /opt/aws/bin, as on Amazon Linux) and the
 * offline stand-ins that they and the book's user data use (yum and dnf, service, chkconfig,
 * systemctl, an httpd), all kept in guest-files/; plus the base image, the root volume that
 * Amazon's built-in AMIs start from.
 *
 * The base image takes /usr from the host, read-only, and gives the instance a small /etc of its
 * own (users, name service, TLS roots, alternatives): a whitelist, so that no host secret (shadow
 * files, SSH keys) ever lands in an image.
 */
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.ts';
import { captureTree } from './volumes.store.ts';
import { seccompFilter } from './seccomp.ts';
import type { SnapshotStore } from './snapshots.store.ts';

/** The snapshot id of the base image's root volume (behind every built-in AMI). */
export const BASE_SNAPSHOT = 'base-v1';

/** Directories of the root volume, each mounted at the same path in the instance. */
export const PERSISTENT_DIRS = ['var', 'etc', 'home', 'root', 'opt', 'srv', 'usr/local'];

const ETC_WHITELIST = [
  'passwd', 'group', 'nsswitch.conf', 'host.conf', 'gai.conf', 'protocols', 'services', 'networks', 'mime.types', 'ethertypes',
  'ld.so.conf', 'ld.so.conf.d', 'ld.so.cache', 'alternatives', 'ssl/certs', 'ca-certificates', 'ca-certificates.conf',
  'profile', 'bash.bashrc', 'inputrc', 'shells', 'login.defs', 'localtime', 'timezone', 'debian_version', 'os-release',
  'python3', 'python3.11', 'skel', 'magic', 'magic.mime', 'terminfo', 'environment',
];

/** The helper scripts and stand-ins, as files (scripts/build.mjs copies them beside the bundle). */
const GUEST_FILES = fileURLToPath(new URL('./guest-files/', import.meta.url));
/** Its directories whose files are commands. */
const EXECUTABLE_DIRS = ['bin', 'aws/bin', 'libexec'];

/**
 * cloud-init, reduced to what the chapter needs: user data once per instance, per-boot scripts
 * every boot; and the rest of an Amazon Linux boot that the book relies on: the helper scripts in
 * /opt/aws/bin (links into /run/faultline, so that they are always this faultline's), and the
 * services that chkconfig enabled, started in runlevel 3 before cloud-init's scripts run.
 */
const INIT = `#!/bin/sh
# faultline's cloud-init stand-in. Runs as the instance's init; its output is the console output.
echo $$ > /run/faultline-init.pid
IID=$(cat /run/faultline-instance/instance-id)
log() { echo "cloud-init[faultline]: $*"; }
log "boot of $IID ($(hostname)) at $(cat /run/faultline-instance/boot-time)"
# DHCP's part: the VPC's Amazon-provided DNS server.
[ -f /run/faultline-instance/resolv.conf ] && cat /run/faultline-instance/resolv.conf > /etc/resolv.conf
mkdir -p /var/lib/cloud/instances/$IID/sem /var/lib/cloud/scripts/per-boot /var/lib/cloud/scripts/per-instance /var/lib/cloud/scripts/per-once
ln -sfn /var/lib/cloud/instances/$IID /var/lib/cloud/instance
mkdir -p /opt/aws/bin
for f in /run/faultline/aws/bin/*; do ln -sfn "$f" /opt/aws/bin/; done
for s in /etc/rc3.d/S*; do
  [ -x "$s" ] && { log "starting service $(basename "$s" | sed 's/^S[0-9]*//')"; "$s" start; }
done
UD=/run/faultline-instance/user-data
# cloud-init's order: per-boot scripts, then (first boot of this instance only) the user data.
for s in /var/lib/cloud/scripts/per-boot/*; do
  [ -f "$s" ] && [ -x "$s" ] && { log "running per-boot $s"; (cd / && "$s"); }
done
if [ ! -e /var/lib/cloud/instances/$IID/sem/config_scripts_user ]; then
  if [ -s $UD ]; then
    cp $UD /var/lib/cloud/instance/user-data.txt
    if [ "$(head -c 2 $UD)" = "#!" ]; then
      mkdir -p /var/lib/cloud/instance/scripts
      cp $UD /var/lib/cloud/instance/scripts/part-001
      chmod 700 /var/lib/cloud/instance/scripts/part-001
      log "running user data"
      (cd / && /var/lib/cloud/instance/scripts/part-001)
      log "user data exited with $?"
    else
      log "user data is not a #! script; faultline runs scripts only"
    fi
  fi
  touch /var/lib/cloud/instances/$IID/sem/config_scripts_user
fi
log "finished"
trap 'log "power off"; exit 0' TERM
while :; do sleep 3600 & wait $!; done
`;

const POWEROFF = `#!/bin/sh
# The instance shuts itself down: faultline's init exits, and EC2 follows InstanceInitiatedShutdownBehavior.
kill -TERM "$(cat /run/faultline-init.pid)"
`;

export interface GuestFiles {
  dir: string;
  /** Host directories to bind read-only at the same path (the AWS CLI's Python prefix). */
  binds: string[];
  awsCli?: string;
  /** The seccomp filter's BPF program (seccomp.ts); undefined on an architecture it has no table for. */
  seccomp?: string;
}

/** Finds the AWS CLI: the host's /usr/bin/aws, or the real script behind a pyenv shim. */
async function findAwsCli(): Promise<{ path: string; prefix?: string } | undefined> {
  if (await lstat('/usr/bin/aws').catch(() => undefined)) return { path: '/usr/bin/aws' };
  const which = await run('sh', ['-c', 'command -v aws'], { allowFail: true });
  let path = which.stdout.trim();
  if (!path) return undefined;
  const text = await readFile(path, 'utf8').catch(() => '');
  if (text.includes('pyenv')) {
    const real = await run('sh', ['-c', `PYENV_VERSION=$(pyenv version-name 2>/dev/null) pyenv which aws`], { allowFail: true });
    path = real.stdout.trim();
    if (!path) return undefined;
  }
  // A script under <prefix>/bin whose interpreter lives in the same prefix: bind the prefix.
  const prefix = dirname(dirname(path));
  return prefix.startsWith('/usr') ? { path } : { path, prefix };
}

/**
 * Writes the guest files to `dir`, built aside and renamed into place, so that no sandbox ever
 * binds a directory half written or being deleted.
 */
export async function writeGuestFiles(dir: string): Promise<GuestFiles> {
  const aside = await mkdtemp(`${dir}.tmp-`);
  try {
    await cp(GUEST_FILES, aside, { recursive: true });
    for (const d of EXECUTABLE_DIRS) for (const f of await readdir(join(aside, d))) await chmod(join(aside, d, f), 0o755);
    await symlink('yum', join(aside, 'bin', 'dnf'));
    await writeFile(join(aside, 'init'), INIT, { mode: 0o755 });
    for (const cmd of ['poweroff', 'shutdown', 'halt']) await writeFile(join(aside, 'bin', cmd), POWEROFF, { mode: 0o755 });
    const aws = await findAwsCli();
    const binds: string[] = [];
    if (aws) {
      if (aws.prefix) binds.push(aws.prefix);
      if (aws.path !== '/usr/bin/aws') await symlink(aws.path, join(aside, 'bin', 'aws'));
    }
    const filter = seccompFilter();
    if (filter) await writeFile(join(aside, 'seccomp.bpf'), filter, { mode: 0o644 });
    await chmod(aside, 0o755);
    await rm(dir, { recursive: true, force: true });
    await rename(aside, dir);
    return { dir, binds, awsCli: aws?.path, seccomp: filter ? join(dir, 'seccomp.bpf') : undefined };
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}

/**
 * Builds the base image's root volume snapshot once (kept in the snapshot store). The tree is
 * staged in a directory of its own next to `staging`, and the snapshot exists only once its
 * manifest is written (atomically), so two builds never meet and a crash leaves no half image.
 */
export async function ensureBaseImage(snapshots: SnapshotStore, staging: string): Promise<void> {
  if (await snapshots.has(BASE_SNAPSHOT)) return;
  const dir = await mkdtemp(`${staging}-`);
  try {
    for (const d of PERSISTENT_DIRS) await mkdir(join(dir, d), { recursive: true });
    for (const d of ['var/lib/cloud', 'var/log', 'var/tmp', 'root', 'etc/profile.d']) await mkdir(join(dir, d), { recursive: true });
    await chmod(join(dir, 'root'), 0o700);
    await chmod(join(dir, 'var/tmp'), 0o1777);
    for (const name of ETC_WHITELIST) {
      const src = join('/etc', name);
      if (!(await lstat(src).catch(() => undefined))) continue;
      await mkdir(dirname(join(dir, 'etc', name)), { recursive: true });
      await cp(src, join(dir, 'etc', name), { recursive: true, verbatimSymlinks: true, errorOnExist: false, force: true });
    }
    await writeFile(join(dir, 'etc/hosts'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
    await writeFile(join(dir, 'etc/resolv.conf'), '# faultline: instances have no DNS server\n');
    await writeFile(join(dir, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    const entries = await captureTree(snapshots, dir, [], {}, false);
    await snapshots.writeManifest({ id: BASE_SNAPSHOT, entries });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
