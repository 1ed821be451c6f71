import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatIssues, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { parseDuration } from '../../src/config/duration.js';

const FULL = `
store: { path: ./data/phabwatch.db, retention: { events: 30d } }
timezone: America/New_York
business_hours: { days: [mon, tue, wed, thu, fri], start: "08:00", end: "19:00", holidays: ["2026-12-25"] }
sources:
  - { name: phab, type: phabricator-access, path: "/var/log/phabricator/access.log*", format: "[%D]\\t%p\\t%h\\t%r\\t%u\\t%C\\t%m\\t%U\\t%R\\t%c\\t%T" }
  - { name: ssh, type: phabricator-ssh, path: logs/ssh.log }
  - { name: phd, type: phd-daemon, path: "/var/tmp/phd/log/daemons.log" }
  - { name: web, type: nginx, path: /var/log/nginx/access.log, format: combined }
  - { name: web2, type: apache, path: /var/log/apache2/access.log, format: combined, start_at: end }
identities:
  registry: ./tokens.tsv
  bots: [ci-bot]
  timezones: { alice: Europe/Berlin }
  cluster_networks: [10.0.0.0/8]
`;

function problems(text: string): string {
  const result = parseConfig(text, '/etc/phabwatch/phabwatch.yaml');
  assert.equal(result.ok, false, 'expected the config to be rejected');
  return result.ok ? '' : formatIssues(result.issues);
}

test('the documented example config loads, with paths relative to the config file', () => {
  const result = parseConfig(FULL, '/etc/phabwatch/phabwatch.yaml');
  assert.ok(result.ok, result.ok ? '' : formatIssues(result.issues));
  const c = result.config;
  assert.equal(c.store.path, '/etc/phabwatch/data/phabwatch.db');
  assert.equal(c.store.retention.events_ms, 30 * 86_400_000);
  assert.equal(c.timezone, 'America/New_York');
  assert.deepEqual(c.business_hours.days, ['mon', 'tue', 'wed', 'thu', 'fri']);
  assert.equal(c.business_hours.start_minute, 8 * 60);
  assert.equal(c.business_hours.end_minute, 19 * 60);
  assert.equal(c.sources.length, 5);
  assert.equal(c.sources[1]!.path, '/etc/phabwatch/logs/ssh.log');
  assert.equal(c.sources[0]!.format, '[%D]\t%p\t%h\t%r\t%u\t%C\t%m\t%U\t%R\t%c\t%T');
  assert.equal(c.sources[2]!.format, null);
  assert.equal(c.sources[4]!.start_at, 'end');
  assert.equal(c.sources[0]!.start_at, 'beginning');
  assert.equal(c.sources[0]!.timezone, 'America/New_York', 'a source inherits the global zone');
  assert.equal(c.identities.registry, '/etc/phabwatch/tokens.tsv');
  assert.deepEqual(c.identities.timezones, { alice: 'Europe/Berlin' });
});

test('a misspelt key is reported with its line, column and the likely intended key', () => {
  const text = FULL.replace('business_hours:', 'busines_hours:');
  const out = problems(text);
  assert.match(out, /phabwatch\.yaml:4:1: busines_hours: unknown key `busines_hours`; did you mean `business_hours`\?/);
});

test('a misspelt key inside a source names the source position', () => {
  const out = problems(FULL.replace('{ name: ssh, type:', '{ name: ssh, typ:'));
  assert.match(out, /:7:\d+: sources\[1\]\.typ: unknown key `typ`; did you mean `type`\?/);
  assert.match(out, /sources\[1\]: missing required key `type`/);
});

test('a wrong source type suggests the closest one', () => {
  const out = problems(FULL.replace('type: nginx', 'type: ngnix'));
  assert.match(out, /sources\[3\]\.type: "ngnix" is not one of .*; did you mean `nginx`\?/);
});

