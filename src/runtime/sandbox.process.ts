/**
 * One boot of one instance: its volumes' overlays mounted in a private mount namespace (so they
 * vanish with the sandbox, even if faultline is killed), then bubblewrap, inside the instance's
 * network namespace, with its own PID, UTS (hostname ip-10-0-1-5), IPC and mount namespaces.
 *
 * Inside: the host's /usr read-only, the root volume at /var /etc /home /root /opt /srv
 * /usr/local, other EBS volumes at /mnt/<device> (e.g. /mnt/sdf), and tmpfs at /tmp, /run and
 * /media/ephemeral0 (instance store), so those are gone after any stop, recovery or replacement.
 * Its output is appended to the console log, which GetConsoleOutput returns.
 *
 * What keeps an instance, which runs as root, off host-wide state:
 *  - /proc/sys is read-only: kernel.*, vm.*, fs.* are the host's. Only /proc/sys/net is writable,
 *    and it shows the instance's own network namespace: the kernel hides the host-wide net
 *    settings from any namespace but the host's, or shows them read-only (nf_conntrack_max).
 *    /proc/sysrq-trigger is read-only too where the kernel has it (bwrap covers /proc/irq and
 *    /proc/bus). /sys is absent; /dev holds only null, zero, full, random, urandom, tty and a
 *    private devpts.
 *  - Capabilities: only what a root user needs to manage its own files and services (CAPS).
 *    Nothing to mount, administer the network, load modules, trace, make devices or change
 *    kernel settings. setpriv also trims the bounding set to CAPS, and no_new_privs (set by
 *    bwrap) keeps any exec (setuid or file capabilities) from gaining more.
 *  - A seccomp filter (seccomp.ts) refuses what is left reachable without a capability: the
 *    kernel keyrings (root's user keyring is shared with the host's root) and new user namespaces.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { q, start, type Started } from './exec.ts';
import { nsPath } from './netns.ts';
import { PERSISTENT_DIRS } from './guest.ts';

export interface SandboxSpec {
  instanceId: string;
  hostname: string;
  netns: string;
  /** Per-instance directory on the host: mount points, console log, instance files. */
  dir: string;
  guestDir: string;
  guestBinds: string[];
  /** The seccomp filter's BPF program, given to bwrap on an open file descriptor. */
  seccomp?: string;
  /** Overlay layers per volume; the root volume has device '' (mounted at the persistent dirs). */
  volumes: { device: string; lower: string; upper: string; work: string; root: boolean }[];
  cgroupProcs: string[];
  env: Record<string, string>;
}

/**
 * The capabilities an instance's root keeps: own files whatever their owner and mode (chown,
 * dac_override, fowner, fsetid: package installs, useradd), run services as other users (setuid,
 * setgid), signal its own processes (kill: the PID namespace holds only them) and bind ports
 * below 1024.
 */
const CAPS = ['chown', 'dac_override', 'fowner', 'fsetid', 'setuid', 'setgid', 'kill', 'net_bind_service'];
/** setpriv's list form: every capability dropped, then CAPS added back. */
const CAP_LIST = ['-all', ...CAPS.map((c) => `+${c}`)].join(',');

export class SandboxProcess {
  private child: Started | undefined;
  readonly exited: Promise<number | null>;
  private resolveExit!: (code: number | null) => void;
  expectedExit = false;

  constructor(readonly spec: SandboxSpec) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const s = this.spec;
    const mnt = join(s.dir, 'mnt');
    const mounts: string[] = [];
    const binds: string[] = [];
    for (const v of s.volumes) {
      const at = join(mnt, v.root ? 'root' : v.device.replace(/^\/dev\//, ''));
      await mkdir(at, { recursive: true });
      mounts.push(`mount -t overlay overlay -o ${q(`lowerdir=${v.lower},upperdir=${v.upper},workdir=${v.work},redirect_dir=off,metacopy=off,index=off,xino=off`)} ${q(at)}`);
      if (v.root) {
        for (const d of PERSISTENT_DIRS) {
          mounts.push(`mkdir -p ${q(join(at, d))}`);
          binds.push('--bind', join(at, d), `/${d}`);
        }
      } else binds.push('--bind', at, `/mnt/${v.device.replace(/^\/dev\//, '')}`);
    }
    const args = [
      '--die-with-parent', '--new-session', '--unshare-pid', '--unshare-uts', '--unshare-ipc', '--unshare-cgroup-try',
      '--hostname', s.hostname,
      '--ro-bind', '/usr', '/usr',
      '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/sbin', '/sbin',
      '--dev', '/dev', '--proc', '/proc',
      // Host-wide kernel settings read-only, the instance's own network namespace's settings writable.
      '--ro-bind', '/proc/sys', '/proc/sys', '--bind', '/proc/sys/net', '/proc/sys/net', '--ro-bind-try', '/proc/sysrq-trigger', '/proc/sysrq-trigger',
      '--tmpfs', '/tmp', '--tmpfs', '/run', '--tmpfs', '/media/ephemeral0',
      ...binds,
      '--ro-bind', s.guestDir, '/run/faultline',
      '--ro-bind', join(s.dir, 'instance'), '/run/faultline-instance',
      ...s.guestBinds.flatMap((b) => ['--ro-bind', b, b]),
      '--clearenv',
      ...Object.entries(s.env).flatMap(([k, v]) => ['--setenv', k, v]),
      '--chdir', '/',
      ...(s.seccomp ? ['--seccomp', '3'] : []),
      // bwrap keeps the full bounding set when run by root: setpriv (which needs setpcap for
      // that) trims it to CAPS, and drops setpcap itself, before the instance's init starts.
      '--cap-drop', 'ALL', ...[...CAPS, 'setpcap'].flatMap((c) => ['--cap-add', `CAP_${c.toUpperCase()}`]),
      '/usr/bin/setpriv', '--bounding-set', CAP_LIST, '--inh-caps', CAP_LIST, '--ambient-caps', CAP_LIST, '--',
      '/bin/sh', '/run/faultline/init',
    ];
    const script = [
      'set -e',
      // Join the instance's cgroups first, so that everything it starts is limited and frozen with it.
      ...s.cgroupProcs.map((f) => `echo $$ > ${q(f)}`),
      ...mounts,
      `exec nsenter --net=${q(nsPath(s.netns))} -- bwrap ${args.map(q).join(' ')}${s.seccomp ? ` 3< ${q(s.seccomp)}` : ''}`,
    ].join('\n');
    await mkdir(s.dir, { recursive: true });
    const child = await start('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', script], join(s.dir, 'console.log'));
    this.child = child;
    void child.exited.then((code) => this.resolveExit(code));
  }

  /** Kills every process of the sandbox (all of them live in its network namespace and its PID namespace). */
  async kill(): Promise<void> {
    this.expectedExit = true;
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
