// Loads rule files (docs/rules.md): the shipped pack, then the user's folder, whose files replace shipped rules
// with the same id; `rules.disabled` switches rules off. Every file is validated completely: each problem names
// the file, line, column and field, an unknown key is an error with the likely intended one, and a rule with
// any error is left out (the caller refuses to run with errors rather than run with fewer rules than written).

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { formatDuration } from '../config/duration.js';
import { isRuleId } from '../config/load.js';
import { closestMatch } from '../config/suggest.js';
import { describeValue, IssueCollector, MappingReader, type ValidationIssue } from '../config/validation.js';
import { loadYaml, type YamlPath } from '../config/yamlDocument.js';
import { FIELD_NAMES, isFieldName, type FieldContext } from './fields.js';
import {
  RULE_TYPES, SEVERITIES, type FieldName, type Rule, type RuleCommon, type RuleType, type SequenceStep,
} from './model.js';
import { compileTemplate, type Template } from './templates.js';
import { compileWhere } from './where.js';

export type RuleOrigin = 'shipped' | 'user';

/** What each rule type adds to the common keys: the type and its parameters. */
type ParametersOf<R> = R extends Rule ? Omit<R, keyof RuleCommon> : never;
type RuleParameters = ParametersOf<Rule>;

export interface RuleFileResult {
  /** null when the file has errors */
  rule: Rule | null;
  issues: ValidationIssue[];
  /** advice that does not stop the rule from loading (`rules lint` shows it) */
  warnings: ValidationIssue[];
}

export interface LoadRulesOptions {
  shippedDir: string;
  userDir: string | null;
  /** rule ids to leave out (config `rules.disabled`) */
  disabled: readonly string[];
  fields: FieldContext;
  /** the config file, named in messages about `rules.disabled` */
  configFile?: string | null;
}

