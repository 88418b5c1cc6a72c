/**
 * CPU and memory limits for an instance's processes, the freezer that stops them in place (a
 * failed instance or host), and the CPU counter that CPUUtilization comes from. cgroup v2 is used
 * where the host delegates it, else the v1 controllers; where neither is writable the limits are
 * skipped with a logged reason and freezing falls back to SIGSTOP on the namespace's processes.
 */
import { access, mkdir, readdir, readFile, rmdir, stat, writeFile, constants } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
const V1 = ['cpu', 'cpuacct', 'memory', 'freezer', 'pids'];

export type CgroupMode = { kind: 'v1' | 'v2' } | { kind: 'none'; reason: string };

export async function detectCgroups(): Promise<CgroupMode> {
  const writable = (p: string) => access(p, constants.W_OK).then(() => true, () => false);
  if (await writable(join(ROOT, 'cgroup.subtree_control'))) {
    const controllers = await readFile(join(ROOT, 'cgroup.controllers'), 'utf8').catch(() => '');
    if (controllers.includes('cpu') && controllers.includes('memory')) return { kind: 'v2' };
    return { kind: 'none', reason: 'cgroup v2 without the cpu and memory controllers delegated' };
  }
  if ((await writable(join(ROOT, 'freezer'))) && (await writable(join(ROOT, 'cpu'))) && (await writable(join(ROOT, 'memory')))) return { kind: 'v1' };
  return { kind: 'none', reason: 'no writable cgroup hierarchy (neither v2 delegation nor v1 cpu/memory/freezer)' };
}

/**
 * The most processes and threads an instance may have: one per 2 MiB of its memory, from 256 (a
 * t2.nano) up to 4,096 (8 GiB and more). Real processes need far more than 2 MiB each, so a
 * workload meets its memory limit first; a fork bomb meets this one, and eight of the largest
 * instances together stay within the kernel's default pid_max (32,768).
 */
export const pidsMax = (memoryMiB: number) => Math.min(4096, Math.max(256, Math.floor(memoryMiB / 2)));

/** Why instances get no process limit here, or undefined when the pids controller is usable. */
export async function pidsLimitMissing(mode: CgroupMode): Promise<string | undefined> {
  if (mode.kind === 'none') return mode.reason;
  if (mode.kind === 'v2') {
    const controllers = await readFile(join(ROOT, 'cgroup.controllers'), 'utf8').catch(() => '');
    return /\bpids\b/.test(controllers) ? undefined : 'cgroup v2 without the pids controller';
  }
  return (await access(join(ROOT, 'pids'), constants.W_OK).then(() => true, () => false)) ? undefined : 'no writable cgroup v1 pids controller';
}

export class Cgroup {
  constructor(
    private mode: CgroupMode,
    private group: string,
    readonly name: string,
  ) {}

  private dirs(): string[] {
    if (this.mode.kind === 'v2') return [join(ROOT, this.group, this.name)];
    if (this.mode.kind === 'v1') return V1.map((c) => join(ROOT, c, this.group, this.name));
    return [];
  }

  /** The files a process writes its pid into to join (before it execs the sandbox). */
  procsFiles(): string[] {
    return this.dirs().map((d) => join(d, 'cgroup.procs'));
  }

