/**
 * `cdk deploy` of the CDK example's instance stack (examples/cdk: CdkServer, a VPC and an
 * instance with a recover alarm) against faultline on the scaled clock (x60), in real time,
 * against the time CloudFormation itself spends on the stack (its events, from the stack's
 * first CREATE_IN_PROGRESS to its CREATE_COMPLETE, in cloud time and so in real time / 60). The
 * rest is the CDK CLI's own: publishing the template, the change set, and polling every 5 s.
 * The app is synthesised once, first, and timed apart. The same bootstrap and deploy go to
 * moto_server in the same run, for the ratio.
 *
 *   npx tsx bench/cdk.bench.ts [rounds=3]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFaultline, startMoto, type Running } from './servers.ts';

const run = promisify(execFile);
const rounds = Number(process.argv[2] ?? 3);
const APP = fileURLToPath(new URL('../examples/cdk/', import.meta.url));
const CDK = fileURLToPath(new URL('../node_modules/aws-cdk/bin/cdk', import.meta.url));
const SCALE = 60;

const env = (url: string) => ({
  ...process.env,
  AWS_ENDPOINT_URL: url,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
});

const cdk = async (url: string, cwd: string, ...args: string[]) => {
  const t0 = performance.now();
  try {
    await run(process.execPath, [CDK, ...args, '--no-notices', '--ci'], { cwd, env: env(url), maxBuffer: 64 << 20 });
    return { ms: performance.now() - t0 };
  } catch (e) {
    return { ms: performance.now() - t0, error: ((e as { stderr?: string }).stderr ?? String(e)).trim().split('\n').slice(-3).join(' | ') };
  }
};

/** Cloud ms from the stack's first event to its CREATE_COMPLETE. */
async function cloudformationMs(url: string, stack: string): Promise<number> {
  const { stdout } = await run('aws', ['--endpoint-url', url, 'cloudformation', 'describe-stack-events', '--stack-name', stack, '--output', 'json'], { env: env(url) });
  const events = (JSON.parse(stdout).StackEvents as { LogicalResourceId: string; ResourceStatus: string; Timestamp: string }[]).filter((e) => e.LogicalResourceId === stack);
  const start = events.find((e) => e.ResourceStatus === 'CREATE_IN_PROGRESS');
  const done = events.find((e) => e.ResourceStatus === 'CREATE_COMPLETE');
  return Date.parse(done!.Timestamp) - Date.parse(start!.Timestamp);
}

const out = mkdtempSync(join(tmpdir(), 'faultline-cdk-bench-'));
const assembly = join(out, 'cdk.out');
const synth = await cdk('http://127.0.0.1:1', APP, 'synth', '--quiet', '--output', assembly);
if (synth.error) throw new Error(`synth: ${synth.error}`);
console.log(`synthesis of the app (its three stacks): ${(synth.ms / 1000).toFixed(1)} s real`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: { name: string; bootstrap: number[]; deploy: number[]; cfn: number[]; error?: string }[] = [];
for (const [name, starter] of [
  ['faultline', () => startFaultline(['--time-scale', String(SCALE), '--driver', 'simulated', '--dns-port', '0'], true)],
  ['moto', () => startMoto()],
] as [string, () => Promise<Running>][]) {
  const row = { name, bootstrap: [] as number[], deploy: [] as number[], cfn: [] as number[], error: undefined as string | undefined };
  rows.push(row);
  for (let i = 0; i < rounds && !row.error; i++) {
    const server = await starter();
    try {
      // moto's account is 123456789012, faultline's 000000000000: bootstrap the one the server says.
      const account = JSON.parse((await run('aws', ['--endpoint-url', server.url, 'sts', 'get-caller-identity'], { env: env(server.url) })).stdout).Account;
      const boot = await cdk(server.url, out, 'bootstrap', `aws://${account}/us-east-1`);
      if (boot.error) {
        row.error = `bootstrap: ${boot.error}`;
        break;
      }
      row.bootstrap.push(boot.ms);
      const deploy = await cdk(server.url, out, 'deploy', 'CdkServer', '--require-approval', 'never', '--app', assembly);
      if (deploy.error) {
        row.error = `deploy: ${deploy.error}`;
        break;
      }
      row.deploy.push(deploy.ms);
      if (name === 'faultline') row.cfn.push((await cloudformationMs(server.url, 'CdkServer')) / SCALE);
    } finally {
      await server.stop();
    }
  }
}
rmSync(out, { recursive: true, force: true });

for (const r of rows) {
  if (!r.deploy.length) {
    console.log(`${r.name}: ${r.error}`);
    continue;
  }
  const cfn = r.cfn.length ? `, of which CloudFormation ${(median(r.cfn) / 1000).toFixed(1)} s real (${(median(r.cfn) * SCALE / 1000).toFixed(0)} s of cloud time at x${SCALE})` : '';
  console.log(`${r.name}: bootstrap median ${(median(r.bootstrap) / 1000).toFixed(1)} s, deploy CdkServer median ${(median(r.deploy) / 1000).toFixed(1)} s real${cfn} (${r.deploy.length} rounds)${r.error ? `; then ${r.error}` : ''}`);
}
const [f, m] = rows;
if (f.deploy.length && m.deploy.length) console.log(`deploy: faultline / moto = ${(median(f.deploy) / median(m.deploy)).toFixed(2)}`);
