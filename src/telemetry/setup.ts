// Starting and stopping OpenTelemetry for the agent: one MeterProvider (OTLP push and/or Prometheus scrape), one
// tracer provider (request and alert spans, deterministic ids), one LoggerProvider (alert log records), all with
// the same resource. Nothing here may block or crash ingestion: exports run in the background with bounded
// queues, failures are counted and logged (exportHealth.ts), and shutdown waits a bounded time.

import type { SpanContext, Tracer } from '@opentelemetry/api';
import type { LogRecord, Logger as OtelLogger } from '@opentelemetry/api-logs';
import type { ExportResult } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AlertNotification } from '../alerts/sinks/sink.js';
import type { PhabwatchConfig, SourceType } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import type { CommitInfo } from '../pipeline/ingestor.js';
import { BusinessCalendar } from '../rules/calendar.js';
import type { RuleEngine } from '../rules/engine.js';
import type { Db } from '../store/database.js';
import type { IngestStore } from '../store/ingestStore.js';
import { AlertSpanEmitter, PresetIdGenerator } from './alertSpans.js';
import { AwaitedLogRecordProcessor } from './awaitedLogProcessor.js';
import { CountingSpanProcessor, ExportHealth, GuardedMetricExporter, GuardedSpanExporter, type ExportCounts } from './exportHealth.js';
import { logExporter, metricExporter, traceExporter } from './exporters.js';
import { PhabwatchMetrics, requestDurationProducer, type DeliveryResultLabel, type SignalName } from './metrics.js';
import { resolveOtlpSettings, type OtlpSettings } from './otlpSettings.js';
import { TelemetryParticipant } from './participant.js';
import { RequestSpanEmitter } from './requestSpans.js';
import { buildResource } from './resource.js';
import { SamplingPolicy } from './sampling.js';
import { SpanIdDeriver } from './spanIds.js';

/** What the delivery loop exposes (src/alerts/delivery.ts, DeliveryMetricsSource); both calls are cheap. */
export interface DeliveryStats {
  deliveryCounts(): Record<string, Readonly<Record<DeliveryResultLabel, number>>>;
  backlog(): Record<string, number>;
}

/** The instrumentation scope of everything phabwatch exports (Prometheus: otel_scope_name="phabwatch"). */
export const SCOPE = 'phabwatch';
const DEFAULT_SPAN_QUEUE = 16_384;
const SPAN_BATCH = 4096;
const SPAN_DELAY_MS = 2000;
const SPAN_ATTRIBUTE_MAX_CHARS = 4096;

export interface TelemetryOptions {
  /** the OTEL_* variables (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What the otlp-logs alert sink needs: emit log records, export them and learn the answer, and alert spans. */
export interface AlertTelemetryChannel {
  emitLog(record: LogRecord): void;
  /** exports the records emitted since the last call; resolves with the collector's answer, never rejects */
  exportLogs(): Promise<ExportResult>;
  alertSpanContext(alert: AlertNotification['alert']): SpanContext;
  /** the alert's span (only once per alert; nothing when traces are off) */
  emitAlertSpan(alert: AlertNotification['alert'], at: number): void;
}

interface Parts {
  config: PhabwatchConfig;
  logger: Logger;
  settings: OtlpSettings;
  health: ExportHealth;
  deriver: SpanIdDeriver;
  sampling: SamplingPolicy;
  meterProvider: MeterProvider | null;
  metrics: PhabwatchMetrics | null;
  tracerProvider: BasicTracerProvider | null;
  tracer: Tracer | null;
  /** where request spans go (the batch processor, behind the drop counter) */
  spanProcessor: SpanProcessor | null;
  resource: Resource;
  ids: PresetIdGenerator;
  loggerProvider: LoggerProvider | null;
  alertLogger: OtelLogger | null;
  logProcessor: AwaitedLogRecordProcessor | null;
}

export class Telemetry {
  private participant: TelemetryParticipant | null = null;
  private readonly alertSpans: AlertSpanEmitter | null;
  private closed = false;

  constructor(private readonly p: Parts) {
    this.alertSpans = p.tracer === null ? null : new AlertSpanEmitter(p.tracer, p.ids, p.deriver, p.sampling);
  }

