/**
 * faultline's DNS server: the wire side of services/route53/answer.ts, over UDP and TCP.
 *
 * `faultline up` serves it on a loopback address for the host (`--dns-port`), and each VPC's
 * agent hands it the queries that instances send to the Amazon resolver (base + 2 and
 * 169.254.169.253), marked with their VPC. The wire format is the `dns-packet` library's; this
 * file only maps answers to its records and back.
 *
 * What it does as a server (spec route53.md §6 "Wire details"): AA on authoritative answers, RD
 * copied, RA set (it follows CNAMEs within faultline's names), the zone's SOA in the authority of
 * negative answers; UDP answers over 512 bytes (or the client's EDNS0 size, at most 1232) are
 * truncated with TC so that the client asks again over TCP; EDNS0 is answered with an OPT of
 * version 0, and other versions with BADVERS. A packet that cannot be read is answered FORMERR
 * when its header can be, else dropped; a response is never answered. Nothing a client sends
 * throws out of here.
 *
 * Answers that are the same until the store changes (answer.ts says which) are kept rendered,
 * per question, VPC and options, and dropped as soon as the store changes.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Env } from '../services/service.ts';
import { answer, type DnsQuery, type DnsRecord } from '../services/route53/answer.ts';
import { valueFields } from '../services/route53/names.ts';

interface DnsAsker {
  /** A query to a VPC's Amazon resolver. */
  vpc?: DnsQuery['vpc'];
  clientIp?: string;
  tcp: boolean;
}

/** UDP answers without EDNS0 fit in 512 bytes; with it, in the client's size up to 1232 (the DNS flag day's size). */
const UDP_PLAIN = 512;
const UDP_EDNS_MAX = 1232;
/** Rendered answers kept at most; the cache starts again beyond. */
const CACHE_MAX = 10_000;
/** Real ms an idle TCP connection stays open. */
const TCP_IDLE_MS = 10_000;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const QR = 1 << 15;

export class DnsServer {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private connections = new Set<Socket>();
  private cache = new Map<string, Buffer>();
  private cacheGeneration = -1;

  constructor(private env: Env) {}

  /** Listens on UDP and TCP on one port of `host` (port 0: one free for both), and says where in `env.dnsAddress`. */
  async listen(port: number, host: string): Promise<{ address: string; port: number }> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket('udp4');
      udp.on('message', (msg, rinfo) => {
        const out = this.respond(msg, { clientIp: rinfo.address, tcp: false });
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
      udp.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => resolve());
      });
      const bound = udp.address().port;
      const tcp = createServer((socket) => this.acceptTcp(socket, {}));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(bound, host, () => resolve());
        });
      } catch (e) {
        udp.close();
        // Port 0 gave a UDP port whose TCP twin is taken: try another.
        if (port === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
        throw e;
      }
      this.udp = udp;
      this.tcp = tcp;
      this.env.dnsAddress = `${host}:${bound}`;
      return { address: host, port: bound };
    }
  }

  /** Serves a TCP connection: queries framed by a two-byte length, answered in order. */
  acceptTcp(socket: Socket, asker: Omit<DnsAsker, 'tcp'>): void {
    this.connections.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.connections.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        const out = this.respond(msg, { ...asker, clientIp: asker.clientIp ?? socket.remoteAddress, tcp: true });
        if (!out) return void socket.destroy();
        const framed = Buffer.alloc(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        socket.write(framed);
      }
    });
    socket.resume();
  }

  /** The answer to one query packet, or undefined to drop it. */
  respond(msg: Buffer, asker: DnsAsker): Buffer | undefined {
    try {
      return this.answerPacket(msg, asker);
    } catch {
      return undefined; // a packet no answer can be written for (dns-packet refused to encode it)
    }
  }

  private answerPacket(msg: Buffer, asker: DnsAsker): Buffer | undefined {
    if (msg.length < 12 || msg.readUInt16BE(2) & QR) return undefined;
    const id = msg.readUInt16BE(0);
    const rd = msg.readUInt16BE(2) & dnsPacket.RECURSION_DESIRED;
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return encode({ id, type: 'response', flags: rd | dnsPacket.RECURSION_AVAILABLE | RCODE.FORMERR });
    }
    const flagsBase = rd | dnsPacket.RECURSION_AVAILABLE;
    const opt = query.additionals?.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer | undefined;
    const question = query.questions?.[0];
    // Anything but a standard query (opcode 0) is not implemented.
    if ((msg.readUInt16BE(2) >> 11) & 0xf) return encode({ id, type: 'response', flags: flagsBase | RCODE.NOTIMP, questions: query.questions });
    if (query.questions?.length !== 1 || !question) return encode({ id, type: 'response', flags: flagsBase | RCODE.FORMERR });
    const optOut: dnsPacket.Answer[] | undefined = opt && [{ type: 'OPT', name: '.', udpPayloadSize: UDP_EDNS_MAX, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
    // EDNS versions other than 0: BADVERS (16), whose upper bits live in the OPT record.
    if (opt && opt.ednsVersion > 0) return encode({ id, type: 'response', flags: flagsBase, questions: [question], additionals: [{ ...optOut![0], extendedRcode: 1 } as dnsPacket.Answer] });
    const limit = asker.tcp ? 65_535 : opt ? Math.max(UDP_PLAIN, Math.min(opt.udpPayloadSize, UDP_EDNS_MAX)) : UDP_PLAIN;
    if (question.class !== 'IN') return encode({ id, type: 'response', flags: flagsBase | RCODE.REFUSED, questions: [question], additionals: optOut || [] });

    if (this.cacheGeneration !== this.env.store.generation) {
      this.cache.clear();
      this.cacheGeneration = this.env.store.generation;
    }
    const key = `${asker.vpc?.vpcId ?? ''}\0${question.type}\0${question.name}\0${rd}\0${opt ? 1 : 0}`;
    let full = this.cache.get(key);
    if (!full) {
      let rendered: { buf: Buffer; cacheable: boolean };
      try {
        rendered = this.render(question, asker, flagsBase, optOut || []);
      } catch {
        rendered = { buf: dnsPacket.encode({ id: 0, type: 'response', flags: flagsBase | RCODE.SERVFAIL, questions: [question], additionals: optOut || [] }), cacheable: false };
      }
      full = rendered.buf;
      if (rendered.cacheable) {
        if (this.cache.size >= CACHE_MAX) this.cache.clear();
        this.cache.set(key, full);
      }
    }
    const out = Buffer.from(full);
    out.writeUInt16BE(id, 0);
    if (out.length <= limit) return out;
    // Too large for UDP: the question alone, TC set, and the client asks again over TCP.
    return encode({ id, type: 'response', flags: (out.readUInt16BE(2) & ~QR) | dnsPacket.TRUNCATED_RESPONSE, questions: [question], additionals: optOut || [] });
  }

  private render(question: dnsPacket.Question, asker: DnsAsker, flags: number, additionals: dnsPacket.Answer[]): { buf: Buffer; cacheable: boolean } {
    const a = answer(this.env, { name: question.name, type: question.type, vpc: asker.vpc, clientIp: asker.clientIp });
    // Owner names echo the question's spelling (resolvers that randomise case check it).
    const asked = question.name.toLowerCase().replace(/\.?$/, '.');
    const wire = (records: DnsRecord[]) => records.flatMap((r) => toWire(r, r.name === asked ? question.name : r.name));
    const buf = encode({
      id: 0,
      type: 'response',
      flags: flags | (a.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | RCODE[a.rcode],
      questions: [question],
      answers: wire(a.answers),
      authorities: wire(a.authority),
      additionals,
    })!;
    return { buf, cacheable: a.cacheable };
  }

  async close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = this.tcp = undefined;
    this.env.dnsAddress = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }
}

