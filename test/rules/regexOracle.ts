// A slow, obviously correct measure of how ambiguous a pattern is, to test safeRegex.ts against: the number of
// different ways (parse trees, as a backtracking matcher would walk them) in which a pattern matches a whole
// text. A pattern that a backtracking engine can take exponential or polynomial time on has texts with ever
// more parses as the text grows; a safe pattern's count stays bounded.

import { parseRegex, type RegexNode } from '../../src/rules/regexSyntax.js';

function inSet(set: readonly number[], code: number): boolean {
  for (let i = 0; i < set.length; i += 2) if (code >= set[i]! && code <= set[i + 1]!) return true;
  return false;
}

/** end position -> number of ways `node` can match text[start..end) */
type Ends = Map<number, number>;

function add(into: Ends, end: number, count: number): void {
  into.set(end, (into.get(end) ?? 0) + count);
}

class ParseCounter {
  private readonly memo = new Map<RegexNode, Map<number, Ends>>();
  constructor(private readonly text: string) {}

  ends(node: RegexNode, start: number): Ends {
    let byStart = this.memo.get(node);
    if (byStart === undefined) this.memo.set(node, (byStart = new Map()));
    let out = byStart.get(start);
    if (out === undefined) {
      out = this.compute(node, start);
      byStart.set(start, out);
    }
    return out;
  }

  private compute(node: RegexNode, start: number): Ends {
    const out: Ends = new Map();
    switch (node.type) {
      case 'chars':
        if (start < this.text.length && inSet(node.set, this.text.charCodeAt(start))) out.set(start + 1, 1);
        return out;
      case 'assertion':
        throw new Error('the oracle does not handle assertions');
      case 'group':
        return this.ends(node.body, start);
      case 'alternation':
        for (const branch of node.branches) for (const [end, n] of this.ends(branch, start)) add(out, end, n);
        return out;
      case 'sequence': {
        let current: Ends = new Map([[start, 1]]);
        for (const item of node.items) {
          const next: Ends = new Map();
          for (const [mid, n] of current) for (const [end, m] of this.ends(item, mid)) add(next, end, n * m);
          current = next;
        }
        return current;
      }
      case 'repeat': {
        // Iterations up to `min` may be empty; later ones must consume something (JavaScript's empty check).
        let current: Ends = new Map([[start, 1]]);
        if (node.min === 0) add(out, start, 1);
        const limit = Math.min(node.max, node.min + this.text.length + 1);
        for (let k = 1; k <= limit && current.size > 0; k++) {
          const next: Ends = new Map();
          for (const [mid, n] of current) {
            for (const [end, m] of this.ends(node.body, mid)) {
              if (k > node.min && end === mid) continue;
              add(next, end, n * m);
            }
          }
          current = next;
          if (k >= node.min) for (const [end, n] of current) add(out, end, n);
        }
        return out;
      }
    }
  }
}

/** Number of ways `pattern` matches all of `text`. */
export function parseCount(pattern: string, text: string): number {
  const parsed = parseRegex(pattern, false);
  if (!parsed.ok) throw new Error(parsed.message);
  return new ParseCounter(text).ends(parsed.root, 0).get(text.length) ?? 0;
}

/** Texts built by repeating a short unit n times (with a fixed tail), over the alphabet {a, b}. */
export const TEXT_FAMILIES: ((n: number) => string)[] = [
  (n) => 'a'.repeat(n),
  (n) => 'b'.repeat(n),
  (n) => 'ab'.repeat(n),
  (n) => 'ba'.repeat(n),
  (n) => `${'a'.repeat(n)}b`,
  (n) => `b${'a'.repeat(n)}`,
  (n) => `${'ab'.repeat(n)}a`,
  (n) => 'aab'.repeat(n),
  (n) => 'abb'.repeat(n),
  (n) => `a${'b'.repeat(n)}`,
  (n) => `${'b'.repeat(n)}a`,
  (n) => `${'a'.repeat(n)}${'b'.repeat(n)}`,
];

/**
 * The first text family whose number of parses keeps growing with the text (more parses at n = 11 or 12
 * than at any length up to 8), or null when every family stays bounded.
 */
export function growingAmbiguity(pattern: string): string | null {
  for (const family of TEXT_FAMILIES) {
    let small = 1;
    for (let n = 0; n <= 8; n++) small = Math.max(small, parseCount(pattern, family(n)));
    for (let n = 11; n <= 12; n++) {
      const count = parseCount(pattern, family(n));
      if (count > small) return `${count} parses of "${family(n)}" (at most ${small} for shorter texts of the same form)`;
    }
  }
  return null;
}