  /**
   * Counts the store's batches and turns their requests into spans: adds the participant to `store` and lets
   * the rule engine flag the sample events of the alerts that fire. Call once, after the engine is built.
   */
  watchStore(db: Db, store: IngestStore, engine: RuleEngine | null): TelemetryParticipant | null {
    if (this.participant !== null) throw new Error('telemetry already watches a store');
    if (this.p.metrics === null && this.p.tracer === null) return null;
    const sourceTypes = new Map<string, SourceType>(this.p.config.sources.map((s) => [s.name, s.type]));
    const spans = this.p.spanProcessor === null ? null : new RequestSpanEmitter(this.p.spanProcessor, this.p.resource, SCOPE, this.p.deriver, sourceTypes);
    const config = this.p.config;
    const participant = new TelemetryParticipant({
      db, metrics: this.p.metrics, spans, sampling: this.p.sampling, deriver: this.p.deriver, logger: this.p.logger,
      calendar: new BusinessCalendar(config.business_hours, config.timezone, config.identities.timezones),
    });
    store.addParticipant(participant);
    if (engine !== null && spans !== null && this.p.sampling.flaggingMatters) engine.onAlertSamples = (id) => participant.flag(id);
    this.alertSpans?.useStore(db);
    this.participant = participant;
    return participant;
  }

  /** Lines, rejects and commit time of a committed batch (the ingestor's onCommit). */
  recordCommit(info: CommitInfo): void {
    if (this.p.metrics === null) return;
    // The ingestor times the whole commit, which includes telemetry's own after-commit work: leave that out.
    const own = this.participant?.lastFlushMs ?? 0;
    this.p.metrics.recordCommit(info.perSource, Math.max(0, info.commitMs - own));
  }

  /** The delivery loop's counts and backlog become phabwatch.alert.deliveries and phabwatch.alert.backlog. */
  watchDelivery(delivery: DeliveryStats): void {
    const metrics = this.p.metrics;
    if (metrics === null) return;
    metrics.setDeliveryProvider(() => delivery.deliveryCounts());
    metrics.setBacklogProvider(() => Object.entries(delivery.backlog()).map(([sink, count]) => ({ sink, count })));
  }

  /** For the otlp-logs sink; null when OTLP logs are not exported. */
  alertChannel(): AlertTelemetryChannel | null {
    const logger = this.p.alertLogger;
    const processor = this.p.logProcessor;
    if (logger === null || processor === null) return null;
    const spans = this.alertSpans;
    const deriver = this.p.deriver;
    return {
      emitLog: (record) => logger.emit(record),
      exportLogs: () => processor.export(processor.take()),
      alertSpanContext: (alert) => spans?.contextOf(alert) ?? { ...deriver.alertIds(alert.ruleId, alert.labels, alert.startedAt), traceFlags: 1 },
      emitAlertSpan: (alert, at) => spans?.emit(alert, at),
    };
  }

  exportCounts(): ExportCounts {
    return this.p.health.counts;
  }

