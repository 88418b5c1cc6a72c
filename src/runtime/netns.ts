/**
 * Network namespaces that faultline makes, and only those. Every name starts with
 * `fl-<tag>-`, where the tag comes from the data directory, so that two faultlines on one
 * machine (two test files in parallel) never touch each other's namespaces, and a restart after
 * a crash finds and removes exactly the ones its previous run left.
 */
import { createHash } from 'node:crypto';
import { run, sh, q } from './exec.ts';

export const nsTag = (dataDir: string) => createHash('sha256').update(dataDir).digest('hex').slice(0, 6);

export const nsPrefix = (tag: string) => `fl-${tag}-`;
export const nsPath = (name: string) => `/var/run/netns/${name}`;

export async function listNamespaces(prefix: string): Promise<string[]> {
  const out = await run('ip', ['netns', 'list'], { allowFail: true });
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(prefix));
}

/** Kills whatever still runs in the namespace, then deletes it (its veths go with it). */
export async function deleteNamespace(name: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', name], { allowFail: true });
  for (const pid of pids.stdout.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
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
