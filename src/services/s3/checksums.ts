/**
 * Integrity checks on uploads: Content-MD5, and the flexible checksums (x-amz-checksum-*) that
 * current SDKs send by default. A checksum faultline can compute is verified, as S3 does; one
 * it cannot (CRC64NVME) is kept as sent. The kept checksum goes back on reads that ask for it.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { s3Errors } from './errors.ts';
import type { StoredChecksum } from './state.ts';

export interface ChecksumInput {
  ContentMD5?: string;
  ChecksumCRC32?: string;
  ChecksumCRC32C?: string;
  ChecksumCRC64NVME?: string;
  ChecksumSHA1?: string;
  ChecksumSHA256?: string;
}

const FIELDS = {
  CRC32: 'ChecksumCRC32',
  CRC32C: 'ChecksumCRC32C',
  CRC64NVME: 'ChecksumCRC64NVME',
  SHA1: 'ChecksumSHA1',
  SHA256: 'ChecksumSHA256',
} as const satisfies Record<StoredChecksum['algorithm'], keyof ChecksumInput>;

const uint32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
};

let crc32cTable: Uint32Array | undefined;
function crc32c(data: Buffer): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = crc32cTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const compute: Partial<Record<StoredChecksum['algorithm'], (d: Buffer) => string>> = {
  CRC32: (d) => uint32(crc32(d)),
  CRC32C: (d) => uint32(crc32c(d)),
  SHA1: (d) => createHash('sha1').update(d).digest('base64'),
  SHA256: (d) => createHash('sha256').update(d).digest('base64'),
};

/** Verifies what the upload claims about its bytes; returns the checksum to keep, if any. */
export function verifyUpload(input: ChecksumInput, body: Buffer): StoredChecksum | undefined {
  if (input.ContentMD5 !== undefined) {
    const claimed = Buffer.from(input.ContentMD5, 'base64');
    if (claimed.length !== 16) throw s3Errors.invalidDigest();
    if (!claimed.equals(createHash('md5').update(body).digest())) throw s3Errors.badDigest('Content-MD5');
  }
  let kept: StoredChecksum | undefined;
  for (const [algorithm, field] of Object.entries(FIELDS) as [StoredChecksum['algorithm'], keyof ChecksumInput][]) {
    const value = input[field];
    if (value === undefined) continue;
    const calc = compute[algorithm];
    if (calc && calc(body) !== value) throw s3Errors.badDigest(algorithm);
    kept ??= { algorithm, value };
  }
  return kept;
}

/** The output member that carries a kept checksum, e.g. `{ ChecksumCRC32: '...' }`. */
export const checksumOutput = (c: StoredChecksum | undefined): Record<string, string> => (c ? { [FIELDS[c.algorithm]]: c.value } : {});
