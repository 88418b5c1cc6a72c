/**
 * What a DNS query answers: the one place that knows it (the DNS server, TestDNSAnswer and the
 * drills' probes all ask here). Placeholder until the DNS part of issue 11 lands.
 */
import type { Env } from '../service.ts';

export interface DnsQuery {
  /** Any case, with or without the trailing dot. */
  name: string;
  /** `A`, `AAAA`, `CNAME`, `TXT`, `MX`, `SRV`, `NS`, `SOA`, … */
  type: string;
  /** Set for a query to the Amazon resolver inside a VPC: private zones and private names apply. */
  vpc?: { vpcId: string; account: string; region: string };
  /** The resolver's or client's address, for routing policies that look at it. */
  clientIp?: string;
}

/** A record of an answer, its value as Route 53 writes it (`10 mail.example.com.` for MX). */
export interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  value: string;
}

export interface DnsAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  /** Whether a hosted zone (or faultline's own names) answered with authority. */
  authoritative: boolean;
  answers: DnsRecord[];
  /** The zone's SOA for NXDOMAIN and NODATA. */
  authority: DnsRecord[];
}

export function answer(_env: Env, _q: DnsQuery): DnsAnswer {
  return { rcode: 'REFUSED', authoritative: false, answers: [], authority: [] };
}
