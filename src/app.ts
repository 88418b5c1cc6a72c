/**
 * Wires one faultline: the store and clock under a data directory, the scheduler with every
 * service's loops, and the gateway. The CLI and the tests both start faultline through here.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Clock, type ClockMode } from './core/clock.ts';
import { EventLog } from './core/events.ts';
import { Scheduler } from './core/scheduler.ts';
import { Store } from './core/store.ts';
import { createGateway, type Gateway } from './gateway/server.ts';
import { services } from './services/index.ts';
import type { Env } from './services/service.ts';
import { defaultConfig, parsePublicIpPool, type Config } from './config.ts';
import { seedWorld } from './world/state.ts';
import { endInterruptedDrills } from './drills/drills.ts';
import { FAULT_EXPIRY_LOOP, faultExpiryLoop } from './world/faults.ts';
import type { ComputeDriver, DriverName } from './runtime/driver.ts';
import { SimulatedDriver } from './runtime/simulated.driver.ts';
import { SandboxDriver } from './runtime/sandbox.driver.ts';
import { API_URL } from './runtime/vpc-network.ts';
import { claimOwner, type Owner } from './runtime/owners.ts';
import { DnsServer } from './runtime/dns-server.ts';
import type { RequestLog } from './gateway/request-log.ts';

export interface AppOptions {
  dataDir: string;
  clock?: ClockMode;
  timeScale?: number;
  config?: Partial<Config>;
  log?: (msg: string) => void;
  /** Logs every API request (`faultline up --log-level`); unset, none is logged. */
  requestLog?: RequestLog;
  /** The compute driver: `simulated` (the default) or `sandbox` (real processes; Linux, root). */
  driver?: DriverName;
  /** Serve DNS for the host on 127.0.0.1 at this port (0: any free one); unset, no host DNS server. */
  dnsPort?: number;
  /** When `dnsPort` is taken (another faultline has the default), take any free port instead of failing. */
  dnsPortFallback?: boolean;
}

export interface App {
  env: Env;
  gateway: Gateway;
  driver: ComputeDriver;
  /** Answers DNS: the host's server once it listens (`dnsPort`), and every VPC's Amazon resolver. */
  dns: DnsServer;
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

const CLOCK_KEY = 'clock.now';
const POOL_KEY = 'publicIpPool';

export function createApp(opts: AppOptions): App {
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const config = { ...defaultConfig(), ...opts.config };
  config.publicIpPool = parsePublicIpPool(config.publicIpPool);
  const store = new Store(join(opts.dataDir, 'faultline.db'));
  // A sandbox faultline's public IPs are real local addresses: it registers as an owner on this
  // machine, with a pool that no other running faultline holds, preferring the one it used before.
  let owner: Owner | undefined;
  try {
    if (opts.driver === 'sandbox') owner = claimOwner({ dataDir: realpathSync(opts.dataDir), pool: opts.config?.publicIpPool, previousPool: store.getMeta(POOL_KEY) });
  } catch (e) {
    store.close();
    throw e;
  }
  if (owner) {
    config.publicIpPool = owner.pool;
    store.setMeta(POOL_KEY, owner.pool);
    for (const note of owner.notes) log(`faultline: ${note}`);
  }
  const saved = Number(store.getMeta(CLOCK_KEY));
  const mode = opts.clock ?? (opts.timeScale && opts.timeScale !== 1 ? 'scaled' : 'real');
  // Cloud time never runs backwards across restarts of a scaled or manual clock.
  const start = mode === 'real' ? undefined : Number.isFinite(saved) && saved > 0 ? saved : undefined;
  const clock = new Clock({ mode, scale: opts.timeScale, start });
  const scheduler = new Scheduler(store, clock, log);
  const events = new EventLog(store, clock);
  const env: Env = { store, clock, scheduler, events, config };
  for (const svc of services) {
    for (const [name, loop] of Object.entries(svc.loops?.(env) ?? {})) scheduler.register(name, loop);
  }
  scheduler.register(FAULT_EXPIRY_LOOP, faultExpiryLoop(env));
  seedWorld(env);
  endInterruptedDrills(env);
  const gateway = createGateway(env, services, log, opts.requestLog);
  const dns = new DnsServer(env);
  // Instances' own API calls arrive through their VPC's agent, as connections that the gateway
  // marks as theirs: they reach the AWS API, never the control API.
  const driver: ComputeDriver =
    opts.driver === 'sandbox'
      ? new SandboxDriver(env, { owner: owner!, log, dns, onApiConnection: (socket, origin) => gateway.acceptFromInstance(socket, origin) })
      : new SimulatedDriver();
  if (driver.name === 'sandbox') env.instanceEndpoint = API_URL;
  env.runtime = driver;
  const saveClock = () => store.setMeta(CLOCK_KEY, String(clock.now()));
  const unwatch = clock.onChange(saveClock);
  const clockSaver = setInterval(saveClock, 1000);
  clockSaver.unref();

  return {
    env,
    gateway,
    driver,
    dns,
    async listen(port, host) {
      if (opts.dnsPort !== undefined) {
        await dns.listen(opts.dnsPort, '127.0.0.1').catch((e: NodeJS.ErrnoException) => {
          if (!opts.dnsPortFallback || e.code !== 'EADDRINUSE') throw new Error(`DNS port ${opts.dnsPort} on 127.0.0.1: ${e.message}`);
          log(`faultline: DNS port ${opts.dnsPort} is taken; DNS answers on another port`);
          return dns.listen(0, '127.0.0.1');
        });
      }
      return new Promise((resolve, reject) => {
        gateway.server.once('error', reject);
        const started = driver.start();
        gateway.server.listen(port, host, () => {
          const addr = gateway.server.address() as AddressInfo;
          env.endpoint = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${addr.port}`;
          scheduler.start();
          started.then(() => resolve(addr), reject);
        });
      });
    },
    async close() {
      scheduler.stop();
      await dns.close();
      await driver.close();
      clearInterval(clockSaver);
      unwatch();
      saveClock();
      gateway.server.closeAllConnections();
      await new Promise<void>((r) => gateway.server.close(() => r()));
      store.close();
    },
  };
}