export interface LoadRulesResult {
  /** the rules in force, by id */
  rules: Rule[];
  issues: ValidationIssue[];
  warnings: ValidationIssue[];
  /** rule files read */
  files: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Types whose alerts are about single events: they resolve a while after the last one. */
const EVENT_TYPES: ReadonlySet<RuleType> = new Set(['match', 'offhours', 'new_value', 'sequence']);

const TYPE_PARAMETERS: Readonly<Record<RuleType, readonly string[]>> = {
  match: [],
  threshold: ['window', 'threshold', 'distinct'],
  ratio: ['window', 'numerator', 'ratio', 'min_events'],
  spike: ['bucket', 'factor', 'min_events', 'learning', 'half_life'],
  new_value: ['field', 'history', 'learning', 'max_values'],
  offhours: [],
  sequence: ['steps', 'within'],
  absence: ['silence', 'lookback', 'min_events'],
};
const ALL_PARAMETERS: readonly string[] = [...new Set(Object.values(TYPE_PARAMETERS).flat())];

const DEFAULT_GROUP_BY: Readonly<Partial<Record<RuleType, readonly string[]>>> = { offhours: ['identity'], absence: ['source'] };

/** Template names every rule provides; group_by fields and the type's own names come on top. */
const COMMON_TEMPLATE_NAMES = ['value', 'bound', 'window', 'first', 'last', 'rule'];
const TYPE_TEMPLATE_NAMES: Readonly<Partial<Record<RuleType, readonly string[]>>> = { offhours: ['zone', 'local_time'], new_value: ['new_value'] };

/** Fields with a different value on nearly every event: grouping by them makes one alert per event. */
const UNGROUPABLE: ReadonlySet<string> = new Set(['ts', 'raw', 'offset', 'duration_ms', 'bytes_in', 'bytes_out', 'request_id']);

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function loadRules(options: LoadRulesOptions): LoadRulesResult {
  const shipped = loadRuleFolder(options.shippedDir, 'shipped', options.fields);
  const user = options.userDir === null ? null : loadRuleFolder(options.userDir, 'user', options.fields);
  const byId = new Map<string, Rule>();
  for (const rule of shipped.rules) byId.set(rule.id, rule);
  // A user file replaces the shipped rule of its name even when it has errors: falling back to the shipped
  // rule would quietly run something other than what the user wrote.
  for (const id of user?.fileIds ?? []) byId.delete(id);
  for (const rule of user?.rules ?? []) byId.set(rule.id, rule);

  const issues = [...shipped.issues, ...(user?.issues ?? [])];
  const known = [...new Set([...shipped.fileIds, ...(user?.fileIds ?? [])])];
  options.disabled.forEach((id, i) => {
    if (known.includes(id)) {
      byId.delete(id);
      return;
    }
    const hint = closestMatch(id, known);
    issues.push({
      file: options.configFile ?? null, line: null, column: null, path: `rules.disabled[${i}]`,
      message: `no rule has the id "${id}"${hint ? `; did you mean "${hint}"?` : ''}`,
    });
  });
  return {
    rules: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    issues,
    warnings: [...shipped.warnings, ...(user?.warnings ?? [])],
    files: shipped.files + (user?.files ?? 0),
  };
}

export interface RuleFolderResult extends LoadRulesResult {
  /** ids named by the folder's rule files (file names), whether or not they loaded */
  fileIds: string[];
}

/** Every `<id>.yaml` of one folder (not `*.test.yaml`), validated; ids are unique within it by construction. */
export function loadRuleFolder(dir: string, origin: RuleOrigin, fields: FieldContext): RuleFolderResult {
  const result: RuleFolderResult = { rules: [], issues: [], warnings: [], files: 0, fileIds: [] };
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch (err) {
    result.issues.push({ file: dir, line: null, column: null, path: '', message: `cannot read the rules folder: ${describeError(err)}` });
    return result;
  }
  const ids = new Map<string, string>();
  for (const name of names) {
    if (name.endsWith('.yml')) {
      result.issues.push({ file: join(dir, name), line: null, column: null, path: '', message: 'rule files end in .yaml; this file would be ignored, rename it' });
      continue;
    }
    if (!name.endsWith('.yaml') || name.endsWith('.test.yaml')) continue;
    const file = join(dir, name);
    result.files++;
    result.fileIds.push(name.slice(0, -'.yaml'.length));
    const loaded = loadRuleFile(file, fields, origin);
    result.issues.push(...loaded.issues);
    result.warnings.push(...loaded.warnings);
    if (loaded.rule === null) continue;
    const twin = ids.get(loaded.rule.id);
    if (twin !== undefined) {
      result.issues.push({ file, line: null, column: null, path: 'id', message: `the id "${loaded.rule.id}" is already used by ${twin}` });
      continue;
    }
    ids.set(loaded.rule.id, file);
    result.rules.push(loaded.rule);
  }
  return result;
}

export function loadRuleFile(file: string, fields: FieldContext, origin: RuleOrigin = 'user'): RuleFileResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { rule: null, issues: [{ file, line: null, column: null, path: '', message: `cannot read rule file: ${describeError(err)}` }], warnings: [] };
  }
  return parseRule(text, file, fields, origin);
}

/** Validates one rule from its YAML text; `file` names it in messages and its base name must equal the id. */
export function parseRule(text: string, file: string, fields: FieldContext, origin: RuleOrigin): RuleFileResult {
  const loaded = loadYaml(text);
  if (!loaded.ok) {
    return {
      rule: null,
      issues: loaded.errors.map((e) => ({ file, line: e.position?.line ?? null, column: e.position?.column ?? null, path: '', message: `YAML syntax: ${e.message}` })),
      warnings: [],
    };
  }
  const issues = new IssueCollector(file, loaded.doc);
  const warnings = new IssueCollector(file, loaded.doc);
  const rule = new RuleReader(loaded.doc.value, issues, warnings, fields, file, origin).read();
  return { rule: issues.ok ? rule : null, issues: issues.issues, warnings: warnings.issues };
}

class RuleReader {
  private readonly m: MappingReader;
  private groupByBroken = false;

  constructor(
    /** the parsed YAML of the whole file */
    private readonly value: unknown,
    private readonly issues: IssueCollector,
    private readonly warnings: IssueCollector,
    private readonly fields: FieldContext,
    private readonly file: string,
    private readonly origin: RuleOrigin,
  ) {
    this.m = new MappingReader(value, [], issues);
  }

