/**
 * Object bytes, as files in a directory beside the store. Each upload gets a new file, written
 * and synced before the record that names it is committed, so no committed record can point at
 * a missing or partial file. A file a record no longer names is deleted by a loop queued in the
 * same transaction that let go of it: if that transaction rolls back, the file stays.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Env } from '../service.ts';

export const BLOB_SWEEP = 's3.deleteBlob';

export function blobDir(env: Env): string {
  const path = env.store.path;
  return path === ':memory:' ? join(tmpdir(), `faultline-s3-${process.pid}`) : join(dirname(path), 's3');
}

const fileOf = (env: Env, name: string) => join(blobDir(env), name.slice(0, 2), name);

/** Writes bytes to a new blob and returns its name. */
export function writeBlob(env: Env, data: Buffer): string {
  const name = randomBytes(16).toString('hex');
  const path = fileOf(env, name);
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'wx');
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return name;
}

/** Reads `length` bytes from `start` (the whole blob by default). */
export function readBlob(env: Env, name: string, start = 0, length?: number): Buffer {
  const fd = openSync(fileOf(env, name), 'r');
  try {
    const size = length ?? fstatSync(fd).size - start;
    const buf = Buffer.alloc(Math.max(0, size));
    for (let off = 0; off < buf.length; ) {
      const n = readSync(fd, buf, off, buf.length - off, start + off);
      if (n === 0) break;
      off += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Queues the deletion of a blob no record names any more, in the caller's transaction. */
export function releaseBlob(env: Env, name: string): void {
  env.scheduler.enqueue(BLOB_SWEEP, name);
}

/** Removes a blob the caller just wrote and will not commit. */
export function abandonBlob(env: Env, name: string): void {
  rmSync(fileOf(env, name), { force: true });
}

export const blobLoops = (env: Env) => ({
  [BLOB_SWEEP]: (name: string) => {
    rmSync(fileOf(env, name), { force: true });
  },
});