  /** Limits the group to the instance type's CPUs, memory and process count (pidsMax). */
  async create(vcpus: number, memoryMiB: number): Promise<void> {
    const pids = String(pidsMax(memoryMiB));
    if (this.mode.kind === 'v2') {
      const parent = join(ROOT, this.group);
      await mkdir(parent, { recursive: true });
      // One controller per write: a host that lacks one (pids) still gets the others.
      for (const c of ['+cpu', '+memory', '+pids']) {
        await writeFile(join(ROOT, 'cgroup.subtree_control'), c).catch(() => {});
        await writeFile(join(parent, 'cgroup.subtree_control'), c).catch(() => {});
      }
      const d = this.dirs()[0];
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'cpu.max'), `${vcpus * 100000} 100000`).catch(() => {});
      await writeFile(join(d, 'memory.max'), String(memoryMiB * 1024 * 1024)).catch(() => {});
      await writeFile(join(d, 'pids.max'), pids).catch(() => {});
    } else if (this.mode.kind === 'v1') {
      for (const d of this.dirs()) await mkdir(d, { recursive: true });
      const [cpu, , memory, , pidsDir] = this.dirs();
      await writeFile(join(cpu, 'cpu.cfs_period_us'), '100000').catch(() => {});
      await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(vcpus * 100000)).catch(() => {});
      await writeFile(join(memory, 'memory.limit_in_bytes'), String(memoryMiB * 1024 * 1024)).catch(() => {});
      await writeFile(join(pidsDir, 'pids.max'), pids).catch(() => {});
    }
  }

  /** Freezes or thaws every process; false when there is no freezer (the caller falls back). */
  async freeze(frozen: boolean): Promise<boolean> {
    if (this.mode.kind === 'v2') return writeFile(join(this.dirs()[0], 'cgroup.freeze'), frozen ? '1' : '0').then(() => true, () => false);
    if (this.mode.kind === 'v1') return writeFile(join(this.dirs()[3], 'freezer.state'), frozen ? 'FROZEN' : 'THAWED').then(() => true, () => false);
    return false;
  }

  /** CPU time used, in nanoseconds. */
  async cpuNanos(): Promise<number | undefined> {
    if (this.mode.kind === 'v2') {
      const s = await readFile(join(this.dirs()[0], 'cpu.stat'), 'utf8').catch(() => '');
      const m = /usage_usec (\d+)/.exec(s);
      return m ? Number(m[1]) * 1000 : undefined;
    }
    if (this.mode.kind === 'v1') {
      const s = await readFile(join(this.dirs()[1], 'cpuacct.usage'), 'utf8').catch(() => '');
      return s ? Number(s.trim()) : undefined;
    }
    return undefined;
  }

  async remove(): Promise<void> {
    if (this.mode.kind === 'v1') for (const d of this.dirs()) await writeFile(join(d, 'freezer.state'), 'THAWED').catch(() => {});
    for (const d of this.dirs()) await rmdir(d).catch(() => {});
  }
}

/** Where a group can be: under the v2 root, or under each v1 controller. */
const parentsOf = (group: string) => [join(ROOT, group), ...V1.map((c) => join(ROOT, c, group))];

/** faultline's groups on this host (`faultline-<tag>`, v1 or v2), with their processes and age. */
export async function listGroups(): Promise<{ group: string; procs: number; createdAt: number }[]> {
  const found = new Map<string, { procs: number; createdAt: number }>();
  for (const root of [ROOT, ...V1.map((c) => join(ROOT, c))]) {
    for (const group of (await readdir(root).catch(() => [] as string[])).filter((n) => n.startsWith('faultline-'))) {
      const g = found.get(group) ?? { procs: 0, createdAt: 0 };
      for (const d of [join(root, group), ...(await subgroups(join(root, group)))]) {
        g.procs += (await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
        g.createdAt = Math.max(g.createdAt, (await stat(d).catch(() => undefined))?.ctimeMs ?? 0);
      }
      found.set(group, g);
    }
  }
  return [...found].map(([group, g]) => ({ group, ...g }));
}

async function subgroups(parent: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const d = join(parent, name);
    if (await access(join(d, 'cgroup.procs')).then(() => true, () => false)) out.push(d);
  }
  return out;
}

/**
 * Removes `group` wherever it is (v1 or v2): thaws and kills what runs in it, then deletes it.
 * With `kill` false, only the groups that nothing runs in go. True when something was removed.
 */
export async function cleanGroup(group: string, kill = true): Promise<boolean> {
  let removed = false;
  for (const parent of parentsOf(group)) {
    for (const d of await subgroups(parent)) {
      if (kill) {
        await writeFile(join(d, 'freezer.state'), 'THAWED').catch(() => {});
        await writeFile(join(d, 'cgroup.freeze'), '0').catch(() => {});
        const procs = await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '');
        for (const p of procs.split('\n').filter(Boolean)) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      // A killed process leaves its group a moment later.
      for (let i = 0; i < (kill ? 20 : 1); i++) {
        if (await rmdir(d).then(() => true, () => false)) {
          removed = true;
          break;
        }
        if (kill) await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (await rmdir(parent).then(() => true, () => false)) removed = true;
  }
  return removed;
}