  read(): Rule | null {
    const m = this.m;
    if (!m.valid) return null;
    const id = this.readId();
    const title = m.requiredString('title');
    const severity = m.has('severity') ? m.oneOf('severity', SEVERITIES, null) : (m.requiredString('severity'), null);
    const description = m.requiredString('description');
    const type = m.has('type') ? m.oneOf('type', RULE_TYPES, null) : (m.requiredString('type'), null);
    const where = compileWhere(m.raw('where'), m.at('where'), this.issues, this.fields, this.warnings);
    const groupBy = this.readGroupBy(type);
    const forMs = m.duration('for', 0);
    const keepFiring = m.duration('keep_firing_for', type !== null && EVENT_TYPES.has(type) ? 15 * MINUTE : 5 * MINUTE);
    const renotify = m.duration('renotify', 0);
    const exemptBots = m.boolean('exempt_bots', false);
    const labels = this.readLabels(groupBy);
    const samples = m.number('samples', 5, { min: 0, max: 100, integer: true });
    const flood = this.readFlood();
    const parameters = type === null ? null : this.readParameters(type, groupBy);
    this.rejectForeignParameters(type);
    const annotations = this.readAnnotations(type, groupBy);
    m.done();
    if (!this.issues.ok || id === null || title === null || severity === null || description === null || type === null || parameters === null || annotations === null) {
      return null;
    }
    const common: RuleCommon = {
      id, title, severity, description, file: this.file, origin: this.origin, where: where.predicate, whereText: where.text, kinds: where.kinds,
      group_by: groupBy, for_ms: forMs, keep_firing_for_ms: keepFiring, renotify_ms: renotify, exempt_bots: exemptBots,
      labels, annotations: annotations.text, annotationTemplates: annotations.templates, samples, flood,
    };
    const rule: Rule = { ...common, ...parameters };
    return rule;
  }

  private readId(): string | null {
    const id = this.m.requiredString('id');
    if (id === null) return null;
    if (!isRuleId(id)) {
      this.issues.add(this.m.at('id'), `"${id}" is not a rule id: lowercase letters, digits, - and _ (at most 64)`);
      return null;
    }
    const expected = basename(this.file).replace(/\.yaml$/, '');
    if (id !== expected) {
      this.issues.add(this.m.at('id'), `the id "${id}" must equal the file name: rename the file to ${id}.yaml or set \`id: ${expected}\``);
      return null;
    }
    return id;
  }

