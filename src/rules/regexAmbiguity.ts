// An exact second opinion for a repeated group that contains another repeat or alternatives starting alike:
// can one repeat of it match the same text in exponentially many ways? `(a+)+`, `(a|b+)*` and `(a(b?)?c)*` can;
// the very common `(\.[a-z]+)+`, `^[a-z]+(?:-[a-z]+)*$` and `(ab*)*` cannot, because something every round must
// begin with marks where the round begins.
//
// How: the group becomes an automaton whose states are its character positions (Glushkov) and whose
// transitions remember which construct of the pattern they come from, because a backtracking engine tries each
// construct separately: in `(a+)+`, "a then a" can go round the inner or the outer repeat, and in `(a(b?)?c)`
// "a then c" can skip `b?` or the whole `(b?)?`: two routes to the same state. The group matches some text in
// exponentially many ways exactly when, pairing up two runs over the same text, a loop through a point where
// both runs are in the same state contains a step where they take different routes (Weideman et al.,
// "Analyzing matching time behavior of backtracking regular expression matchers", 2016).

import { intersects, type CharSet } from './charSet.js';
import type { RegexNode } from './regexSyntax.js';

/** Above this many positions the pairing (positions squared states) is not worth it: the group stays refused. */
const MAX_POSITIONS = 64;
/** Likewise for the number of routes into or out of one part. */
const MAX_ROUTES = 256;

/**
 * For the body of a repeat (as if repeated without bound, whatever its count): true when it is exponentially
 * ambiguous, false when it is not, null when it is too large to decide here. The body must not match empty
 * text (safeRegex.ts refuses that first).
 */
export function repeatIsExponentiallyAmbiguous(body: RegexNode): boolean | null {
  const automaton = new RoutedAutomaton();
  let shape: Shape;
  try {
    shape = automaton.build(body);
  } catch (err) {
    if (err instanceof TooLarge) return null;
    throw err;
  }
  automaton.connect(shape.last, shape.first);
  automaton.start(shape);
  return automaton.hasAmbiguousCycle();
}

class TooLarge extends Error {}

/**
 * Where a part's matches can begin and end. A position appears once per distinct route: in `(b?)?c`, `c`
 * begins the part in two ways (skipping `b?`, or skipping the whole group), so it is listed twice.
 */
interface Shape {
  first: number[];
  last: number[];
  /** number of distinct ways to match empty text */
  empty: number;
}

interface Step {
  to: number;
  /** the construct this transition comes from; two routes to one state count twice */
  route: number;
}

class RoutedAutomaton {
  private readonly sets: CharSet[] = [];
  private readonly steps: Step[][] = [];
  private nextRoute = 0;
  private startState = -1;

  build(node: RegexNode): Shape {
    switch (node.type) {
      case 'chars': {
        if (this.sets.length >= MAX_POSITIONS) throw new TooLarge();
        const p = this.sets.length;
        this.sets.push(node.set);
        this.steps.push([]);
        return { first: [p], last: [p], empty: 0 };
      }
      case 'assertion':
        return { first: [], last: [], empty: 1 };
      case 'group':
        return this.build(node.body);
      case 'alternation': {
        const shapes = node.branches.map((b) => this.build(b));
        return { first: shapes.flatMap((s) => s.first), last: shapes.flatMap((s) => s.last), empty: shapes.reduce((n, s) => n + s.empty, 0) };
      }
      case 'sequence': {
        let shape: Shape = { first: [], last: [], empty: 1 };
        for (const item of node.items) shape = this.append(shape, this.build(item));
        return shape;
      }
      case 'repeat':
        return this.repeat(node.body, node.min, node.max);
    }
  }

  /** x{min,max} as min copies, then either a loop (max unbounded) or nested optional copies: x{0,2} = (x(x)?)? */
  private repeat(body: RegexNode, min: number, max: number): Shape {
    let shape: Shape = { first: [], last: [], empty: 1 };
    for (let i = 0; i < min; i++) shape = this.append(shape, this.build(body));
    if (max === Infinity) {
      const looped = this.build(body);
      this.connect(looped.last, looped.first);
      return this.append(shape, optional(looped));
    }
    let tail: Shape | null = null;
    for (let i = min; i < max; i++) {
      const copy = this.build(body);
      tail = optional(tail === null ? copy : this.append(copy, tail));
    }
    return tail === null ? shape : this.append(shape, tail);
  }

  private append(before: Shape, after: Shape): Shape {
    this.connect(before.last, after.first);
    return {
      first: [...before.first, ...repeatList(after.first, before.empty)],
      last: [...after.last, ...repeatList(before.last, after.empty)],
      empty: before.empty * after.empty,
    };
  }

  /** Every listed pair becomes a transition of its own: listing a position twice means two routes. */
  connect(from: number[], to: number[]): void {
    for (const p of from) for (const q of to) this.steps[p]!.push({ to: q, route: this.nextRoute++ });
  }

  start(shape: Shape): void {
    this.startState = this.sets.length;
    this.steps.push(shape.first.map((to) => ({ to, route: this.nextRoute++ })));
  }

  /**
   * Pairs of states (two runs over the same text) reachable from the start; Tarjan's strongly connected
   * components; ambiguous when a component with a same-state pair holds a step where the runs part ways.
   */
  hasAmbiguousCycle(): boolean {
    const n = this.steps.length;
    const positions = this.sets.length;
    const compatible: boolean[] = [];
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) compatible.push(p < positions && q < positions && (p === q || intersects(this.sets[p]!, this.sets[q]!)));
    }
    const successors = (pair: number): { to: number; diverges: boolean }[] => {
      const p = Math.floor(pair / n);
      const q = pair % n;
      const out: { to: number; diverges: boolean }[] = [];
      for (const a of this.steps[p]!) {
        for (const b of this.steps[q]!) {
          if (compatible[a.to * n + b.to]) out.push({ to: a.to * n + b.to, diverges: a.to !== b.to || a.route !== b.route });
        }
      }
      return out;
    };

    const index = new Map<number, number>();
    const low = new Map<number, number>();
    const component = new Map<number, number>();
    const stack: number[] = [];
    const onStack = new Set<number>();
    const diverging: { from: number; to: number }[] = [];
    let counter = 0;
    let components = 0;

    // Iterative Tarjan: the pair graph can be thousands of states deep.
    const work: { node: number; next: { to: number; diverges: boolean }[]; i: number }[] = [];
    const open = (node: number): void => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      const next = successors(node);
      for (const e of next) if (e.diverges) diverging.push({ from: node, to: e.to });
      work.push({ node, next, i: 0 });
    };
    open(this.startState * n + this.startState);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.next.length) {
        const to = frame.next[frame.i++]!.to;
        if (!index.has(to)) open(to);
        else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        let member: number;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.set(member, components);
        } while (member !== frame.node);
        components++;
      }
    }

    const withSameState = new Set<number>();
    for (const [pair, c] of component) if (Math.floor(pair / n) === pair % n) withSameState.add(c);
    return diverging.some((e) => component.get(e.from) === component.get(e.to) && withSameState.has(component.get(e.from)!));
  }
}

/** The part may also be skipped: one more way to match empty text. */
function optional(shape: Shape): Shape {
  return { first: shape.first, last: shape.last, empty: shape.empty + 1 };
}

/** The list repeated `times` times (each copy a route of its own). */
function repeatList(list: number[], times: number): number[] {
  // Many ways to skip a part already mean many routes; past this the group is not worth deciding exactly.
  if (list.length * times > MAX_ROUTES) throw new TooLarge();
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(...list);
  return out;
}
