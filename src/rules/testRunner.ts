// `phabwatch rules test`: runs a rule's test file (<id>.test.yaml, format in docs/rules.md) through the same
// parsers, masking, attribution and engine as `run`, in a throwaway store, and compares the alerts with the
// expected ones. Tests and production share one code path, so a rule that passes here behaves the same live.

import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseRegistryFile } from '../attribution/registryFile.js';
import { parseConfig } from '../config/load.js';
import { SOURCE_TYPES, type PhabwatchConfig, type SourceConfig, type SourceType } from '../config/types.js';
import { silentLogger } from '../model/logger.js';
import { Attribution, compileParser } from '../pipeline/assemble.js';
import { BatchAccumulator } from '../pipeline/batchAccumulator.js';
import { LineProcessor } from '../pipeline/lineProcessor.js';
import { openStore, readHmacKey, type Db } from '../store/database.js';
import { IngestStore } from '../store/ingestStore.js';
import { importRegistry } from '../store/registryStore.js';
import { IssueCollector, MappingReader, formatIssue, type ValidationIssue } from '../config/validation.js';
import { loadYaml, type YamlPath } from '../config/yamlDocument.js';
import { NetworkSet } from '../attribution/networks.js';
import { BusinessCalendar } from './calendar.js';
import { RuleEngine } from './engine.js';
import type { FieldContext } from './fields.js';
import { loadRuleFile } from './loader.js';
import type { Rule } from './model.js';

export interface ExpectedAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'resolved';
  started_at: number | null;
  ended_at: number | null;
  value: number | string | null;
}

interface InputBlock {
  type: SourceType;
  format: string | null;
  lines: string[];
}

interface TestCase {
  name: string;
  inputs: InputBlock[];
  at: number | null;
  expect: ExpectedAlert[];
}

interface TestFile {
  file: string;
  ruleId: string;
  configText: string;
  registry: { text: string; name: string } | null;
  cases: TestCase[];
}

export interface ActualAlert {
  labels: Record<string, string>;
  state: string;
  started_at: number;
  ended_at: number | null;
  value: number | null;
  summary: string;
}

export interface CaseResult {
  name: string;
  passed: boolean;
  expected: ExpectedAlert[];
  actual: ActualAlert[];
  /** lines that did not parse (a test input mistake, reported with the failure) */
  rejects: string[];
}

export interface FileResult {
  file: string;
  ruleId: string;
  /** problems with the test file or its rule (the cases did not run) */
  issues: ValidationIssue[];
  cases: CaseResult[];
}

/** Runs one test file. */
export function runRuleTestFile(file: string): FileResult {
  const parsed = readTestFile(file);
  if ('issues' in parsed) return { file, ruleId: basename(file).replace(/\.test\.ya?ml$/, ''), issues: parsed.issues, cases: [] };
  const test = parsed.test;
  const configResult = parseConfig(test.configText, join(dirname(file), 'rule-test-config.yaml'));
  if (!configResult.ok) {
    return { file, ruleId: test.ruleId, issues: configResult.issues.map((i) => ({ ...i, file, line: null, column: null, path: `config.${i.path}` })), cases: [] };
  }
  const config = configResult.config;
  const ruleFile = join(dirname(file), `${test.ruleId}.yaml`);
  const cases: CaseResult[] = [];
  for (const testCase of test.cases) {
    const outcome = runCase(test, testCase, config, ruleFile);
    if ('issues' in outcome) return { file, ruleId: test.ruleId, issues: outcome.issues, cases };
    cases.push(outcome);
  }
  return { file, ruleId: test.ruleId, issues: [], cases };
}

function fieldContextFor(config: PhabwatchConfig, attribution: () => Attribution, inputs: readonly InputBlock[]): FieldContext {
  // In tests, each input block's source is named after its type, and the case's inputs are the configured logs
  // (so has_app_log / has_web_log say what a deployment with just those logs would see).
  const sourceTypes = new Map<string, SourceType>(inputs.map((i) => [i.type, i.type]));
  return { sourceTypes, registry: () => attribution().registry, clusterNetworks: new NetworkSet(config.identities.cluster_networks) };
}

