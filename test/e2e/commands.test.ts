// The commands as a user runs them: replay's summary, query's outputs and read-only guard, doctor's verdicts,
// configuration errors, and an analyst's long query running while `run` keeps ingesting.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, REPO_ROOT, runCli, startAgent, tempDir, waitFor } from '../support/cli.js';
import { freeLoopbackPort } from '../support/ports.js';

const dir = tempDir('commands');
after(() => dir.remove());

const EXAMPLE = join(REPO_ROOT, 'examples', 'phabwatch.yaml');
const line = (n: number, user = 'alice'): string =>
  `[Tue, 24 Nov 2026 15:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} +0000]\t100\tphab01\t198.51.100.7\t${user}\tPhabricatorHomeController\t-\t/n/${n}\t-\t200\t1500\n`;

test('replay of the bundled example stores every line and prints a summary', () => {
  const db = join(dir.path, 'example.db');
  const result = runCli(['replay', '--config', EXAMPLE, '--store', db, '--json']);
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as { lines: number; events: number; rejects: Record<string, number>; perSource: Record<string, { lines: number; continuationLines: number }> };
  assert.deepEqual(summary.rejects, {}, 'the example is clean');
  const store = new Database(db, { readonly: true });
  try {
    const stored = (store.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    assert.equal(stored, summary.events);
    // Every line is either an event or a stack-trace line of a daemon event: nothing vanished.
    const continuation = Object.values(summary.perSource).reduce((a, s) => a + s.continuationLines, 0);
    assert.equal(summary.lines, summary.events + continuation);
    const checkpoints = store.prepare('SELECT sum(lines) AS n FROM checkpoints').get() as { n: number };
    assert.equal(checkpoints.n, summary.lines, 'checkpoints account for every line');
  } finally {
    store.close();
  }
  const again = runCli(['replay', '--config', EXAMPLE, '--store', db, '--json']);
  assert.equal(JSON.parse(again.stdout).lines, 0, 'replaying the same files again stores nothing twice');
  const human = runCli(['replay', '--config', EXAMPLE, '--store', db]);
  assert.match(human.stdout, /^lines {5}0/m);
});

test('query prints a table, CSV or JSON, and refuses to write', () => {
  const db = join(dir.path, 'example.db');
  const table = runCli(['query', '--store', db, "SELECT kind, count(*) AS n FROM events WHERE source = 'phab' GROUP BY kind ORDER BY kind"]);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^kind +n\n-+ +-+\nconduit +\d+/);
  const csv = runCli(['query', '--store', db, '--csv', 'SELECT 1 AS a, \'x,y\' AS b']);
  assert.equal(csv.stdout, 'a,b\n1,"x,y"\n');
  const json = runCli(['query', '--store', db, '--json', "SELECT outcome FROM events WHERE outcome = 'auth_failure' LIMIT 1"]);
  assert.deepEqual(JSON.parse(json.stdout), [{ outcome: 'auth_failure' }]);
  const write = runCli(['query', '--store', db, 'DELETE FROM events']);
  assert.equal(write.status, 2);
  assert.match(write.stderr, /read-only/);
  const bad = runCli(['query', '--store', db, 'SELEC 1']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /SQL: .*syntax error/);
});

test('configuration errors name the file, line, key and the likely intended key; exit 2', () => {
  const config = dir.file('typo.yaml', 'store: { path: x.db }\nsources:\n  - { name: web, type: nginx, pth: /var/log/nginx/access.log }\n');
  const result = runCli(['run', '--config', config]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /typo\.yaml:3:\d+: sources\[0\]\.pth: unknown key `pth`; did you mean `path`\?/);
  const format = dir.file('format.yaml', 'sources:\n  - { name: p, type: phabricator-access, path: /x, format: "[%D]%u%C" }\n');
  const bad = runCli(['replay', '--config', format]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /format\.yaml:2:\d+: sources\[0\]\.format: format cannot be used: .*/);
});

