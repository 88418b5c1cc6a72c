/**
 * Network namespaces that faultline makes, and only those. Every name starts with `fl-<tag>-`,
 * where the tag names the faultline that owns it (owners.ts), so that two faultlines on one
 * machine never touch each other's namespaces, and any faultline can find those whose owner no
 * longer runs (cleanup.ts). Faultlines before the registry used a hash of the data directory as
 * the tag; such names have no owner on record.
 */
import { stat } from 'node:fs/promises';
import { run, sh, q } from './exec.ts';

export const nsPrefix = (tag: string) => `fl-${tag}-`;
export const nsPath = (name: string) => `/var/run/netns/${name}`;

/** The owner's tag in a namespace name that faultline made, or undefined for any other name. */
export const nsTagOf = (name: string) => /^fl-([0-9a-f]{6,8})-/.exec(name)?.[1];

export async function listNamespaces(prefix: string): Promise<string[]> {
  const out = await run('ip', ['netns', 'list'], { allowFail: true });
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(prefix));
}

/** The pids of the processes that run in a namespace. */
export async function namespacePids(name: string): Promise<number[]> {
  const out = await run('ip', ['netns', 'pids', name], { allowFail: true });
  return out.stdout.split('\n').filter(Boolean).map(Number);
}

/** When a namespace was made (its nsfs inode's change time), or undefined when it is gone. */
export async function namespaceCreatedAt(name: string): Promise<number | undefined> {
  return (await stat(nsPath(name)).catch(() => undefined))?.ctimeMs;
}

/** Kills whatever still runs in the namespace (unless `kill` is false), then deletes it (its veths go with it). */
export async function deleteNamespace(name: string, kill = true): Promise<void> {
  for (const pid of kill ? await namespacePids(name) : []) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await run('ip', ['netns', 'del', name], { allowFail: true });
}

/** Runs a command inside a namespace (nsenter keeps the mount namespace, unlike `ip netns exec`). */
export const inNamespace = (name: string, cmd: string[], input?: string) => run('nsenter', [`--net=${nsPath(name)}`, '--', ...cmd], { input });

/** Sets a link up or down inside a namespace: how a host's or a zone's network is cut. */
export const setLink = (ns: string, dev: string, up: boolean) => sh(`ip -n ${q(ns)} link set ${q(dev)} ${up ? 'up' : 'down'}`, { allowFail: true });
