// The shipped dashboards work against what phabwatch really exports: `phabwatch run` tails the bundled example
// with its Prometheus endpoint on, a real Prometheus (Debian's, as in CI) scrapes it every second, and every panel
// query and template variable of both dashboards is run through Prometheus's HTTP API and must return series.
// The scraped label values must never hold a client address, a username or a token.
//
// The example has no malformed line (its reject counters sit at 0, which any query answers), so one
// small extra source (`broken`, an nginx log with three malformed lines and one good one) is added to the
// example's: the "Rejected lines by reason" panel is then checked against real rejects, not against zeros.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import YAML from 'yaml';
import { allTargets, expandForPrometheus, labelValuesQuery, variables, type LooseDashboard } from '../dashboards/dashboardQueries.js';
import { readCommittedDashboard, REPO_ROOT, SHIPPED_DASHBOARDS } from '../dashboards/shippedDashboards.js';
import { legendLabels } from '../dashboards/promqlScan.js';
import { freeLoopbackPort } from '../support/ports.js';
import { findPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

const EXAMPLE = join(REPO_ROOT, 'examples');
/** The CLI compiled next to this test (dist/src/cli/main.js from dist/test/e2e/), so both come from one build. */
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const JOB = 'phabwatch';
const TOKEN = /(api|cli|clr)-[a-z2-7]{28}/;
const IPV4 = /(?:^|[^0-9.])(\d{1,3}(?:\.\d{1,3}){3})(?![0-9.])/;

interface ExampleSource {
  name: string;
  path: string;
}

const example = YAML.parse(readFileSync(join(EXAMPLE, 'phabwatch.yaml'), 'utf8')) as { sources: ExampleSource[]; identities: Record<string, unknown> } & Record<string, unknown>;

/** The extra source's lines: format_mismatch, bad_timestamp, binary, then one good request. */
const BROKEN_LINES = [
  'this is not an access log line',
  '198.51.100.7 - - [31/Foo/2026:25:61:00 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.5.0"',
  '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00',
  '198.51.100.7 - - [24/Nov/2026:10:00:00 +0000] "GET /home/ HTTP/1.1" 200 512 "-" "curl/8.5.0"',
];
const BROKEN_SOURCE = 'broken';

/** Lines in the example's files for each source (every line ends with a newline; none is empty). */
function exampleLinesPerSource(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const source of example.sources) {
    const folder = join(EXAMPLE, dirname(source.path));
    const matches = picomatch(basename(source.path));
    let lines = 0;
    for (const file of readdirSync(folder).filter((f) => matches(f))) {
      const text = readFileSync(join(folder, file), 'utf8');
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    }
    counts.set(source.name, lines);
  }
  return counts;
}

const registry = readFileSync(join(EXAMPLE, 'tokens.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((l) => l !== '')
  .map((l) => l.split('\t'));
const USERNAMES = new Set(registry.map((cols) => cols[5]!.toLowerCase()));
const RAW_TOKENS = registry.map((cols) => cols[0]!);

const dashboards = SHIPPED_DASHBOARDS.map(({ file }) => ({ file, dashboard: readCommittedDashboard(file) as unknown as LooseDashboard }));

let dir = '';
let prometheus: RunningPrometheus | null = null;
let agent: ChildProcess | null = null;
let agentOutput = '';
let agentAddress = '';

async function diagnostics(): Promise<string> {
  const targets = prometheus ? await prometheus.targets().catch((err: Error) => [err.message]) : [];
  return `\n--- scrape targets ---\n${targets.join('\n')}\n--- phabwatch output (tail) ---\n${agentOutput.slice(-3000)}` +
    `\n--- prometheus log (tail) ---\n${(prometheus?.log() ?? '').slice(-2000)}`;
}

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (agent && agent.exitCode !== null) throw new Error(`phabwatch exited (code ${agent.exitCode}) while waiting for ${what}${await diagnostics()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${await diagnostics()}`);
    await sleep(250);
  }
}

