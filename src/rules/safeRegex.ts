// Rule regexes run on every event, on text that attackers choose (paths, user agents), with a backtracking
// engine. A pattern that can match the same text in very many ways makes a failing match take exponential or
// high polynomial time, so such patterns are refused when the rule loads, with the reason. The checks are
// designed to refuse when in doubt (a safe rewrite always exists) rather than to wave a pattern through.
//
// Refused:
// - backreferences, lookaround, inline flags, and syntax JavaScript only accepts for old web pages (regexSyntax.ts);
// - a repeat inside a repeat (`(a+)+`, `(a|b+)*`) or alternatives inside a repeat that can match alike
//   (`(a|a)*`, `(.|\s)*`), unless the exact check of regexAmbiguity.ts shows that each round of the outer repeat
//   is told apart (`(\.[a-z]+)+` and `(a|ab)*` are fine);
// - a repeated part that can match empty text (`(a?)*`, `(a|)*`);
// - two long repeats that can match the same characters with nothing between them to tell them apart
//   (`.*.*`, `\d+\d+`, `a*a*`, `.*a.*`), and many short ones that can (`a?a?a?a?a?a?a?a?a?a?`);
// - patterns over 500 characters, and any flag but `i`.

import { intersection, intersects, isEmptySet, setSize, union, EMPTY_SET, type CharSet } from './charSet.js';
import { repeatIsExponentiallyAmbiguous } from './regexAmbiguity.js';
import { parseRegex, type RegexNode } from './regexSyntax.js';

export type SafeRegexResult =
  | { ok: true; regex: RegExp; /** advice for `rules lint`: the pattern is safe but needlessly slow */ warnings: readonly string[] }
  | { ok: false; message: string };

export const MAX_PATTERN_LENGTH = 500;

/** How many ways a bounded nested construct may split a text before it counts as explosive. */
const MAX_BOUNDED_WAYS = 1000;

/** A repeat this much wider than its minimum counts as a long one for the adjacent-repeats check. */
const LONG_REPEAT_SPAN = 10;

export function checkSafeRegex(pattern: string, flags: string): SafeRegexResult {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `pattern is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed` };
  }
  if (flags !== '' && flags !== 'i') {
    return { ok: false, message: `flags "${flags}" are not supported; the only flag is i (ignore case)` };
  }
  const parsed = parseRegex(pattern, flags === 'i');
  if (!parsed.ok) return { ok: false, message: parsed.message };
  const analysis = new Analysis(pattern, parsed.root);
  const problem = analysis.nestedRepeatProblem() ?? analysis.adjacentRepeatProblem();
  if (problem !== null) return { ok: false, message: problem };
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, flags);
  } catch (err) {
    return { ok: false, message: `not a valid regular expression: ${(err as Error).message}` };
  }
  return { ok: true, regex, warnings: analysis.warnings() };
}

type RepeatNode = Extract<RegexNode, { type: 'repeat' }>;

interface Facts {
  /** can match empty text */
  nullable: boolean;
  /** characters a non-empty match can start with */
  first: CharSet;
  /** every character it can consume */
  chars: CharSet;
}

class Analysis {
  private readonly facts = new Map<RegexNode, Facts>();
  private readonly parents = new Map<RegexNode, RegexNode>();
  private readonly nodes: RegexNode[] = [];

  constructor(private readonly pattern: string, private readonly root: RegexNode) {
    const visit = (node: RegexNode, parent: RegexNode | null): void => {
      this.nodes.push(node);
      if (parent !== null) this.parents.set(node, parent);
      for (const child of children(node)) visit(child, node);
    };
    visit(root, null);
  }

  nestedRepeatProblem(): string | null {
    for (const outer of this.nodes) {
      if (outer.type !== 'repeat' || outer.max <= 1) continue;
      if (this.of(outer.body).nullable && ways(2, outer.max) > MAX_BOUNDED_WAYS) {
        return `\`${this.quote(outer)}\` repeats a part that can match empty text, which lets it match the same text in exponentially many ways; make the repeated part always consume a character`;
      }
      const suspicion = this.suspectNesting(outer);
      // The structural suspicion is cheap and broad; the automaton decides the groups it can (see regexAmbiguity.ts).
      if (suspicion !== null && repeatIsExponentiallyAmbiguous(outer.body) !== false) return suspicion;
    }
    return null;
  }