  private field(value: string, path: YamlPath): FieldName | null {
    if (isFieldName(value)) return value;
    const hint = closestMatch(value, FIELD_NAMES);
    this.issues.add(path, `unknown field \`${value}\`${hint ? `; did you mean \`${hint}\`?` : ''}`);
    return null;
  }

  private readGroupBy(type: RuleType | null): FieldName[] {
    if (!this.m.has('group_by')) {
      this.m.raw('group_by');
      return [...((type !== null ? DEFAULT_GROUP_BY[type] : undefined) ?? [])] as FieldName[];
    }
    const reported = this.issues.issues.length;
    const names = this.m.stringList('group_by');
    this.groupByBroken = this.issues.issues.length > reported;
    const out: FieldName[] = [];
    names.forEach((name, i) => {
      const at = [...this.m.at('group_by'), i];
      const field = this.field(name, at);
      if (field === null) {
        this.groupByBroken = true;
        return;
      }
      if (out.includes(field)) this.issues.add(at, `\`${field}\` is listed twice`);
      else out.push(field);
      if (UNGROUPABLE.has(field)) {
        this.warnings.add(at, `\`${field}\` differs on nearly every event, so each event would be an alert group of its own`);
      }
    });
    return out;
  }

  private readLabels(groupBy: readonly FieldName[]): Record<string, string> {
    const labels: Record<string, string> = {};
    const raw = this.m.raw('labels');
    if (raw === undefined || raw === null) return labels;
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      this.issues.add(this.m.at('labels'), `expected a mapping of label: value, got ${describeValue(raw)}`);
      return labels;
    }
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      const at = [...this.m.at('labels'), key];
      if (!LABEL_NAME.test(key)) this.issues.add(at, `"${key}" is not a label name (letters, digits and _, not starting with a digit)`);
      else if ((groupBy as readonly string[]).includes(key)) this.issues.add(at, `\`${key}\` is a group_by field: each alert's labels already carry its value`);
      else if (key === 'flood') this.issues.add(at, '`flood` is reserved for the flood guard\'s summary alert');
      else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') labels[key] = String(value);
      else this.issues.add(at, `expected text, got ${describeValue(value)}`);
    }
    return labels;
  }

  private readFlood(): { max: number; per_ms: number } {
    const f = this.m.mapping('flood');
    const max = f.number('max', 20, { min: 1, integer: true });
    const per = this.positiveDuration(f, 'per', HOUR, SECOND);
    f.done();
    return { max, per_ms: per };
  }

  private readAnnotations(type: RuleType | null, groupBy: readonly FieldName[]): { text: RuleCommon['annotations']; templates: Record<string, Template> } | null {
    const a = this.m.mapping('annotations');
    if (!this.m.has('annotations')) {
      this.issues.add([], 'missing required key `annotations` (with at least `summary`)');
      return null;
    }
    if (!a.valid) return null;
    // With a broken group_by, its names cannot be judged in templates either; one error is enough.
    const fromGroups = this.groupByBroken ? FIELD_NAMES : groupBy;
    const allowed = [...fromGroups, ...COMMON_TEMPLATE_NAMES, ...((type !== null ? TYPE_TEMPLATE_NAMES[type] : undefined) ?? [])];
    const summary = a.requiredString('summary');
    const text: Record<string, string | null> = { summary, runbook_url: a.string('runbook_url', null) };
    const raw = this.m.raw('annotations') as Record<string, unknown>;
    for (const key of Object.keys(raw)) {
      if (key === 'summary' || key === 'runbook_url') continue;
      if (!LABEL_NAME.test(key)) {
        this.issues.add(a.at(key), `"${key}" is not an annotation name (letters, digits and _, not starting with a digit)`);
        a.raw(key);
        continue;
      }
      text[key] = a.string(key, null);
    }
    a.done();
    const templates: Record<string, Template> = {};
    for (const [key, value] of Object.entries(text)) {
      if (value === null) continue;
      const template = compileTemplate(value, allowed, a.at(key), this.issues);
      if (template !== null) templates[key] = template;
    }
    if (summary === null) return null;
    return { text: { ...text, summary, runbook_url: text.runbook_url ?? null }, templates };
  }

  private readParameters(type: RuleType, groupBy: readonly FieldName[]): RuleParameters | null {
    const m = this.m;
    switch (type) {
      case 'match':
      case 'offhours':
        return { type };
      case 'threshold': {
        const window = this.requiredDuration(m, 'window', type, SECOND);
        const threshold = this.requiredNumber(m, 'threshold', type, { min: 1, integer: true });
        const distinctName = m.string('distinct', null);
        const distinct = distinctName === null ? null : this.field(distinctName, m.at('distinct'));
        if (distinct !== null && groupBy.includes(distinct)) {
          this.issues.add(m.at('distinct'), `\`${distinct}\` is also in group_by, so each group only ever has one distinct value`);
        }
        return { type, window_ms: window, threshold, distinct };
      }
      case 'ratio': {
        const window = this.requiredDuration(m, 'window', type, SECOND);
        if (!m.has('numerator')) this.missing('numerator', type);
        const numerator = compileWhere(m.raw('numerator') ?? {}, m.at('numerator'), this.issues, this.fields, this.warnings);
        const ratio = this.requiredNumber(m, 'ratio', type, { min: 0, max: 1 });
        if (m.raw('ratio') === 0) this.issues.add(m.at('ratio'), 'a ratio of 0 always holds; use a share above 0 (e.g. 0.5)');
        const minEvents = this.requiredNumber(m, 'min_events', type, { min: 1, integer: true });
        return { type, window_ms: window, numerator: numerator.predicate, numeratorText: numerator.text, ratio, min_events: minEvents };
      }
      case 'spike': {
        const bucket = this.positiveDuration(m, 'bucket', 5 * MINUTE, SECOND);
        const factor = m.number('factor', 5, { min: 1 });
        if (factor === 1) this.issues.add(m.at('factor'), 'a factor of 1 fires whenever a bucket merely equals its baseline; use more than 1 (e.g. 5)');
        const minEvents = m.number('min_events', 20, { min: 1, integer: true });
        const learning = m.duration('learning', 7 * DAY);
        const halfLife = this.positiveDuration(m, 'half_life', 7 * DAY, bucket);
        return { type, bucket_ms: bucket, factor, min_events: minEvents, learning_ms: learning, half_life_ms: halfLife };
      }
      case 'new_value': {
        const name = m.has('field') ? m.string('field', null) : (this.missing('field', type), null);
        const field = name === null ? null : this.field(name, m.at('field'));
        if (field !== null && groupBy.includes(field)) {
          this.issues.add(m.at('field'), `\`${field}\` is also in group_by, so each group only ever sees one value`);
        }
        const history = this.positiveDuration(m, 'history', 30 * DAY, MINUTE);
        const learning = m.duration('learning', 7 * DAY);
        const maxValues = m.number('max_values', 1000, { min: 1, max: 100_000, integer: true });
        if (field === null) return null;
        return { type, field, history_ms: history, learning_ms: learning, max_values: maxValues };
      }
      case 'sequence': {
        const steps = this.readSteps();
        const within = this.requiredDuration(m, 'within', type, SECOND);
        return { type, steps, within_ms: within };
      }
      case 'absence': {
        const silence = this.requiredDuration(m, 'silence', type, SECOND);
        const lookback = this.positiveDuration(m, 'lookback', HOUR, SECOND);
        const minEvents = m.number('min_events', 10, { min: 1, integer: true });
        return { type, silence_ms: silence, lookback_ms: lookback, min_events: minEvents };
      }
    }
  }

  private readSteps(): SequenceStep[] {
    if (!this.m.has('steps')) {
      this.missing('steps', 'sequence');
      return [];
    }
    const { items, path } = this.m.list('steps');
    if (Array.isArray(this.m.raw('steps')) && items.length < 2) {
      this.issues.add(path, `a sequence needs at least 2 steps, got ${items.length}`);
    }
    const steps: SequenceStep[] = [];
    items.forEach((item, i) => {
      const s = new MappingReader(item, [...path, i], this.issues);
      if (!s.valid) return;
      if (!s.has('where')) this.issues.add(s.path, 'missing required key `where` (which events make this step)');
      const where = compileWhere(s.raw('where') ?? {}, s.at('where'), this.issues, this.fields, this.warnings);
      const count = s.number('count', 1, { min: 1, integer: true });
      if (count > 1 && !s.has('window')) this.issues.add(s.path, `missing required key \`window\`: a step of ${count} events needs the window they fall in`);
      const window = s.has('window') ? this.positiveDuration(s, 'window', 0, SECOND) : 0;
      s.done();
      steps.push({ where: where.predicate, whereText: where.text, count, window_ms: window });
    });
    return steps;
  }

  /** Keys that are parameters of another rule type: say so, rather than "unknown key". */
  private rejectForeignParameters(type: RuleType | null): void {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) return;
    for (const key of Object.keys(this.value)) {
      if (!ALL_PARAMETERS.includes(key)) continue;
      // Without a valid type, its parameters cannot be judged; the type's own error says what to fix.
      if (type === null) {
        this.m.raw(key);
        continue;
      }
      if (TYPE_PARAMETERS[type].includes(key)) continue;
      this.m.raw(key);
      const owners = RULE_TYPES.filter((t) => TYPE_PARAMETERS[t].includes(key));
      this.issues.add(this.m.at(key), `\`${key}\` is not a parameter of ${type} rules (it belongs to ${owners.join(', ')})`);
    }
  }

  private missing(key: string, type: string): void {
    this.issues.add(this.m.path, `missing required key \`${key}\` (${type} rules)`);
  }

  private requiredDuration(m: MappingReader, key: string, type: string, minMs: number): number {
    if (!m.has(key)) {
      m.raw(key);
      this.missing(key, type);
      return 0;
    }
    return this.positiveDuration(m, key, 0, minMs);
  }

  /** A duration of at least minMs (MappingReader.duration lets a bare 0 through, which no window can be). */
  private positiveDuration(m: MappingReader, key: string, fallbackMs: number, minMs: number): number {
    const reported = m.issues.issues.length;
    const ms = m.duration(key, fallbackMs, minMs);
    if (m.issues.issues.length === reported && m.has(key) && ms < minMs) {
      m.issues.add(m.at(key), `must be at least ${formatDuration(minMs)}`);
      return fallbackMs;
    }
    return ms;
  }

  private requiredNumber(m: MappingReader, key: string, type: string, bounds: { min?: number; max?: number; integer?: boolean }): number {
    if (!m.has(key)) {
      m.raw(key);
      this.missing(key, type);
      return 0;
    }
    return m.number(key, 0, bounds);
  }
}

function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'not found';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a folder';
  return err instanceof Error ? err.message : String(err);
}