function runCase(test: TestFile, testCase: TestCase, config: PhabwatchConfig, ruleFile: string): CaseResult | { issues: ValidationIssue[] } {
  const db = openStore(':memory:');
  try {
    if (test.registry) {
      const registry = parseRegistryFile(test.registry.text, test.registry.name, readHmacKey(db), Date.now());
      const errors = registry.errors.filter((e) => e.severity !== 'warning');
      if (errors.length > 0) {
        return { issues: errors.map((e) => ({ file: test.file, line: null, column: null, path: 'registry', message: `line ${e.line}: ${e.message}` })) };
      }
      importRegistry(db, { tokens: registry.tokens, identities: registry.identities });
    }
    const attribution = new Attribution(db, config.identities.bots);
    const fields = fieldContextFor(config, () => attribution, testCase.inputs);
    const loaded = loadRuleFile(ruleFile, fields);
    if (loaded.issues.length > 0 || loaded.rule === null) return { issues: loaded.issues };
    const rule: Rule = loaded.rule;
    const store = new IngestStore(db);
    const calendar = new BusinessCalendar(config.business_hours, config.timezone, config.identities.timezones);
    const engine = new RuleEngine(db, {
      rules: [rule], fields, calendar, allowedLatenessMs: config.rules.allowed_lateness_ms, logger: silentLogger,
    });
    store.addParticipant(engine);
    const rejects = feed(testCase, config, store, attribution);
    const lastTs = (db.prepare('SELECT max(ts) AS ts FROM events').get() as { ts: number | null }).ts;
    const at = testCase.at ?? lastTs;
    if (at !== null) {
      if (!store.batchOpen) store.begin();
      engine.advanceTo(at);
    }
    store.commit({ offsets: [], tokens: new Map(), identities: new Map() });
    const actual = readAlerts(db, rule.id);
    return { name: testCase.name, passed: matches(testCase.expect, actual), expected: testCase.expect, actual, rejects };
  } finally {
    db.close();
  }
}

/** Feeds every input line, in event-time order, through the production line processor. */
function feed(testCase: TestCase, config: PhabwatchConfig, store: IngestStore, attribution: Attribution): string[] {
  const rejects: string[] = [];
  const acc = new BatchAccumulator(store);
  const blocks = testCase.inputs.map((input, index) => {
    const source: SourceConfig = {
      name: input.type, type: input.type, path: `/rule-test/${index}`, format: input.format, start_at: 'beginning', host: null,
      timezone: config.timezone, rotate_wait_ms: 0, max_line_bytes: 65_536, poll_interval_ms: 200,
    };
    const parser = compileParser(source);
    const logger = {
      ...silentLogger,
      warn: (fields: unknown, message?: string) => {
        const f = fields as { sample?: string; detail?: string };
        rejects.push(`${input.type}: ${f.detail ?? message ?? ''}: ${f.sample ?? ''}`);
      },
    } as typeof silentLogger;
    const processor = new LineProcessor(source, parser, attribution.scrubber, attribution.builder, logger);
    const fileId = store.checkpoints.register({ source: input.type, path: source.path, dev: 0n, ino: BigInt(index), fingerprint: { hash: '', length: 0 }, offset: 0, compressed: false });
    return { input, parser, processor, fileId };
  });
  // Order every line by its own time (ties keep the order given), so inputs from several logs interleave as live.
  const ordered: { block: (typeof blocks)[number]; text: string; ts: number; seq: number }[] = [];
  let seq = 0;
  for (const block of blocks) {
    let previous = 0;
    for (const text of block.input.lines) {
      const parsed = block.parser.parse(attribution.scrubber.scrub(text).line);
      const ts = parsed.ok ? parsed.record.ts : previous;
      previous = ts;
      ordered.push({ block, text, ts, seq: seq++ });
    }
  }
  ordered.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  const offsets = new Map<number, number>();
  for (const item of ordered) {
    const offset = offsets.get(item.block.fileId) ?? 0;
    const length = Buffer.byteLength(item.text) + 1;
    offsets.set(item.block.fileId, offset + length);
    item.block.processor.process({ source: item.block.input.type, fileId: item.block.fileId, path: `/rule-test`, lines: [{ offset, length, text: item.text }], endOffset: offset + length }, acc);
  }
  for (const block of blocks) block.processor.flushHeld(acc, true);
  return rejects;
}

