// Loads and validates phabwatch.yaml. Every problem is reported at once, each naming the file, line,
// key and what is wrong; relative paths are resolved against the config file's folder.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatIssue, IssueCollector, MappingReader, type ValidationIssue } from './validation.js';
import { loadYaml } from './yamlDocument.js';
import {
  SOURCE_TYPES,
  type AlertsConfig,
  type TelemetryConfig,
  type WebhookSinkConfig,
  type BusinessHours,
  type IdentitiesConfig,
  type PhabwatchConfig,
  type RulesConfig,
  type SourceConfig,
  type StoreConfig,
  type Weekday,
} from './types.js';

export type ConfigResult = { ok: true; config: PhabwatchConfig } | { ok: false; issues: ValidationIssue[] };

/** Extra checks owned by other layers (e.g. compiling a source's format string); return a message or null. */
export type SourceCheck = (source: SourceConfig) => string | null;

const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY = 86_400_000;

export function loadConfigFile(file: string, checks: { source?: SourceCheck } = {}): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String(err);
    return { ok: false, issues: [{ file, line: null, column: null, path: '', message: `cannot read config: ${why}` }] };
  }
  return parseConfig(text, resolve(file), checks);
}

export function parseConfig(text: string, file: string | null, checks: { source?: SourceCheck } = {}): ConfigResult {
  const loaded = loadYaml(text);
  if (!loaded.ok) {
    return {
      ok: false,
      issues: loaded.errors.map((e) => ({
        file, line: e.position?.line ?? null, column: e.position?.column ?? null, path: '', message: `YAML syntax: ${e.message}`,
      })),
    };
  }
  const issues = new IssueCollector(file, loaded.doc);
  const baseDir = file ? dirname(file) : process.cwd();
  const root = new MappingReader(loaded.doc.value, [], issues);
  const store = readStore(root.mapping('store'), baseDir);
  const timezone = readZone(root, 'timezone', 'UTC');
  const businessHours = readBusinessHours(root.mapping('business_hours'));
  const identities = readIdentities(root.mapping('identities'), baseDir);
  const sources = readSources(root, baseDir, timezone, checks.source);
  const rules = readRules(root.mapping('rules'), baseDir);
  const telemetry = readTelemetry(root.mapping('telemetry'));
  const alerts = readAlerts(root.mapping('alerts'));
  const log = root.mapping('log');
  const level = log.oneOf('level', ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const, 'info');
  log.done();
  root.done();
  if (!issues.ok) return { ok: false, issues: issues.issues };
  return {
    ok: true,
    config: { file, store, timezone, business_hours: businessHours, sources, identities, rules, telemetry, alerts, log: { level } },
  };
}

function readHeaders(m: MappingReader, key: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const reader = m.mapping(key);
  const value = m.raw(key);
  if (reader.valid && value && typeof value === 'object') for (const name of Object.keys(value)) headers[name] = reader.string(name, '');
  reader.done();
  return headers;
}

function readUrl(m: MappingReader, key: string): string | null {
  const url = m.requiredString(key);
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    return url.replace(/\/+$/, '');
  } catch {
    m.issues.add(m.at(key), `"${url}" is not an http:// or https:// URL`);
    return null;
  }
}

function readShare(m: MappingReader, key: string, fallback: number): number {
  return m.number(key, fallback, { min: 0, max: 1 });
}

