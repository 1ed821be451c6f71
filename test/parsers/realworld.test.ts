// The parsers against public real-world logs (../shared/data/realworld, read in place, never copied):
// fail2ban's labelled cases, Filebeat's expected outputs, and parse rates over whole files.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createParser, isFormatError } from '../../src/parsers/index.js';
import type { LineParser, ParseFailure, RequestRecord } from '../../src/parsers/types.js';
import { realworldPath } from './testPaths.js';

function parser(type: 'nginx' | 'apache', format: string | null = null, timezone = 'UTC'): LineParser {
  const created = createParser({ type, format, timezone });
  if (isFormatError(created)) throw new Error(`format rejected: ${created.message}`);
  return created;
}

/** Lines of a file as the pipeline would see them: bytes decoded as UTF-8 (invalid bytes become U+FFFD). */
function fileLines(...parts: string[]): string[] {
  const text = new TextDecoder('utf-8').decode(readFileSync(realworldPath(...parts)));
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function parsedRequest(p: LineParser, line: string, where: string): RequestRecord {
  const result = p.parse(line);
  if (!result.ok) assert.fail(`${where}: rejected (${result.reason}: ${result.detail}): ${line}`);
  assert.ok(result.record.family === 'web', `${where}: not a web record`);
  return result.record as RequestRecord;
}

/** Wall-clock time of an instant in a zone, as `YYYY-MM-DDTHH:MM:SS` (fail2ban's label form). */
const zurichClock = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Zurich', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});
function inZurich(ms: number): string {
  const parts = Object.fromEntries(zurichClock.formatToParts(ms).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

// ---------------------------------------------------------------------------------------------------
// fail2ban: every labelled case of the web-server filters, classified by the shape of the line.

type Shape = 'access' | 'access-custom' | 'error-log' | 'foreign';

const SHAPES: ReadonlyArray<[Shape, RegExp]> = [
  // [vhost] client - user [dd/Mon/yyyy:hh:mm:ss( ±zzzz)] "request" ...
  ['access', /^(?:\S+ )?\S+ \S+ \S+ \[\d{2}\/[A-Za-z]{3}\/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?\] "/],
  // apache-fakegooglebot's own format: client - - - [time ] vhost "request" ...
  ['access-custom', /^\S+ - - - \[\d{2}\/[A-Za-z]{3}\/\d{4}:\d{2}:\d{2}:\d{2} \] \S+ "/],
  // Apache error log ([Sat Jun 01 02:17:42 2013] [error] ...), nginx error log (2015/01/21 10:56:10 [error] ...),
  // lighttpd error log (2011-12-25 17:09:20: (file.c.123) ...), and any of them behind a syslog or journal
  // prefix naming the server (Feb 15 16:23:00 srv httpd[22034]: ..., host nginx[2833]: ...).
  ['error-log', /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}/],
  ['error-log', /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[[a-z]+\] /],
  ['error-log', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}: /],
  ['error-log', /^(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} |\d{4}-\d{2}-\d{2}T[\d:.]+ )?\S+ (?:httpd|apache2|nginx|lighttpd)(?:\/\S+)?(?:\[\d+\])?: /],
  // Everything else is another program's log (HAProxy's HTTP log through syslog).
];

function shapeOf(line: string): Shape {
  for (const [shape, pattern] of SHAPES) if (pattern.test(line)) return shape;
  return 'foreign';
}

/** The fakegooglebot lines' format, written as the Apache LogFormat that produces it. */
const FAKEGOOGLEBOT_FORMAT = '%h %l %u %l [%{%d/%b/%Y:%H:%M:%S}t ] %v "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %X %I %O %D';

/** The web-server filters' sample logs (the other fail2ban files hold sshd, GitLab and Grafana logs). */
const FAIL2BAN_WEB_FILES = [
  'apache-auth', 'apache-badbots', 'apache-botsearch', 'apache-fakegooglebot', 'apache-modsecurity', 'apache-nohome',
  'apache-noscript', 'apache-overflows', 'apache-pass', 'apache-shellshock', 'haproxy-http-auth', 'lighttpd-auth',
  'nginx-bad-request', 'nginx-botsearch', 'nginx-forbidden', 'nginx-http-auth', 'nginx-limit-req', 'php-url-fopen',
  'traefik-auth',
];

interface LabelledCase {
  file: string;
  line: string;
  label: { time?: string; host?: string; match?: boolean };
}

function fail2banCases(file: string): LabelledCase[] {
  const lines = fileLines('fail2ban', file);
  const cases: LabelledCase[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^# failJSON: (\{.*\})\s*$/.exec(lines[i]!);
    if (m === null) continue;
    let j = i + 1;
    while (j < lines.length && (lines[j]!.startsWith('#') || lines[j]!.trim() === '')) j++;
    if (j < lines.length) cases.push({ file: `${file}:${j + 1}`, line: lines[j]!, label: JSON.parse(m[1]!) as LabelledCase['label'] });
  }
  return cases;
}

test('fail2ban: every labelled web access line parses with its host and time; error-log lines are rejected', (t) => {
  const nginx = parser('nginx', null, 'Europe/Zurich');
  const apache = parser('apache', null, 'Europe/Zurich');
  const fakeGooglebot = parser('apache', FAKEGOOGLEBOT_FORMAT, 'Europe/Zurich');
  const counts: Record<Shape, number> = { access: 0, 'access-custom': 0, 'error-log': 0, foreign: 0 };
  let timesChecked = 0;
  let hostsChecked = 0;
  for (const file of FAIL2BAN_WEB_FILES) {
    for (const c of fail2banCases(file)) {
      const shape = shapeOf(c.line);
      counts[shape]++;
      if (shape === 'error-log' || shape === 'foreign') {
        for (const p of [nginx, apache]) {
          const result = p.parse(c.line);
          assert.equal(result.ok, false, `${c.file}: a ${shape} line was parsed as a ${p.sourceType} access line: ${c.line}`);
        }
        continue;
      }
      const p = shape === 'access-custom' ? fakeGooglebot : file.startsWith('nginx-') || file === 'traefik-auth' ? nginx : apache;
      const record = parsedRequest(p, c.line, c.file);
      if (c.label.host !== undefined) {
        assert.equal(record.clientIp, c.label.host, `${c.file}: client`);
        hostsChecked++;
      }
      if (c.label.time !== undefined) {
        assert.equal(inZurich(record.ts), c.label.time, `${c.file}: time (labels are Europe/Zurich wall-clock time)`);
        timesChecked++;
      }
    }
  }
  t.diagnostic(`labelled cases: ${JSON.stringify(counts)}; hosts checked ${hostsChecked}, times checked ${timesChecked}`);
  // Counts of the data set as it is stored; a change here means the data or the classification changed.
  assert.deepEqual(counts, { access: 29, 'access-custom': 2, 'error-log': 139, foreign: 4 });
  assert.equal(hostsChecked, 28);
  assert.equal(timesChecked, 28);
});

// ---------------------------------------------------------------------------------------------------
// Filebeat's expected outputs for its nginx and apache access test logs.

interface FilebeatRecord {
  '@timestamp': string;
  'source.ip'?: string;
  'source.address'?: string;
  'http.request.method'?: string;
  'url.original'?: string;
  'http.response.status_code'?: number;
  'http.response.body.bytes'?: number;
  'user_agent.original'?: string;
  'http.request.referrer'?: string;
}

/** Filebeat keeps `-` as a value; phabwatch stores a missing value as null. */
function dashAsNull(value: string | undefined): string | null {
  return value === undefined || value === '-' ? null : value;
}

function checkAgainstFilebeat(type: 'nginx' | 'apache', dir: string): number {
  const expected = JSON.parse(readFileSync(realworldPath('filebeat-module-tests', dir, 'test.log-expected.json'), 'utf8')) as FilebeatRecord[];
  const lines = fileLines('filebeat-module-tests', dir, 'test.log');
  const p = parser(type);
  expected.forEach((want, i) => {
    const where = `filebeat ${dir}/test.log:${i + 1}`;
    const got = parsedRequest(p, lines[i]!, where);
    assert.equal(got.ts, Date.parse(want['@timestamp']), `${where}: @timestamp`);
    assert.equal(got.clientIp, want['source.ip'] ?? want['source.address'], `${where}: source.ip/address`);
    assert.equal(got.method?.toLowerCase() ?? null, want['http.request.method']?.toLowerCase() ?? null, `${where}: method`);
    const original = want['url.original'];
    if (original === undefined) {
      assert.equal(got.path, null, `${where}: path`);
    } else {
      const q = original.indexOf('?');
      assert.equal(got.path, q === -1 ? original : original.slice(0, q), `${where}: path`);
      assert.equal(got.query, q === -1 ? null : original.slice(q + 1), `${where}: query`);
    }
    assert.equal(got.status, want['http.response.status_code'] ?? null, `${where}: status`);
    assert.equal(got.bytesOut, want['http.response.body.bytes'] ?? null, `${where}: body bytes`);
    assert.equal(got.userAgent, dashAsNull(want['user_agent.original']), `${where}: user agent`);
    assert.equal(got.referrer, dashAsNull(want['http.request.referrer']), `${where}: referrer`);
  });
  return expected.length;
}

test('Filebeat nginx expected output: every record matches', () => {
  assert.equal(checkAgainstFilebeat('nginx', 'nginx'), 7);
});

test('Filebeat apache expected output: every record matches', () => {
  assert.equal(checkAgainstFilebeat('apache', 'apache'), 6);
});

// ---------------------------------------------------------------------------------------------------
// Parse rates: the share of lines of whole real-world files that parse (floors as measured).

interface Rate {
  parsed: number;
  total: number;
  rejects: Map<string, string[]>;
}

function measure(p: LineParser, files: readonly string[][]): Rate {
  const rate: Rate = { parsed: 0, total: 0, rejects: new Map() };
  for (const parts of files) {
    fileLines(...parts).forEach((line, i) => {
      rate.total++;
      const result = p.parse(line);
      if (result.ok) {
        rate.parsed++;
        return;
      }
      const f = result as ParseFailure;
      const key = `${f.reason}: ${f.detail}`;
      const list = rate.rejects.get(key) ?? [];
      list.push(`${parts.join('/')}:${i + 1}`);
      rate.rejects.set(key, list);
    });
  }
  return rate;
}

function describe(rate: Rate): string {
  const reasons = [...rate.rejects].map(([k, where]) => `${where.length}× ${k} (${where.slice(0, 3).join(', ')})`);
  return `${rate.parsed}/${rate.total} parsed${reasons.length > 0 ? '; rejected: ' + reasons.join('; ') : ''}`;
}

test('parse rate: elastic-examples apache_logs (Apache combined), 100%', (t) => {
  const rate = measure(parser('apache'), [['elastic-examples', 'apache_logs']]);
  t.diagnostic(describe(rate));
  assert.equal(rate.total, 10_000);
  assert.equal(rate.parsed, rate.total, describe(rate));
});

test('parse rate: every honeynet-redhat71 access_log* (2004 attack traffic, Apache combined), 100%', (t) => {
  const files = readdirSync(realworldPath('honeynet-redhat71')).filter((f) => f.startsWith('access_log')).sort();
  assert.equal(files.length, 23);
  const rate = measure(parser('apache'), files.map((f) => ['honeynet-redhat71', f]));
  t.diagnostic(describe(rate));
  assert.equal(rate.total, 38_487);
  assert.equal(rate.parsed, rate.total, describe(rate));
});

test('parse rate: lnav shop and access logs (nginx combined, +0330, trailing field), 100%', (t) => {
  const rate = measure(parser('nginx'), [
    ['lnav-tests', 'logfile_shop_access_log.0'], ['lnav-tests', 'logfile_access_log.0'], ['lnav-tests', 'logfile_access_log.1'],
  ]);
  t.diagnostic(describe(rate));
  assert.equal(rate.total, 1004);
  assert.equal(rate.parsed, rate.total, describe(rate));
});

test('parse rate: Filebeat nginx logs (XFF lists, vhost prefixes, unix:), 100%', (t) => {
  const rate = measure(parser('nginx'), ['access.log', 'test.log', 'test-with-host.log'].map((f) => ['filebeat-module-tests', 'nginx', f]));
  t.diagnostic(describe(rate));
  assert.equal(rate.total, 30);
  assert.equal(rate.parsed, rate.total, describe(rate));
});

test('parse rate: Filebeat apache logs (combined, common, vhost, ssl_request format), 100%', (t) => {
  const rates = [
    measure(parser('apache'), [['filebeat-module-tests', 'apache', 'test.log'], ['filebeat-module-tests', 'apache', 'test-vhost.log']]),
    measure(parser('apache', 'common'), [['filebeat-module-tests', 'apache', 'darwin-2.4.23.log']]),
    measure(parser('apache', '%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b'), [['filebeat-module-tests', 'apache', 'ssl-request.log']]),
  ];
  for (const rate of rates) {
    t.diagnostic(describe(rate));
    assert.equal(rate.parsed, rate.total, describe(rate));
  }
  assert.deepEqual(rates.map((r) => r.total), [8, 6, 2]);
});

test("lnav's bad access log: line 2 (no `- -`) is rejected, not mis-assigned; lines 1 and 3 parse", () => {
  const lines = fileLines('lnav-tests', 'logfile_bad_access_log.0');
  assert.equal(lines.length, 3);
  for (const p of [parser('nginx'), parser('apache')]) {
    const results = lines.map((l) => p.parse(l));
    assert.deepEqual(results.map((r) => r.ok), [true, false, true], p.sourceType);
    assert.equal((results[1] as ParseFailure).reason, 'format_mismatch');
  }
});

test('syslog lines wrapping access-log-like text are not access lines', () => {
  const lines = fileLines('lnav-tests', 'logfile_syslog_with_access_log.0');
  assert.equal(lines.length, 5);
  for (const p of [parser('nginx'), parser('apache')]) {
    for (const line of lines) assert.equal(p.parse(line).ok, false, `${p.sourceType} parsed: ${line}`);
  }
});

test('Apache error log (loghub Apache_2k) is rejected line by line by the access parsers', () => {
  for (const p of [parser('nginx'), parser('apache')]) {
    const rate = measure(p, [['loghub', 'Apache', 'Apache_2k.log']]);
    assert.equal(rate.total, 2000);
    assert.equal(rate.parsed, 0, `${p.sourceType}: ${describe(rate)}`);
  }
});
