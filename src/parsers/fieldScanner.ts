// The engine every format-string parser shares: a format compiled to literals and variables is matched
// against a line with indexOf on the literal separators, recording where each variable's value starts
// and ends. No regex, no substrings during the match; values are cut out later only when used.
//
// Real logs bend the shape, so the scanner knows a few controlled tolerances, each switched on per format:
//  - head anchor: the fields before the first `[`/`"` literal are split from the right, so the client
//    field may carry a vhost prefix or an X-Forwarded-For list with spaces;
//  - missing tail: trailing fields may be absent (Phabricator trims trailing empty fields; a `combined`
//    parser also reads `common` lines);
//  - extra tail: text after the last field is ignored when it starts with a space (extra `"$http_x_forwarded_for"`);
//  - backtracking: when a later field does not fit, an earlier separator is looked for further on
//    (old Apache versions logged a raw `"` inside the request line).

import { failure, showLiteral, showValue } from './failures.js';
import type { ParseFailure } from './types.js';

/** Value checks applied during the match (they steer backtracking and name bad fields). */
export const CHECK_NONE = 0;
/** digits only, `-` or empty */
export const CHECK_INTEGER = 1;
/** digits with an optional fraction, `-` or empty */
export const CHECK_DECIMAL = 2;

/** When trailing fields may be absent: never; only if every literal left is whitespace; always. */
export type MissingTail = 'never' | 'trimmed' | 'any';

export interface ScanLayout {
  /** literal text before variable 0, between variables, and after the last one (variables + 1 entries) */
  literals: readonly string[];
  /** one CHECK_* per variable */
  checks: Uint8Array;
  /** how each variable is written in the format (`%c`, `$status`), for messages */
  names: readonly string[];
  /** k >= 1: variables 0..k-1 form a head that ends at literal k and is split from the right; else -1 */
  headAnchor: number;
  /** Apache writes `"` inside values as `\"`: a `"` after an odd run of backslashes is not a separator */
  backslashEscapedQuotes: boolean;
  missingTail: MissingTail;
  /** the first variable allowed to run to the end of the line when its separator is missing */
  missingTailFrom: number;
  extraTail: boolean;
  backtrack: boolean;
  /**
   * Text that cannot occur inside the last field when it runs to the end of the line (Phabricator
   * escapes tabs in values, so a raw tab there means the line has more fields than the format); or null.
   */
  lastFieldForbids: string | null;
}

const BACKTRACK_BUDGET = 32;

function isWhitespaceOnly(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 11 && c !== 12) return false;
  }
  return true;
}

/**
 * Matches lines against one layout. Not reentrant: `starts`/`ends`/`matched` describe the last line
 * scanned and are overwritten by the next call (parsers use them right away).
 */
export class FieldScanner {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** how many variables received a value; the rest were absent (missing tail) */
  matched = 0;
  /** end of the line content (a trailing CR is not content) */
  lineEnd = 0;

  private readonly varCount: number;
  private readonly trimmableFrom: boolean[];
  private line = '';
  private budget = 0;
  private firstFailure: ParseFailure | null = null;

  constructor(readonly layout: ScanLayout) {
    this.varCount = layout.checks.length;
    this.starts = new Int32Array(this.varCount);
    this.ends = new Int32Array(this.varCount);
    this.trimmableFrom = new Array<boolean>(layout.literals.length + 1).fill(true);
    for (let i = layout.literals.length - 1; i >= 0; i--) {
      this.trimmableFrom[i] = this.trimmableFrom[i + 1]! && isWhitespaceOnly(layout.literals[i]!);
    }
  }

  /** Matches `line`; null on success (positions in starts/ends), else the most specific failure seen. */
  scan(line: string): ParseFailure | null {
    let end = line.length;
    if (end > 0 && line.charCodeAt(end - 1) === 13) end--;
    this.line = line;
    this.lineEnd = end;
    this.matched = 0;
    this.budget = BACKTRACK_BUDGET;
    this.firstFailure = null;
    let ok: boolean;
    if (this.layout.headAnchor > 0) {
      ok = this.matchHead();
    } else {
      const prefix = this.layout.literals[0]!;
      const fits = prefix.length === 1 ? end > 0 && line.charCodeAt(0) === prefix.charCodeAt(0) : line.startsWith(prefix) && prefix.length <= end;
      if (prefix.length > 0 && !fits) {
        this.line = '';
        return failure('format_mismatch', `expected ${showLiteral(prefix)} at column 0`);
      }
      ok = this.matchVar(0, prefix.length);
    }
    this.line = '';
    if (ok) return null;
    return this.firstFailure ?? failure('format_mismatch', 'the line does not have the format\'s shape');
  }

  /** True when variable i got no value, or an empty one. */
  isEmpty(i: number): boolean {
    return i < 0 || i >= this.matched || this.ends[i] === this.starts[i];
  }

  /** Raw text of variable i in `line` (the line just scanned); null when absent, empty or `-`. */
  raw(line: string, i: number): string | null {
    if (i < 0 || i >= this.matched) return null;
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    if (end === start || (end - start === 1 && line.charCodeAt(start) === 45)) return null;
    return line.slice(start, end);
  }