  /** Why `outer` may match one text in exponentially many ways, or null when nothing inside it is suspicious. */
  private suspectNesting(outer: RepeatNode): string | null {
    for (const inner of descendants(outer.body)) {
      if (inner.type === 'repeat' && inner.min < inner.max) {
        if (ways(inner.max === Infinity ? Infinity : inner.max - inner.min + 1, outer.max) > MAX_BOUNDED_WAYS) {
          return `nested repeat: \`${this.quote(inner)}\` inside \`${this.quote(outer)}\` lets the same text be split between the two repeats in exponentially many ways (like \`(a+)+\`); rewrite it so that no repeated part contains another repeat, or so that each round starts with a character the inner repeat cannot match`;
        }
      }
      if (inner.type === 'alternation' && ways(inner.branches.length, outer.max) > MAX_BOUNDED_WAYS) {
        const empty = inner.branches.find((b) => this.of(b).nullable);
        if (empty !== undefined) {
          return `\`${this.quote(inner)}\` inside \`${this.quote(outer)}\` has an alternative that matches empty text, so the repeat can match the same text in exponentially many ways; make the alternatives non-empty`;
        }
        const overlap = this.overlappingBranches(inner.branches);
        if (overlap !== null) {
          return `the alternatives \`${this.quote(overlap[0])}\` and \`${this.quote(overlap[1])}\` inside \`${this.quote(outer)}\` can match the same text in more than one way, so the repeat can try exponentially many combinations (like \`(a|a)*\`); make the alternatives start with different characters, e.g. one character class instead of several alternatives`;
        }
      }
    }
    return null;
  }

  adjacentRepeatProblem(): string | null {
    const variable = this.nodes.filter((n): n is RepeatNode => n.type === 'repeat' && n.min < n.max);
    const isLong = (n: RepeatNode): boolean => n.max === Infinity || n.max - n.min > LONG_REPEAT_SPAN;
    // Short repeats that can trade characters multiply their choices: `a?a?a?a?a?a?a?a?a?a?` on "aaaaa"
    // has 252 ways to place five a's. Group them (union-find) and bound the product per group.
    const group = new Map<RepeatNode, RepeatNode>(variable.map((n) => [n, n]));
    const find = (n: RepeatNode): RepeatNode => {
      let root = n;
      while (group.get(root) !== root) root = group.get(root)!;
      group.set(n, root);
      return root;
    };
    for (let i = 0; i < variable.length; i++) {
      for (let j = 0; j < variable.length; j++) {
        const a = variable[i]!;
        const b = variable[j]!;
        if (a === b || a.end > b.start || !this.couldShareText(a, b)) continue;
        if (isLong(a) && isLong(b)) {
          return `\`${this.quote(a)}\` and \`${this.quote(b)}\` can match the same characters and nothing between them tells them apart, so a failing match tries every way of splitting the text between them (polynomial time, like \`.*.*\` or \`\\d+\\d+\`); remove one of them or separate them with a character that neither can match`;
        }
        group.set(find(a), find(b));
      }
    }
    const choices = new Map<RepeatNode, { ways: number; members: RepeatNode[] }>();
    for (const n of variable) {
      if (isLong(n)) continue;
      const root = find(n);
      const entry = choices.get(root) ?? { ways: 1, members: [] };
      entry.ways *= n.max - n.min + 1;
      entry.members.push(n);
      choices.set(root, entry);
    }
    for (const { ways: total, members } of choices.values()) {
      if (total > MAX_BOUNDED_WAYS) {
        const first = members[0]!;
        const last = members[members.length - 1]!;
        return `the optional or variable parts from \`${this.quote(first)}\` to \`${this.quote(last)}\` can share out the same characters in ${total} ways, and a failing match tries them all; use one repeat such as \`a{0,10}\` instead of many optional parts`;
      }
    }
    return null;
  }

  warnings(): string[] {
    const out: string[] = [];
    if (this.of(this.root).nullable) out.push('it can match empty text, so it matches every value (did you mean to test for something?)');
    const branches = this.root.type === 'alternation' ? this.root.branches : [this.root];
    for (const branch of branches) {
      const first = branch.type === 'sequence' ? branch.items[0] : branch;
      if (first?.type === 'repeat' && first.min === 0 && first.max === Infinity && setSize(this.of(first.body).chars) > 0xf000) {
        out.push(`\`${this.quote(first)}\` at the start only slows matching: a regex matches anywhere unless it starts with ^, so it is tried from every position; remove it`);
      }
    }
    return out;
  }

  /**
   * Two long repeats, `a` before `b`, can share text when some character fits both and every part of the
   * pattern between them can be skipped or can itself consume such characters.
   */
  private couldShareText(a: RepeatNode, b: RepeatNode): boolean {
    const shared = intersection(this.of(a.body).chars, this.of(b.body).chars);
    if (isEmptySet(shared)) return false;
    const pathA = this.ancestry(a);
    const pathB = this.ancestry(b);
    let k = 0;
    while (k + 1 < pathA.length && k + 1 < pathB.length && pathA[k + 1] === pathB[k + 1]) k++;
    const common = pathA[k]!;
    // Different alternatives of one alternation never both take part in a match.
    if (common.type !== 'sequence') return false;
    const childA = pathA[k + 1]!;
    const childB = pathB[k + 1]!;
    // Text can only pass from one repeat to the other through what each round of them must begin or end with.
    const between: RegexNode[] = [
      ...this.mandatoryEdge(a, 'end'),
      ...this.following(a, childA),
      ...common.items.slice(common.items.indexOf(childA) + 1, common.items.indexOf(childB)),
      ...this.preceding(b, childB),
      ...this.mandatoryEdge(b, 'start'),
    ];
    return between.every((node) => this.of(node).nullable || intersects(this.of(node).chars, shared));
  }

