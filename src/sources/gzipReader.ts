// Reads the decompressed content of a .gz rotated sibling through its own descriptor. A gzip stream cannot
// seek, so resuming at a checkpoint decompresses and discards the first `offset` bytes (as Filebeat does).
import type { FileHandle } from 'node:fs/promises';
import type { ContentReader } from './contentReader.js';
import { GunzipPuller } from './gunzipPuller.js';

export class GzipFileReader implements ContentReader {
  readonly compressed = true;
  private puller: GunzipPuller;
  private pending: Buffer | null = null;
  private pendingPos = 0;
  private pos = 0;
  private closed = false;

  private constructor(readonly handle: FileHandle) {
    this.puller = new GunzipPuller(handle);
  }

  /** A reader positioned `skip` decompressed bytes in; check `position` (a shorter stream stops early). */
  static async open(handle: FileHandle, skip: number): Promise<GzipFileReader> {
    const reader = new GzipFileReader(handle);
    await reader.discard(skip);
    return reader;
  }

  get position(): number {
    return this.pos;
  }

  /** the decompressed stream ended cleanly and everything was read */
  get ended(): boolean {
    return this.pending === null && this.puller.done;
  }

  /** why decompression stopped early (corrupt file, or one still being written), or null */
  get failure(): Error | null {
    return this.pending === null ? this.puller.error : null;
  }

  /** Decompress again from the start and skip to the current position (after a failure on a growing file). */
  async reopen(): Promise<void> {
    const target = this.pos;
    this.puller.destroy();
    this.puller = new GunzipPuller(this.handle);
    this.pending = null;
    this.pendingPos = 0;
    this.pos = 0;
    await this.discard(target);
  }

  async read(target: Buffer, length: number): Promise<number> {
    const want = Math.min(length, target.length);
    let copied = 0;
    while (copied < want) {
      if (this.pending === null && !(await this.pull())) break;
      const pending = this.pending as unknown as Buffer;
      const n = Math.min(pending.length - this.pendingPos, want - copied);
      pending.copy(target, copied, this.pendingPos, this.pendingPos + n);
      copied += n;
      this.consume(n);
    }
    return copied;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.puller.destroy();
    await this.handle.close();
  }

  private async discard(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      if (this.pending === null && !(await this.pull())) return;
      const pending = this.pending as unknown as Buffer;
      const n = Math.min(pending.length - this.pendingPos, left);
      left -= n;
      this.consume(n);
    }
  }

  private consume(n: number): void {
    this.pendingPos += n;
    this.pos += n;
    if (this.pending !== null && this.pendingPos >= this.pending.length) {
      this.pending = null;
      this.pendingPos = 0;
    }
  }

  private async pull(): Promise<boolean> {
    const chunk = await this.puller.next();
    if (chunk === null) return false;
    this.pending = chunk;
    this.pendingPos = 0;
    return true;
  }
}
