// Turns a run of escaped bytes (`\303\251`, `%C3%A9`, `\xC3\xA9`) back into text. Valid UTF-8 sequences
// become characters; a byte that is not part of one keeps the escape it was written with, so nothing is
// silently replaced by U+FFFD and the original bytes stay recoverable from the stored value.

/** True for the bytes 0x80..0xBF that continue a multi-byte UTF-8 sequence. */
function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x80 && byte <= 0xbf;
}

function isInRange(byte: number | undefined, low: number, high: number): boolean {
  return byte !== undefined && byte >= low && byte <= high;
}

/**
 * Collects escaped bytes together with where each escape sits in the source text, then decodes them.
 * One instance serves one decoding call (it is cheap; decoders only build one when a value has escapes).
 */
export class EscapedByteRun {
  private readonly bytes: number[] = [];
  private readonly from: number[] = [];
  private readonly to: number[] = [];

  get isEmpty(): boolean {
    return this.bytes.length === 0;
  }

  /** Adds one byte written as `source.slice(from, to)`. */
  push(byte: number, from: number, to: number): void {
    this.bytes.push(byte & 0xff);
    this.from.push(from);
    this.to.push(to);
  }

  /**
   * Decodes the collected bytes and empties the run. With `keepControls`, C0 control characters and DEL
   * keep their escaped form too: a decoded newline or ESC in a stored path or user agent would let a
   * client forge log lines or terminal output for whoever reads the value later.
   */
  flush(source: string, keepControls: boolean): string {
    const b = this.bytes;
    const n = b.length;
    let out = '';
    let i = 0;
    while (i < n) {
      const first = b[i]!;
      let codePoint = -1;
      let length = 1;
      if (first < 0x80) {
        codePoint = first;
      } else if (first >= 0xc2 && first <= 0xdf) {
        if (isContinuationByte(b[i + 1])) {
          codePoint = ((first & 0x1f) << 6) | (b[i + 1]! & 0x3f);
          length = 2;
        }
      } else if (first >= 0xe0 && first <= 0xef) {
        // E0 needs A0..BF (no overlongs), ED needs 80..9F (no UTF-16 surrogates).
        const low = first === 0xe0 ? 0xa0 : 0x80;
        const high = first === 0xed ? 0x9f : 0xbf;
        if (isInRange(b[i + 1], low, high) && isContinuationByte(b[i + 2])) {
          codePoint = ((first & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
          length = 3;
        }
      } else if (first >= 0xf0 && first <= 0xf4) {
        const low = first === 0xf0 ? 0x90 : 0x80;
        const high = first === 0xf4 ? 0x8f : 0xbf;
        if (isInRange(b[i + 1], low, high) && isContinuationByte(b[i + 2]) && isContinuationByte(b[i + 3])) {
          codePoint = ((first & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
          length = 4;
        }
      }
      if (codePoint < 0 || (keepControls && (codePoint < 0x20 || codePoint === 0x7f))) {
        out += source.slice(this.from[i]!, this.to[i]!);
        i += 1;
      } else {
        out += String.fromCodePoint(codePoint);
        i += length;
      }
    }
    b.length = 0;
    this.from.length = 0;
    this.to.length = 0;
    return out;
  }
}

/** Value of one hexadecimal digit character, or -1. */
export function hexDigitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}