function readAlerts(db: Db, ruleId: string): ActualAlert[] {
  const rows = db.prepare('SELECT labels, state, started_at, ended_at, value, summary FROM alerts WHERE rule_id = ? ORDER BY started_at, id').all(ruleId) as {
    labels: string; state: string; started_at: number; ended_at: number | null; value: number | null; summary: string;
  }[];
  return rows.map((r) => ({ ...r, labels: JSON.parse(r.labels) as Record<string, string> }));
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Every expected alert is there (labels, state, and the times/value given), and no other alert. */
export function matches(expected: readonly ExpectedAlert[], actual: readonly ActualAlert[]): boolean {
  if (expected.length !== actual.length) return false;
  const left = [...actual];
  for (const e of expected) {
    const i = left.findIndex((a) => sameLabels(e.labels, a.labels) && e.state === a.state
      && (e.started_at === null || e.started_at === a.started_at)
      && (e.ended_at === null || e.ended_at === a.ended_at)
      && (e.value === null || String(e.value) === String(a.value)));
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

// ---- reading the test file ------------------------------------------------------------------------------------

const TIME_PLACEHOLDERS: Record<string, (ms: number) => string> = {
  clf: (ms) => {
    const d = new Date(ms);
    const month = d.toUTCString().slice(8, 11);
    return `${pad(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${hms(d)} +0000`;
  },
  rfc2822: (ms) => new Date(ms).toUTCString().replace('GMT', '+0000'),
  php: (ms) => {
    const d = new Date(ms);
    return `${pad(d.getUTCDate())}-${d.toUTCString().slice(8, 11)}-${d.getUTCFullYear()} ${hms(d)} UTC`;
  },
  ymdhms: (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' '),
  iso: (ms) => new Date(ms).toISOString(),
  epoch: (ms) => String(Math.floor(ms / 1000)),
};

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function hms(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Renders a `generate` template for line i (0-based) at time `ms`. Unknown placeholders are left as written. */
export function renderGeneratedLine(template: string, i: number, ms: number): string {
  return template.replace(/\{(i|n|clf|rfc2822|php|ymdhms|iso|epoch)\}/g, (_m, name: string) => {
    if (name === 'i') return String(i);
    if (name === 'n') return String(i + 1);
    return TIME_PLACEHOLDERS[name]!(ms);
  });
}

function readTime(m: MappingReader, key: string): number | null {
  const raw = m.raw(key);
  if (raw === undefined || raw === null) return null;
  const text = raw instanceof Date ? raw.toISOString() : String(raw);
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    m.issues.add(m.at(key), `"${text}" is not an ISO time such as 2026-11-24T03:00:00Z`);
    return null;
  }
  return ms;
}

function readTestFile(file: string): { test: TestFile } | { issues: ValidationIssue[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { issues: [{ file, line: null, column: null, path: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }] };
  }
  const loaded = loadYaml(text);
  if (!loaded.ok) {
    return { issues: loaded.errors.map((e) => ({ file, line: e.position?.line ?? null, column: e.position?.column ?? null, path: '', message: `YAML syntax: ${e.message}` })) };
  }
  const issues = new IssueCollector(file, loaded.doc);
  const root = new MappingReader(loaded.doc.value, [], issues);
  const ruleId = root.string('rule', basename(file).replace(/\.test\.ya?ml$/, ''));
  const configValue = root.raw('config');
  const registryValue = root.raw('registry');
  let registry: TestFile['registry'] = null;
  if (typeof registryValue === 'string') registry = { text: registryValue, name: 'registry.tsv' };
  else if (Array.isArray(registryValue)) registry = { text: JSON.stringify(registryValue), name: 'registry.json' };
  else if (registryValue !== undefined && registryValue !== null) issues.add(['registry'], 'expected the registry as text (TSV/CSV) or a list of rows');
  const { items, path } = root.list('cases');
  if (items.length === 0) issues.add(['cases'], 'a test file needs at least one case');
  const cases = items.map((item, i) => readCase(item, [...path, i], issues));
  root.done();
  if (!issues.ok) return { issues: issues.issues };
  return {
    test: {
      file, ruleId, registry, cases,
      configText: configValue === undefined || configValue === null ? '' : YAML.stringify(configValue),
    },
  };
}

function readCase(value: unknown, path: YamlPath, issues: IssueCollector): TestCase {
  const m = new MappingReader(value, path, issues);
  const name = m.requiredString('name') ?? `case ${String(path[path.length - 1])}`;
  const inputs: InputBlock[] = [];
  const list = m.list('input');
  list.items.forEach((item, i) => {
    const block = readInput(item, [...list.path, i], issues);
    if (block) inputs.push(block);
  });
  const at = readTime(m, 'at');
  const expected = m.list('expect');
  if (!m.has('expect')) issues.add(path, 'missing required key `expect` (use `expect: []` for no alerts)');
  const expect = expected.items.map((e, i) => readExpected(e, [...expected.path, i], issues));
  m.done();
  return { name, inputs, at, expect };
}

function readInput(value: unknown, path: YamlPath, issues: IssueCollector): InputBlock | null {
  const m = new MappingReader(value, path, issues);
  const type = m.oneOf('source', SOURCE_TYPES, null);
  if (type === null && !m.has('source')) issues.add(path, 'missing required key `source` (a source type)');
  const format = m.string('format', null);
  const lines: string[] = [];
  const literal = m.string('lines', null);
  if (literal !== null) lines.push(...literal.split('\n').filter((l) => l.trim() !== ''));
  if (m.has('generate')) {
    const g = m.mapping('generate');
    const count = g.number('count', 1, { min: 1, max: 1_000_000, integer: true });
    const start = readTime(g, 'start');
    const every = g.duration('every', 1000, 0);
    const template = g.requiredString('line');
    g.done();
    if (start !== null && template !== null) for (let i = 0; i < count; i++) lines.push(renderGeneratedLine(template, i, start + i * every));
  }
  if (literal === null && !m.has('generate')) issues.add(path, 'an input needs `lines` or `generate`');
  m.done();
  return type === null ? null : { type, format, lines };
}

function readExpected(value: unknown, path: YamlPath, issues: IssueCollector): ExpectedAlert {
  const m = new MappingReader(value, path, issues);
  const labelsReader = m.mapping('labels');
  const labelsValue = m.raw('labels');
  const labels: Record<string, string> = {};
  if (labelsValue && typeof labelsValue === 'object' && !Array.isArray(labelsValue)) {
    for (const key of Object.keys(labelsValue)) labels[key] = labelsReader.string(key, '') ?? '';
  }
  labelsReader.done();
  const state = m.oneOf('state', ['pending', 'firing', 'resolved'] as const, 'firing');
  if (!m.has('state')) issues.add(path, 'missing required key `state`');
  const startedAt = readTime(m, 'started_at');
  const endedAt = readTime(m, 'ended_at');
  const raw = m.raw('value');
  m.done();
  return { labels, state, started_at: startedAt, ended_at: endedAt, value: raw === undefined || raw === null ? null : (raw as number | string) };
}

// ---- reporting ----------------------------------------------------------------------------------------------

function describeAlert(a: { labels: Record<string, string>; state: string; started_at: number | null; ended_at: number | null; value: number | string | null }): string {
  const labels = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  const parts = [`{${labels}}`, a.state];
  if (a.started_at !== null) parts.push(`started ${new Date(a.started_at).toISOString()}`);
  if (a.ended_at !== null) parts.push(`ended ${new Date(a.ended_at).toISOString()}`);
  if (a.value !== null) parts.push(`value ${String(a.value)}`);
  return parts.join('  ');
}

/** A readable report: one line per passing file, and a diff for each failing case. */
export function formatResult(result: FileResult): string {
  if (result.issues.length > 0) return `FAIL ${result.file}\n${result.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`;
  const failed = result.cases.filter((c) => !c.passed);
  if (failed.length === 0) return `ok   ${result.ruleId}: ${result.cases.length} case${result.cases.length === 1 ? '' : 's'}`;
  const out = [`FAIL ${result.ruleId}: ${failed.length} of ${result.cases.length} cases (${result.file})`];
  for (const c of failed) {
    out.push(`  case "${c.name}":`);
    out.push('    expected:');
    for (const e of c.expected) out.push(`      - ${describeAlert(e)}`);
    if (c.expected.length === 0) out.push('      (no alert)');
    out.push('    got:');
    for (const a of c.actual) out.push(`      - ${describeAlert(a)}   "${a.summary}"`);
    if (c.actual.length === 0) out.push('      (no alert)');
    for (const r of c.rejects.slice(0, 5)) out.push(`    input line rejected: ${r}`);
  }
  return out.join('\n');
}

