/**
 * Removes what faultlines that no longer run left on this machine, whatever their data
 * directory: a faultline killed with SIGKILL leaves its network namespaces (their veths go with
 * them), its cgroup, mounts under its data directory (loop-mounted volume images) with their loop
 * devices, and its row in the owner registry (owners.ts). `faultline up` runs this before it
 * creates anything, and `faultline cleanup` on demand.
 *
 * An object is removed only when its owner is on record and no longer runs (for the probe
 * namespace `fl-probe-<pid>`, when that pid no longer runs). Objects of faultlines from before the
 * registry carry no owner (`fl-<hash>-…`); those are removed only when nothing runs in any object
 * of that tag and none is new (a running faultline always has its VPC agent in a namespace; a
 * boot in progress has just made its namespace), and otherwise reported and left.
 */
import { readdir, readFile } from 'node:fs/promises';
import { Clock } from '../core/clock.ts';
import { cleanGroup, listGroups } from './cgroups.ts';
import { run } from './exec.ts';
import { mountsUnder, thawDisk, unmountDisk } from './loop-volume.ts';
import { deleteNamespace, listNamespaces, namespaceCreatedAt, namespacePids, nsTagOf } from './netns.ts';
import { forgetOwner, isRunning, processStart, readOwners, stillRegistered, type OwnerRecord } from './owners.ts';

export interface CleanupReport {
  removed: string[];
  left: string[];
}

/** How long an object without an owner on record must exist before it may be taken for stale. */
const UNLABELLED_GRACE_MS = 60_000;

/** Whether the objects of a tag with no owner on record are stale: nothing runs in any, none is new. */
export function unlabelledStale(objects: { busy: boolean; createdAt: number }[], now: number): boolean {
  return objects.length > 0 && objects.every((o) => !o.busy && now - o.createdAt >= UNLABELLED_GRACE_MS);
}

/** Removes everything that belongs to no running faultline. `selfTag`: the caller's own registration, at its start. */
export async function removeStale(selfTag?: string): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], left: [] };
  const owners = readOwners();
  const running = owners.filter(isRunning);
  const all = await listNamespaces('fl-');
  // The probe for namespace support (driver.ts) is `fl-probe-<pid>`, deleted by that process at once.
  for (const name of all.filter((n) => /^fl-probe-\d+$/.test(n))) {
    const pid = Number(name.slice('fl-probe-'.length));
    if (processStart(pid) !== undefined) continue;
    await deleteNamespace(name, false);
    report.removed.push(`namespace ${name}, a probe of pid ${pid}, which no longer runs`);
  }
  const namespaces = all.filter((n) => nsTagOf(n));
  const groups = await listGroups();
  const tags = new Set([...owners.map((o) => o.tag), ...namespaces.map((n) => nsTagOf(n)!), ...groups.map((g) => g.group.slice('faultline-'.length))]);
  for (const tag of tags) {
    const owner = owners.find((o) => o.tag === tag);
    if (owner && running.includes(owner)) continue;
    const ns = namespaces.filter((n) => nsTagOf(n) === tag);
    const cg = groups.filter((g) => g.group === `faultline-${tag}`);
    // What lies under the data directory of a faultline that runs now is its own (the same
    // directory served again, or one nested in the dead one's); the caller's own start excepted.
    const live = running.filter((r) => r.tag !== selfTag).map((r) => r.dataDir);
    if (owner) await removeOwned(owner, ns, cg.map((g) => g.group), live, report);
    else await removeUnlabelled(tag, ns, cg, report);
  }
  return report;
}

async function removeOwned(owner: OwnerRecord, namespaces: string[], groups: string[], liveDataDirs: string[], report: CleanupReport): Promise<void> {
  const of = `of faultline pid ${owner.pid} (data directory ${owner.dataDir}), which no longer runs`;
  let complete = true;
  const live = (path: string) => liveDataDirs.some((d) => path === d || path.startsWith(`${d}/`));
  // Disks frozen by a paused volume first: what blocks on them cannot die, so neither could its cgroup go.
  for (const at of (await mountsUnder(owner.dataDir)).filter((m) => !live(m))) await thawDisk(at);
  for (const name of namespaces) {
    // Another cleaner may have finished with this owner meanwhile.
    if (!stillRegistered(owner)) return;
    await deleteNamespace(name);
    if ((await namespaceCreatedAt(name)) === undefined) report.removed.push(`namespace ${name} ${of}`);
    else complete = false;
  }
  for (const group of groups) if (await cleanGroup(group)) report.removed.push(`cgroup ${group} ${of}`);
  for (const at of (await mountsUnder(owner.dataDir)).filter((m) => !live(m))) {
    if (await unmountDisk(at)) report.removed.push(`mount ${at} ${of}`);
    else complete = false;
  }
  for (const loop of (await loopsBackedUnder(owner.dataDir)).filter((l) => !live(l.file))) {
    if ((await run('losetup', ['-d', loop.device], { allowFail: true })).code === 0) report.removed.push(`loop device ${loop.device} (${loop.file}) ${of}`);
    else complete = false;
  }
  if (!complete) return void report.left.push(`objects ${of}: some could not be removed; the next clean-up tries again`);
  forgetOwner(owner);
  report.removed.push(`owner record ${owner.tag} ${of}`);
}

async function removeUnlabelled(tag: string, namespaces: string[], groups: { group: string; procs: number; createdAt: number }[], report: CleanupReport): Promise<void> {
  const now = Clock.wallNow();
  const objects = groups.map((g) => ({ busy: g.procs > 0, createdAt: g.createdAt }));
  for (const name of namespaces) objects.push({ busy: (await namespacePids(name)).length > 0, createdAt: (await namespaceCreatedAt(name)) ?? 0 });
  const names = [...namespaces.map((n) => `namespace ${n}`), ...groups.map((g) => `cgroup ${g.group}`)].join(', ');
  if (!unlabelledStale(objects, now)) {
    return void report.left.push(`${names}: made by a faultline with no owner on record (an older version), and in use or less than a minute old`);
  }
  for (const name of namespaces) {
    // Check again right before: a faultline of the older version on the same data directory
    // reuses these names, and never kill what runs in a namespace whose owner is unknown.
    const created = await namespaceCreatedAt(name);
    if (created === undefined || now - created < UNLABELLED_GRACE_MS || (await namespacePids(name)).length > 0) continue;
    await deleteNamespace(name, false);
    report.removed.push(`namespace ${name}, made by a faultline with no owner on record, unused`);
  }
  for (const g of groups) if (await cleanGroup(g.group, false)) report.removed.push(`cgroup ${g.group}, made by a faultline with no owner on record, unused`);
}

/** Loop devices whose backing file is under `dir` (the file may have been deleted with its directory). */
async function loopsBackedUnder(dir: string): Promise<{ device: string; file: string }[]> {
  const out: { device: string; file: string }[] = [];
  for (const dev of (await readdir('/sys/block').catch(() => [] as string[])).filter((d) => /^loop\d+$/.test(d))) {
    const file = (await readFile(`/sys/block/${dev}/loop/backing_file`, 'utf8').catch(() => '')).trim().replace(/ \(deleted\)$/, '');
    if (file.startsWith(dir + '/')) out.push({ device: `/dev/${dev}`, file });
  }
  return out;
}
