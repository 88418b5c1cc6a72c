/** IPv4 and IPv6 CIDR arithmetic for VPCs, subnets, routes and security group rules. */

export interface Cidr4 {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
  /** Number of addresses. */
  size: number;
}

export function parseIp4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1].length > 1 && m[i + 1].startsWith('0')))) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export const formatIp4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/**
 * Parses `a.b.c.d/n`. With `strict`, host bits must be zero (VPCs and subnets); without it they
 * are cleared, as security group rules and routes accept.
 */
export function parseCidr4(s: string | undefined, strict = true): Cidr4 | undefined {
  if (!s) return undefined;
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const ip = parseIp4(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const base = prefix === 0 ? 0 : (ip - (ip % size)) >>> 0;
  if (strict && base !== ip) return undefined;
  return { base, prefix, size };
}

export const formatCidr4 = (c: Cidr4): string => `${formatIp4(c.base)}/${c.prefix}`;

export const cidr4Contains = (outer: Cidr4, inner: Cidr4): boolean => inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;

export const cidr4Overlaps = (a: Cidr4, b: Cidr4): boolean => a.base < b.base + b.size && b.base < a.base + a.size;

export const ip4InCidr = (c: Cidr4, ip: number): boolean => ip >= c.base && ip < c.base + c.size;

/** Parses an IPv6 address into a BigInt, or undefined. */
export function parseIp6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(s) || s.split('::').length > 2) return undefined;
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if (tail === undefined && h.length !== 8) return undefined;
  if (tail !== undefined && h.length + t.length > 7) return undefined;
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) + BigInt(parseInt(g, 16));
  }
  return n;
}

export function formatIp6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  // The longest run of zero groups (length ≥ 2) becomes `::`.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) (best = i), (bestLen = j - i);
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export interface Cidr6 {
  base: bigint;
  prefix: number;
}

export function parseCidr6(s: string | undefined, strict = true): Cidr6 | undefined {
  if (!s) return undefined;
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const ip = parseIp6(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 128) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
  const base = ip & mask;
  if (strict && base !== ip) return undefined;
  return { base, prefix };
}

export const formatCidr6 = (c: Cidr6): string => `${formatIp6(c.base)}/${c.prefix}`;

export function cidr6Contains(outer: Cidr6, inner: Cidr6): boolean {
  if (inner.prefix < outer.prefix) return false;
  const shift = BigInt(128 - outer.prefix);
  return inner.base >> shift === outer.base >> shift;
}

export const cidr6Overlaps = (a: Cidr6, b: Cidr6): boolean => cidr6Contains(a, b) || cidr6Contains(b, a);
