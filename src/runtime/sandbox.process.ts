/**
 * One boot of one instance: its volumes' overlays mounted in a private mount namespace (so they
 * vanish with the sandbox, even if faultline is killed), then bubblewrap, inside the instance's
 * network namespace, with its own PID, UTS (hostname ip-10-0-1-5), IPC and mount namespaces.
 *
 * Inside: the host's /usr read-only, the root volume at /var /etc /home /root /opt /srv
 * /usr/local, other EBS volumes at /mnt/<device> (e.g. /mnt/sdf), and tmpfs at /tmp, /run and
 * /media/ephemeral0 (instance store), so those are gone after any stop, recovery or replacement.
 * The process keeps only a few capabilities (no CAP_SYS_ADMIN, NET_ADMIN, MKNOD or PTRACE), so it
 * can neither remount what is read-only nor reach the host's devices. Its output is appended to
 * the console log, which GetConsoleOutput returns.
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
  /** Overlay layers per volume; the root volume has device '' (mounted at the persistent dirs). */
  volumes: { device: string; lower: string; upper: string; work: string; root: boolean }[];
  cgroupProcs: string[];
  env: Record<string, string>;
}

const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_SETUID', 'CAP_SETGID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETPCAP'];

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
      '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run', '--tmpfs', '/media/ephemeral0',
      ...binds,
      '--ro-bind', s.guestDir, '/run/faultline',
      '--ro-bind', join(s.dir, 'instance'), '/run/faultline-instance',
      ...s.guestBinds.flatMap((b) => ['--ro-bind', b, b]),
      '--clearenv',
      ...Object.entries(s.env).flatMap(([k, v]) => ['--setenv', k, v]),
      '--chdir', '/',
      '--cap-drop', 'ALL', ...CAPS.flatMap((c) => ['--cap-add', c]),
      '/bin/sh', '/run/faultline/init',
    ];
    const script = [
      'set -e',
      // Join the instance's cgroups first, so that everything it starts is limited and frozen with it.
      ...s.cgroupProcs.map((f) => `echo $$ > ${q(f)}`),
      ...mounts,
      `exec nsenter --net=${q(nsPath(s.netns))} -- bwrap ${args.map(q).join(' ')}`,
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
