// Sets of UTF-16 code units, as a regular expression's atoms match them (non-unicode mode), for the safe-regex
// check: "can these two parts of a pattern match the same character?". Sets are sorted, disjoint, merged
// inclusive ranges flattened into [lo0, hi0, lo1, hi1, ...]; they are built once per pattern, never per event.

export type CharSet = readonly number[];

const MAX = 0xffff;

export const EMPTY_SET: CharSet = [];
export const ALL_CHARS: CharSet = [0, MAX];

export function charSetOf(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of sorted) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

export function singleChar(code: number): CharSet {
  return [code, code];
}

export function union(a: CharSet, b: CharSet): CharSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return charSetOf([...pairs(a), ...pairs(b)]);
}

export function complement(a: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of pairs(a)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX) out.push([next, MAX]);
  return charSetOf(out);
}

export function intersection(a: CharSet, b: CharSet): CharSet {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i]!, b[j]!);
    const hi = Math.min(a[i + 1]!, b[j + 1]!);
    if (lo <= hi) out.push([lo, hi]);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return charSetOf(out);
}

export function intersects(a: CharSet, b: CharSet): boolean {
  return intersection(a, b).length > 0;
}

export function isEmptySet(a: CharSet): boolean {
  return a.length === 0;
}

/** Number of code units in the set. */
export function setSize(a: CharSet): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 2) n += a[i + 1]! - a[i]! + 1;
  return n;
}

/**
 * The set as the `i` flag makes it match. ASCII letters gain their other case exactly; beyond ASCII the case
 * mappings are many and irregular, so any non-ASCII member widens the set to all of non-ASCII. That can only
 * make two sets look like they overlap when they do not, which errs on the safe side (a pattern is rejected,
 * never wrongly accepted).
 */
export function caseFolded(a: CharSet): CharSet {
  const extra: [number, number][] = [];
  for (const [lo, hi] of pairs(a)) {
    const upperLo = Math.max(lo, 0x41);
    const upperHi = Math.min(hi, 0x5a);
    if (upperLo <= upperHi) extra.push([upperLo + 32, upperHi + 32]);
    const lowerLo = Math.max(lo, 0x61);
    const lowerHi = Math.min(hi, 0x7a);
    if (lowerLo <= lowerHi) extra.push([lowerLo - 32, lowerHi - 32]);
    if (hi >= 0x80) extra.push([0x80, MAX]);
  }
  return extra.length === 0 ? a : charSetOf([...pairs(a), ...extra]);
}

function* pairs(a: CharSet): Generator<[number, number]> {
  for (let i = 0; i < a.length; i += 2) yield [a[i]!, a[i + 1]!];
}

const code = (c: string): number => c.charCodeAt(0);

export const DIGITS: CharSet = charSetOf([[code('0'), code('9')]]);
export const WORD_CHARS: CharSet = charSetOf([[code('0'), code('9')], [code('A'), code('Z')], [code('_'), code('_')], [code('a'), code('z')]]);
/** What `\s` matches: ECMAScript WhiteSpace and LineTerminator. */
export const SPACE_CHARS: CharSet = charSetOf([
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029],
  [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
]);
/** What `.` matches without the `s` flag: anything but a line terminator. */
export const DOT_CHARS: CharSet = complement(charSetOf([[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]]));
