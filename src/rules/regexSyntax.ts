// A parser for the part of JavaScript's regular expression syntax that rules may use (no `u` flag), producing
// a small tree that safeRegex.ts inspects for catastrophic backtracking. It is deliberately stricter than
// JavaScript: forms JavaScript accepts only for web compatibility (a lone `{`, `]`, an escaped letter that
// means nothing) and forms that cannot be checked (backreferences, lookaround) are refused with a reason.

import {
  ALL_CHARS, caseFolded, charSetOf, complement, DIGITS, DOT_CHARS, EMPTY_SET, singleChar, SPACE_CHARS, union, WORD_CHARS,
  type CharSet,
} from './charSet.js';

/** A span of the pattern, for quoting the part at fault in messages. */
interface Span {
  start: number;
  end: number;
}

export type RegexNode =
  /** `a|b|c`: one of several sequences */
  | (Span & { type: 'alternation'; branches: RegexNode[] })
  /** terms one after another */
  | (Span & { type: 'sequence'; items: RegexNode[] })
  /** one character from a set: a literal, `.`, a class `[...]`, an escape such as `\d` */
  | (Span & { type: 'chars'; set: CharSet })
  /** `^`, `$`, `\b`, `\B`: match a position, consume nothing */
  | (Span & { type: 'assertion' })
  /** `(...)`, `(?:...)`, `(?<name>...)` */
  | (Span & { type: 'group'; body: RegexNode })
  /** `x*`, `x+`, `x?`, `x{n}`, `x{n,}`, `x{n,m}` (and their lazy forms); max is Infinity when unbounded */
  | (Span & { type: 'repeat'; body: RegexNode; min: number; max: number });

export type RegexParse = { ok: true; root: RegexNode } | { ok: false; message: string };

/** Repeat counts above this are refused: they make a pattern slow to compile and hard to reason about. */
export const MAX_REPEAT_COUNT = 1000;

class RegexSyntaxProblem extends Error {
  constructor(readonly at: number, readonly reason: string) {
    super(reason);
  }
}

export function parseRegex(pattern: string, ignoreCase: boolean): RegexParse {
  try {
    const parser = new Parser(pattern, ignoreCase);
    const root = parser.parseAlternation();
    if (parser.pos < pattern.length) throw new RegexSyntaxProblem(parser.pos, 'unmatched `)`');
    return { ok: true, root };
  } catch (err) {
    if (err instanceof RegexSyntaxProblem) return { ok: false, message: `at character ${err.at + 1}: ${err.reason}` };
    throw err;
  }
}

const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';

class Parser {
  pos = 0;
  constructor(private readonly src: string, private readonly ignoreCase: boolean) {}

  parseAlternation(): RegexNode {
    const start = this.pos;
    const branches: RegexNode[] = [this.parseSequence()];
    while (this.peek() === '|') {
      this.pos++;
      branches.push(this.parseSequence());
    }
    return branches.length === 1 ? branches[0]! : { type: 'alternation', branches, start, end: this.pos };
  }

  private parseSequence(): RegexNode {
    const start = this.pos;
    const items: RegexNode[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atomStart = this.pos;
      const atom = this.parseAtom();
      items.push(this.parseQuantifier(atom, atomStart));
    }
    return { type: 'sequence', items, start, end: this.pos };
  }

