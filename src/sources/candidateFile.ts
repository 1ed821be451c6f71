// A file that may belong to a source, looked at once: identity, first content bytes, and where it sits in
// its rotation family. Used to match checkpoints on start and to judge files that appear while running.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isMissing, statHandle, statPath, type FileStat } from './fileIdentity.js';
import { GzipContentError, readGzipPrefix, readPlainPrefix } from './fingerprint.js';
import { generationOf, isCompressedPath, lineageBase, type Generation } from './rotatedSiblings.js';

export interface CandidateFile {
  path: string;
  dev: bigint;
  ino: bigint;
  /** size on disk (compressed size for .gz) */
  size: number;
  mtimeMs: number;
  /** FileStat.changeStamp when it was looked at */
  changeStamp: string;
  compressed: boolean;
  /** first min(size, 1024) content bytes (decompressed for .gz) */
  prefix: Buffer;
  /** false when its content cannot be read now (see `unreadable`) */
  readable: boolean;
  /** why not: an errno code (EACCES...) or a gzip error message; null when readable */
  unreadable: string | null;
  /** at a path the source's glob matches and not compressed: writers may still append */
  live: boolean;
  /** named like a rotated copy (`X.1`, `X-20240101`, `X.gz`...): content-only identity applies to it */
  siblingShaped: boolean;
  /** path of the live file this one is a generation of (its own path for a live file) */
  lineage: string;
  generation: Generation;
}

const OTHER_GENERATION: Generation = { kind: 'other', number: 0, stamp: '', compressed: false };

/**
 * The rotation family a file belongs to: a rotated name (`X.1.gz`) joins its base `X`, unless the name is
 * itself one of the source's files and its base is not (a live log that happens to be called `worker.1`).
 */
export function lineageOf(path: string, isSourceFile: (p: string) => boolean): string {
  const base = lineageBase(path);
  if (base === path) return path;
  return isSourceFile(base) || !isSourceFile(path) ? base : path;
}

export function describeCandidate(
  path: string,
  st: FileStat,
  prefix: Buffer,
  unreadable: string | null,
  isSourceFile: (p: string) => boolean,
): CandidateFile {
  const compressed = isCompressedPath(path);
  const base = lineageBase(path);
  const lineage = lineageOf(path, isSourceFile);
  return {
    path,
    dev: st.dev,
    ino: st.ino,
    size: st.size,
    mtimeMs: st.mtimeMs,
    changeStamp: st.changeStamp,
    compressed,
    prefix,
    readable: unreadable === null,
    unreadable,
    live: !compressed && isSourceFile(path),
    siblingShaped: compressed || base !== path,
    lineage,
    generation: generationOf(path, lineage) ?? OTHER_GENERATION,
  };
}

/**
 * Open `path` and describe it; null when it is missing or not a regular file. A file that exists but cannot
 * be opened (permissions) or decompressed is described with `readable: false` and the reason.
 */
export async function scanCandidate(
  path: string,
  isSourceFile: (p: string) => boolean,
): Promise<CandidateFile | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (isMissing(err)) return null;
    const st = await statPath(path).catch(() => null);
    if (st === null || !st.isFile) return null;
    return describeCandidate(path, st, Buffer.alloc(0), errorCode(err), isSourceFile);
  }
  try {
    const st = await statHandle(handle);
    if (!st.isFile) return null;
    if (!isCompressedPath(path)) {
      return describeCandidate(path, st, await readPlainPrefix(handle, st.size), null, isSourceFile);
    }
    try {
      return describeCandidate(path, st, await readGzipPrefix(handle, path), null, isSourceFile);
    } catch (err) {
      if (err instanceof GzipContentError) return describeCandidate(path, st, Buffer.alloc(0), err.message, isSourceFile);
      throw err;
    }
  } finally {
    await handle.close();
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? String(err);
}

/** Open `path` only if it is still the inode `expected` (it may have been rotated since it was looked at). */
export async function openSameInode(path: string, expected: { dev: bigint; ino: bigint }): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return null;
  }
  const st = await statHandle(handle).catch(() => null);
  if (st !== null && st.dev === expected.dev && st.ino === expected.ino) return handle;
  await handle.close();
  return null;
}
