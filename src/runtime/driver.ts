/**
 * The compute-driver interface (DESIGN principle 6) and the choice between drivers.
 *
 * A driver makes the world's machines real. It sits outside the store's transactions: the API
 * handlers and clock loops only write records, and the driver, a level-triggered reconciler,
 * reads them and makes processes, namespaces, volumes and endpoints match.
 *  - `simulated`: nothing is real; instances are records (scale, fast deterministic tests).
 *  - `sandbox`: on Linux as root, each running instance is a bubblewrap sandbox in its VPC's
 *    network namespaces, with its volumes as real storage (sandbox.driver.ts).
 */
import type { Scope } from '../core/store.ts';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.ts';

export type DriverName = 'simulated' | 'sandbox';

/**
 * How many instances this machine holds under a driver that runs them for real. Instances that
 * are pending, running, stopping or shutting down count (they hold, or are about to hold, a
 * sandbox); EC2 refuses a launch beyond either limit with InsufficientInstanceCapacity.
 */
export interface MachineCapacity {
  /** At most this many instances at once. */
  instances: number;
  /** The instances' memory (each its type's) adds up to at most this; unset with --max-instances. */
  memoryMiB?: number;
  /** One line for `faultline up`: the limit and where it comes from. */
  summary: string;
}

export interface ComputeDriver {
  readonly name: DriverName;
  start(): Promise<void>;
  /** Stops every sandbox and leaves nothing behind (namespaces, cgroups, listeners). */
  close(): Promise<void>;
  /** The real console output of an instance, if it has run under this driver. */
  consoleOutput(scope: Scope, instanceId: string): string | undefined;
  /** Resolves once the world matches the records as of now (tests and benchmarks). */
  settle(): Promise<void>;
  /** The machine's limit, or undefined when nothing runs for real (no limit). */
  capacity(): MachineCapacity | undefined;
}

/** Why this host cannot run the sandbox driver, or undefined when it can. */
export async function sandboxUnsupported(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `the sandbox driver needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the sandbox driver needs root (network namespaces and bubblewrap with namespaces)';
  // Whether a command is installed is a look along the PATH; spawning each with --version was
  // most of `faultline up`'s start-up. Only namespaces need a real try.
  const installed = (cmd: string) =>
    (process.env.PATH ?? '').split(':').some((dir) => {
      try {
        accessSync(join(dir || '.', cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  const [bwrap, nft, nsenter, unshare, setpriv, python3] = ['bwrap', 'nft', 'nsenter', 'unshare', 'setpriv', 'python3'].map(installed);
  const probe = `fl-probe-${process.pid}`;
  const netns = (await run('ip', ['netns', 'add', probe], { allowFail: true }).catch(() => ({ code: 127 }))).code === 0;
  await run('ip', ['netns', 'del', probe], { allowFail: true }).catch(() => {});
  if (!bwrap) return 'bubblewrap is not installed (apt-get install -y bubblewrap)';
  if (!nft) return 'nftables is not installed (apt-get install -y nftables)';
  if (!nsenter || !unshare || !setpriv) return 'util-linux nsenter/unshare/setpriv are missing';
  if (!python3) return 'python3 is missing (snapshots read overlay attributes with it)';
  if (!netns) return '`ip netns add` does not work here (iproute2 missing or no CAP_SYS_ADMIN)';
  return undefined;
}