  /**
   * What every round of a repeat must consume first (`start`) or last (`end`): the leading or trailing parts of
   * its body that can be neither skipped nor stretched. In `(?:-[a-z])*` every round starts with `-`.
   */
  private mandatoryEdge(repeat: RepeatNode, side: 'start' | 'end'): RegexNode[] {
    let body = repeat.body;
    while (body.type === 'group') body = body.body;
    const items = body.type === 'sequence' ? body.items : [body];
    const ordered = side === 'start' ? items : [...items].reverse();
    const out: RegexNode[] = [];
    for (const item of ordered) {
      if (this.of(item).nullable || [...descendants(item)].some((n) => n.type === 'repeat' && n.min < n.max)) break;
      out.push(item);
    }
    return out;
  }

  /** The parts that come after `node` inside `top` (in the sequences between them). */
  private following(node: RegexNode, top: RegexNode): RegexNode[] {
    const out: RegexNode[] = [];
    for (let current = node; current !== top; ) {
      const parent = this.parents.get(current)!;
      if (parent.type === 'sequence') out.push(...parent.items.slice(parent.items.indexOf(current) + 1));
      current = parent;
    }
    return out;
  }

  private preceding(node: RegexNode, top: RegexNode): RegexNode[] {
    const out: RegexNode[] = [];
    for (let current = node; current !== top; ) {
      const parent = this.parents.get(current)!;
      if (parent.type === 'sequence') out.push(...parent.items.slice(0, parent.items.indexOf(current)));
      current = parent;
    }
    return out;
  }

  private ancestry(node: RegexNode): RegexNode[] {
    const out: RegexNode[] = [node];
    for (let current = this.parents.get(node); current !== undefined; current = this.parents.get(current)) out.unshift(current);
    return out;
  }

  private overlappingBranches(branches: RegexNode[]): [RegexNode, RegexNode] | null {
    for (let i = 0; i < branches.length; i++) {
      for (let j = i + 1; j < branches.length; j++) {
        if (intersects(this.of(branches[i]!).first, this.of(branches[j]!).first)) return [branches[i]!, branches[j]!];
      }
    }
    return null;
  }

  private of(node: RegexNode): Facts {
    let facts = this.facts.get(node);
    if (facts === undefined) {
      facts = this.compute(node);
      this.facts.set(node, facts);
    }
    return facts;
  }

  private compute(node: RegexNode): Facts {
    switch (node.type) {
      case 'chars':
        return { nullable: false, first: node.set, chars: node.set };
      case 'assertion':
        return { nullable: true, first: EMPTY_SET, chars: EMPTY_SET };
      case 'group':
        return this.of(node.body);
      case 'repeat': {
        const body = this.of(node.body);
        if (node.max === 0) return { nullable: true, first: EMPTY_SET, chars: EMPTY_SET };
        return { nullable: node.min === 0 || body.nullable, first: body.first, chars: body.chars };
      }
      case 'alternation': {
        let nullable = false;
        let first = EMPTY_SET;
        let chars = EMPTY_SET;
        for (const branch of node.branches) {
          const f = this.of(branch);
          nullable ||= f.nullable;
          first = union(first, f.first);
          chars = union(chars, f.chars);
        }
        return { nullable, first, chars };
      }
      case 'sequence': {
        let nullable = true;
        let first = EMPTY_SET;
        let chars = EMPTY_SET;
        for (const item of node.items) {
          const f = this.of(item);
          if (nullable) first = union(first, f.first);
          nullable &&= f.nullable;
          chars = union(chars, f.chars);
        }
        return { nullable, first, chars };
      }
    }
  }

  private quote(node: RegexNode): string {
    const text = this.pattern.slice(node.start, node.end);
    return text.length > 40 ? `${text.slice(0, 37)}...` : text;
  }
}

/** How many ways `repeats` repetitions of a part with `choices` ways each can go. */
function ways(choices: number, repeats: number): number {
  if (choices === Infinity || repeats === Infinity) return Infinity;
  return choices ** repeats;
}

function children(node: RegexNode): RegexNode[] {
  switch (node.type) {
    case 'alternation': return node.branches;
    case 'sequence': return node.items;
    case 'group':
    case 'repeat': return [node.body];
    default: return [];
  }
}

function* descendants(node: RegexNode): Generator<RegexNode> {
  yield node;
  for (const child of children(node)) yield* descendants(child);
}