before(async () => {
  findPrometheus(); // fails here, with the install command, when the binary is missing
  dir = mkdtempSync(join(tmpdir(), 'pw-e2e-prometheus-'));
  const agentPort = await freeLoopbackPort();
  agentAddress = `127.0.0.1:${agentPort}`;
  const brokenLog = join(dir, 'broken-access.log');
  writeFileSync(brokenLog, Buffer.from(BROKEN_LINES.map((l) => `${l}\n`).join(''), 'latin1'));
  const config = {
    ...example,
    store: { path: join(dir, 'phabwatch.db') },
    sources: [
      ...example.sources.map((s) => ({ ...s, path: join(EXAMPLE, s.path) })),
      { name: BROKEN_SOURCE, type: 'nginx', path: brokenLog, format: 'combined' },
    ],
    identities: { ...example.identities, registry: join(EXAMPLE, 'tokens.tsv') },
    telemetry: { prometheus: { listen: agentAddress } },
    // A sink, so the delivery panels have series; the example day is days old, so no age limit either.
    alerts: { stdout: true, max_age: 0 },
    log: { level: 'warn' },
  };
  const configFile = join(dir, 'phabwatch.yaml');
  writeFileSync(configFile, YAML.stringify(config));

  // Prometheus first: its first scrape comes ~6 s after it starts whatever happens, and the agent reads the
  // example during that wait.
  prometheus = await startPrometheus({ dir: join(dir, 'prometheus'), targets: [{ job: JOB, address: agentAddress }], scrapeIntervalSeconds: 1 });
  agent = spawn(process.execPath, [CLI, 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.on('data', (d: Buffer) => (agentOutput = (agentOutput + d.toString()).slice(-20_000)));
  agent.stderr!.on('data', (d: Buffer) => (agentOutput = (agentOutput + d.toString()).slice(-20_000)));

  const expected = expectedLinesPerSource();
  await waitUntil('Prometheus to see every line of the example counted', 45_000, async () => {
    const r = await prometheus!.query(`sum by (source) (phabwatch_lines_total{job="${JOB}"})`);
    const seen = new Map(r.result.map((s) => [s.metric.source, Number(s.value[1])]));
    return [...expected].every(([source, lines]) => seen.get(source) === lines);
  });
  // rate() needs two samples inside its window for every series, including those that appear once the example
  // is read (alerts firing as the rule clock follows the wall clock, their deliveries): wait until two scrapes
  // in a row bring no new series.
  const scrapes = async (): Promise<number> => {
    const r = await prometheus!.query(`count_over_time(up{job="${JOB}"}[5m])`);
    return r.result.length === 1 ? Number(r.result[0]!.value[1]) : 0;
  };
  const seriesCount = async (): Promise<number> => {
    const r = await prometheus!.query(`count({job="${JOB}", __name__=~"phabwatch_.+"})`);
    return r.result.length === 1 ? Number(r.result[0]!.value[1]) : 0;
  };
  let before = { scrapes: await scrapes(), series: await seriesCount() };
  await waitUntil('two scrapes in a row without new series', 20_000, async () => {
    const now = { scrapes: await scrapes(), series: await seriesCount() };
    if (now.series !== before.series) before = now;
    return now.scrapes >= before.scrapes + 2;
  });
});

after(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        agent!.kill('SIGKILL');
        resolve(null);
      }, 10_000);
      agent!.once('exit', () => {
        clearTimeout(timer);
        resolve(null);
      });
    });
  }
  await prometheus?.stop();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function expectedLinesPerSource(): Map<string, number> {
  return new Map([...exampleLinesPerSource(), [BROKEN_SOURCE, BROKEN_LINES.length]]);
}

