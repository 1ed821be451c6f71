// Bytes -> lines with exact byte offsets. Only '\n'-terminated lines come out ('\r\n' tolerated); a partial
// line is carried until its newline arrives. A line longer than max_line_bytes is never buffered whole: its
// first bytes are kept as a sample, the rest is skipped up to its newline, and the offset still advances
// past it (a skipped line that did not advance the offset was re-read after every restart: Filebeat #23417).
import { isUtf8 } from 'node:buffer';
import type { Line } from './types.js';

/** How many leading bytes of an oversized line are kept as its text. */
export const OVERSIZED_SAMPLE_BYTES = 256;

const LF = 0x0a;
const CR = 0x0d;
const REPLACEMENT_CHAR = '\uFFFD';

export class LineSplitter {
  /** bytes of a partial line (a private copy: callers reuse their read buffers) */
  private carry: Buffer | null = null;
  private carryStart = 0;
  /** inside an oversized line: its start, bytes seen so far, and its first bytes */
  private skipping = false;
  private skipStart = 0;
  private skipLength = 0;
  private skipSample: Buffer | null = null;
  private end: number;

  constructor(private readonly maxLineBytes: number, startOffset: number) {
    this.end = startOffset;
  }

  /** Offset just after the last complete line returned so far. */
  get endOffset(): number {
    return this.end;
  }

  /** Bytes consumed past `endOffset` (a partial or oversized line still open). */
  get pendingBytes(): number {
    if (this.skipping) return this.skipLength;
    return this.carry === null ? 0 : this.carry.length;
  }

  /** Bytes held in memory for the open line: the partial line, or an oversized line's sample (never more than max_line_bytes + 1). */
  get bufferedBytes(): number {
    if (this.skipping) return this.skipSample?.length ?? 0;
    return this.carry === null ? 0 : this.carry.length;
  }

  /** Forget everything and continue at `offset` (a file read again from another position). */
  reset(offset: number): void {
    this.carry = null;
    this.skipping = false;
    this.skipSample = null;
    this.skipLength = 0;
    this.end = offset;
  }

  /**
   * Split `chunk`, whose first byte is at file offset `chunkOffset` (the end of the previous chunk), and
   * append its complete lines to `out`.
   */
  push(chunk: Buffer, chunkOffset: number, out: Line[]): void {
    const len = chunk.length;
    let pos = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        this.skipLength += len;
        return;
      }
      this.skipLength += nl + 1;
      out.push(this.oversizedLine(this.skipStart, this.skipLength, this.skipSample ?? EMPTY));
      this.end = this.skipStart + this.skipLength;
      this.skipping = false;
      this.skipSample = null;
      pos = nl + 1;
    } else if (this.carry !== null) {
      const carry = this.carry;
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        const total = carry.length + len;
        if (total > this.maxLineBytes + 1) {
          this.startSkipping(this.carryStart, total, sampleOf(carry, chunk));
        } else {
          this.carry = Buffer.concat([carry, chunk], total);
        }
        return;
      }
      const line = Buffer.concat([carry, chunk.subarray(0, nl + 1)], carry.length + nl + 1);
      this.carry = null;
      this.emit(line, 0, line.length - 1, this.carryStart, out);
      pos = nl + 1;
      this.end = chunkOffset + pos;
    }
    let nl = chunk.indexOf(LF, pos);
    if (nl >= 0) {
      while (nl >= 0) {
        this.emit(chunk, pos, nl, chunkOffset + pos, out);
        pos = nl + 1;
        nl = chunk.indexOf(LF, pos);
      }
      this.end = chunkOffset + pos;
    }
    if (pos < len) {
      const rest = len - pos;
      if (rest > this.maxLineBytes + 1) {
        this.startSkipping(chunkOffset + pos, rest, Buffer.from(chunk.subarray(pos, pos + OVERSIZED_SAMPLE_BYTES)));
      } else {
        this.carry = Buffer.from(chunk.subarray(pos));
        this.carryStart = chunkOffset + pos;
      }
    }
  }

  /**
   * The final unterminated fragment (a file that will not grow any more), marked `unterminated`, or null.
   * Afterwards `endOffset` is past it.
   */
  takeUnterminated(): Line | null {
    let line: Line | null = null;
    if (this.skipping) {
      line = this.oversizedLine(this.skipStart, this.skipLength, this.skipSample ?? EMPTY);
      line.unterminated = true;
    } else if (this.carry !== null && this.carry.length > 0) {
      const carry = this.carry;
      const contentEnd = carry[carry.length - 1] === CR ? carry.length - 1 : carry.length;
      line = this.decode(carry, 0, contentEnd, this.carryStart, carry.length);
      line.unterminated = true;
    }
    if (line !== null) this.end = line.offset + line.length;
    this.carry = null;
    this.skipping = false;
    this.skipSample = null;
    return line;
  }

  /** One complete line: bytes [start, nl] of buf, nl being the index of its '\n'. */
  private emit(buf: Buffer, start: number, nl: number, offset: number, out: Line[]): void {
    const contentEnd = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
    const length = nl + 1 - start;
    if (contentEnd - start > this.maxLineBytes) {
      out.push(this.oversizedLine(offset, length, buf.subarray(start, Math.min(contentEnd, start + OVERSIZED_SAMPLE_BYTES))));
      return;
    }
    out.push(this.decode(buf, start, contentEnd, offset, length));
  }

  private decode(buf: Buffer, start: number, contentEnd: number, offset: number, length: number): Line {
    const text = buf.toString('utf8', start, contentEnd);
    // isUtf8 scans the bytes again, so only lines that decoded with a replacement character pay for it
    if (text.includes(REPLACEMENT_CHAR) && !isUtf8(buf.subarray(start, contentEnd))) {
      return { offset, length, text, invalidUtf8: true };
    }
    return { offset, length, text };
  }

  private oversizedLine(offset: number, length: number, sample: Buffer): Line {
    return { offset, length, text: sampleText(sample), oversized: true };
  }

  private startSkipping(start: number, seen: number, sample: Buffer): void {
    this.carry = null;
    this.skipping = true;
    this.skipStart = start;
    this.skipLength = seen;
    this.skipSample = sample;
  }
}

const EMPTY = Buffer.alloc(0);

/** The first OVERSIZED_SAMPLE_BYTES of carry + chunk, copied. */
function sampleOf(carry: Buffer, chunk: Buffer): Buffer {
  if (carry.length >= OVERSIZED_SAMPLE_BYTES) return Buffer.from(carry.subarray(0, OVERSIZED_SAMPLE_BYTES));
  return Buffer.concat([carry, chunk.subarray(0, OVERSIZED_SAMPLE_BYTES - carry.length)]);
}

/** Decode a sample cut at an arbitrary byte without a spurious replacement character at the cut. */
function sampleText(sample: Buffer): string {
  let end = sample.length;
  // back up over an incomplete UTF-8 sequence at the end (at most 3 continuation bytes + its lead byte)
  let i = end - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && (sample[i]! & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i >= 0) {
    const lead = sample[i]!;
    const need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
    if (need > continuation) end = i;
  }
  let text = sample.toString('utf8', 0, end);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  return text;
}
