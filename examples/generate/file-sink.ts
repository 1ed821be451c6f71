// A line sink writing to a file through one large byte buffer: a million lines become a few hundred
// write calls, and no long-lived string ropes are built. Synchronous on purpose: the generator is
// CPU-bound, and this keeps it simple and fast.

import { closeSync, openSync, writeSync } from 'node:fs';

import type { LineSink } from './traffic.js';

const BUFFER_BYTES = 1 << 22;
const NEWLINE = 0x0a;

export class BufferedFileSink implements LineSink {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private closed = false;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw new Error(`cannot open ${path} for writing: ${(error as Error).message}`);
    }
  }

  write(line: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit; the log lines are ASCII in practice.
    const worstCase = line.length * 3 + 1;
    if (this.used + worstCase > BUFFER_BYTES) {
      this.flush();
      if (worstCase > BUFFER_BYTES) {
        writeSync(this.fd, `${line}\n`);
        return;
      }
    }
    this.used += this.buffer.write(line, this.used, 'utf8');
    this.buffer[this.used++] = NEWLINE;
  }

  flush(): void {
    let offset = 0;
    while (offset < this.used) offset += writeSync(this.fd, this.buffer, offset, this.used - offset);
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }
}
