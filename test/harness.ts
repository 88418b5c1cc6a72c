/**
 * Starts a real faultline for a test, in-process, on a free loopback port, with its own data
 * directory and (by default) a manual clock, and gives the test the real clients: the AWS CLI,
 * boto3 scripts and the SDK v3 configuration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../src/app.ts';
import type { Config } from '../src/config.ts';
import { awsCli, pythonScript } from './clients.ts';

export interface Faultline {
  app: App;
  url: string;
  dataDir: string;
  /** Environment for child processes (AWS CLI, boto3, Terraform) pointing at this faultline. */
  clientEnv: NodeJS.ProcessEnv;
  /** Configuration for SDK v3 clients. */
  sdk: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** Steps the manual clock. */
  advance(seconds: number): void;
  /** Runs the AWS CLI with `--output json` and returns the parsed output; throws with stderr on failure. */
  aws(...args: string[]): Promise<any>;
  /** Runs the AWS CLI and returns its exit code, stdout and stderr without throwing. */
  awsRaw(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs a Python script with boto3 available; `FAULTLINE_URL` is set. Returns stdout parsed as JSON. */
  python(script: string): Promise<any>;
  close(): Promise<void>;
}

export async function startFaultline(
  opts: { clock?: 'manual' | 'scaled'; timeScale?: number; config?: Partial<Config>; dataDir?: string; driver?: 'simulated' | 'sandbox'; log?: (m: string) => void } = {},
): Promise<Faultline> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'faultline-test-'));
  const app = createApp({
    dataDir,
    clock: opts.clock ?? 'manual',
    timeScale: opts.timeScale,
    // A sandbox faultline claims a public IP pool that no other running one holds (runtime/owners.ts).
    // Every response is checked against its operation's output shape in the model: one that does
    // not fit fails the request that returned it (InternalFailure), and says why on stderr.
    config: { checkResponseShapes: true, ...opts.config },
    driver: opts.driver,
    log: (m) => {
      opts.log?.(m);
      if (process.env.FAULTLINE_TEST_LOG || m.includes('does not fit the model')) process.stderr.write(m + '\n');
    },
  });
  // A start that fails (a sandbox driver that cannot set up, say) must not leave the app running:
  // the test has no handle to close it, and its process would never end.
  const addr = await app.listen(0, '127.0.0.1').catch(async (e: unknown) => {
    await app.close().catch(() => {});
    throw e;
  });
  const url = `http://127.0.0.1:${addr.port}`;
  const clientEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: url,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
    FAULTLINE_URL: url,
  };
  const awsRaw = (...args: string[]) => awsCli(['--endpoint-url', url, '--output', 'json', ...args], clientEnv);
  return {
    app,
    url,
    dataDir,
    clientEnv,
    sdk: { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    advance(seconds) {
      app.env.scheduler.advanceTo(app.env.clock.now() + seconds * 1000);
    },
    awsRaw,
    async aws(...args) {
      const r = await awsRaw(...args);
      if (r.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout.trim() ? JSON.parse(r.stdout) : {};
    },
    async python(script) {
      const r = await pythonScript(script, clientEnv);
      if (r.code !== 0) throw new Error(`python3 failed (${r.code}):\n${r.stderr}`);
      return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
    },
    async close() {
      await app.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * AWS CLI filters for the VPCs and subnets a test made itself, leaving out the default VPC and its
 * default subnets that every account finds in a region (services/ec2/default-vpc.ts).
 */
export const OWN_VPCS = ['--filters', 'Name=is-default,Values=false'];
export const OWN_SUBNETS = ['--filters', 'Name=default-for-az,Values=false'];

/** `Name: message` of the error a call fails with; throws if it succeeds. */
export async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string };
    return `${err.name}: ${err.message}`;
  }
  throw new Error('expected the call to fail');
}
