// Compiles a rule's `where` (docs/rules.md, "where") into a predicate called for every event. All checking
// happens here, once: unknown fields and operators (with the likely intended one), operators that do not fit
// the field (`gt` on text, `prefix` on a number), values a field never takes (`kind: conduitt`), unsafe
// regular expressions. The closures it builds read each field once per condition and allocate nothing.
//
// NULL: every comparison with a missing value is false (`path: { prefix: / }` does not hold for an SSH line
// without a path), and `not` simply negates, so `identity: { not: alice }` holds for anonymous events too.

import { NetworkListError, NetworkSet } from '../attribution/networks.js';
import { closestMatch } from '../config/suggest.js';
import { describeValue, type IssueCollector } from '../config/validation.js';
import type { YamlPath } from '../config/yamlDocument.js';
import { canBeNull, fieldAccessor, fieldKind, FIELD_NAMES, isFieldName, knownValues, type FieldContext, type FieldKind } from './fields.js';
import type { EventPredicate, FieldName, FieldValue, RuleEvent } from './model.js';
import { checkSafeRegex } from './safeRegex.js';

export interface CompiledWhere {
  predicate: EventPredicate;
  /** a compact rendering for `rules lint` and alert explanations, e.g. `kind = conduit and status >= 500` */
  text: string;
  /**
   * the event kinds the where can match at most (from `kind:` conditions it cannot hold without), or null: any.
   * Lets the engine skip a rule for events of other kinds without running its predicate.
   */
  kinds: ReadonlySet<string> | null;
}

/** Only this much of a field is tested by `regex`: bounds the work per event whatever the line holds. */
export const REGEX_INPUT_LIMIT = 4096;

const EVERY_EVENT: CompiledWhere = { predicate: () => true, text: 'every event', kinds: null };

const COMBINATORS = ['not', 'any', 'all'] as const;
const OPERATORS = ['equals', 'in', 'prefix', 'suffix', 'contains', 'cidr', 'gt', 'gte', 'lt', 'lte', 'regex', 'flags', 'exists', 'not'] as const;

/**
 * Compiles `value` (the YAML of a where; null or absent means every event). Problems are added to `issues`
 * (and advice to `warnings`, when given) at their path; the predicate of a where with errors must not be used.
 */
export function compileWhere(value: unknown, path: YamlPath, issues: IssueCollector, ctx: FieldContext, warnings?: IssueCollector): CompiledWhere {
  if (value === null || value === undefined) return EVERY_EVENT;
  return new WhereCompiler(issues, warnings ?? null, ctx).where(value, path);
}

type ValueTest = (value: FieldValue) => boolean;

interface CompiledCondition {
  test: ValueTest;
  text: string;
}

class WhereCompiler {
  constructor(private readonly issues: IssueCollector, private readonly warnings: IssueCollector | null, private readonly ctx: FieldContext) {}