function readTelemetry(m: MappingReader): TelemetryConfig {
  let otlp: TelemetryConfig['otlp'] = null;
  if (m.has('otlp')) {
    const o = m.mapping('otlp');
    const endpoint = readUrl(o, 'endpoint');
    const protocol = o.oneOf('protocol', ['http/protobuf', 'http/json'] as const, 'http/protobuf');
    const traces = o.boolean('traces', true);
    const metrics = o.boolean('metrics', true);
    const logs = o.boolean('logs', true);
    const headers = readHeaders(o, 'headers');
    const timeout = o.duration('timeout', 10_000, 100);
    const interval = o.duration('metrics_interval', 15_000, 1000);
    o.done();
    if (endpoint !== null) otlp = { endpoint, protocol, traces, metrics, logs, headers, timeout_ms: timeout, metrics_interval_ms: interval };
  } else {
    m.raw('otlp');
  }
  let prometheus: TelemetryConfig['prometheus'] = null;
  if (m.has('prometheus')) {
    const p = m.mapping('prometheus');
    const listen = p.requiredString('listen');
    p.done();
    const match = listen === null ? null : /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
    if (listen !== null && (!match || Number(match[2]) > 65535)) m.issues.add(['telemetry', 'prometheus', 'listen'], `"${listen}" is not host:port (e.g. 127.0.0.1:9464)`);
    else if (match) prometheus = { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  } else {
    m.raw('prometheus');
  }
  const traces = m.mapping('traces');
  const sampleReader = traces.mapping('sample');
  const sample = { errors: readShare(sampleReader, 'errors', 1), flagged: readShare(sampleReader, 'flagged', 1), other: readShare(sampleReader, 'other', 0.01) };
  sampleReader.done();
  traces.done();
  const serviceName = m.string('service_name', 'phabwatch');
  const instance = m.string('instance', null);
  m.done();
  return { otlp, prometheus, sample, service_name: serviceName, instance };
}

const SEVERITY_ORDER = ['info', 'warning', 'critical'] as const;

function readAlerts(m: MappingReader): AlertsConfig {
  const stdout = m.boolean('stdout', false);
  let alertmanager: AlertsConfig['alertmanager'] = null;
  if (m.has('alertmanager')) {
    const a = m.mapping('alertmanager');
    const url = readUrl(a, 'url');
    const resend = a.duration('resend', 60_000, 1000);
    const headers = readHeaders(a, 'headers');
    a.done();
    if (url !== null) alertmanager = { url, resend_ms: resend, headers };
  } else {
    m.raw('alertmanager');
  }
  const webhooks: WebhookSinkConfig[] = [];
  const list = m.list('webhooks');
  list.items.forEach((item, i) => {
    const w = new MappingReader(item, [...list.path, i], m.issues);
    const url = readUrl(w, 'url');
    const format = w.oneOf('format', ['json', 'slack'] as const, 'json');
    const headers = readHeaders(w, 'headers');
    w.done();
    if (url !== null) webhooks.push({ url, format, headers });
  });
  const route = m.mapping('route');
  const minSeverity = route.oneOf('min_severity', SEVERITY_ORDER, 'info');
  route.done();
  const maxBacklog = m.number('max_backlog', 10_000, { min: 10, max: 10_000_000, integer: true });
  const external = m.string('external_url', null);
  const maxAge = m.duration('max_age', 24 * 3_600_000, 60_000);
  m.done();
  return { stdout, alertmanager, webhooks, min_severity: minSeverity, max_backlog: maxBacklog, max_age_ms: maxAge, external_url: external };
}

export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map(formatIssue).join('\n');
}

