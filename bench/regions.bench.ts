/**
 * What offering every commercial region costs: cold start and idle memory of `faultline up` with
 * every region (the default) against the 3 regions faultline offered before (`--regions`), and
 * the first request in a region not used yet (its zones, hosts and default VPC are made then).
 *
 *   npx tsx bench/regions.bench.ts [ROUNDS] [BASELINE_CHECKOUT]   (default 5 rounds; medians)
 *
 * BASELINE_CHECKOUT, a checkout of an older faultline with its dependencies installed, adds a row
 * for it, started the same way (its own bin/faultline.mjs).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { faultlineUp, start, type Running } from './servers.ts';
import { processTree } from '../test/user-shell.ts';

const THREE = 'us-east-1=a,b,c,d,e,f;us-west-2=a,b,c,d;eu-west-1=a,b,c';

interface Sample {
  coldStartMs: number;
  idleRssMb: number;
  firstUseMs: number;
  againMs: number;
}

const rssMb = (pids: number[]) => pids.reduce((mb, pid) => mb + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024, 0);

/** Real milliseconds of one EC2 DescribeVpcs signed for `region`. */
async function describeVpcs(url: string, region: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url + '/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0` },
    body: 'Action=DescribeVpcs&Version=2016-11-15',
  });
  await r.text();
  if (r.status !== 200) throw new Error(`DescribeVpcs in ${region}: ${r.status}`);
  return performance.now() - t0;
}

async function sample(run: () => Promise<Running>): Promise<Sample> {
  const server = await run();
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const idleRssMb = rssMb(processTree(server.proc.pid!));
    // A region the start did not use (us-west-2 is in both sets).
    const firstUseMs = await describeVpcs(server.url, 'us-west-2');
    const againMs = await describeVpcs(server.url, 'us-west-2');
    return { coldStartMs: server.coldStartMs, idleRssMb, firstUseMs, againMs };
  } finally {
    await server.stop();
  }
}

const up = (root: string, extra: string[]) => async () => {
  const { url, args } = await faultlineUp(['--driver', 'simulated', '--dns-port', '0', ...extra]);
  return start('faultline', process.execPath, [join(root, 'bin/faultline.mjs'), ...args], url);
};

const rounds = Number(process.argv[2] ?? 5);
const baseline = process.argv[3];
const rows: [string, () => Promise<Running>][] = [
  ['every commercial region (the default)', up('.', [])],
  ['3 regions (--regions, as before)', up('.', ['--regions', THREE])],
  ...(baseline ? ([[`baseline ${baseline} (its 3 regions)`, up(baseline, [])]] as [string, () => Promise<Running>][]) : []),
];
const samples = new Map<string, Sample[]>(rows.map(([name]) => [name, []]));
for (let i = 0; i < rounds; i++) {
  for (const [name, run] of rows) samples.get(name)!.push(await sample(run));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${rounds} rounds, medians; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log('| faultline up | cold start to first answer (ms) | idle RSS (MB) | first call in an unused region (ms) | the same call again (ms) |');
console.log('|---|---|---|---|---|');
for (const [name, s] of samples) {
  const m = (k: keyof Sample) => median(s.map((x) => x[k])).toFixed(k === 'coldStartMs' || k === 'idleRssMb' ? 0 : 1);
  console.log(`| ${name} | ${m('coldStartMs')} | ${m('idleRssMb')} | ${m('firstUseMs')} | ${m('againMs')} |`);
}
