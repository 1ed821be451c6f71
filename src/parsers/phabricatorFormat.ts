// Compiles a Phabricator/Phorge `log.access.format` or `log.ssh.format` string (PhutilDeferredLog's `%x`
// letters with literal text between them) into a scan layout. Any letter is accepted: letters the
// writer does not know are logged as `-`, so they are fields we skip.

import { CHECK_DECIMAL, CHECK_INTEGER, CHECK_NONE, type ScanLayout } from './fieldScanner.js';
import { parseEpochSeconds, parseRfc2822Time } from './timestamps.js';
import { TimestampCache } from './timestampCache.js';
import type { FormatError } from './types.js';

export const PHABRICATOR_ACCESS_DEFAULT_FORMAT = '[%D]\t%p\t%h\t%r\t%u\t%C\t%m\t%U\t%R\t%c\t%T';
export const PHABRICATOR_SSH_DEFAULT_FORMAT = '[%D]\t%p\t%h\t%r\t%s\t%S\t%u\t%C\t%U\t%c\t%T\t%i\t%o';

export interface PhabricatorFormat {
  /** one letter per variable, in order (`D`, `p`, ...) */
  letters: string[];
  /** literal text around the variables (letters.length + 1 entries) */
  literals: string[];
  /** index of the first %D or %e variable */
  timestampIndex: number;
}

/** Numeric letters are checked while scanning, so a bad value is reported against its field. */
function checkFor(letter: string): number {
  switch (letter) {
    case 'p': case 'c': case 'i': case 'o': return CHECK_INTEGER;
    case 'T': case 'e': return CHECK_DECIMAL;
    default: return CHECK_NONE;
  }
}

/** Parses the format string; a FormatError names the position of the problem. */
export function compilePhabricatorFormat(format: string): PhabricatorFormat | FormatError {
  const letters: string[] = [];
  const literals: string[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      literal += ch;
      continue;
    }
    if (i + 1 >= format.length) {
      return { message: "the format ends with a lone '%' (write '%%' for a percent sign)", position: i };
    }
    const letter = format[i + 1]!;
    i++;
    if (letter === '%') {
      literal += '%';
      continue;
    }
    if (letters.length > 0 && literal.length === 0) {
      const previous = letters[letters.length - 1]!;
      return {
        message: `%${previous} and %${letter} have no text between them, so a line cannot be split into the two values`,
        position: i - 1,
      };
    }
    literals.push(literal);
    literal = '';
    letters.push(letter);
  }
  literals.push(literal);

  const timestampIndex = letters.findIndex((l) => l === 'D' || l === 'e');
  if (timestampIndex === -1) {
    return { message: 'the format has no timestamp (%D or %e), so events could not be placed in time', position: null };
  }
  return { letters, literals, timestampIndex };
}

/**
 * The separator before the last field when it is made of control characters (the default tab): values
 * never contain those unescaped, so one inside the last field means an extra field. Null otherwise.
 */
function lastSeparatorIfControl(literals: readonly string[]): string | null {
  if (literals.length < 3 || literals[literals.length - 1] !== '') return null;
  const separator = literals[literals.length - 2]!;
  if (separator.length === 0) return null;
  for (let i = 0; i < separator.length; i++) if (separator.charCodeAt(i) >= 32) return null;
  return separator;
}

/**
 * Letters Phabricator can write as an empty string (a key that is set but empty: %I with no cluster.instance,
 * the SSH exit code on success, an empty Referer header). Only these can vanish when the writer right-trims the
 * line; a line that ends before any other field was cut short (a writer killed mid-line), not trimmed.
 */
const MAY_BE_EMPTY = new Set(['I', 'c', 'R']);

function firstTrimmableField(compiled: PhabricatorFormat): number {
  let last = compiled.letters.length - 1;
  while (last > compiled.timestampIndex && MAY_BE_EMPTY.has(compiled.letters[last]!)) last--;
  // The scanner's `missingTailFrom` is the first variable allowed to run to the end of the line.
  return last;
}

/** Scan layout for a compiled format: no backtracking (values are C-escaped, separators are literal). */
export function phabricatorScanLayout(compiled: PhabricatorFormat): ScanLayout {
  return {
    literals: compiled.literals,
    checks: Uint8Array.from(compiled.letters, checkFor),
    names: compiled.letters.map((l) => '%' + l),
    headAnchor: -1,
    backslashEscapedQuotes: false,
    missingTail: 'trimmed',
    missingTailFrom: firstTrimmableField(compiled),
    extraTail: false,
    backtrack: false,
    lastFieldForbids: lastSeparatorIfControl(compiled.literals),
  };
}

/** Index of the first variable with this letter, or -1. */
export function letterIndex(compiled: PhabricatorFormat, letter: string): number {
  return compiled.letters.indexOf(letter);
}

/** Reads the timestamp variable (%D or %e) of a compiled Phabricator format. */
export function phabricatorTimestampCache(compiled: PhabricatorFormat, timezone: string): TimestampCache {
  const letter = compiled.letters[compiled.timestampIndex];
  return new TimestampCache(letter === 'e' ? parseEpochSeconds : (text) => parseRfc2822Time(text, timezone));
}