test('Prometheus counts every line read, per source, and every rejected one by reason', async () => {
  const lines = await prometheus!.query(`sum by (source) (phabwatch_lines_total{job="${JOB}"})`);
  assert.deepEqual(Object.fromEntries(lines.result.map((s) => [s.metric.source, Number(s.value[1])])), Object.fromEntries(expectedLinesPerSource()));
  const rejects = await prometheus!.query(`sum by (source, reason) (phabwatch_rejects_total{job="${JOB}"}) > 0`);
  assert.deepEqual(
    rejects.result.map((s) => `${s.metric.source} ${s.metric.reason} ${s.value[1]}`).sort(),
    [`${BROKEN_SOURCE} bad_timestamp 1`, `${BROKEN_SOURCE} binary 1`, `${BROKEN_SOURCE} format_mismatch 1`],
  );
  // Every source has every reason from the start, at 0 until it happens.
  const series = await prometheus!.query(`count by (source) (phabwatch_rejects_total{job="${JOB}"})`);
  const reasons = new Set(series.result.map((s) => Number(s.value[1])));
  assert.deepEqual([...reasons], [7]);
  assert.deepEqual(series.result.map((s) => s.metric.source).sort(), [...expectedLinesPerSource().keys()].sort());
});

for (const { file, dashboard } of dashboards) {
  describe(file, () => {
    test('every panel query returns series from the real Prometheus', async () => {
      const failures: string[] = [];
      const targets = allTargets(dashboard);
      assert.ok(targets.length > 0);
      for (const target of targets) {
        const expr = expandForPrometheus(target.expr, dashboard);
        const r = await prometheus!.query(expr);
        const where = `"${target.panelTitle}" ${target.refId}: ${expr}`;
        if (r.status !== 'success') failures.push(`${where}\n    -> ${r.status}: ${r.error ?? ''}`);
        else if (r.result.length === 0) failures.push(`${where}\n    -> no series`);
        else {
          const missing = legendLabels(target.legendFormat).filter((label) => r.result.some((s) => !s.metric[label]));
          if (missing.length > 0) failures.push(`${where}\n    -> series without the legend label(s) ${missing.join(', ')}`);
        }
      }
      assert.deepEqual(failures, [], `${failures.length} of ${targets.length} queries failed:\n${failures.join('\n')}`);
    });

    test('every template variable finds values', async () => {
      const failures: string[] = [];
      for (const v of variables(dashboard)) {
        const lv = labelValuesQuery(v);
        if (!lv) continue;
        const r = await prometheus!.query(expandForPrometheus(lv.selector, dashboard));
        const values = new Set(r.result.map((s) => s.metric[lv.label]).filter((x) => x));
        if (r.status !== 'success' || values.size === 0) failures.push(`${String(v.name)}: label_values(${lv.selector}, ${lv.label}) is empty (${r.status} ${r.error ?? ''})`);
      }
      assert.deepEqual(failures, []);
    });
  });
}

/** What a label value gives away, or null when it is harmless. */
function leakIn(value: string): string | null {
  const ipv6 = value.split(/[^0-9a-fA-F:]+/).some((part) => part.includes(':') && isIP(part) === 6);
  if (isIP(value) !== 0 || IPV4.test(value) || ipv6) return 'an IP address';
  if (USERNAMES.has(value.toLowerCase())) return 'a username';
  if (TOKEN.test(value) || RAW_TOKENS.some((t) => value.includes(t))) return 'a token';
  return null;
}

test('the leak check recognises addresses, usernames and tokens', () => {
  const leaks = ['198.51.100.66', 'from 203.0.113.10', '2001:db8::7', 'priya', 'Mallory', `api-${'a'.repeat(28)}`, RAW_TOKENS[0]!];
  assert.deepEqual(leaks.filter((v) => leakIn(v) === null), []);
  const harmless = ['phab', 'web', 'login-bruteforce', 'user.whoami', 'webhook:1', '5xx', 'git-upload-pack', '0.1.0', 'true'];
  assert.deepEqual(harmless.filter((v) => leakIn(v) !== null), []);
});

test('no scraped label value is a client address, a username or a token', async () => {
  const series = await prometheus!.series(`{job="${JOB}"}`);
  assert.ok(series.length > 50, `only ${series.length} series scraped`);
  const leaks: string[] = [];
  for (const labels of series) {
    for (const [name, value] of Object.entries(labels)) {
      // Prometheus's own target label holds the scrape address, which is ours, not a client's.
      if (name === 'instance' && value === agentAddress) continue;
      const what = leakIn(value);
      if (what) leaks.push(`${labels.__name__}{${name}="${value}"} is ${what}`);
    }
  }
  assert.deepEqual(leaks, []);
});
