// Undoes the escaping webservers apply to logged values. nginx (escape=default) writes `"`, `\` and bytes
// below 32 or above 126 as `\xXX`; Apache writes `\"`, `\\`, C escapes for some controls and `\xhh` for the
// rest. Bytes that form UTF-8 become text; control characters and invalid bytes keep their escaped form,
// so a value can never smuggle a newline or a terminal escape sequence into what an analyst reads.

import { EscapedByteRun, hexDigitValue } from './escapedBytes.js';

/** Byte of a `\xHH` escape starting at `at`, or -1. */
function hexEscapeByte(value: string, at: number): number {
  if (at + 3 >= value.length) return -1;
  const x = value.charCodeAt(at + 1);
  if (x !== 120 && x !== 88) return -1;
  const high = hexDigitValue(value.charCodeAt(at + 2));
  if (high === -1) return -1;
  const low = hexDigitValue(value.charCodeAt(at + 3));
  if (low === -1) return -1;
  return high * 16 + low;
}

/**
 * Shared loop: `escapeAt` reports the byte an escape at a backslash stands for and its length
 * (packed as byte | length << 8), or -1 when the backslash is literal text.
 */
function unescapeWith(value: string, escapeAt: (value: string, at: number) => number): string {
  let next = value.indexOf('\\');
  if (next === -1) return value;
  const run = new EscapedByteRun();
  let out = '';
  let literalStart = 0;
  while (next !== -1) {
    const packed = escapeAt(value, next);
    if (packed === -1) {
      next = value.indexOf('\\', next + 1);
      continue;
    }
    if (next > literalStart) {
      if (!run.isEmpty) out += run.flush(value, true);
      out += value.slice(literalStart, next);
    }
    const length = packed >>> 8;
    run.push(packed & 0xff, next, next + length);
    literalStart = next + length;
    next = value.indexOf('\\', literalStart);
  }
  if (!run.isEmpty) out += run.flush(value, true);
  if (literalStart < value.length) out += value.slice(literalStart);
  return out;
}

function nginxEscapeAt(value: string, at: number): number {
  const byte = hexEscapeByte(value, at);
  return byte === -1 ? -1 : byte | (4 << 8);
}

function apacheEscapeAt(value: string, at: number): number {
  const next = value.charCodeAt(at + 1);
  if (next === 34 /* " */ || next === 92 /* \ */) return next | (2 << 8);
  const byte = hexEscapeByte(value, at);
  return byte === -1 ? -1 : byte | (4 << 8);
}

/** nginx `escape=default`: only `\xXX` is an escape. */
export function unescapeNginx(value: string): string {
  return unescapeWith(value, nginxEscapeAt);
}

/** Apache: `\"`, `\\` and `\xhh` are decoded; `\n`, `\t` and the other C escapes of controls stay as written. */
export function unescapeApache(value: string): string {
  return unescapeWith(value, apacheEscapeAt);
}