  where(value: unknown, path: YamlPath): CompiledWhere {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.issues.add(path, `expected a mapping of field: condition, got ${describeValue(value)}`);
      return EVERY_EVENT;
    }
    const parts: CompiledWhere[] = [];
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      const at = [...path, key];
      if (key === 'not') {
        const inner = this.where(member, at);
        parts.push({ predicate: negate(inner.predicate), text: `not (${inner.text})`, kinds: null });
      } else if (key === 'any' || key === 'all') {
        const list = this.whereList(member, at, key);
        if (list.length === 0) continue;
        // Members of `any` that are themselves several conditions get parentheses: `(a and b) or c`.
        const members = list.map((w) => (key === 'any' && list.length > 1 && w.text.includes(' and ') && !isParenthesized(w.text) ? `(${w.text})` : w.text));
        const text = list.length === 1 ? members[0]! : `(${members.join(key === 'any' ? ' or ' : ' and ')})`;
        const kinds = key === 'any' ? unionOfKinds(list) : intersectionOfKinds(list);
        parts.push({ predicate: key === 'any' ? anyOf(list.map((w) => w.predicate)) : allOf(list.map((w) => w.predicate)), text, kinds });
      } else if (isFieldName(key)) {
        parts.push(this.fieldCondition(key, member, at));
      } else {
        const hint = closestMatch(key, [...FIELD_NAMES, ...COMBINATORS]);
        this.issues.add(at, `unknown field \`${key}\`${hint ? `; did you mean \`${hint}\`?` : ''}`);
      }
    }
    if (parts.length === 0) return EVERY_EVENT;
    return { predicate: allOf(parts.map((p) => p.predicate)), text: parts.map((p) => p.text).join(' and '), kinds: intersectionOfKinds(parts) };
  }

  private whereList(value: unknown, path: YamlPath, key: 'any' | 'all'): CompiledWhere[] {
    if (!Array.isArray(value)) {
      this.issues.add(path, `\`${key}\` takes a list of wheres, got ${describeValue(value)}`);
      return [];
    }
    if (value.length === 0) {
      this.issues.add(path, `\`${key}\` with an empty list ${key === 'any' ? 'matches nothing' : 'says nothing'}; remove it or list conditions`);
      return [];
    }
    return value.map((item, i) => this.where(item, [...path, i]));
  }

  private fieldCondition(field: FieldName, value: unknown, path: YamlPath): CompiledWhere {
    const condition = this.condition(field, value, path);
    const get = fieldAccessor(field);
    const ctx = this.ctx;
    const test = condition.test;
    return { predicate: (ev: RuleEvent) => test(get(ev, ctx)), text: condition.text, kinds: field === 'kind' ? kindsNamed(value) : null };
  }

  /** A condition on one field: a scalar (equals), a list (one of), null (is NULL), or a mapping of operators. */
  private condition(field: FieldName, value: unknown, path: YamlPath): CompiledCondition {
    if (value === null || value === undefined) return this.isNull(field, true, path);
    if (Array.isArray(value)) return this.oneOf(field, value, path);
    if (typeof value === 'object') return this.operators(field, value as Record<string, unknown>, path);
    return this.equals(field, value, path);
  }

  private operators(field: FieldName, ops: Record<string, unknown>, path: YamlPath): CompiledCondition {
    const parts: CompiledCondition[] = [];
    const keys = Object.keys(ops);
    if (keys.length === 0) {
      this.issues.add(path, 'an empty mapping is no condition; write a value, a list, null, or operators such as { prefix: /x }');
      return { test: () => false, text: `${field} ?` };
    }
    for (const op of keys) {
      const arg = ops[op];
      const at = [...path, op];
      switch (op) {
        case 'equals':
          parts.push(arg === null ? this.isNull(field, true, at) : Array.isArray(arg) || typeof arg === 'object' ? this.badArgument(at, 'a single value', arg) : this.equals(field, arg, at));
          break;
        case 'in':
          parts.push(Array.isArray(arg) ? this.oneOf(field, arg, at) : this.badArgument(at, 'a list', arg));
          break;
        case 'prefix':
        case 'suffix':
        case 'contains':
          parts.push(this.textMatch(field, op, arg, at));
          break;
        case 'cidr':
          parts.push(this.cidr(field, arg, at));
          break;
        case 'gt':
        case 'gte':
        case 'lt':
        case 'lte':
          parts.push(this.compare(field, op, arg, at));
          break;
        case 'regex':
          parts.push(this.regex(field, arg, ops.flags, at, [...path, 'flags']));
          break;
        case 'flags':
          if (!('regex' in ops)) this.issues.add(at, '`flags` applies to `regex`; there is no `regex` here');
          break;
        case 'exists':
          if (typeof arg !== 'boolean') parts.push(this.badArgument(at, 'true or false', arg));
          else parts.push(this.isNull(field, !arg, at));
          break;
        case 'not': {
          const inner = this.condition(field, arg, at);
          const test = inner.test;
          parts.push({ test: (v) => !test(v), text: `not (${inner.text})` });
          break;
        }
        default: {
          const hint = closestMatch(op, OPERATORS);
          const fieldHint = isFieldName(op) ? ` (\`${op}\` is a field: conditions on several fields go side by side, not nested)` : '';
          this.issues.add(at, `unknown operator \`${op}\`${hint ? `; did you mean \`${hint}\`?` : ''}${fieldHint}`);
        }
      }
    }
    if (parts.length === 1) return parts[0]!;
    const tests = parts.map((p) => p.test);
    return { test: allTests(tests), text: parts.map((p) => p.text).join(' and ') };
  }

  private badArgument(path: YamlPath, expected: string, got: unknown): CompiledCondition {
    this.issues.add(path, `expected ${expected}, got ${describeValue(got)}`);
    return { test: () => false, text: '?' };
  }

  private isNull(field: FieldName, wanted: boolean, path: YamlPath): CompiledCondition {
    if (!canBeNull(field)) {
      this.warnings?.add(path, `\`${field}\` always has a value, so this condition ${wanted ? 'never' : 'always'} holds`);
    }
    return wanted ? { test: (v) => v === null, text: `${field} is null` } : { test: (v) => v !== null, text: `${field} exists` };
  }

  private equals(field: FieldName, raw: unknown, path: YamlPath): CompiledCondition {
    const expected = this.literal(field, raw, path);
    if (expected === undefined) return { test: () => false, text: `${field} = ?` };
    return { test: (v) => v === expected, text: `${field} = ${show(expected)}` };
  }

  private oneOf(field: FieldName, items: unknown[], path: YamlPath): CompiledCondition {
    if (items.length === 0) {
      this.issues.add(path, 'an empty list matches nothing');
      return { test: () => false, text: `${field} in []` };
    }
    const values = new Set<FieldValue>();
    let withNull = false;
    items.forEach((item, i) => {
      if (item === null) withNull = true;
      else {
        const value = this.literal(field, item, [...path, i]);
        if (value !== undefined) values.add(value);
      }
    });
    if (withNull && !canBeNull(field)) this.warnings?.add(path, `\`${field}\` always has a value; \`null\` in this list never matches`);
    const shown = [...values].map(show);
    if (withNull) shown.push('null');
    const text = `${field} in [${shown.join(', ')}]`;
    return withNull ? { test: (v) => v === null || values.has(v), text } : { test: (v) => v !== null && values.has(v), text };
  }

  /** A value to compare the field with, in the field's own type; undefined (and an issue) when it cannot be. */
  private literal(field: FieldName, raw: unknown, path: YamlPath): FieldValue | undefined {
    const kind = fieldKind(field);
    if (kind === 'number') {
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      this.issues.add(path, `\`${field}\` is a number; got ${describeValue(raw)}`);
      return undefined;
    }
    if (kind === 'boolean') {
      if (typeof raw === 'boolean') return raw;
      this.issues.add(path, `\`${field}\` is true or false; got ${describeValue(raw)}`);
      return undefined;
    }
    // YAML reads `error_code: 500` as a number; the column holds text.
    if (typeof raw === 'number') return String(raw);
    if (typeof raw !== 'string') {
      this.issues.add(path, `\`${field}\` is text; got ${describeValue(raw)}`);
      return undefined;
    }
    const known = knownValues(field);
    if (known !== null && !known.includes(raw)) {
      const hint = closestMatch(raw, known);
      this.issues.add(path, `"${raw}" is not a value of \`${field}\` (${known.join(', ')})${hint ? `; did you mean \`${hint}\`?` : ''}`);
      return undefined;
    }
    if (field === 'source_type' && this.ctx.sourceTypes.size > 0 && ![...this.ctx.sourceTypes.values()].some((type) => type === raw)) {
      this.warnings?.add(path, `no configured source has type ${raw}, so this condition never holds with this configuration`);
    }
    return raw;
  }

  private requireKind(field: FieldName, wanted: FieldKind, op: string, path: YamlPath): boolean {
    const kind = fieldKind(field);
    if (kind === wanted) return true;
    const what = wanted === 'text' ? 'compares text' : 'compares numbers';
    this.issues.add(path, `\`${op}\` ${what}, but \`${field}\` is ${kind === 'number' ? 'a number' : kind === 'boolean' ? 'true or false' : 'text'}`);
    return false;
  }

  /** Text operands: one string, or a list of them (any may match). */
  private strings(arg: unknown, path: YamlPath): string[] | null {
    const list = Array.isArray(arg) ? arg : [arg];
    if (list.length === 0) {
      this.issues.add(path, 'an empty list matches nothing');
      return null;
    }
    const out: string[] = [];
    let ok = true;
    list.forEach((item, i) => {
      const at = Array.isArray(arg) ? [...path, i] : path;
      if (typeof item === 'number') out.push(String(item));
      else if (typeof item !== 'string') {
        this.issues.add(at, `expected text, got ${describeValue(item)}`);
        ok = false;
      } else if (item === '') {
        this.issues.add(at, 'empty text matches every value; use `exists: true`');
        ok = false;
      } else out.push(item);
    });
    return ok ? out : null;
  }

  private textMatch(field: FieldName, op: 'prefix' | 'suffix' | 'contains', arg: unknown, path: YamlPath): CompiledCondition {
    const texts = this.strings(arg, path);
    if (!this.requireKind(field, 'text', op, path) || texts === null) return { test: () => false, text: `${field} ${op} ?` };
    const text = `${field} ${op} ${texts.length === 1 ? show(texts[0]!) : `[${texts.map(show).join(', ')}]`}`;
    if (texts.length === 1) {
      const t = texts[0]!;
      const test: ValueTest =
        op === 'prefix' ? (v) => typeof v === 'string' && v.startsWith(t)
        : op === 'suffix' ? (v) => typeof v === 'string' && v.endsWith(t)
        : (v) => typeof v === 'string' && v.includes(t);
      return { test, text };
    }
    // One anchored alternation of literals: the regex engine tests every text in one pass over the value, where a
    // loop of startsWith calls would walk the list for every event (admin-action lists fourteen paths).
    const alternation = texts.map(escapeRegex).join('|');
    const re = new RegExp(op === 'prefix' ? `^(?:${alternation})` : op === 'suffix' ? `(?:${alternation})$` : alternation);
    const test: ValueTest = (v) => typeof v === 'string' && re.test(v);
    return { test, text };
  }

  private cidr(field: FieldName, arg: unknown, path: YamlPath): CompiledCondition {
    const failed: CompiledCondition = { test: () => false, text: `${field} in cidr ?` };
    if (field !== 'client_ip') {
      this.issues.add(path, `\`cidr\` applies to addresses (client_ip), not \`${field}\``);
      return failed;
    }
    const ranges = this.strings(arg, path);
    if (ranges === null) return failed;
    let ok = true;
    ranges.forEach((range, i) => {
      try {
        new NetworkSet([range]);
      } catch (err) {
        if (!(err instanceof NetworkListError)) throw err;
        this.issues.add(Array.isArray(arg) ? [...path, i] : path, `"${range}" ${err.reason} (e.g. 10.0.0.0/8, fd00::/8)`);
        ok = false;
      }
    });
    if (!ok) return failed;
    const networks = new NetworkSet(ranges);
    return { test: (v) => typeof v === 'string' && networks.contains(v), text: `${field} in cidr [${ranges.join(', ')}]` };
  }

  private compare(field: FieldName, op: 'gt' | 'gte' | 'lt' | 'lte', arg: unknown, path: YamlPath): CompiledCondition {
    const symbol = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
    if (!this.requireKind(field, 'number', op, path)) return { test: () => false, text: `${field} ${symbol} ?` };
    if (typeof arg !== 'number' || !Number.isFinite(arg)) {
      this.issues.add(path, `expected a number, got ${describeValue(arg)}`);
      return { test: () => false, text: `${field} ${symbol} ?` };
    }
    const n = arg;
    const test: ValueTest =
      op === 'gt' ? (v) => typeof v === 'number' && v > n
      : op === 'gte' ? (v) => typeof v === 'number' && v >= n
      : op === 'lt' ? (v) => typeof v === 'number' && v < n
      : (v) => typeof v === 'number' && v <= n;
    return { test, text: `${field} ${symbol} ${n}` };
  }

  private regex(field: FieldName, arg: unknown, flagsRaw: unknown, path: YamlPath, flagsPath: YamlPath): CompiledCondition {
    const failed: CompiledCondition = { test: () => false, text: `${field} ~ ?` };
    if (!this.requireKind(field, 'text', 'regex', path)) return failed;
    if (typeof arg !== 'string') {
      this.issues.add(path, `expected a regular expression as text, got ${describeValue(arg)}`);
      return failed;
    }
    if (arg === '') {
      this.issues.add(path, 'an empty regex matches every value; use `exists: true`');
      return failed;
    }
    let flags = '';
    if (flagsRaw !== undefined && flagsRaw !== null) {
      if (flagsRaw !== 'i' && flagsRaw !== '') {
        this.issues.add(flagsPath, `${describeValue(flagsRaw)} is not a supported flag; the only flag is i (ignore case)`);
        return failed;
      }
      flags = flagsRaw;
    }
    const checked = checkSafeRegex(arg, flags);
    if (!checked.ok) {
      this.issues.add(path, `regex rejected: ${checked.message}`);
      return failed;
    }
    for (const advice of checked.warnings) this.warnings?.add(path, `regex: ${advice}`);
    const re = checked.regex;
    const test: ValueTest = (v) => typeof v === 'string' && re.test(v.length > REGEX_INPUT_LIMIT ? v.slice(0, REGEX_INPUT_LIMIT) : v);
    return { test, text: `${field} ~ /${arg.replace(UNESCAPED_SLASH, '\\/')}/${flags}` };
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The kinds a `kind:` condition allows when it is a plain value or list (other shapes: null, any kind). */
function kindsNamed(value: unknown): ReadonlySet<string> | null {
  if (typeof value === 'string') return new Set([value]);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return new Set(value as string[]);
  return null;
}

/** All of the wheres must hold: the kinds every one of them allows. */
function intersectionOfKinds(wheres: readonly CompiledWhere[]): ReadonlySet<string> | null {
  let kinds: ReadonlySet<string> | null = null;
  for (const w of wheres) {
    const allowed = w.kinds;
    if (allowed === null) continue;
    kinds = kinds === null ? allowed : new Set([...kinds].filter((k: string) => allowed.has(k)));
  }
  return kinds;
}

/** One of the wheres must hold: the kinds any of them allows, or any kind when one of them allows any. */
function unionOfKinds(wheres: readonly CompiledWhere[]): ReadonlySet<string> | null {
  const kinds = new Set<string>();
  for (const w of wheres) {
    if (w.kinds === null) return null;
    for (const k of w.kinds) kinds.add(k);
  }
  return kinds;
}

function negate(p: EventPredicate): EventPredicate {
  return (ev) => !p(ev);
}

function allOf(ps: EventPredicate[]): EventPredicate {
  if (ps.length === 1) return ps[0]!;
  if (ps.length === 2) {
    const [a, b] = ps as [EventPredicate, EventPredicate];
    return (ev) => a(ev) && b(ev);
  }
  return (ev) => {
    for (let i = 0; i < ps.length; i++) if (!ps[i]!(ev)) return false;
    return true;
  };
}

function anyOf(ps: EventPredicate[]): EventPredicate {
  if (ps.length === 1) return ps[0]!;
  return (ev) => {
    for (let i = 0; i < ps.length; i++) if (ps[i]!(ev)) return true;
    return false;
  };
}

function allTests(tests: ValueTest[]): ValueTest {
  if (tests.length === 2) {
    const [a, b] = tests as [ValueTest, ValueTest];
    return (v) => a(v) && b(v);
  }
  return (v) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(v)) return false;
    return true;
  };
}

const BARE = /^[A-Za-z0-9_./:@+-]+$/;
/** A `/` not already escaped, so a pattern reads as a regex literal: ^curl/ -> /^curl\//. */
const UNESCAPED_SLASH = /(?<!\\)\//g;

/** True when the whole text is one parenthesized group, e.g. `(a or b)` but not `(a) and (b)`. */
function isParenthesized(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0 && i < text.length - 1) return false;
  }
  return true;
}

function show(value: FieldValue): string {
  if (typeof value === 'string') return BARE.test(value) ? value : JSON.stringify(value);
  return String(value);
}
