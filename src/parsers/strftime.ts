// Reads times written with a strftime pattern (Apache `%{format}t`), e.g. `%d/%b/%Y:%H:%M:%S %z` or
// `%Y-%m-%d %H:%M:%S`. The pattern is compiled once; without %z (or %s) the time is local in `zone`.

import { fieldsToEpochMs, monthNumber, newTimeFields, parseEpochSeconds, TextCursor, type TimeFields } from './timestamps.js';

type Step = { literal: string } | { conversion: string };

/** Composite conversions expanded to their parts. */
const COMPOSITES: Readonly<Record<string, string>> = {
  T: '%H:%M:%S', D: '%m/%d/%y', F: '%Y-%m-%d', R: '%H:%M', r: '%I:%M:%S %p',
};

const SUPPORTED = new Set(['d', 'e', 'm', 'b', 'h', 'B', 'Y', 'y', 'H', 'I', 'M', 'S', 'p', 'z', 'Z', 'a', 'A', 's', 'n', 't']);

function expand(pattern: string, steps: Step[]): string | null {
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch !== '%') {
      literal += ch;
      continue;
    }
    const conversion = pattern[++i];
    if (conversion === undefined) return "the time format ends with a lone '%'";
    if (conversion === '%') {
      literal += '%';
      continue;
    }
    if (literal.length > 0) {
      steps.push({ literal });
      literal = '';
    }
    const composite = COMPOSITES[conversion];
    if (composite !== undefined) {
      const problem = expand(composite, steps);
      if (problem !== null) return problem;
    } else if (SUPPORTED.has(conversion)) {
      steps.push({ conversion });
    } else {
      return `the time format uses %${conversion}, which cannot be read back`;
    }
  }
  if (literal.length > 0) steps.push({ literal });
  return null;
}

/** Applies one conversion at the cursor; false when the text does not fit. */
function readConversion(c: TextCursor, conversion: string, f: TimeFields, state: { pm: number; epoch: number }): boolean {
  switch (conversion) {
    case 'd': f.day = c.digits(1, 2); return f.day >= 0;
    case 'e': c.skipSpaces(); f.day = c.digits(1, 2); return f.day >= 0;
    case 'm': f.month = c.digits(1, 2); return f.month >= 0;
    case 'b': case 'h': case 'B': f.month = monthNumber(c.letters()); return f.month > 0;
    case 'Y': f.year = c.digits(4, 4); return f.year >= 0;
    case 'y': {
      const y = c.digits(2, 2);
      f.year = y < 69 ? 2000 + y : 1900 + y;
      return y >= 0;
    }
    case 'H': f.hour = c.digits(1, 2); return f.hour >= 0;
    case 'I': f.hour = c.digits(1, 2); return f.hour >= 1 && f.hour <= 12;
    case 'M': f.minute = c.digits(1, 2); return f.minute >= 0;
    case 'S': f.second = c.digits(1, 2); return f.second >= 0;
    case 'p': {
      const word = c.letters().toUpperCase();
      state.pm = word === 'PM' ? 1 : word === 'AM' ? 0 : -2;
      return state.pm >= 0;
    }
    case 'z': {
      const offset = c.offset();
      if (offset === null || Number.isNaN(offset)) return false;
      f.offsetMs = offset;
      return true;
    }
    case 'Z': {
      const name = c.letters().toUpperCase();
      if (name === 'UTC' || name === 'GMT' || name === 'Z') f.offsetMs = 0;
      return name.length > 0;
    }
    case 'a': case 'A': return c.letters().length > 0;
    case 's': {
      const start = c.pos;
      while (!c.atEnd && c.peek() >= 48 && c.peek() <= 57) c.pos++;
      state.epoch = parseEpochSeconds(c.text.slice(start, c.pos));
      return !Number.isNaN(state.epoch);
    }
    case 'n': case 't': c.skipSpaces(); return true;
    default: return false;
  }
}

/**
 * Compiles `pattern` into a reader returning ms since the epoch (NaN when the text does not fit), or an
 * error message when the pattern cannot be read back (locale-dependent conversions, no date in it).
 */
export function compileStrftime(pattern: string, zone: string): ((text: string) => number) | string {
  const steps: Step[] = [];
  const problem = expand(pattern, steps);
  if (problem !== null) return problem;
  const used = new Set(steps.flatMap((s) => ('conversion' in s ? [s.conversion] : [])));
  const hasDate = (used.has('Y') || used.has('y')) && (used.has('m') || used.has('b') || used.has('h') || used.has('B')) && (used.has('d') || used.has('e'));
  if (!hasDate && !used.has('s')) return 'the time format has no full date (year, month and day) or %s';
  if (used.has('I') && !used.has('p')) return 'the time format uses %I without %p';

  return (text: string): number => {
    const c = new TextCursor(text);
    const f = newTimeFields();
    const state = { pm: -1, epoch: Number.NaN };
    for (const step of steps) {
      if ('literal' in step) {
        for (const ch of step.literal) {
          if (ch === ' ') c.skipSpaces();
          else if (!c.eat(ch)) return Number.NaN;
        }
      } else if (!readConversion(c, step.conversion, f, state)) {
        return Number.NaN;
      }
    }
    c.skipSpaces();
    if (!c.atEnd) return Number.NaN;
    if (!Number.isNaN(state.epoch)) return state.epoch;
    if (state.pm >= 0 && f.hour <= 12) f.hour = (f.hour % 12) + (state.pm === 1 ? 12 : 0);
    return fieldsToEpochMs(f, zone);
  };
}
