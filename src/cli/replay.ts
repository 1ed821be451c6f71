// `phabwatch replay`: ingest existing logs from the start as fast as possible, with a progress line on a
// terminal and a summary at the end. Checkpoints still apply, so bytes already stored are never stored twice.

import { resolve } from 'node:path';
import { SOURCE_TYPES, type PhabwatchConfig, type SourceConfig, type SourceType } from '../config/types.js';
import { Attribution, buildRuleEngine, buildSources } from '../pipeline/assemble.js';
import { Ingestor, type IngestSummary } from '../pipeline/ingestor.js';
import { IngestStore } from '../store/ingestStore.js';
import { applyRetention } from '../store/retention.js';
import { COMMON_OPTIONS, EXIT, parseCommandArgs, UsageError, type Command } from './command.js';
import { checkSourceFormat, exampleNotice, resolveConfig } from './configResolver.js';
import { createLogger } from './logger.js';
import { toJson } from './output.js';
import { formatBytes, ProgressLine } from './progress.js';
import { SHIPPED_RULES_DIR } from './rules.js';
import { withStoreAndTelemetry } from './storeSession.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  source: { type: 'string', short: 's' },
  type: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  store: { type: 'string' },
  'no-progress': { type: 'boolean' },
  'no-rules': { type: 'boolean' },
} as const;

export const replayCommand: Command = {
  name: 'replay',
  summary: 'ingest existing log files from the start, as fast as possible',
  usage: `phabwatch replay [--config FILE] [--source NAME] [FILE...]

Without FILE: every configured source's files (with their rotated and .gz siblings), oldest first.
With FILE...: exactly those files (plain or .gz), read as source NAME (--source may be left out when the
config has one source). Bytes already stored (same file identity) are not stored again.

  --source NAME   the configured source the files belong to (or only replay this source)
  --type TYPE     with --source NAME not in the config: read the files as an ad-hoc source of this type
                  (${SOURCE_TYPES.join(', ')}), with --format F if needed
  --store FILE    use this SQLite file instead of store.path
  --json          print the summary as JSON
  --no-progress   no progress line, even on a terminal
  --no-rules      store events only; do not evaluate the detection rules`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
    if (values.help) {
      process.stdout.write(`${this.usage}\n`);
      return EXIT.ok;
    }
    const { config, isExample } = resolveConfig(values.config);
    if (values.store) config.store.path = resolve(values.store);
    const logger = createLogger(values.json ? 'warn' : config.log.level === 'info' ? 'warn' : config.log.level);
    if (isExample && positionals.length === 0) process.stderr.write(`${exampleNotice()}\n`);
    const explicit = selectFiles(config, values.source, values.type, values.format, positionals);
    if (!explicit && values.source && !config.sources.some((s) => s.name === values.source)) {
      throw new UsageError(`--source ${values.source}: no such source in the config (sources: ${config.sources.map((s) => s.name).join(', ') || 'none'})`);
    }
    const onlySource = explicit ? undefined : values.source;
    const summary = await replay(config, logger, explicit, onlySource, !values['no-progress'] && !values.json, !values['no-rules']);
    if (values.json) process.stdout.write(`${toJson(summary)}\n`);
    else process.stdout.write(`${renderSummary(summary)}\n`);
    return EXIT.ok;
  },
};

