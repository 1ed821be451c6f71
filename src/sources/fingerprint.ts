// A file's fingerprint: sha256 of its first min(size, 1024) content bytes (decompressed for .gz). Together
// with (dev, ino) it tells a resumed file from a new file that reuses the inode, and alone it recognizes the
// same content under a new inode (a copytruncate copy, a compressed rotated sibling).
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { GunzipPuller } from './gunzipPuller.js';
import { FINGERPRINT_MAX_BYTES, type Fingerprint } from './types.js';

export function fingerprintOf(prefix: Buffer): Fingerprint {
  const length = Math.min(prefix.length, FINGERPRINT_MAX_BYTES);
  const hash = createHash('sha256').update(prefix.subarray(0, length)).digest('hex');
  return { hash, length };
}

/** Whether content starting with `prefix` has fingerprint `fp` (an empty fingerprint matches nothing). */
export function prefixMatches(prefix: Buffer, fp: Fingerprint): boolean {
  if (fp.length <= 0 || prefix.length < fp.length) return false;
  return createHash('sha256').update(prefix.subarray(0, fp.length)).digest('hex') === fp.hash;
}

/** The first min(size, 1024) bytes of a plain file, read by position (the handle's cursor is not used). */
export async function readPlainPrefix(handle: FileHandle, size: number): Promise<Buffer> {
  const want = Math.min(size, FINGERPRINT_MAX_BYTES);
  const buf = Buffer.alloc(want);
  let got = 0;
  while (got < want) {
    const { bytesRead } = await handle.read(buf, got, want - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === want ? buf : buf.subarray(0, got);
}

/** Thrown when a .gz file cannot be decompressed (corrupt, or still being written). */
export class GzipContentError extends Error {
  constructor(readonly path: string, cause: unknown) {
    super(`cannot decompress ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'GzipContentError';
  }
}

/**
 * The first min(size, 1024) decompressed bytes of a gzip file. A stream that ends early (a file still being
 * compressed) still yields what it could decompress; only a start that cannot be decompressed is an error.
 */
export async function readGzipPrefix(handle: FileHandle, path: string): Promise<Buffer> {
  const puller = new GunzipPuller(handle);
  const parts: Buffer[] = [];
  let got = 0;
  try {
    while (got < FINGERPRINT_MAX_BYTES) {
      const chunk = await puller.next();
      if (chunk === null) break;
      parts.push(chunk);
      got += chunk.length;
    }
  } finally {
    puller.destroy();
  }
  if (got === 0 && puller.error !== null) throw new GzipContentError(path, puller.error);
  const all = Buffer.concat(parts, got);
  return all.length > FINGERPRINT_MAX_BYTES ? Buffer.from(all.subarray(0, FINGERPRINT_MAX_BYTES)) : all;
}
