/**
 * faultline's DNS server (runtime/dns-server.ts) on a loopback port, asked by a real DNS client:
 * `dig` from bind9-dnsutils. Zones and record sets are written through the store as the Route 53
 * API leaves them once INSYNC, to test the server in isolation from the API; what is tested is the wire.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { startFaultline, type Faultline } from '../harness.ts';
import { SOA_VALUE, seedRecordSet, seedZone } from '../route53-support.ts';

const run = promisify(execFile);
let fl: Faultline;
let port: number;

interface Dig {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
}

/** Runs dig against the server and reads its header, answer and authority sections. */
async function dig(...args: string[]): Promise<Dig> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', '+nostats', ...args]);
  const section = (name: string) => {
    const m = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(stdout);
    return m ? m[1].split('\n').map((l) => l.trim().split(/\s+/).join(' ')) : [];
  };
  return {
    status: /status: (\w+)/.exec(stdout)?.[1] ?? `no answer: ${stdout}`,
    flags: (/;; flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(' '),
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
  };
}

const bigTxt = Array.from({ length: 12 }, (_, i) => ({ Value: `"${String(i).padStart(2, '0')} ${'x'.repeat(60)}"` }));

before(async () => {
  fl = await startFaultline();
  port = (await fl.app.dns.listen(0, '127.0.0.1')).port;
  const env = fl.app.env;
  const z = seedZone(env, 'example.com.');
  seedRecordSet(env, z, { Name: 'www.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.10' }] });
  seedRecordSet(env, z, { Name: 'example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=spf1 -all"' }, { Value: '"two" "strings"' }] });
  seedRecordSet(env, z, { Name: 'example.com.', Type: 'MX', TTL: 300, ResourceRecords: [{ Value: '10 mail.example.com.' }] });
  seedRecordSet(env, z, { Name: '_sip._tcp.example.com.', Type: 'SRV', TTL: 300, ResourceRecords: [{ Value: '1 10 5060 sip.example.com.' }] });
  seedRecordSet(env, z, { Name: 'app.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'www.example.com' }] });
  seedRecordSet(env, z, { Name: 'big.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: bigTxt });
});
after(() => fl.close());

describe('the DNS server, asked with dig', () => {
  it('answers A, TXT, MX and SRV with authority and the sets\' TTLs', async () => {
    const a = await dig('www.example.com', 'A');
    assert.equal(a.status, 'NOERROR');
    assert.ok(a.flags.includes('aa') && a.flags.includes('rd') && a.flags.includes('ra'), a.flags.join(' '));
    assert.deepEqual(a.answer, ['www.example.com. 300 IN A 192.0.2.10']);
    assert.deepEqual((await dig('example.com', 'TXT')).answer.sort(), ['example.com. 300 IN TXT "two" "strings"', 'example.com. 300 IN TXT "v=spf1 -all"']);
    assert.deepEqual((await dig('example.com', 'MX')).answer, ['example.com. 300 IN MX 10 mail.example.com.']);
    assert.deepEqual((await dig('_sip._tcp.example.com', 'SRV')).answer, ['_sip._tcp.example.com. 300 IN SRV 1 10 5060 sip.example.com.']);
    assert.deepEqual((await dig('example.com', 'NS')).answer.length, 4);
  });

  it('follows a CNAME to its target in the zone', async () => {
    const r = await dig('APP.example.com', 'A');
    assert.deepEqual(r.answer, ['APP.example.com. 60 IN CNAME www.example.com.', 'www.example.com. 300 IN A 192.0.2.10']);
  });

  it('answers NXDOMAIN and NODATA with the zone\'s SOA in authority, and REFUSED for names it does not serve', async () => {
    const nx = await dig('nope.example.com', 'A');
    assert.equal(nx.status, 'NXDOMAIN');
    assert.deepEqual(nx.answer, []);
    assert.deepEqual(nx.authority, [`example.com. 900 IN SOA ${SOA_VALUE}`]);
    const nodata = await dig('www.example.com', 'AAAA');
    assert.equal(nodata.status, 'NOERROR');
    assert.deepEqual(nodata.answer, []);
    assert.equal(nodata.authority.length, 1);
    assert.equal((await dig('example.org', 'A')).status, 'REFUSED');
  });

  it('answers over TCP, and truncates a large UDP answer so that dig asks again over TCP', async () => {
    assert.deepEqual((await dig('+tcp', 'www.example.com', 'A')).answer, ['www.example.com. 300 IN A 192.0.2.10']);
    const truncated = await dig('+noedns', '+ignore', 'big.example.com', 'TXT');
    assert.ok(truncated.flags.includes('tc'), truncated.flags.join(' '));
    assert.deepEqual(truncated.answer, []);
    const full = await dig('+noedns', 'big.example.com', 'TXT');
    assert.equal(full.answer.length, 12);
    assert.ok(!full.flags.includes('tc'));
  });

  it('answers a changed record set at once: rendered answers are dropped when the store changes', async () => {
    const z = seedZone(fl.app.env, 'changes.example.');
    seedRecordSet(fl.app.env, z, { Name: 'www.changes.example.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] });
    assert.deepEqual((await dig('www.changes.example', 'A')).answer, ['www.changes.example. 60 IN A 192.0.2.1']);
    seedRecordSet(fl.app.env, z, { Name: 'www.changes.example.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.2' }] });
    assert.deepEqual((await dig('www.changes.example', 'A')).answer, ['www.changes.example. 60 IN A 192.0.2.2']);
  });

  it('is shown in GET /_faultline/health', async () => {
    const health = await (await fetch(`${fl.url}/_faultline/health`)).json();
    assert.equal(health.dns, `127.0.0.1:${port}`);
  });
});

describe('TestDNSAnswer', () => {
  it('answers through the AWS CLI as the zone\'s name servers would, and names an unknown zone', async () => {
    const zoneId = seedZone(fl.app.env, 'tested.example.');
    seedRecordSet(fl.app.env, zoneId, { Name: 'www.tested.example.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.44' }, { Value: '192.0.2.45' }] });
    seedRecordSet(fl.app.env, zoneId, { Name: 'app.tested.example.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'www.tested.example.' }] });
    // One after another: on 2 cores, parallel CLI workers each loading Route 53's model cost more.
    const www = await fl.aws('route53', 'test-dns-answer', '--hosted-zone-id', zoneId, '--record-name', 'www.tested.example', '--record-type', 'A');
    const app = await fl.aws('route53', 'test-dns-answer', '--hosted-zone-id', `/hostedzone/${zoneId}`, '--record-name', 'app.tested.example', '--record-type', 'A');
    const missing = await fl.aws('route53', 'test-dns-answer', '--hosted-zone-id', zoneId, '--record-name', 'nope.tested.example', '--record-type', 'A');
    const unknown = await fl.awsRaw('route53', 'test-dns-answer', '--hosted-zone-id', 'ZNOSUCHZONE00', '--record-name', 'www.tested.example', '--record-type', 'A');
    assert.deepEqual({ ...www, RecordData: www.RecordData.sort() }, {
      Nameserver: 'ns-2048.awsdns-64.com',
      RecordName: 'www.tested.example',
      RecordType: 'A',
      RecordData: ['192.0.2.44', '192.0.2.45'],
      ResponseCode: 'NOERROR',
      Protocol: 'UDP',
    });
    assert.deepEqual(app.RecordData.slice(0, 1), ['www.tested.example.']);
    assert.deepEqual(app.RecordData.slice(1).sort(), ['192.0.2.44', '192.0.2.45']);
    assert.deepEqual([missing.ResponseCode, missing.RecordData], ['NXDOMAIN', []]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /An error occurred \(NoSuchHostedZone\) when calling the TestDNSAnswer operation: No hosted zone found with ID: ZNOSUCHZONE00/);
  });
});

describe('malformed packets', () => {
  const query = dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'www.example.com' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer] });
  /** Random bytes, or a valid query with bytes flipped, cut or added. */
  const garbage = (i: number): Buffer => {
    if (i % 3 === 0) return randomBytes(randomInt(0, 600));
    const b = Buffer.from(query);
    for (let n = randomInt(1, 6); n > 0; n--) b[randomInt(0, b.length)] = randomInt(0, 256);
    if (i % 3 === 1) return b.subarray(0, randomInt(0, b.length + 1));
    return Buffer.concat([b, randomBytes(randomInt(0, 40))]);
  };

  it('never crash it over UDP or TCP (1,200 of them), and it still answers after', async () => {
    const udp = createSocket('udp4');
    let answered = 0;
    udp.on('message', () => answered++);
    for (let i = 0; i < 600; i++) {
      await new Promise<void>((r) => udp.send(garbage(i), port, '127.0.0.1', () => r()));
    }
    // TCP: streams of framed garbage, some with lengths that lie, each on its own connection in batches.
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 30 }, (_, j) => {
          const i = batch * 30 + j;
          const body = garbage(i);
          const framed = Buffer.alloc(2 + body.length);
          framed.writeUInt16BE(i % 5 === 0 ? randomInt(0, 65536) : body.length, 0);
          body.copy(framed, 2);
          return new Promise<void>((resolve) => {
            const s = connect(port, '127.0.0.1', () => s.end(framed));
            s.on('data', () => {});
            s.on('error', () => resolve());
            s.on('close', () => resolve());
            s.setTimeout(3000, () => s.destroy());
          });
        }),
      );
    }
    udp.close();
    assert.ok(answered > 0, 'some malformed queries are answered (FORMERR and the like)');
    assert.deepEqual((await dig('www.example.com', 'A')).answer, ['www.example.com. 300 IN A 192.0.2.10']);
    assert.deepEqual((await dig('+tcp', 'www.example.com', 'A')).answer, ['www.example.com. 300 IN A 192.0.2.10']);
  });

  it('answers FORMERR to a packet whose header reads but whose question does not, and drops responses', async () => {
    const send = (msg: Buffer) =>
      new Promise<Buffer | undefined>((resolve) => {
        const s = createSocket('udp4');
        const timer = setTimeout(() => (s.close(), resolve(undefined)), 500);
        s.on('message', (m) => (clearTimeout(timer), s.close(), resolve(m)));
        s.send(msg, port, '127.0.0.1');
      });
    const broken = Buffer.from(query.subarray(0, 20));
    const formerr = await send(broken);
    assert.ok(formerr);
    const decoded = dnsPacket.decode(formerr);
    assert.equal(decoded.id, 7);
    assert.equal((decoded as { rcode?: string }).rcode, 'FORMERR');
    const response = Buffer.from(query);
    response.writeUInt16BE(response.readUInt16BE(2) | 0x8000, 2);
    assert.equal(await send(response), undefined);
  });
});
