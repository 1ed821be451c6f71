// Tolerant percent-decoding for request paths. Phorge logs `/auth/login/password%3Aself/` where nginx logs
// `/auth/login/password:self/`; both must end up as the same stored path. Scanners send broken encodings
// on purpose (`%u9090`, overlong `%c0%af`), so nothing here may throw: what cannot be decoded stays as written.

import { EscapedByteRun, hexDigitValue } from './escapedBytes.js';

/**
 * Decodes every valid `%XX` whose bytes form UTF-8; invalid sequences, lone `%` and control characters
 * (which would let a path forge lines in whatever displays it) are left as they were. `+` is not a space
 * in a path and is left alone.
 */
export function decodePercent(value: string): string {
  let next = value.indexOf('%');
  if (next === -1) return value;

  const run = new EscapedByteRun();
  let out = '';
  let literalStart = 0;
  const length = value.length;
  while (next !== -1) {
    const high = next + 2 < length ? hexDigitValue(value.charCodeAt(next + 1)) : -1;
    const low = high === -1 ? -1 : hexDigitValue(value.charCodeAt(next + 2));
    if (low === -1) {
      // Not an escape: the `%` stays literal text.
      next = value.indexOf('%', next + 1);
      continue;
    }
    if (next > literalStart) {
      if (!run.isEmpty) out += run.flush(value, true);
      out += value.slice(literalStart, next);
    }
    run.push(high * 16 + low, next, next + 3);
    literalStart = next + 3;
    next = value.indexOf('%', literalStart);
  }
  if (!run.isEmpty) out += run.flush(value, true);
  if (literalStart < length) out += value.slice(literalStart);
  return out;
}