/** Resolves `--source` + FILE arguments, adding an ad-hoc source when --type is given. */
function selectFiles(
  config: PhabwatchConfig, sourceName: string | undefined, type: string | undefined, format: string | undefined, files: string[],
): { source: string; files: string[] } | undefined {
  if (files.length === 0) {
    if (type !== undefined) throw new UsageError('--type only applies when FILEs are given');
    return undefined;
  }
  const absolute = files.map((f) => resolve(f));
  if (type !== undefined) {
    if (!(SOURCE_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type ${type}: expected one of ${SOURCE_TYPES.join(', ')}`);
    const name = sourceName ?? type;
    if (config.sources.some((s) => s.name === name)) throw new UsageError(`--type: a source named "${name}" is already configured; drop --type to use it`);
    const adHoc: SourceConfig = {
      name, type: type as SourceType, path: absolute[0]!, format: format ?? null, start_at: 'beginning', host: null,
      timezone: config.timezone, rotate_wait_ms: 0, max_line_bytes: 65_536, poll_interval_ms: 200,
    };
    const problem = checkSourceFormat(adHoc);
    if (problem) throw new UsageError(`--format: ${problem}`);
    config.sources.push(adHoc);
    return { source: name, files: absolute };
  }
  if (sourceName === undefined) {
    if (config.sources.length === 1) return { source: config.sources[0]!.name, files: absolute };
    throw new UsageError(`FILEs need --source NAME to say how to read them (sources: ${config.sources.map((s) => s.name).join(', ')}), or --type TYPE`);
  }
  if (!config.sources.some((s) => s.name === sourceName)) {
    throw new UsageError(`--source ${sourceName}: no such source in the config; add --type TYPE to read the files as an ad-hoc source`);
  }
  return { source: sourceName, files: absolute };
}

async function replay(
  config: PhabwatchConfig,
  logger: ReturnType<typeof createLogger>,
  explicit: { source: string; files: string[] } | undefined,
  onlySource: string | undefined,
  showProgress: boolean,
  withRules: boolean,
): Promise<IngestSummary> {
  // A replay exports too: the metrics and spans of the period replayed (flushed before the command returns).
  return withStoreAndTelemetry(config, logger, async (db, telemetry) => {
    const progress = new ProgressLine();
    const store = new IngestStore(db);
    const attribution = new Attribution(db, config.identities.bots);
    const engine = withRules ? buildRuleEngine(db, store, config, attribution, SHIPPED_RULES_DIR, logger) : null;
    telemetry.watchStore(db, store, engine);
    const scoped = onlySource ? { ...config, sources: config.sources.filter((s) => s.name === onlySource) } : config;
    const started = Date.now();
    let lines = 0;
    const ingestor: Ingestor = new Ingestor({
      mode: 'replay',
      buildSources: () => buildSources(scoped, store, attribution, logger, 'replay', explicit),
      store,
      logger,
      batchLines: 50_000,
      onCommit: (info) => {
        telemetry.recordCommit(info);
        lines += info.lines;
        if (!showProgress) return;
        let done = 0;
        let total = 0;
        for (const s of ingestor.status()) for (const f of s.files) {
          done += f.offset;
          total += f.size;
        }
        progress.update(done, total, lines, Date.now() - started);
      },
    });
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await ingestor.start();
      const summary = await ingestor.replay(stop.signal);
      if (engine) {
        // Every source is read: let the clock reach the newest event minus the allowed lateness, as live tailing would.
        store.begin();
        engine.catchUp();
        store.commit({ offsets: [], tokens: new Map(), identities: new Map() });
      }
      applyRetention(db, config.store.retention);
      return summary;
    } finally {
      progress.clear();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await ingestor.close();
    }
  });
}

export function renderSummary(s: IngestSummary): string {
  const seconds = s.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(s.lines / seconds) : s.lines;
  const mbps = seconds > 0 ? s.bytes / 1024 / 1024 / seconds : 0;
  const rejectTotal = Object.values(s.rejects).reduce<number>((a, n) => a + (n ?? 0), 0);
  const out = [
    `lines     ${s.lines.toLocaleString('en-US')}  (${formatBytes(s.bytes)})`,
    `events    ${s.events.toLocaleString('en-US')}`,
    `rejects   ${rejectTotal.toLocaleString('en-US')}${rejectTotal > 0 ? `  (${Object.entries(s.rejects).map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}`,
    `elapsed   ${seconds.toFixed(2)} s  ${rate.toLocaleString('en-US')} lines/s  ${mbps.toFixed(1)} MB/s`,
  ];
  for (const [name, c] of Object.entries(s.perSource)) {
    const rejected = Object.values(c.rejects).reduce<number>((a, n) => a + (n ?? 0), 0);
    out.push(`  ${name}: ${c.lines.toLocaleString('en-US')} lines, ${c.events.toLocaleString('en-US')} events, ${rejected} rejects${c.continuationLines ? `, ${c.continuationLines} continuation lines` : ''}${c.secretsMasked ? `, ${c.secretsMasked} secrets masked` : ''}`);
  }
  out.push(`memory    ${formatBytes(s.peakRssBytes)} peak resident`);
  if (s.commitFailures > 0) out.push(`commit failures retried: ${s.commitFailures}`);
  if (s.lines === 0) out.push('nothing new: every file is already stored up to its end');
  return out.join('\n');
}
