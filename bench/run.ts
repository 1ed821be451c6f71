// `npm run bench`: phabwatch's throughput, memory, store size and live latency, each next to a baseline
// measured in the same run (this machine is shared and noisy: runs are repeated and medians reported).
//
//   npm run bench                 everything
//   npm run bench -- --runs 1     one run per measurement (quicker, noisier)

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bareInsert, buildRows, readAndSplit } from './baselines.js';
import { ensureDataset } from './dataset.js';
import { liveLatency, replayOnce, startAcceptingCollector, type ReplayResult } from './phabwatchRuns.js';
import { fmt, median, percentile } from './stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, out: { type: 'string', default: 'bench/out' } } });
const RUNS = Math.max(1, Number(values.runs));
const OUT = resolve(values.out!);
mkdirSync(OUT, { recursive: true });
const log = (message: string): void => void process.stderr.write(`${message}\n`);

interface Row {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
}
const rows: Row[] = [];
const results: Record<string, unknown> = {
  date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, runs: RUNS,
  loadAverageAtStart: loadavg(),
};

const dataset = ensureDataset(OUT, log);

async function throughputSection(name: string, file: string, type: string): Promise<void> {
  log(`\n== ${name}: baseline read + split (${RUNS} runs)`);
  const splits = [];
  for (let i = 0; i < RUNS; i++) splits.push(await readAndSplit(file));
  const splitRate = median(splits.map((s) => s.lines / (s.ms / 1000)));
  const lines = splits[0]!.lines;
  const bytes = splits[0]!.bytes;

  log(`== ${name}: baseline bare insert of 1,000,000 ready rows (${RUNS} runs)`);
  let ready: Awaited<ReturnType<typeof buildRows>> | null = await buildRows(file, type as 'phabricator-access', 1_000_000);
  const inserts = [];
  for (let i = 0; i < RUNS; i++) inserts.push(bareInsert(ready, join(OUT, 'bare.db')));
  ready = null; // let the rows go before phabwatch runs
  const insertRate = median(inserts.map((s) => s.lines / (s.ms / 1000)));

  log(`== ${name}: phabwatch replay, --no-rules (${RUNS} runs)`);
  const replays: ReplayResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = replayOnce(file, type, join(OUT, 'replay.db'), OUT, ['--no-rules']);
    log(`   run ${i + 1}: ${fmt(r.summary.lines / (r.summary.elapsedMs / 1000))} lines/s, peak RSS ${fmt(r.summary.peakRssBytes / 2 ** 20)} MiB`);
    replays.push(r);
  }
  const replayRate = median(replays.map((r) => r.summary.lines / (r.summary.elapsedMs / 1000)));
  const replayMBps = median(replays.map((r) => r.summary.bytes / 2 ** 20 / (r.summary.elapsedMs / 1000)));
  const rss = Math.max(...replays.map((r) => r.summary.peakRssBytes));
  const perEvent = median(replays.map((r) => r.storeBytes / r.events));
  const rejected = replays[0]!.summary.lines - replays[0]!.events;

  rows.push(
    { measure: `${name}: replay lines/s`, value: fmt(replayRate), baseline: `read+split ${fmt(splitRate)}`, ratio: `${fmt((replayRate / splitRate) * 100, 1)}%` },
    { measure: `${name}: replay MB/s`, value: fmt(replayMBps, 1), baseline: '', ratio: '' },
    { measure: `${name}: replay vs bare insert`, value: fmt(replayRate), baseline: `bare insert ${fmt(insertRate)} rows/s`, ratio: `${fmt((replayRate / insertRate) * 100, 1)}%` },
    { measure: `${name}: peak RSS (max of runs)`, value: `${fmt(rss / 2 ** 20)} MiB`, baseline: '', ratio: '' },
    { measure: `${name}: bytes stored per event`, value: fmt(perEvent), baseline: `raw line ${fmt(bytes / lines)}`, ratio: `${fmt(perEvent / (bytes / lines), 2)}x` },
  );
  results[name] = {
    lines, bytes, rejected, replayLinesPerSecond: replayRate, replayMBps, readSplitLinesPerSecond: splitRate,
    bareInsertRowsPerSecond: insertRate, peakRssBytes: rss, bytesPerEvent: perEvent,
    replayRuns: replays.map((r) => ({ elapsedMs: r.summary.elapsedMs, peakRssBytes: r.summary.peakRssBytes })),
  };
}

await throughputSection('phorge access', dataset.phorgeAccess, 'phabricator-access');
await rulesSection('phorge access', dataset.phorgeAccess, 'phabricator-access');
await exportsSection('phorge access', dataset.phorgeAccess, 'phabricator-access');
await throughputSection('nginx', dataset.nginx, 'nginx');

/**
 * The shipped rule pack against --no-rules on the same file in the same run (with the 10,000-token registry, so
 * token rules have inferred tokens to work on, and 100,000 distinct client addresses).
 */
