/**
 * Cold start and idle memory, faultline against moto_server in the same run.
 *
 *   npx tsx bench/startup.bench.ts [ROUNDS]      (default 5 rounds; medians are reported)
 *
 * Cold start: real milliseconds from spawn to the first answered DescribeRegions, and the CPU
 * milliseconds that the server's processes spent until then (less sensitive to a busy machine).
 * Idle memory: the resident set of the server's processes after 3 s of idling after that answer.
 * Each row is started as a user starts it; the processes counted are the spawned one and its
 * descendants (for `npx faultline up`: npm, its sh and faultline).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { faultlineUp, freePort, start, type Running } from './servers.ts';
import { procStat, processTree } from '../test/user-shell.ts';

interface Sample {
  coldStartMs: number;
  cpuMs: number;
  idleRssMb: number;
}

const clockTicks = 100; // USER_HZ on Linux

/** utime, stime, and the same of children already waited for (a probe that ran and exited). */
const cpuMs = (pids: number[]) => pids.reduce((ms, pid) => ms + (procStat(pid).slice(11, 15).reduce((t, v) => t + Number(v), 0) * 1000) / clockTicks, 0);
const rssMb = (pids: number[]) => pids.reduce((mb, pid) => mb + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024, 0);

async function sample(run: () => Promise<Running>): Promise<Sample> {
  const server = await run();
  try {
    const cpu = cpuMs(processTree(server.proc.pid!));
    await new Promise((r) => setTimeout(r, 3000));
    return { coldStartMs: server.coldStartMs, cpuMs: cpu, idleRssMb: rssMb(processTree(server.proc.pid!)) };
  } finally {
    await server.stop();
  }
}

const node = process.execPath;
const rows: [string, () => Promise<Running>][] = [
  ['faultline up (bin/faultline.mjs, simulated driver)', async () => {
    const { url, args } = await faultlineUp(['--driver', 'simulated']);
    return start('faultline', node, ['bin/faultline.mjs', ...args], url);
  }],
  ['faultline up (bin/faultline.mjs, default driver)', async () => {
    const { url, args } = await faultlineUp();
    return start('faultline', node, ['bin/faultline.mjs', ...args], url);
  }],
  ['npx faultline up (simulated driver)', async () => {
    const { url, args } = await faultlineUp(['--driver', 'simulated']);
    return start('faultline', 'npx', ['faultline', ...args], url);
  }],
  ['src/ through tsx, as before the build (simulated driver)', async () => {
    const { url, args } = await faultlineUp(['--driver', 'simulated']);
    return start('faultline', node, ['--import', 'tsx', 'src/cli/main.ts', ...args], url);
  }],
  ['moto_server', async () => {
    const port = await freePort();
    return start('moto', 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], `http://127.0.0.1:${port}`, true);
  }],
];

const rounds = Number(process.argv[2] ?? 5);
const samples = new Map<string, Sample[]>(rows.map(([name]) => [name, []]));
for (let i = 0; i < rounds; i++) {
  for (const [name, run] of rows) samples.get(name)!.push(await sample(run));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${rounds} rounds, medians; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log('| started as | cold start to first answer (ms) | CPU until then (ms) | idle RSS (MB) |');
console.log('|---|---|---|---|');
for (const [name, s] of samples) {
  const m = (k: keyof Sample) => median(s.map((x) => x[k])).toFixed(0);
  console.log(`| ${name} | ${m('coldStartMs')} | ${m('cpuMs')} | ${m('idleRssMb')} |`);
}
