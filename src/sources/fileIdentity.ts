// Which inode a path or an open file is, read with bigint stat: 64-bit inode numbers can exceed 2^53.
import { stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';

/** What the tailer needs from stat(2), with dev/ino exact and sizes as plain numbers (files < 2^53 bytes). */
export interface FileStat {
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeMs: number;
  /** 0 once the file was deleted while we hold it open */
  nlink: number;
  isFile: boolean;
  /**
   * Changes whenever the file's size, content time or inode metadata change. An inode number freed and
   * reused by a new file gets a new stamp, so a memo keyed by inode stays right only together with it.
   */
  changeStamp: string;
}

function toFileStat(s: BigIntStats): FileStat {
  return {
    dev: s.dev,
    ino: s.ino,
    size: Number(s.size),
    mtimeMs: Number(s.mtimeMs),
    nlink: Number(s.nlink),
    isFile: s.isFile(),
    changeStamp: `${s.size}:${s.mtimeNs}:${s.ctimeNs}`,
  };
}

/** ENOENT or ENOTDIR: nothing is at that path. */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** stat of a path (following symlinks); null when nothing is there. Other errors are thrown. */
export async function statPath(path: string): Promise<FileStat | null> {
  try {
    return toFileStat(await stat(path, { bigint: true }));
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** fstat of an open file: still answers after the file was renamed or deleted. */
export async function statHandle(handle: FileHandle): Promise<FileStat> {
  return toFileStat(await handle.stat({ bigint: true }));
}

/** A map key for an inode. */
export function inodeKey(id: { dev: bigint; ino: bigint }): string {
  return `${id.dev}:${id.ino}`;
}

export function sameInode(a: { dev: bigint; ino: bigint }, b: { dev: bigint; ino: bigint }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