async function rulesSection(name: string, file: string, type: string): Promise<void> {
  log(`\n== ${name}: replay with the shipped rules vs --no-rules, registry of 10,000 tokens (${RUNS} runs each, alternating)`);
  const withRules: ReplayResult[] = [];
  const without: ReplayResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    without.push(replayOnce(file, type, join(OUT, 'rules-off.db'), OUT, ['--no-rules'], dataset.registry));
    const r = replayOnce(file, type, join(OUT, 'rules-on.db'), OUT, [], dataset.registry);
    log(`   run ${i + 1}: rules ${fmt(r.summary.lines / (r.summary.elapsedMs / 1000))} lines/s (RSS ${fmt(r.summary.peakRssBytes / 2 ** 20)} MiB), no rules ${fmt(without[i]!.summary.lines / (without[i]!.summary.elapsedMs / 1000))} lines/s`);
    withRules.push(r);
  }
  const rate = (rs: ReplayResult[]): number => median(rs.map((r) => r.summary.lines / (r.summary.elapsedMs / 1000)));
  const on = rate(withRules);
  const off = rate(without);
  const rssOn = Math.max(...withRules.map((r) => r.summary.peakRssBytes));
  const rssOff = Math.max(...without.map((r) => r.summary.peakRssBytes));
  rows.push(
    { measure: `${name}: replay with the 13 shipped rules`, value: `${fmt(on)} lines/s`, baseline: `--no-rules ${fmt(off)} lines/s`, ratio: `${fmt((1 - on / off) * 100, 1)}% cost` },
    { measure: `${name}: peak RSS with rules`, value: `${fmt(rssOn / 2 ** 20)} MiB`, baseline: `--no-rules ${fmt(rssOff / 2 ** 20)} MiB`, ratio: '' },
  );
  results[`${name} rules`] = { withRulesLinesPerSecond: on, noRulesLinesPerSecond: off, costShare: 1 - on / off, peakRssWithRules: rssOn, peakRssWithout: rssOff };
}

/**
 * Every export on (OTLP traces, metrics and logs as protobuf to a local collector that accepts everything, and the
 * Prometheus endpoint) against none, same file, same run, alternating; both with the shipped rules, as deployed
 * (flagged requests' spans and alert records only exist with them).
 */
async function exportsSection(name: string, file: string, type: string): Promise<void> {
  log(`\n== ${name}: replay with every export on (OTLP to a local accepting collector, Prometheus endpoint) vs off (${RUNS} runs each, alternating)`);
  const collector = await startAcceptingCollector();
  const telemetry = `telemetry:\n  otlp: { endpoint: ${collector.endpoint}, protocol: http/protobuf, traces: true, metrics: true, logs: true }\n`
    + '  prometheus: { listen: "127.0.0.1:0" }\n';
  const on: ReplayResult[] = [];
  const off: ReplayResult[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      off.push(replayOnce(file, type, join(OUT, 'exports-off.db'), OUT, [], dataset.registry));
      on.push(replayOnce(file, type, join(OUT, 'exports-on.db'), OUT, [], dataset.registry, telemetry));
      log(`   run ${i + 1}: exports ${fmt(on[i]!.summary.lines / (on[i]!.summary.elapsedMs / 1000))} lines/s (RSS ${fmt(on[i]!.summary.peakRssBytes / 2 ** 20)} MiB), none ${fmt(off[i]!.summary.lines / (off[i]!.summary.elapsedMs / 1000))} lines/s`);
    }
  } finally {
    const received = await collector.stop();
    results[`${name} exports received`] = received;
    log(`   the collector received: ${Object.entries(received).map(([s, c]) => `${s} ${c.requests} requests, ${fmt(c.bytes / 2 ** 20, 1)} MiB`).join('; ')}`);
  }
  const rate = (rs: ReplayResult[]): number => median(rs.map((r) => r.summary.lines / (r.summary.elapsedMs / 1000)));
  const withExports = rate(on);
  const without = rate(off);
  const rssOn = Math.max(...on.map((r) => r.summary.peakRssBytes));
  const rssOff = Math.max(...off.map((r) => r.summary.peakRssBytes));
  rows.push(
    { measure: `${name}: replay with every export on`, value: `${fmt(withExports)} lines/s`, baseline: `exports off ${fmt(without)} lines/s`, ratio: `${fmt((1 - withExports / without) * 100, 1)}% cost` },
    { measure: `${name}: peak RSS with exports`, value: `${fmt(rssOn / 2 ** 20)} MiB`, baseline: `exports off ${fmt(rssOff / 2 ** 20)} MiB`, ratio: '' },
  );
  results[`${name} exports`] = { withExportsLinesPerSecond: withExports, withoutLinesPerSecond: without, costShare: 1 - withExports / without, peakRssWithExports: rssOn, peakRssWithout: rssOff };
}

log('\n== live tailing latency: 20,000 lines at 2,000 lines/s');
const live = await liveLatency(OUT, 20_000, 2000);
const p50 = percentile(live.samples, 50);
const p99 = percentile(live.samples, 99);
rows.push({ measure: 'live latency p50 / p99 / max', value: `${fmt(p50, 1)} / ${fmt(p99, 1)} / ${fmt(Math.max(...live.samples), 1)} ms`, baseline: 'target p99 < 250 ms', ratio: '' });
results.liveLatency = { lines: live.lines, p50, p90: percentile(live.samples, 90), p99, max: Math.max(...live.samples) };
results.loadAverageAtEnd = loadavg();

const widths = [44, 26, 34, 8];
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join(' ').trimEnd();
process.stdout.write(`\n${line(['measure', 'phabwatch', 'baseline (same run)', 'ratio'])}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
for (const r of rows) process.stdout.write(`${line([r.measure, r.value, r.baseline, r.ratio])}\n`);
const file = join(OUT, 'results.json');
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\n(${RUNS} run${RUNS === 1 ? '' : 's'} per measure, medians; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; details in ${file})\n`);
