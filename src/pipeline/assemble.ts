// Builds the ingestion pipeline from a validated config: the store, the secret scrubber keyed by the store's
// HMAC key, the token registry, and for each source its tailer, parser and line processor.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EventBuilder } from '../attribution/eventBuilder.js';
import { parseRegistryFile } from '../attribution/registryFile.js';
import { SecretScrubber } from '../attribution/secretScrubber.js';
import { TokenRegistry } from '../attribution/tokenRegistry.js';
import type { PhabwatchConfig, SourceConfig } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import { createParser, isFormatError } from '../parsers/index.js';
import type { LineParser } from '../parsers/types.js';
import { SourceTailer } from '../sources/sourceTailer.js';
import { readHmacKey, readMeta, writeMeta, type Db } from '../store/database.js';
import { IngestStore } from '../store/ingestStore.js';
import { importRegistry, loadRegistry, registryVersion, type ImportSummary } from '../store/registryStore.js';
import { NetworkSet } from '../attribution/networks.js';
import { formatIssue } from '../config/validation.js';
import { BusinessCalendar } from '../rules/calendar.js';
import { RuleEngine } from '../rules/engine.js';
import type { FieldContext } from '../rules/fields.js';
import { loadRules } from '../rules/loader.js';
import type { SourceRuntime } from './ingestor.js';
import { LineProcessor } from './lineProcessor.js';

/** A problem that stops the pipeline from being built, with the config key or file at fault. */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

/** The attribution stage of a running pipeline; the registry is swapped in place after `tokens import`. */
export class Attribution {
  readonly scrubber: SecretScrubber;
  readonly builder: EventBuilder;
  private registryValue: TokenRegistry;
  private version: string | null;

  constructor(private readonly db: Db, private readonly bots: readonly string[]) {
    this.scrubber = new SecretScrubber(readHmacKey(db));
    this.version = registryVersion(db);
    this.registryValue = this.load();
    this.builder = new EventBuilder(this.registryValue);
  }

  get registry(): TokenRegistry {
    return this.registryValue;
  }

  /** Reloads the registry if `tokens import` changed it since; returns true when it did. */
  reloadIfChanged(): boolean {
    const current = registryVersion(this.db);
    if (current === this.version) return false;
    this.version = current;
    this.registryValue = this.load();
    this.builder.setRegistry(this.registryValue);
    return true;
  }

  private load(): TokenRegistry {
    const snapshot = loadRegistry(this.db);
    return new TokenRegistry(snapshot.tokens, snapshot.identities, this.bots);
  }
}

export function compileParser(source: SourceConfig): LineParser {
  const parser = createParser({ type: source.type, format: source.format, timezone: source.timezone });
  if (isFormatError(parser)) {
    const at = parser.position === null ? '' : ` (at character ${parser.position + 1})`;
    throw new SetupError(`source "${source.name}": format cannot be used: ${parser.message}${at}`);
  }
  return parser;
}

/** Imports `identities.registry` when the file changed since the last import. */
export function importConfiguredRegistry(db: Db, config: PhabwatchConfig, logger: Logger): ImportSummary | null {
  const file = config.identities.registry;
  if (file === null) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SetupError(`identities.registry: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const digest = createHash('sha256').update(text).digest('hex');
  if (readMeta(db, 'registry_file_sha256') === digest) return null;
  const parsed = parseRegistryFile(text, file, readHmacKey(db), Date.now());
  for (const e of parsed.errors) logger.warn({ file, line: e.line }, `token registry: ${e.message}`);
  const summary = importRegistry(db, { tokens: parsed.tokens, identities: parsed.identities });
  writeMeta(db, 'registry_file_sha256', digest);
  logger.info({ file, tokens: summary.tokens, identities: summary.identities }, 'token registry imported');
  return summary;
}

export interface PipelineParts {
  store: IngestStore;
  attribution: Attribution;
  sources: SourceRuntime[];
}

export function buildSources(
  config: PhabwatchConfig,
  store: IngestStore,
  attribution: Attribution,
  logger: Logger,
  mode: 'follow' | 'replay',
  explicit?: { source: string; files: string[] },
): SourceRuntime[] {
  const selected = explicit ? config.sources.filter((s) => s.name === explicit.source) : config.sources;
  return selected.map((source) => {
    const parser = compileParser(source);
    const sourceLogger = logger.child({ source: source.name });
    const tailer = new SourceTailer({
      source,
      checkpoints: store.checkpoints,
      mode,
      ...(explicit ? { files: explicit.files } : {}),
      logger: sourceLogger,
    });
    const processor = new LineProcessor(source, parser, attribution.scrubber, attribution.builder, sourceLogger);
    return { config: source, tailer, processor };
  });
}

/** The field context rules evaluate against: source types from the config, the live registry, cluster networks. */
export function ruleFieldContext(config: PhabwatchConfig, attribution: Attribution): FieldContext {
  return {
    sourceTypes: new Map(config.sources.map((s) => [s.name, s.type] as const)),
    registry: () => attribution.registry,
    clusterNetworks: new NetworkSet(config.identities.cluster_networks),
  };
}

/**
 * Loads the shipped rules (and the user's `rules.dir`, minus `rules.disabled`) and builds the engine, which takes
 * part in every batch transaction. A rule with a problem stops the start: running with a silently missing rule
 * is worse than not starting.
 */
export function buildRuleEngine(db: Db, store: IngestStore, config: PhabwatchConfig, attribution: Attribution, shippedDir: string, logger: Logger): RuleEngine {
  const fields = ruleFieldContext(config, attribution);
  const loaded = loadRules({ shippedDir, userDir: config.rules.dir, disabled: config.rules.disabled, fields });
  if (loaded.issues.length > 0) {
    throw new SetupError(`${loaded.issues.length === 1 ? 'a problem' : `${loaded.issues.length} problems`} in the rules:\n${loaded.issues.map(formatIssue).join('\n')}`);
  }
  const engine = new RuleEngine(db, {
    rules: loaded.rules,
    fields,
    calendar: new BusinessCalendar(config.business_hours, config.timezone, config.identities.timezones),
    allowedLatenessMs: config.rules.allowed_lateness_ms,
    logger: logger.child({ component: 'rules' }),
  });
  store.addParticipant(engine);
  logger.info({ rules: loaded.rules.length, user: loaded.rules.filter((r) => r.origin === 'user').length }, 'rules loaded');
  return engine;
}