  /** Number in variable i (checked by CHECK_INTEGER/CHECK_DECIMAL); null when absent, empty or `-`. */
  number(line: string, i: number): number | null {
    if (i < 0 || i >= this.matched) return null;
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    if (end === start || (end - start === 1 && line.charCodeAt(start) === 45)) return null;
    let value = 0;
    for (let p = start; p < end; p++) {
      const c = line.charCodeAt(p);
      if (c < 48 || c > 57) {
        const parsed = Number(line.slice(start, end));
        return Number.isFinite(parsed) ? parsed : null;
      }
      value = value * 10 + (c - 48);
    }
    return value;
  }

  private fail(f: ParseFailure): void {
    if (this.firstFailure === null) this.firstFailure = f;
  }

  /** Position of `literal` at or after `from`, skipping backslash-escaped quotes; -1 if none fits. */
  private find(literal: string, from: number): number {
    const line = this.line;
    let at = line.indexOf(literal, from);
    if (this.layout.backslashEscapedQuotes && literal.charCodeAt(0) === 34) {
      while (at !== -1 && this.isEscaped(at)) at = line.indexOf(literal, at + 1);
    }
    if (at !== -1 && at + literal.length > this.lineEnd) return -1;
    return at;
  }

  private isEscaped(at: number): boolean {
    let count = 0;
    for (let i = at - 1; i >= 0 && this.line.charCodeAt(i) === 92; i--) count++;
    return (count & 1) === 1;
  }

  /** Records variable i's value and checks it. */
  private setVar(i: number, start: number, end: number): boolean {
    this.starts[i] = start;
    this.ends[i] = end;
    const check = this.layout.checks[i]!;
    if (check === CHECK_NONE) return true;
    const line = this.line;
    const length = end - start;
    if (length === 0 || (length === 1 && line.charCodeAt(start) === 45)) return true;
    let dot = check === CHECK_INTEGER;
    let ok = length <= 24;
    for (let p = start; ok && p < end; p++) {
      const c = line.charCodeAt(p);
      if (c >= 48 && c <= 57) continue;
      if (c === 46 && !dot && p > start && p < end - 1) {
        dot = true;
        continue;
      }
      ok = false;
    }
    if (ok) return true;
    this.fail(failure('bad_field', `field ${i + 1} (${this.layout.names[i]}): expected a number, got ${showValue(line.slice(start, end))}`));
    return false;
  }

  private tailMayBeMissing(i: number): boolean {
    const mode = this.layout.missingTail;
    if (mode === 'never' || i < this.layout.missingTailFrom) return false;
    return mode === 'any' || this.trimmableFrom[i + 1]!;
  }

  private matchHead(): boolean {
    const { literals, names } = this.layout;
    const k = this.layout.headAnchor;
    const anchor = literals[k]!;
    const anchorAt = this.find(anchor, 0);
    if (anchorAt === -1) {
      this.fail(failure('format_mismatch', `expected ${showLiteral(anchor)} after field ${k} (${names[k - 1]})`));
      return false;
    }
    let end = anchorAt;
    for (let j = k - 1; j >= 1; j--) {
      const separator = literals[j]!;
      const at = end - separator.length < 0 ? -1 : this.line.lastIndexOf(separator, end - separator.length);
      if (at <= 0) {
        this.fail(failure('format_mismatch', `expected ${k} fields separated by ${showLiteral(separator)} before ${showLiteral(anchor)}`));
        return false;
      }
      if (!this.setVar(j, at + separator.length, end)) return false;
      end = at;
    }
    if (!this.setVar(0, 0, end)) return false;
    return this.matchVar(k, anchorAt + anchor.length);
  }

  private matchVar(i: number, pos: number): boolean {
    const n = this.varCount;
    if (i === n) return this.matchEnd(pos);
    const literal = this.layout.literals[i + 1]!;
    if (literal.length === 0) {
      // Only the last variable can have an empty literal after it (compilers reject adjacent variables).
      let end = this.lineEnd;
      if (this.layout.extraTail && this.layout.checks[i] !== CHECK_NONE) {
        const space = this.line.indexOf(' ', pos);
        if (space !== -1 && space < end) end = space;
      }
      const forbidden = this.layout.lastFieldForbids;
      if (forbidden !== null) {
        const at = this.line.indexOf(forbidden, pos);
        if (at !== -1 && at < end) {
          this.fail(failure('format_mismatch', `unexpected ${showLiteral(forbidden)} in field ${i + 1} (${this.layout.names[i]}): the line has more fields than the format`));
          return false;
        }
      }
      return this.setVar(i, pos, end) && this.matchEnd(end);
    }
    let from = pos;
    for (;;) {
      const at = this.find(literal, from);
      if (at === -1) {
        if (from === pos && this.tailMayBeMissing(i)) {
          if (!this.setVar(i, pos, this.lineEnd)) return false;
          this.matched = i + 1;
          return true;
        }
        this.fail(failure('format_mismatch', `expected ${showLiteral(literal)} after field ${i + 1} (${this.layout.names[i]})`));
        return false;
      }
      if (this.setVar(i, pos, at) && this.matchVar(i + 1, at + literal.length)) return true;
      if (!this.layout.backtrack || --this.budget <= 0) return false;
      from = at + 1;
    }
  }

  private matchEnd(pos: number): boolean {
    if (pos < this.lineEnd) {
      const c = this.line.charCodeAt(pos);
      if (!this.layout.extraTail || (c !== 32 && c !== 9)) {
        this.fail(failure('format_mismatch', `unexpected text after the last field at column ${pos}: ${showValue(this.line.slice(pos, this.lineEnd))}`));
        return false;
      }
    }
    this.matched = this.varCount;
    return true;
  }
}
