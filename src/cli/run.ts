// `phabwatch run`: tail every configured source, follow new lines and rotations until SIGINT/SIGTERM, then
// finish the batch in hand, commit it, and exit cleanly.

import type { PhabwatchConfig } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import { Attribution, buildRuleEngine, buildSources, importConfiguredRegistry } from '../pipeline/assemble.js';
import type { RuleEngine } from '../rules/engine.js';
import { Ingestor } from '../pipeline/ingestor.js';
import { startDelivery, type Delivery } from '../alerts/delivery.js';
import { buildSinks } from '../alerts/sinks/index.js';
import { createOtlpLogsSink } from '../alerts/sinks/otlpLogs.js';
import type { Db } from '../store/database.js';
import { IngestStore } from '../store/ingestStore.js';
import { applyRetention } from '../store/retention.js';
import { COMMON_OPTIONS, EXIT, parseCommandArgs, UsageError, type Command } from './command.js';
import { exampleNotice, resolveConfig } from './configResolver.js';
import { createLogger } from './logger.js';
import { SHIPPED_RULES_DIR } from './rules.js';
import { withStoreAndTelemetry } from './storeSession.js';

const RETENTION_EVERY_MS = 10 * 60_000;
const REGISTRY_CHECK_EVERY_MS = 10_000;
const WALL_CLOCK_EVERY_MS = 1000;

export const runCommand: Command = {
  name: 'run',
  summary: 'tail all sources and watch them until stopped',
  usage: `phabwatch run [--config FILE] [--store FILE]

Tails every source of the config from its checkpoint (a file never seen before from its beginning, or its
end with start_at: end), follows new lines and rotations, and stores one event per line. SIGINT or SIGTERM
finishes the current batch and exits. Without --config and without ./phabwatch.yaml, runs on the bundled
example.

  --store FILE   use this SQLite file instead of store.path`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...COMMON_OPTIONS, store: { type: 'string' } }, false);
    if (values.help) {
      process.stdout.write(`${this.usage}\n`);
      return EXIT.ok;
    }
    const { config, isExample } = resolveConfig(values.config);
    if (values.store) config.store.path = values.store;
    const logger = createLogger(config.log.level);
    if (isExample) logger.warn(exampleNotice());
    if (config.sources.length === 0) throw new UsageError('the configuration has no sources: nothing to tail');
    return runAgent(config, logger);
  },
};

export async function runAgent(config: PhabwatchConfig, logger: Logger): Promise<number> {
  return withStoreAndTelemetry(config, logger, async (db, telemetry) => {
    const store = new IngestStore(db);
    const attribution = new Attribution(db, config.identities.bots);
    const engine = buildRuleEngine(db, store, config, attribution, SHIPPED_RULES_DIR, logger);
    const ingestor = new Ingestor({
      mode: 'follow',
      buildSources: () => buildSources(config, store, attribution, logger, 'follow'),
      store,
      logger,
      onCommit: (info) => telemetry.recordCommit(info),
      periodic: [
        { everyMs: RETENTION_EVERY_MS, run: () => logRetention(db, config, logger) },
        { everyMs: WALL_CLOCK_EVERY_MS, run: () => followWallClock(store, engine) },
        {
          everyMs: REGISTRY_CHECK_EVERY_MS,
          run: () => {
            importConfiguredRegistry(db, config, logger);
            if (attribution.reloadIfChanged()) logger.info('token registry reloaded');
          },
        },
      ],
    });
    // Alert delivery runs beside ingestion on the same store; each commit tells it new notifications may be there.
    const sinks = buildSinks(config.alerts, logger);
    const otlpLogs = createOtlpLogsSink(telemetry);
    if (otlpLogs !== null) sinks.push(otlpLogs);
    const delivery: Delivery = startDelivery(db, config.alerts, sinks, logger);
    telemetry.watchStore(db, store, engine);
    telemetry.watchDelivery(delivery);
    store.addParticipant({ afterCommit: () => delivery.nudge() });
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stop.signal.aborted) return;
      logger.info({ signal }, 'stopping: finishing the current batch');
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await ingestor.start();
      logger.info(
        { store: config.store.path, sources: config.sources.map((s) => ({ name: s.name, type: s.type, path: s.path })) },
        'phabwatch is running',
      );
      const summary = await ingestor.follow(stop.signal);
      logger.info({ lines: summary.lines, events: summary.events, rejects: summary.rejects }, 'stopped');
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await ingestor.close();
      await delivery.stop();
    }
    return EXIT.ok;
  });
}

/** With live logs and no traffic, let the rule engine's clock follow the wall clock (in its own small batch). */
function followWallClock(store: IngestStore, engine: RuleEngine): void {
  const target = engine.wallClockTarget();
  if (target === null) return;
  store.begin();
  engine.advanceTo(target);
  store.commit({ offsets: [], tokens: new Map(), identities: new Map() });
}

function logRetention(db: Db, config: PhabwatchConfig, logger: Logger): void {
  const removed = applyRetention(db, config.store.retention);
  if (removed.events + removed.rejects + removed.checkpoints > 0) logger.info({ ...removed }, 'retention: old rows removed');
}