  private parseQuantifier(atom: RegexNode, atomStart: number): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const bounds = this.readBraces();
      if (bounds === null) throw new RegexSyntaxProblem(this.pos, '`{` that is not a repeat count such as {2,5}; write `\\{` for a literal brace');
      [min, max] = bounds;
      this.pos--; // readBraces consumed through `}`; the common step below moves past it
    } else return atom;
    this.pos++;
    if (atom.type === 'assertion') throw new RegexSyntaxProblem(atomStart, `\`${this.src.slice(atomStart, atom.end)}\` matches a position and cannot be repeated`);
    if (this.peek() === '?') this.pos++; // lazy: changes which match is found first, not how much backtracking can happen
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?' || next === '{') {
      throw new RegexSyntaxProblem(this.pos, 'a repeat cannot be repeated again directly');
    }
    return { type: 'repeat', body: atom, min, max, start: atomStart, end: this.pos };
  }

  /** `{n}`, `{n,}` or `{n,m}` at pos, consumed; null (nothing consumed) when the brace is not a quantifier. */
  private readBraces(): [number, number] | null {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos, this.pos + 24));
    if (!match) return null;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
    if (min > MAX_REPEAT_COUNT || (max !== Infinity && max > MAX_REPEAT_COUNT)) {
      throw new RegexSyntaxProblem(this.pos, `repeat count above ${MAX_REPEAT_COUNT} in \`${match[0]}\``);
    }
    if (max < min) throw new RegexSyntaxProblem(this.pos, `repeat counts out of order in \`${match[0]}\``);
    this.pos += match[0].length;
    return [min, max];
  }

  private parseAtom(): RegexNode {
    const start = this.pos;
    const c = this.src[this.pos]!;
    switch (c) {
      case '^':
      case '$':
        this.pos++;
        return { type: 'assertion', start, end: this.pos };
      case '.':
        this.pos++;
        return this.chars(DOT_CHARS, start);
      case '[':
        return this.parseClass();
      case '(':
        return this.parseGroup();
      case '\\':
        return this.parseEscape();
      case '*':
      case '+':
      case '?':
        throw new RegexSyntaxProblem(start, `\`${c}\` has nothing before it to repeat`);
      case '{':
        if (this.readBraces() !== null) throw new RegexSyntaxProblem(start, 'a repeat count has nothing before it to repeat');
        throw new RegexSyntaxProblem(start, '`{` that is not a repeat count such as {2,5}; write `\\{` for a literal brace');
      case '}':
        throw new RegexSyntaxProblem(start, 'unmatched `}`; write `\\}` for a literal brace');
      case ']':
        throw new RegexSyntaxProblem(start, 'unmatched `]`; write `\\]` for a literal bracket');
      default:
        this.pos++;
        return this.chars(singleChar(c.charCodeAt(0)), start);
    }
  }

  private chars(set: CharSet, start: number): RegexNode {
    return { type: 'chars', set: this.ignoreCase ? caseFolded(set) : set, start, end: this.pos };
  }

  private parseGroup(): RegexNode {
    const start = this.pos;
    this.pos++;
    if (this.peek() === '?') {
      const rest = this.src.slice(this.pos, this.pos + 3);
      if (rest.startsWith('?=') || rest.startsWith('?!') || rest.startsWith('?<=') || rest.startsWith('?<!')) {
        throw new RegexSyntaxProblem(start, `lookaround \`(${rest.startsWith('?<') ? rest : rest.slice(0, 2)}...)\` is not allowed: its cost cannot be bounded; match the text itself or use a separate condition (e.g. \`not\`)`);
      }
      if (rest.startsWith('?:')) this.pos += 2;
      else if (rest.startsWith('?<')) {
        const name = /^\?<([A-Za-z_$][A-Za-z0-9_$]*)>/.exec(this.src.slice(this.pos, this.pos + 80));
        if (!name) throw new RegexSyntaxProblem(start, 'a named group is written `(?<name>...)`');
        this.pos += name[0].length;
      } else {
        throw new RegexSyntaxProblem(start, '`(?` must start `(?:...)` or `(?<name>...)`; inline flags are not supported (use `flags: i`)');
      }
    }
    const body = this.parseAlternation();
    if (this.peek() !== ')') throw new RegexSyntaxProblem(start, 'unclosed `(`');
    this.pos++;
    return { type: 'group', body, start, end: this.pos };
  }

  private parseEscape(): RegexNode {
    const start = this.pos;
    const c = this.src[this.pos + 1];
    if (c === undefined) throw new RegexSyntaxProblem(start, 'pattern ends with a lone `\\`');
    if (c === 'b' || c === 'B') {
      this.pos += 2;
      return { type: 'assertion', start, end: this.pos };
    }
    if (/[1-9]/.test(c)) {
      throw new RegexSyntaxProblem(start, `backreference \`\\${c}\` is not allowed: matching it can take exponential time`);
    }
    if (c === 'k') throw new RegexSyntaxProblem(start, 'backreference `\\k<...>` is not allowed: matching it can take exponential time');
    const set = this.escapeSet(false);
    return this.chars(set, start);
  }

  /** The set of an escape at pos (`\d`, `\n`, `\x41`, `\.`, ...), consumed. In a class, `\b` is backspace. */
  private escapeSet(inClass: boolean): CharSet {
    const start = this.pos;
    const c = this.src[this.pos + 1]!;
    this.pos += 2;
    switch (c) {
      case 'd': return DIGITS;
      case 'D': return complement(DIGITS);
      case 'w': return WORD_CHARS;
      case 'W': return complement(WORD_CHARS);
      case 's': return SPACE_CHARS;
      case 'S': return complement(SPACE_CHARS);
      case 'n': return singleChar(0x0a);
      case 'r': return singleChar(0x0d);
      case 't': return singleChar(0x09);
      case 'v': return singleChar(0x0b);
      case 'f': return singleChar(0x0c);
      case 'b':
        if (inClass) return singleChar(0x08);
        break;
      case '0':
        if (/[0-9]/.test(this.peek() ?? '')) throw new RegexSyntaxProblem(start, 'octal escapes are not allowed; write `\\xHH`');
        return singleChar(0);
      case 'x': {
        const hex = /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.pos, this.pos + 2));
        if (!hex) throw new RegexSyntaxProblem(start, '`\\x` must be followed by two hex digits');
        this.pos += 2;
        return singleChar(parseInt(hex[0], 16));
      }
      case 'u': {
        const hex = /^[0-9A-Fa-f]{4}/.exec(this.src.slice(this.pos, this.pos + 4));
        if (!hex) throw new RegexSyntaxProblem(start, '`\\u` must be followed by four hex digits');
        this.pos += 4;
        return singleChar(parseInt(hex[0], 16));
      }
      case 'c': {
        const letter = this.peek();
        if (letter === undefined || !/[A-Za-z]/.test(letter)) throw new RegexSyntaxProblem(start, '`\\c` must be followed by a letter');
        this.pos++;
        return singleChar(letter.charCodeAt(0) % 32);
      }
      default:
        break;
    }
    if (/[A-Za-z0-9]/.test(c)) {
      throw new RegexSyntaxProblem(start, `\`\\${c}\` is not an escape JavaScript defines${inClass ? ' inside [...]' : ''}; write \`${c}\` if the letter itself is meant`);
    }
    if (!SYNTAX_CHARS.includes(c) && c !== '-' && c.charCodeAt(0) < 0x20) {
      throw new RegexSyntaxProblem(start, 'escaped control character; write `\\xHH`');
    }
    return singleChar(c.charCodeAt(0));
  }

  private parseClass(): RegexNode {
    const start = this.pos;
    this.pos++;
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    let set: CharSet = EMPTY_SET;
    while (this.peek() !== ']') {
      if (this.pos >= this.src.length) throw new RegexSyntaxProblem(start, 'unclosed `[`');
      const fromAt = this.pos;
      const from = this.classAtom();
      if (this.peek() === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        const dashAt = this.pos;
        this.pos++;
        const to = this.classAtom();
        if (from.single === null || to.single === null) {
          throw new RegexSyntaxProblem(dashAt, 'a range in [...] must be between two characters; write `\\-` for a literal dash');
        }
        if (to.single < from.single) throw new RegexSyntaxProblem(dashAt, `range out of order: \`${this.src.slice(fromAt, this.pos)}\``);
        set = union(set, charSetOf([[from.single, to.single]]));
      } else {
        set = union(set, from.set);
      }
    }
    this.pos++;
    // `[^]` is "any character"; `[]` matches nothing, which is surely a mistake in a rule.
    if (set.length === 0 && !negated) throw new RegexSyntaxProblem(start, '`[]` matches nothing');
    // Negated: the complement first, then folded, so that the result covers every character the class can
    // match (folding before complementing would drop some under the `i` flag).
    const matched = negated ? (set.length === 0 ? ALL_CHARS : complement(set)) : set;
    return { type: 'chars', set: this.ignoreCase ? caseFolded(matched) : matched, start, end: this.pos };
  }

  /** One member of a class: a character (single is its code) or an escape such as `\d` (single is null). */
  private classAtom(): { set: CharSet; single: number | null } {
    const c = this.src[this.pos]!;
    if (c === '\\') {
      const next = this.src[this.pos + 1];
      if (next === undefined) throw new RegexSyntaxProblem(this.pos, 'pattern ends with a lone `\\`');
      if (/[1-9]/.test(next)) throw new RegexSyntaxProblem(this.pos, `\`\\${next}\` inside [...] is an octal escape; write \`\\xHH\``);
      const set = this.escapeSet(true);
      return { set, single: set.length === 2 && set[0] === set[1] ? set[0]! : null };
    }
    if (c === '[') throw new RegexSyntaxProblem(this.pos, 'write `\\[` for a literal `[` inside [...]');
    this.pos++;
    const code = c.charCodeAt(0);
    return { set: singleChar(code), single: code };
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }
}
