/**
 * faultline's DNS server over UDP: queries per second answered from hosted zones (target: 20,000/s
 * on one core for cached answers). faultline runs in this process, holding 10 public zones of
 * 100 record sets each; the load comes from a separate Node process (one UDP socket, a window of
 * queries in flight), so that it does not share faultline's event loop. Each measure also gives
 * faultline's own CPU time, hence queries per CPU-second, which does not depend on what else the
 * machine runs.
 *
 * Measures: simple sets (answers kept rendered until the store changes), names that do not exist
 * (NXDOMAIN with the SOA, kept too), and a weighted set (a random pick per query: never kept).
 *
 *   npx tsx bench/dns.bench.ts [seconds=5] [inFlight=64]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.ts';
import { seedRecordSet, seedZone } from '../test/route53-support.ts';

const SECONDS = Number(process.argv[2] ?? 5);
const IN_FLIGHT = Number(process.argv[3] ?? 64);

/**
 * The load: sends queries for `names` round robin, keeping `inFlight` outstanding, for `seconds`;
 * prints the answers with the expected RCODE and with another one.
 */
const LOAD = `
const dgram = require('node:dgram');
const dnsPacket = require('dns-packet');
const [port, seconds, inFlight, type, rcode, ...names] = process.argv.slice(1);
const queries = names.map((name, i) => dnsPacket.encode({ id: i & 0xffff, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }));
const s = dgram.createSocket('udp4');
let sent = 0, answered = 0, wrong = 0, lastAnswered = 0, i = 0;
const send = () => { s.send(queries[i++ % queries.length], Number(port), '127.0.0.1'); sent++; };
s.on('message', (m) => { if ((m[3] & 15) === Number(rcode) && m.readUInt16BE(6) + m.readUInt16BE(8) > 0) answered++; else wrong++; send(); });
s.bind(0, '127.0.0.1', () => {
  for (let k = 0; k < Number(inFlight); k++) send();
  // A lost packet shrinks the window: top it up when answers stall.
  const refill = setInterval(() => { if (answered === lastAnswered) for (let k = 0; k < Number(inFlight); k++) send(); lastAnswered = answered; }, 200);
  setTimeout(() => { clearInterval(refill); s.close(); process.stdout.write(answered + ' ' + wrong); }, Number(seconds) * 1000);
});
`;

function load(port: number, type: string, rcode: number, names: string[]): Promise<{ answered: number; wrong: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', LOAD, String(port), String(SECONDS), String(IN_FLIGHT), type, String(rcode), ...names], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const [answered, wrong] = out.split(' ').map(Number);
      if (code === 0) resolve({ answered, wrong });
      else reject(new Error(`load generator exited ${code}`));
    });
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'faultline-dns-bench-'));
const app = createApp({ dataDir, clock: 'manual', log: () => {} });
try {
  const { port } = await app.dns.listen(0, '127.0.0.1');
  const names: string[] = [];
  for (let z = 0; z < 10; z++) {
    const zone = seedZone(app.env, `zone${z}.bench.`);
    for (let r = 0; r < 100; r++) {
      const name = `host${r}.zone${z}.bench.`;
      seedRecordSet(app.env, zone, { Name: name, Type: 'A', TTL: 300, ResourceRecords: [{ Value: `10.${z}.${r >> 8}.${r & 255}` }] });
      names.push(name);
    }
    if (z === 0) for (let w = 1; w <= 4; w++) seedRecordSet(app.env, zone, { Name: `weighted.zone0.bench.`, Type: 'A', TTL: 60, SetIdentifier: `w${w}`, Weight: w, ResourceRecords: [{ Value: `192.0.2.${w}` }] });
  }
  // [label, type, expected RCODE (with a record in the answer or authority section), names]
  const measures: [string, string, number, string[]][] = [
    ['simple sets, 1,000 names (kept rendered)', 'A', 0, names],
    ['NXDOMAIN, 1,000 names (kept rendered)', 'A', 3, names.map((n) => `missing-${n}`)],
    ['weighted set, 4 members (a pick per query, never kept)', 'A', 0, ['weighted.zone0.bench.']],
  ];
  console.log(`| answers | queries/s | faultline CPU-s | queries per CPU-second | unexpected answers |\n|---|---|---|---|---|`);
  for (const [label, type, rcode, qnames] of measures) {
    const cpu0 = process.cpuUsage();
    const { answered, wrong } = await load(port, type, rcode, qnames);
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.log(`| ${label} | ${Math.round(answered / SECONDS)} | ${cpuSeconds.toFixed(2)} | ${Math.round(answered / cpuSeconds)} | ${wrong} |`);
  }
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