test('doctor passes on the example and explains a wrong format with the first failing line', () => {
  const ok = runCli(['doctor', '--config', EXAMPLE]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /ok +source phab \(phabricator-access\): \d+ of \d+ sample lines .* parse .*\(100\.0%\)/);
  const log = dir.file('web.log', line(1).repeat(20));
  const config = dir.file('doctor.yaml', [
    `store: { path: ${join(dir.path, 'doctor.db')} }`,
    'sources:',
    `  - { name: web, type: nginx, path: ${log} }`,
    `  - { name: gone, type: phabricator-access, path: ${join(dir.path, 'missing', 'access.log')} }`,
  ].join('\n'));
  const result = runCli(['doctor', '--config', config]);
  assert.equal(result.status, 1);
  assert.match(result.stdout, /FAIL +source web \(nginx\): 0 of 20 sample lines .* \(0\.0%\)/);
  assert.match(result.stdout, /first failing line: format_mismatch: /);
  assert.match(result.stdout, /hint: set `format:`/);
  assert.match(result.stdout, /FAIL +source gone \(phabricator-access\): no file matches .*\n.*log\.access\.path/);
  assert.match(result.stdout, /ok +store: .*: writable/);
});

test('doctor says which alert and telemetry destinations cannot be reached, without showing a URL path', async () => {
  const closed = await freeLoopbackPort();
  const listening = createServer().listen(0, '127.0.0.1');
  await once(listening, 'listening');
  const busy = (listening.address() as AddressInfo).port;
  try {
    const config = dir.file('doctor-out.yaml', [
      `store: { path: ${join(dir.path, 'doctor-out.db')} }`,
      'sources:',
      `  - { name: web, type: nginx, path: ${dir.file('doctor-out.log', '')} }`,
      'alerts:',
      `  alertmanager: { url: "http://127.0.0.1:${closed}" }`,
      `  webhooks: [ { url: "http://127.0.0.1:${busy}/services/T000/B000/secret-path-part", format: slack } ]`,
      'telemetry:',
      `  otlp: { endpoint: "http://127.0.0.1:${closed}", traces: true, metrics: false, logs: false }`,
      `  prometheus: { listen: "127.0.0.1:${busy}" }`,
    ].join('\n'));
    const result = runCli(['doctor', '--config', config]);
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stdout, new RegExp(`FAIL +alerts alertmanager: http://127\\.0\\.0\\.1:${closed}: not reachable \\(ECONNREFUSED\\)`));
    assert.match(result.stdout, new RegExp(`ok +alerts webhook:0: http://127\\.0\\.0\\.1:${busy}: accepts connections`));
    assert.match(result.stdout, new RegExp(`warn +telemetry traces: http://127\\.0\\.0\\.1:${closed}: not reachable`));
    assert.match(result.stdout, new RegExp(`warn +telemetry prometheus: 127\\.0\\.0\\.1:${busy}: cannot listen \\(EADDRINUSE\\)`));
    assert.doesNotMatch(result.stdout, /secret-path-part|services/);
  } finally {
    listening.close();
  }
});

test('a long analyst query does not stop ingestion', { timeout: 60_000 }, async () => {
  const log = dir.file('live.log', line(0));
  const db = join(dir.path, 'live.db');
  const config = dir.file('live.yaml', `store: { path: ${db} }\nsources:\n  - { name: phab, type: phabricator-access, path: ${log}, poll_interval: 50ms }\nlog: { level: warn }\n`);
  const agent = startAgent(['run', '--config', config]);
  const count = (): number => {
    try {
      const store = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return (store.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
      } finally {
        store.close();
      }
    } catch {
      return 0;
    }
  };
  try {
    await waitFor(() => count() === 1, 20_000, 'the first event');
    // A query that reads `events` and then keeps its snapshot for seconds.
    const slow = spawn(process.execPath, [BIN, 'query', '--config', config, '--json',
      'WITH RECURSIVE c(x, n) AS (SELECT 1, (SELECT count(*) FROM events) UNION ALL SELECT x + 1, n FROM c WHERE x < 30000000) SELECT max(n) AS seen, count(*) AS steps FROM c'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    slow.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let queryDone = false;
    const finished = new Promise<void>((resolve) => slow.on('exit', () => { queryDone = true; resolve(); }));
    // Let the query start and take its snapshot (process start-up), then write while it runs.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(queryDone, false, 'the analyst query is still running');
    for (let n = 1; n <= 50; n++) appendFileSync(log, line(n));
    await waitFor(() => count() === 51, 20_000, 'ingestion while the query runs');
    assert.equal(queryDone, false, 'the lines were stored while the analyst query was still running');
    await finished;
    assert.equal(JSON.parse(out)[0].seen, 1, 'the analyst saw one consistent snapshot');
  } finally {
    agent.child.kill('SIGTERM');
  }
  assert.equal(await agent.exited, 0);
});