function encode(p: dnsPacket.Packet): Buffer | undefined {
  try {
    return dnsPacket.encode(p);
  } catch {
    return undefined;
  }
}

/** A record as dns-packet writes it, or none when its value cannot be read as its type. */
function toWire(r: DnsRecord, name: string): dnsPacket.Answer[] {
  try {
    const data = wireData(r.type, r.value.trim());
    if (data === undefined) return [];
    const answer = { name, type: r.type, ttl: r.ttl, class: 'IN', data } as dnsPacket.Answer;
    dnsPacket.encode({ answers: [answer] }); // throws on a value the type cannot hold
    return [answer];
  } catch {
    return [];
  }
}

const int = (s: string | undefined) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a number: ${s}`);
  return n;
};

/** Route 53's text form of a value → dns-packet's data for the type. */
function wireData(type: string, v: string): unknown {
  const f = v.split(/\s+/);
  switch (type) {
    case 'A':
    case 'AAAA':
      return v;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return v;
    case 'MX':
      return { preference: int(f[0]), exchange: f[1] };
    case 'SRV':
      return { priority: int(f[0]), weight: int(f[1]), port: int(f[2]), target: f[3] };
    case 'SOA':
      return { mname: f[0], rname: f[1], serial: int(f[2]), refresh: int(f[3]), retry: int(f[4]), expire: int(f[5]), minimum: int(f[6]) };
    case 'TXT':
      return characterStrings(v);
    case 'SPF':
      // SPF's data is TXT's; dns-packet writes unknown types from their raw data.
      return (dnsPacket as unknown as { txt: { encode(data: Buffer[]): Buffer } }).txt.encode(characterStrings(v)).subarray(2);
    case 'CAA': {
      const [, flags, tag, value] = /^(\d+)\s+(\S+)\s+(.*)$/.exec(v) ?? [];
      return { flags: int(flags), tag, value: fields(value ?? '').join('') };
    }
    case 'NAPTR': {
      const [order, preference, flags, services, regexp, replacement] = fields(v);
      return { order: int(order), preference: int(preference), flags, services, regexp, replacement };
    }
    case 'DS':
      return { keyTag: int(f[0]), algorithm: int(f[1]), digestType: int(f[2]), digest: Buffer.from(f.slice(3).join(''), 'hex') };
    case 'SSHFP':
      return { algorithm: int(f[0]), hash: int(f[1]), fingerprint: f.slice(2).join('') };
    case 'TLSA':
      return { usage: int(f[0]), selector: int(f[1]), matchingType: int(f[2]), certificate: Buffer.from(f.slice(3).join(''), 'hex') };
    default:
      return undefined; // SVCB and HTTPS: dns-packet has no writer for them
  }
}

/** A value's fields (names.ts valueFields); a value they can't be read from is not served. */
function fields(v: string): string[] {
  const out = valueFields(v);
  if (!out) throw new Error(`unreadable value: ${v}`);
  return out;
}

/** TXT's character strings from Route 53's form (`"a" "b"`, `\"`, `\065`), each at most 255 bytes. */
function characterStrings(v: string): Buffer[] {
  const out: Buffer[] = [];
  for (const field of fields(v)) {
    const bytes = Buffer.from(field, 'latin1');
    for (let i = 0; i < bytes.length || i === 0; i += 255) out.push(bytes.subarray(i, i + 255));
  }
  return out.length ? out : [Buffer.alloc(0)];
}