  /** Flushes and stops every exporter; waits at most the export timeout (plus a little), never throws. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const p = this.p;
    const timeouts = [p.settings.traces, p.settings.metrics, p.settings.logs].map((s) => s?.timeoutMs ?? 0);
    const budgetMs = Math.max(...timeouts, 1000) + 2000;
    const work = (async () => {
      // Spans and logs first, so the final metric export also counts how their last exports went.
      await Promise.allSettled([p.tracerProvider?.shutdown(), p.loggerProvider?.shutdown()]);
      await p.meterProvider?.shutdown().catch(() => undefined);
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      work.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), budgetMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    const counts = p.health.counts;
    const lost = (['traces', 'metrics', 'logs'] as SignalName[]).some((s) => counts[s].failed + counts[s].dropped > 0);
    const summary = {
      spans: counts.traces, metricExports: counts.metrics, logRecords: counts.logs, ...(timedOut ? { gaveUpAfterMs: budgetMs } : {}),
    };
    if (lost || timedOut) p.logger.warn(summary, 'telemetry stopped; some data could not be exported');
    else if (p.settings.origin !== 'none') p.logger.info(summary, 'telemetry flushed and stopped');
  }
}

/** Starts the exporters the config and the OTEL_* variables ask for; with none, returns an inactive Telemetry. */
export function startTelemetry(config: PhabwatchConfig, logger: Logger, options: TelemetryOptions = {}): Telemetry {
  const env = options.env ?? process.env;
  const t = config.telemetry;
  const settings = resolveOtlpSettings(t, env);
  for (const warning of settings.warnings) logger.warn(warning);
  const health = new ExportHealth(logger, { traces: settings.traces?.url, metrics: settings.metrics?.url, logs: settings.logs?.url });
  const resource = buildResource(t, env);
  const ids = new PresetIdGenerator();
  const parts: Parts = {
    config, logger, settings, health, ids, resource, spanProcessor: null,
    deriver: new SpanIdDeriver(t.instance ?? ''),
    sampling: new SamplingPolicy(t.sample),
    meterProvider: null, metrics: null, tracerProvider: null, tracer: null, loggerProvider: null, alertLogger: null, logProcessor: null,
  };
  startMetrics(parts, resource, logger);
  if (settings.traces !== null) {
    const exporter = new GuardedSpanExporter(traceExporter(settings.traces), health);
    const maxQueueSize = positive(env.OTEL_BSP_MAX_QUEUE_SIZE) ?? DEFAULT_SPAN_QUEUE;
    const batch = new BatchSpanProcessor(exporter, {
      maxQueueSize,
      maxExportBatchSize: Math.min(positive(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE) ?? SPAN_BATCH, maxQueueSize),
      scheduledDelayMillis: positive(env.OTEL_BSP_SCHEDULE_DELAY) ?? SPAN_DELAY_MS,
      exportTimeoutMillis: settings.traces.timeoutMs,
    });
    parts.spanProcessor = new CountingSpanProcessor(batch, exporter, maxQueueSize, health);
    parts.tracerProvider = new BasicTracerProvider({
      resource, idGenerator: ids, sampler: new AlwaysOnSampler(),
      spanProcessors: [parts.spanProcessor],
      spanLimits: { attributeValueLengthLimit: SPAN_ATTRIBUTE_MAX_CHARS },
    });
    parts.tracer = parts.tracerProvider.getTracer(SCOPE);
  }
  if (settings.logs !== null) {
    parts.logProcessor = new AwaitedLogRecordProcessor(logExporter(settings.logs), health, settings.logs.timeoutMs);
    parts.loggerProvider = new LoggerProvider({ resource, processors: [parts.logProcessor] });
    parts.alertLogger = parts.loggerProvider.getLogger(SCOPE);
  }
  if (settings.origin !== 'none') {
    logger.info(
      { from: settings.origin, traces: settings.traces?.url ?? 'off', metrics: settings.metrics?.url ?? 'off', logs: settings.logs?.url ?? 'off', protocol: settings.traces?.protocol ?? settings.metrics?.protocol ?? settings.logs?.protocol },
      'OpenTelemetry export on',
    );
  }
  return new Telemetry(parts);
}

function startMetrics(parts: Parts, resource: Resource, logger: Logger): void {
  const { settings, health } = parts;
  const prometheus = parts.config.telemetry.prometheus;
  const readers: IMetricReader[] = [];
  const durations = requestDurationProducer(SCOPE);
  if (settings.metrics !== null) {
    readers.push(new PeriodicExportingMetricReader({
      metricProducers: [durations],
      exporter: new GuardedMetricExporter(metricExporter(settings.metrics), health),
      exportIntervalMillis: settings.metricsIntervalMs,
      exportTimeoutMillis: Math.min(settings.metrics.timeoutMs, settings.metricsIntervalMs),
    }));
  }
  if (prometheus !== null) {
    const where = `http://${prometheus.host.includes(':') ? `[${prometheus.host}]` : prometheus.host}:${prometheus.port}/metrics`;
    readers.push(new PrometheusExporter({ host: prometheus.host, port: prometheus.port, metricProducers: [durations] }, (err) => {
      if (err) logger.error({ listen: where, error: err instanceof Error ? err.message : String(err) }, 'cannot serve Prometheus metrics; the agent goes on without them');
      else logger.info({ listen: where }, 'Prometheus metrics served');
    }));
  }
  if (readers.length === 0) return;
  parts.meterProvider = new MeterProvider({ resource, readers });
  parts.metrics = new PhabwatchMetrics(parts.meterProvider.getMeter(SCOPE), durations);
  const metrics = parts.metrics;
  metrics.initSources(parts.config.sources.map((s) => s.name));
  health.onCount = (signal, outcome, n) => metrics.recordExport(signal, outcome, n);
}

function positive(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
}
