// Exporters must never block or crash ingestion: an unreachable collector is counted and logged (at most once a
// minute per signal, with what happened in between), and the agent goes on. The wrappers below sit between the
// SDK's processors/readers and the OTLP exporters to see every export result, and in front of the batch span
// processor to count what its bounded queue drops.

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { Context } from '@opentelemetry/api';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../model/logger.js';
import type { ExportOutcome, SignalName } from './metrics.js';

const LOG_EVERY_MS = 60_000;

export type ExportCounts = Record<SignalName, Record<ExportOutcome, number>>;

interface SignalState {
  failingSince: number | null;
  lastLoggedAt: number;
  failuresSinceLog: number;
  droppedSinceLog: number;
}

/** Counts export outcomes per signal and logs failures without flooding the agent's log. */
export class ExportHealth {
  readonly counts: ExportCounts = {
    traces: { exported: 0, failed: 0, dropped: 0 },
    metrics: { exported: 0, failed: 0, dropped: 0 },
    logs: { exported: 0, failed: 0, dropped: 0 },
  };
  private readonly state: Record<SignalName, SignalState> = {
    traces: { failingSince: null, lastLoggedAt: -Infinity, failuresSinceLog: 0, droppedSinceLog: 0 },
    metrics: { failingSince: null, lastLoggedAt: -Infinity, failuresSinceLog: 0, droppedSinceLog: 0 },
    logs: { failingSince: null, lastLoggedAt: -Infinity, failuresSinceLog: 0, droppedSinceLog: 0 },
  };
  /** also counted as phabwatch.telemetry.exports once the metrics exist */
  onCount: ((signal: SignalName, outcome: ExportOutcome, n: number) => void) | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly endpoints: Partial<Record<SignalName, string>>,
    private readonly now: () => number = Date.now,
  ) {}

  exported(signal: SignalName, n: number): void {
    this.count(signal, 'exported', n);
    const s = this.state[signal];
    if (s.failingSince !== null) {
      this.logger.info(
        { signal, endpoint: this.endpoints[signal], failedFor: `${Math.round((this.now() - s.failingSince) / 1000)} s`, failures: s.failuresSinceLog },
        'telemetry export works again',
      );
      s.failingSince = null;
      s.failuresSinceLog = 0;
      s.lastLoggedAt = -Infinity;
    }
  }

  failed(signal: SignalName, n: number, error: Error | undefined): void {
    this.count(signal, 'failed', n);
    const s = this.state[signal];
    const now = this.now();
    if (s.failingSince === null) s.failingSince = now;
    s.failuresSinceLog++;
    if (now - s.lastLoggedAt < LOG_EVERY_MS) return;
    this.logger.warn(
      {
        signal, endpoint: this.endpoints[signal], error: describeError(error), failures: s.failuresSinceLog, dropped: s.droppedSinceLog,
        lost: this.counts[signal].failed + this.counts[signal].dropped,
      },
      'telemetry export failed; ingestion goes on and the data of failed exports is dropped (next warning in a minute at most)',
    );
    s.lastLoggedAt = now;
    s.failuresSinceLog = 0;
    s.droppedSinceLog = 0;
  }

  dropped(signal: SignalName, n: number): void {
    this.count(signal, 'dropped', n);
    const s = this.state[signal];
    s.droppedSinceLog += n;
    const now = this.now();
    if (now - s.lastLoggedAt < LOG_EVERY_MS) return;
    this.logger.warn(
      { signal, endpoint: this.endpoints[signal], dropped: s.droppedSinceLog },
      'telemetry export queue is full: the newest items are dropped until the exporter catches up',
    );
    s.lastLoggedAt = now;
    s.droppedSinceLog = 0;
  }

  private count(signal: SignalName, outcome: ExportOutcome, n: number): void {
    if (n <= 0) return;
    this.counts[signal][outcome] += n;
    this.onCount?.(signal, outcome, n);
  }
}

/** Error text for the log: the message and a network code, never a request body or headers. */
export function describeError(error: Error | undefined): string {
  if (error === undefined) return 'unknown error';
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message.length > 300 ? `${error.message.slice(0, 300)}…` : error.message;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Sees every span export's result, and tells the queue accounting how many spans left the queue. */
export class GuardedSpanExporter implements SpanExporter {
  /** called with the number of spans taken out of the processor's queue for an export */
  onTaken: (n: number) => void = () => undefined;

  constructor(private readonly inner: SpanExporter, private readonly health: ExportHealth) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.onTaken(spans.length);
    try {
      this.inner.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) this.health.exported('traces', spans.length);
        else this.health.failed('traces', spans.length, result.error);
        resultCallback(result);
      });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.health.failed('traces', spans.length, error);
      resultCallback({ code: ExportResultCode.FAILED, error });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * In front of the SDK's BatchSpanProcessor: counts the spans its bounded queue would drop (the SDK only writes
 * them to its diagnostic log). The queue holds spans handed over and not yet taken by an export.
 */
export class CountingSpanProcessor implements SpanProcessor {
  private queued = 0;

  constructor(
    private readonly inner: SpanProcessor,
    exporter: GuardedSpanExporter,
    private readonly maxQueueSize: number,
    private readonly health: ExportHealth,
  ) {
    exporter.onTaken = (n) => {
      this.queued = Math.max(0, this.queued - n);
    };
  }

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (this.queued >= this.maxQueueSize) {
      this.health.dropped('traces', 1);
      return;
    }
    this.queued++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** Sees every metric push's result. */
export class GuardedMetricExporter implements PushMetricExporter {
  readonly selectAggregationTemporality: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation: PushMetricExporter['selectAggregation'];

  constructor(private readonly inner: PushMetricExporter, private readonly health: ExportHealth) {
    // The OTLP exporter decides temporality (cumulative unless OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE says).
    this.selectAggregationTemporality = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregation = inner.selectAggregation?.bind(inner);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    try {
      this.inner.export(metrics, (result) => {
        if (result.code === ExportResultCode.SUCCESS) this.health.exported('metrics', 1);
        else this.health.failed('metrics', 1, result.error);
        resultCallback(result);
      });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.health.failed('metrics', 1, error);
      resultCallback({ code: ExportResultCode.FAILED, error });
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
