// Undoes the C-style escaping Phabricator applies to every value it logs (PHP addcslashes over
// \0..\37, \\ and \177..\377), like PHP's stripcslashes: `\t` is a tab, `\303\251` is the UTF-8 of 'é'.

import { EscapedByteRun, hexDigitValue } from './escapedBytes.js';

function isOctalDigit(code: number): boolean {
  return code >= 48 && code <= 55;
}

/** Byte for a one-letter escape (`\n`, `\t`, ...), or -1 when the letter is not one. */
function namedEscapeByte(letter: number): number {
  switch (letter) {
    case 110: return 10; // n
    case 116: return 9; // t
    case 114: return 13; // r
    case 97: return 7; // a
    case 118: return 11; // v
    case 98: return 8; // b
    case 102: return 12; // f
    default: return -1;
  }
}

/**
 * stripcslashes equivalent. Escaped bytes that do not form valid UTF-8 keep their escape text
 * (`\351` stays `\351`) instead of becoming U+FFFD. A value without a backslash is returned as is.
 */
export function unescapeC(value: string): string {
  let next = value.indexOf('\\');
  if (next === -1) return value;

  const run = new EscapedByteRun();
  let out = '';
  let literalStart = 0;
  const length = value.length;
  while (next !== -1) {
    if (next > literalStart) {
      if (!run.isEmpty) out += run.flush(value, false);
      out += value.slice(literalStart, next);
    }
    if (next + 1 >= length) {
      // A trailing lone backslash is kept, as PHP does.
      literalStart = next;
      break;
    }
    const letter = value.charCodeAt(next + 1);
    let end = next + 2;
    let byte = namedEscapeByte(letter);
    if (byte === -1) {
      if (isOctalDigit(letter)) {
        byte = letter - 48;
        while (end < length && end < next + 4 && isOctalDigit(value.charCodeAt(end))) {
          byte = byte * 8 + (value.charCodeAt(end) - 48);
          end++;
        }
      } else if (letter === 120 /* x */ && end < length && hexDigitValue(value.charCodeAt(end)) !== -1) {
        byte = hexDigitValue(value.charCodeAt(end));
        end++;
        if (end < length && hexDigitValue(value.charCodeAt(end)) !== -1) {
          byte = byte * 16 + hexDigitValue(value.charCodeAt(end));
          end++;
        }
      }
    }
    if (byte === -1) {
      // `\\`, `\"` and any other escaped character stand for that character itself.
      if (letter < 0x80) {
        run.push(letter, next, end);
      } else {
        if (!run.isEmpty) out += run.flush(value, false);
        out += value[next + 1]!;
      }
    } else {
      run.push(byte, next, end);
    }
    literalStart = end;
    next = value.indexOf('\\', end);
  }
  if (!run.isEmpty) out += run.flush(value, false);
  if (literalStart < length) out += value.slice(literalStart);
  return out;
}