test('every problem is reported, not just the first', () => {
  const text = `
timezone: Mars/Olympus
store: { retention: { events: 30 days } }
business_hours: { days: [mon, funday], start: "8am", end: "19:00", holidays: ["2026-13-45"] }
identities: { cluster_networks: [10.0.0.0/33, not-an-ip] }
sources:
  - { name: a, type: nginx, path: /x }
  - { name: a, type: nginx, path: /y }
  - { type: apache }
`;
  const out = problems(text);
  for (const expected of [
    /timezone: "Mars\/Olympus" is not an IANA time zone/,
    /store\.retention\.events: "30 days" is not a duration/,
    /business_hours\.days\[1\]: "funday" is not a weekday/,
    /business_hours\.start: "8am" is not a time of day/,
    /business_hours\.holidays\[0\]: "2026-13-45" is not a date/,
    /cluster_networks\[0\]: "10\.0\.0\.0\/33" is not an address or CIDR range/,
    /cluster_networks\[1\]: "not-an-ip"/,
    /sources\[1\]\.name: source name "a" is used twice/,
    /sources\[2\]: missing required key `name`/,
    /sources\[2\]: missing required key `path`/,
  ]) {
    assert.match(out, expected);
  }
});

test('YAML syntax errors say where', () => {
  const out = problems('store: { path: x\nsources: [\n');
  assert.match(out, /phabwatch\.yaml:\d+:\d+: YAML syntax:/);
});

test('a source format rejected by the parser layer is reported at the source', () => {
  const result = parseConfig(FULL, '/etc/p.yaml', { source: (s) => (s.name === 'web' ? 'format cannot be used: bad' : null) });
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : formatIssues(result.issues), /p\.yaml:9:\d+: sources\[3\]\.format: format cannot be used: bad/);
});

test('a missing config file is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-config-'));
  try {
    const result = loadConfigFile(join(dir, 'nope.yaml'));
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : formatIssues(result.issues), /nope\.yaml: cannot read config: file not found/);
    writeFileSync(join(dir, 'ok.yaml'), 'timezone: UTC\n');
    assert.ok(loadConfigFile(join(dir, 'ok.yaml')).ok);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('durations', () => {
  assert.deepEqual(parseDuration('30d'), { ok: true, ms: 30 * 86_400_000 });
  assert.deepEqual(parseDuration('1h30m'), { ok: true, ms: 90 * 60_000 });
  assert.deepEqual(parseDuration('250ms'), { ok: true, ms: 250 });
  assert.equal(parseDuration('5 minutes').ok, false);
  assert.equal(parseDuration('').ok, false);
});

test("a Phabricator format copied with a literal \\t (single-quoted YAML) means tab", () => {
  const text = "sources:\n  - { name: p, type: phabricator-access, path: /x, format: '[%D]\\t%p\\t%h' }\n  - { name: w, type: nginx, path: /y, format: '$remote_addr\\t$status' }\n";
  const result = parseConfig(text, '/etc/p.yaml');
  assert.ok(result.ok);
  assert.equal(result.config.sources[0]!.format, '[%D]\t%p\t%h');
  assert.equal(result.config.sources[1]!.format, '$remote_addr\\t$status', 'other formats are taken literally');
});

test('rules: defaults when absent, a relative folder resolved against the config file, lateness as a duration', () => {
  const none = parseConfig('timezone: UTC\n', '/etc/phabwatch/phabwatch.yaml');
  assert.ok(none.ok);
  assert.deepEqual(none.config.rules, { dir: null, disabled: [], allowed_lateness_ms: 120_000 });
  const some = parseConfig('rules: { dir: ./my-rules, disabled: [scanner-burst, log-silence], allowed_lateness: 30s }\n', '/etc/phabwatch/phabwatch.yaml');
  assert.ok(some.ok, some.ok ? '' : formatIssues(some.issues));
  assert.deepEqual(some.config.rules, { dir: '/etc/phabwatch/my-rules', disabled: ['scanner-burst', 'log-silence'], allowed_lateness_ms: 30_000 });
});

test('rules: a misspelt key, a bad duration and a malformed id are each reported where they are', () => {
  const out = problems('rules:\n  dir: ./r\n  disable: [x]\n  allowed_lateness: 2 minutes\n');
  assert.match(out, /phabwatch\.yaml:3:3: rules\.disable: unknown key `disable`; did you mean `disabled`\?/);
  assert.match(out, /phabwatch\.yaml:4:3: rules\.allowed_lateness: "2 minutes" is not a duration/);
  const ids = problems('rules: { disabled: [ok-id, "Bad Id"] }\n');
  assert.match(ids, /:1:\d+: rules\.disabled\[1\]: "Bad Id" is not a rule id/);
  assert.match(problems('rules: { allowed_lateness: 2d }\n'), /rules\.allowed_lateness: must be at most 1d/);
});
