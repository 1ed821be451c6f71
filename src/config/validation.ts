// A small reader for validating YAML-shaped values: every problem is collected (not just the first),
// with the dotted path, the position in the file, what is wrong, and for a misspelt key the likely intended one.
// Used for phabwatch.yaml and for rule files.

import { parseDuration } from './duration.js';
import { closestMatch } from './suggest.js';
import { pathKey, type LoadedYaml, type YamlPath } from './yamlDocument.js';

export interface ValidationIssue {
  file: string | null;
  line: number | null;
  column: number | null;
  /** dotted path of the key at fault, e.g. sources[1].type */
  path: string;
  message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = [issue.file ?? '<config>', issue.line, issue.column].filter((x) => x !== null).join(':');
  return `${where}: ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

export class IssueCollector {
  readonly issues: ValidationIssue[] = [];
  constructor(readonly file: string | null, private readonly doc: LoadedYaml | null) {}

  add(path: YamlPath, message: string): void {
    const pos = this.doc?.positionOf(path) ?? null;
    this.issues.push({ file: this.file, line: pos?.line ?? null, column: pos?.column ?? null, path: pathKey(path), message });
  }

  get ok(): boolean {
    return this.issues.length === 0;
  }
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 60 ? value.slice(0, 57) + '...' : value}"`;
  return String(value);
}

/**
 * Reads the members of one mapping. Call `done()` last: it reports every key that was not read as unknown,
 * with a suggestion when one of the known keys is close.
 */
export class MappingReader {
  private readonly seen = new Set<string>();
  private readonly object: Record<string, unknown>;
  readonly valid: boolean;

  constructor(value: unknown, readonly path: YamlPath, readonly issues: IssueCollector, readonly extraKnown: readonly string[] = []) {
    if (value === null || value === undefined) {
      this.object = {};
      this.valid = true;
    } else if (typeof value !== 'object' || Array.isArray(value)) {
      issues.add(path, `expected a mapping (key: value), got ${describeValue(value)}`);
      this.object = {};
      this.valid = false;
    } else {
      this.object = value as Record<string, unknown>;
      this.valid = true;
    }
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.object, key) && this.object[key] !== null && this.object[key] !== undefined;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return this.object[key];
  }

  at(key: string): YamlPath {
    return [...this.path, key];
  }

  string(key: string, fallback: string): string;
  string(key: string, fallback: null): string | null;
  string(key: string, fallback: string | null): string | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.issues.add(this.at(key), `expected text, got ${describeValue(value)}`);
    return fallback;
  }

  requiredString(key: string): string | null {
    if (!this.has(key)) {
      this.issues.add(this.path, `missing required key \`${key}\``);
      this.seen.add(key);
      return null;
    }
    const value = this.string(key, null);
    if (value !== null && value.trim() === '') {
      this.issues.add(this.at(key), 'must not be empty');
      return null;
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    this.issues.add(this.at(key), `expected true or false, got ${describeValue(value)}`);
    return fallback;
  }

  number(key: string, fallback: number, bounds: { min?: number; max?: number; integer?: boolean } = {}): number {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.issues.add(this.at(key), `expected a number, got ${describeValue(value)}`);
      return fallback;
    }
    if (bounds.integer && !Number.isInteger(value)) {
      this.issues.add(this.at(key), `expected a whole number, got ${value}`);
      return fallback;
    }
    if (bounds.min !== undefined && value < bounds.min) {
      this.issues.add(this.at(key), `must be at least ${bounds.min}, got ${value}`);
      return fallback;
    }
    if (bounds.max !== undefined && value > bounds.max) {
      this.issues.add(this.at(key), `must be at most ${bounds.max}, got ${value}`);
      return fallback;
    }
    return value;
  }

  /** A duration written as text ("30s", "5m", "30d"), returned in ms. */
  duration(key: string, fallbackMs: number, minMs = 0): number {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallbackMs;
    if (typeof value === 'number' && value === 0) return 0;
    if (typeof value !== 'string') {
      this.issues.add(this.at(key), `expected a duration such as 30s, 5m or 30d, got ${describeValue(value)}`);
      return fallbackMs;
    }
    const parsed = parseDuration(value);
    if (!parsed.ok) {
      this.issues.add(this.at(key), parsed.message);
      return fallbackMs;
    }
    if (parsed.ms < minMs) {
      this.issues.add(this.at(key), `must be at least ${minMs} ms, got ${value}`);
      return fallbackMs;
    }
    return parsed.ms;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T;
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: null): T | null;
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T | null): T | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? closestMatch(value, allowed) : null;
    this.issues.add(
      this.at(key),
      `${describeValue(value)} is not one of ${allowed.join(', ')}${hint ? `; did you mean \`${hint}\`?` : ''}`,
    );
    return fallback;
  }

  /** A list; a single scalar is not silently promoted, since that hides mistakes. */
  list(key: string): { items: unknown[]; path: YamlPath } {
    const value = this.raw(key);
    if (value === undefined || value === null) return { items: [], path: this.at(key) };
    if (!Array.isArray(value)) {
      this.issues.add(this.at(key), `expected a list, got ${describeValue(value)}`);
      return { items: [], path: this.at(key) };
    }
    return { items: value, path: this.at(key) };
  }

  stringList(key: string): string[] {
    const { items, path } = this.list(key);
    const out: string[] = [];
    items.forEach((item, i) => {
      if (typeof item === 'string' || typeof item === 'number') out.push(String(item));
      else this.issues.add([...path, i], `expected text, got ${describeValue(item)}`);
    });
    return out;
  }

  mapping(key: string, extraKnown: readonly string[] = []): MappingReader {
    return new MappingReader(this.raw(key), this.at(key), this.issues, extraKnown);
  }

  /** Reports keys that were never read, suggesting the closest known key. */
  done(): void {
    if (!this.valid) return;
    const known = [...this.seen, ...this.extraKnown];
    for (const key of Object.keys(this.object)) {
      if (this.seen.has(key) || this.extraKnown.includes(key)) continue;
      const hint = closestMatch(key, known);
      this.issues.add(this.at(key), `unknown key \`${key}\`${hint ? `; did you mean \`${hint}\`?` : ''}`);
    }
  }
}