export function resolvePath(path: string, baseDir: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function readStore(m: MappingReader, baseDir: string): StoreConfig {
  const path = resolvePath(m.string('path', './data/phabwatch.db'), baseDir);
  const retention = m.mapping('retention');
  const events_ms = retention.duration('events', 30 * DAY, 60_000);
  const rejects_ms = retention.duration('rejects', 30 * DAY, 60_000);
  retention.done();
  m.done();
  return { path, retention: { events_ms, rejects_ms } };
}

export function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function readZone(m: MappingReader, key: string, fallback: string): string {
  const zone = m.string(key, fallback);
  if (!isValidZone(zone)) {
    m.issues.add(m.at(key), `"${zone}" is not an IANA time zone (e.g. America/New_York, Europe/Berlin, UTC)`);
    return fallback;
  }
  return zone;
}

function readClock(m: MappingReader, key: string, fallback: string): number {
  const text = m.string(key, fallback);
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  const hours = match ? Number(match[1]) : NaN;
  const minutes = match ? Number(match[2]) : NaN;
  if (!match || hours > 24 || minutes > 59 || (hours === 24 && minutes !== 0)) {
    m.issues.add(m.at(key), `"${text}" is not a time of day; write it as "HH:MM" in quotes, e.g. "08:00"`);
    return readClockFallback(fallback);
  }
  return hours * 60 + minutes;
}

function readClockFallback(text: string): number {
  const [h, mm] = text.split(':').map(Number);
  return (h ?? 0) * 60 + (mm ?? 0);
}

function readBusinessHours(m: MappingReader): BusinessHours {
  const days: Weekday[] = [];
  const listed = m.list('days');
  const dayValues = m.has('days') ? listed.items : ['mon', 'tue', 'wed', 'thu', 'fri'];
  dayValues.forEach((value, i) => {
    const day = typeof value === 'string' ? value.toLowerCase().slice(0, 3) : '';
    if ((WEEKDAYS as readonly string[]).includes(day) && typeof value === 'string' && /^[a-z]+$/i.test(value)) {
      days.push(day as Weekday);
    } else {
      m.issues.add([...listed.path, i], `"${String(value)}" is not a weekday (mon, tue, wed, thu, fri, sat, sun)`);
    }
  });
  const start = readClock(m, 'start', '08:00');
  const end = readClock(m, 'end', '19:00');
  if (start >= end) m.issues.add(m.at('end'), 'business hours must end after they start (overnight shifts are not supported)');
  const holidays = m.stringList('holidays');
  holidays.forEach((day, i) => {
    const ok = /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`));
    if (!ok) m.issues.add(['business_hours', 'holidays', i], `"${day}" is not a date (YYYY-MM-DD)`);
  });
  m.done();
  return { days: [...new Set(days)], start_minute: start, end_minute: end, holidays };
}

export function isValidCidr(text: string): boolean {
  const [address, prefix, extra] = text.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function readIdentities(m: MappingReader, baseDir: string): IdentitiesConfig {
  const registryPath = m.string('registry', null);
  const bots = m.stringList('bots');
  const zonesReader = m.mapping('timezones');
  const timezones: Record<string, string> = {};
  const zonesValue = m.raw('timezones');
  if (zonesReader.valid && zonesValue && typeof zonesValue === 'object') {
    for (const user of Object.keys(zonesValue as object)) {
      const zone = readZone(zonesReader, user, 'UTC');
      timezones[user] = zone;
    }
  }
  zonesReader.done();
  const networks = m.stringList('cluster_networks');
  networks.forEach((cidr, i) => {
    if (!isValidCidr(cidr)) m.issues.add(['identities', 'cluster_networks', i], `"${cidr}" is not an address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)`);
  });
  m.done();
  return {
    registry: registryPath === null ? null : resolvePath(registryPath, baseDir),
    bots,
    timezones,
    cluster_networks: networks,
  };
}

const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Rule ids name files and alert labels: lowercase letters, digits, `-` and `_`, at most 64 characters. */
export function isRuleId(text: string): boolean {
  return RULE_ID.test(text);
}

function readRules(m: MappingReader, baseDir: string): RulesConfig {
  const dir = m.string('dir', null);
  const disabled = m.stringList('disabled');
  disabled.forEach((id, i) => {
    if (!isRuleId(id)) m.issues.add([...m.at('disabled'), i], `"${id}" is not a rule id (lowercase letters, digits, - and _)`);
  });
  // Lateness bounds how long windows stay open for stragglers; a day is already far past any sane buffering.
  const allowedLateness = m.duration('allowed_lateness', 2 * 60_000, 0);
  if (allowedLateness > DAY) m.issues.add(m.at('allowed_lateness'), 'must be at most 1d');
  m.done();
  return {
    dir: dir === null || dir.trim() === '' ? null : resolvePath(dir, baseDir),
    disabled: [...new Set(disabled)],
    allowed_lateness_ms: allowedLateness,
  };
}

/**
 * Phabricator's own config shows its formats with `\t` for tab (log.access.format is a "wild" value so that
 * `\t` works there). Copied into single-quoted or plain YAML, the two characters would stay two characters and
 * no line would ever match, so for Phabricator formats without a real tab they are read as the tab they mean.
 */
function normalizeFormat(format: string | null, type: unknown): string | null {
  if (format === null || (type !== 'phabricator-access' && type !== 'phabricator-ssh')) return format;
  const backslashT = '\\t';
  return format.includes(backslashT) && !format.includes('\t') ? format.replaceAll(backslashT, '\t') : format;
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function readSources(root: MappingReader, baseDir: string, timezone: string, check: SourceCheck | undefined): SourceConfig[] {
  const { items, path } = root.list('sources');
  const sources: SourceConfig[] = [];
  const names = new Set<string>();
  items.forEach((item, i) => {
    const m = new MappingReader(item, [...path, i], root.issues);
    if (!m.valid) return;
    const name = m.requiredString('name');
    const type = m.has('type') ? m.oneOf('type', SOURCE_TYPES, null) : (m.requiredString('type'), null);
    const rawPath = m.requiredString('path');
    const format = normalizeFormat(m.string('format', null), m.raw('type'));
    const startAt = m.oneOf('start_at', ['beginning', 'end'] as const, 'beginning');
    const host = m.string('host', null);
    const zone = readZone(m, 'timezone', timezone);
    const rotateWait = m.duration('rotate_wait', 5000, 0);
    const maxLine = m.number('max_line_bytes', 65_536, { min: 256, max: 64 * 1024 * 1024, integer: true });
    const poll = m.duration('poll_interval', 200, 10);
    m.done();
    if (name !== null) {
      if (!SOURCE_NAME.test(name)) m.issues.add(m.at('name'), `"${name}" is not a valid source name (letters, digits, - _ . only)`);
      else if (names.has(name)) m.issues.add(m.at('name'), `source name "${name}" is used twice`);
      names.add(name);
    }
    if (format !== null && type === 'phd-daemon') m.issues.add(m.at('format'), 'phd-daemon sources have a fixed format; remove `format`');
    if (name === null || type === null || rawPath === null) return;
    const source: SourceConfig = {
      name, type, path: resolvePath(rawPath, baseDir), format, start_at: startAt, host, timezone: zone,
      rotate_wait_ms: rotateWait, max_line_bytes: maxLine, poll_interval_ms: poll,
    };
    const problem = check?.(source);
    if (problem) m.issues.add(m.at('format'), problem);
    sources.push(source);
  });
  return sources;
}
