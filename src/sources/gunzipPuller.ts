// Decompresses a .gz file through an open FileHandle, by position, one chunk per request. (Node's stream
// helpers on a shared FileHandle or fd misbehave when a stream is abandoned and another one started, and a
// rotated .gz must be read through the descriptor we verified, never reopened by path.)
import type { FileHandle } from 'node:fs/promises';
import { createGunzip, type Gunzip } from 'node:zlib';

const INPUT_BLOCK = 16 * 1024;
const OUTPUT_CHUNK = 64 * 1024;

export class GunzipPuller {
  private readonly gunzip: Gunzip;
  private readonly queue: Buffer[] = [];
  private readonly block = Buffer.allocUnsafe(INPUT_BLOCK);
  private inputPos = 0;
  private inputDone = false;
  private ended = false;
  private wake: (() => void) | null = null;
  /** why decompression stopped early (corrupt data, or a file cut short), or null */
  error: Error | null = null;

  constructor(private readonly handle: FileHandle) {
    this.gunzip = createGunzip({ chunkSize: OUTPUT_CHUNK });
    this.gunzip.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.notify();
    });
    this.gunzip.on('end', () => {
      this.ended = true;
      this.notify();
    });
    this.gunzip.on('error', (err: Error) => {
      this.error = err;
      this.notify();
    });
  }

  /** The stream ended cleanly and every chunk was taken. */
  get done(): boolean {
    return this.ended && this.queue.length === 0;
  }

  /** The next decompressed chunk; null at the end of the stream or on an error (see `error`). */
  async next(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk !== undefined) return chunk;
      if (this.error !== null || this.ended) return null;
      if (!this.inputDone) {
        const { bytesRead } = await this.handle.read(this.block, 0, INPUT_BLOCK, this.inputPos);
        if (bytesRead === 0) {
          this.inputDone = true;
          this.gunzip.end();
          continue;
        }
        this.inputPos += bytesRead;
        const input = Buffer.from(this.block.subarray(0, bytesRead));
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.gunzip.write(input, () => resolve());
        });
        this.wake = null;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
  }

  destroy(): void {
    this.gunzip.removeAllListeners('data');
    this.gunzip.on('error', () => undefined);
    this.gunzip.destroy();
    this.queue.length = 0;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
