// Reads one plain file through its own descriptor with positional reads, so a rename, a deletion or a new
// file at the same path never changes what this reader sees.
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { ContentReader } from './contentReader.js';
import { statHandle, type FileStat } from './fileIdentity.js';

const LF = 0x0a;

export class PlainFileReader implements ContentReader {
  readonly compressed = false;
  private pos: number;
  private closed = false;
  /** reused for prefix checks (at most FINGERPRINT_MAX_BYTES) */
  private scratch: Buffer = Buffer.alloc(0);

  constructor(readonly handle: FileHandle, position: number) {
    this.pos = position;
  }

  get position(): number {
    return this.pos;
  }

  async read(target: Buffer, length: number): Promise<number> {
    const { bytesRead } = await this.handle.read(target, 0, Math.min(length, target.length), this.pos);
    this.pos += bytesRead;
    return bytesRead;
  }

  /** Move the read position (back after a chunk was set aside unread, or to 0 for a rewritten file). */
  seek(position: number): void {
    this.pos = position;
  }

  stat(): Promise<FileStat> {
    return statHandle(this.handle);
  }

  /**
   * Whether the file still starts with `prefix` (false when it became shorter or its first bytes changed).
   * Checked after every chunk read, so it reads its at most 1 KiB synchronously: those bytes are in the page
   * cache, and an async round trip here would double the cost of each read.
   */
  startsWith(prefix: Buffer): boolean {
    const want = prefix.length;
    if (want === 0) return true;
    if (this.scratch.length < want) this.scratch = Buffer.alloc(Math.max(want, 1024));
    let got = 0;
    while (got < want) {
      const bytesRead = readSync(this.handle.fd, this.scratch, got, want - got, got);
      if (bytesRead === 0) return false;
      got += bytesRead;
    }
    return this.scratch.compare(prefix, 0, want, 0, want) === 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** Whether `buf` begins with the bytes of `prefix`. */
export function startsWithBytes(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** Offset just after the last '\n' among the first `size` bytes (0 when there is none). */
export async function endOfLastLine(handle: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(LF);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}
