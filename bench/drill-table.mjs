/**
 * The real time to measure the chapter's whole table on the simulated driver, as a user runs it:
 *
 *   node bench/drill-table.mjs [DIR]     (default examples/aws-in-action-ch11/drills; after npm ci)
 *
 * Runs `faultline drill table DIR --driver simulated` (the built CLI, each drill on a fresh
 * in-process world) and prints the table, each drill's real time from its report, and the total
 * real time from spawn to exit against the target of 60 s. FAULTLINE_URL is set to a free port,
 * so that a faultline running on this machine is neither used nor refused.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';

const TARGET_SECONDS = 60;
const dir = process.argv[2] ?? 'examples/aws-in-action-ch11/drills';

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

const out = mkdtempSync(join(tmpdir(), 'faultline-drill-bench-'));
const json = join(out, 'table.json');
try {
  const env = { ...process.env, FAULTLINE_URL: `http://127.0.0.1:${await freePort()}` };
  const t0 = performance.now();
  const child = spawn(process.execPath, ['bin/faultline.mjs', 'drill', 'table', dir, '--driver', 'simulated', '--json', json], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  const seconds = (performance.now() - t0) / 1000;
  const { reports } = JSON.parse(readFileSync(json, 'utf8'));
  process.stdout.write(`\nper drill (real seconds, cloud seconds):\n`);
  for (const r of reports) {
    const real = (Date.parse(r.ended.real) - Date.parse(r.started.real)) / 1000;
    const cloud = (Date.parse(r.ended.cloud) - Date.parse(r.started.cloud)) / 1000;
    process.stdout.write(`  ${r.drill.name.padEnd(40)} ${real.toFixed(1).padStart(6)} s  ${cloud.toFixed(0).padStart(6)} s\n`);
  }
  process.stdout.write(`\n${reports.length} drill${reports.length === 1 ? '' : 's'} in ${seconds.toFixed(1)} s real (target: under ${TARGET_SECONDS} s) ${seconds < TARGET_SECONDS ? 'met' : 'MISSED'}; exit ${code}; load average ${loadavg()[0].toFixed(2)}\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
