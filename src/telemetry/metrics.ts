// The instruments of docs/metrics.md, exactly: names, units, attribute keys and histogram buckets. Recording is
// done in bulk (a batch's counts per attribute set, see participant.ts), so the SDK's per-call attribute
// hashing is paid per distinct label set and batch, not per log line. Gauges are read from providers that
// answer from memory (no query at collection time).

import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import type { SourceCounters } from '../pipeline/lineProcessor.js';
import { REJECT_REASONS } from '../parsers/types.js';
import { ProducedHistogram, type HistogramSeries } from './durationHistogram.js';

export const REQUEST_DURATION_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];
export const COMMIT_DURATION_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export const DELIVERY_RESULTS = ['delivered', 'failed', 'dropped'] as const;
export type DeliveryResultLabel = (typeof DELIVERY_RESULTS)[number];

/** Notifications per sink since the start, by what became of them (cumulative; the delivery loop keeps them). */
export type DeliveryCountsProvider = () => Record<string, Readonly<Record<DeliveryResultLabel, number>>>;

export interface BacklogEntry {
  /** sink name: stdout, alertmanager, webhook:<n>, otlp-logs */
  sink: string;
  /** notifications waiting for that sink */
  count: number;
}

/** Tells how many notifications wait per sink; the delivery loop installs one with setBacklogProvider. */
export type BacklogProvider = () => Iterable<BacklogEntry>;

export interface FiringCount {
  rule: string;
  severity: string;
  count: number;
}

export type SignalName = 'traces' | 'metrics' | 'logs';
export type ExportOutcome = 'exported' | 'failed' | 'dropped';

/**
 * phabwatch.request.duration is recorded for every request, so it is aggregated by phabwatch (durationHistogram.ts);
 * give this producer to every metric reader.
 */
export function requestDurationProducer(scope: string): ProducedHistogram {
  return new ProducedHistogram(
    { name: 'phabwatch.request.duration', unit: 'ms', description: 'request duration as logged', boundaries: REQUEST_DURATION_BUCKETS_MS },
    scope,
  );
}

export class PhabwatchMetrics {
  readonly requests: Counter;
  readonly conduitCalls: Counter;
  readonly logins: Counter;
  readonly sshSessions: Counter;
  readonly webhookFailures: Counter;
  readonly daemonErrors: Counter;
  readonly lines: Counter;
  readonly events: Counter;
  readonly rejects: Counter;
  readonly commitDuration: Histogram;
  readonly notifications: Counter;
  readonly telemetryExports: Counter;

  private lagProvider: () => Iterable<[source: string, newestTs: number]> = () => [];
  private firingProvider: () => Iterable<FiringCount> = () => [];
  private backlogProvider: BacklogProvider = () => [];
  private deliveryProvider: DeliveryCountsProvider = () => ({});
  /** attribute objects reused across batches (keys are small: sources x reasons, sinks x results) */
  private readonly attributeCache = new Map<string, Attributes>();

  constructor(meter: Meter, private readonly durations: ProducedHistogram, private readonly now: () => number = Date.now) {
    this.requests = meter.createCounter('phabwatch.requests', { unit: '{request}', description: 'requests seen in access and webserver logs' });
    this.conduitCalls = meter.createCounter('phabwatch.conduit.calls', { unit: '{call}', description: 'Conduit API calls by method' });
    this.logins = meter.createCounter('phabwatch.logins', { unit: '{attempt}', description: 'password logins' });
    this.sshSessions = meter.createCounter('phabwatch.ssh.sessions', { unit: '{session}', description: 'SSH sessions' });
    this.webhookFailures = meter.createCounter('phabwatch.webhook.failures', { unit: '{failure}', description: 'Herald webhook delivery failures in daemons.log' });
    this.daemonErrors = meter.createCounter('phabwatch.daemon.errors', { unit: '{error}', description: 'other daemon exceptions and task failures' });
    this.lines = meter.createCounter('phabwatch.lines', { unit: '{line}', description: 'log lines read' });
    this.events = meter.createCounter('phabwatch.events', { unit: '{event}', description: 'events stored' });
    this.rejects = meter.createCounter('phabwatch.rejects', { unit: '{line}', description: 'lines rejected' });
    this.commitDuration = meter.createHistogram('phabwatch.ingest.commit.duration', {
      unit: 'ms', description: 'time to commit a batch', advice: { explicitBucketBoundaries: COMMIT_DURATION_BUCKETS_MS },
    });
    this.notifications = meter.createCounter('phabwatch.alerts.notifications', { unit: '{notification}', description: 'alert transitions' });
    // The delivery loop keeps cumulative counts per sink; an observable counter reports them as they are.
    const deliveries = meter.createObservableCounter('phabwatch.alert.deliveries', { unit: '{delivery}', description: 'delivery attempts' });
    deliveries.addCallback((result: ObservableResult) => {
      for (const [sink, counts] of Object.entries(this.safely(this.deliveryProvider, {}))) {
        for (const r of DELIVERY_RESULTS) result.observe(counts[r] ?? 0, this.cached(`delivery\u0000${sink}\u0000${r}`, () => ({ sink, result: r })));
      }
    });
    this.telemetryExports = meter.createCounter('phabwatch.telemetry.exports', {
      unit: '{item}', description: 'spans, metric exports and log records handed to OTLP: exported, failed, dropped (queue full)',
    });

    const lag = meter.createObservableGauge('phabwatch.ingest.lag', { unit: 's', description: 'wall-clock time minus the newest event time stored, per source' });
    lag.addCallback((result: ObservableResult) => {
      const now = this.now();
      for (const [source, newest] of this.lagProvider()) result.observe((now - newest) / 1000, this.cached(`lag\u0000${source}`, () => ({ source })));
    });
    const firing = meter.createObservableGauge('phabwatch.alerts.firing', { unit: '{alert}', description: 'alerts firing now' });
    firing.addCallback((result: ObservableResult) => {
      for (const f of this.firingProvider()) {
        result.observe(f.count, this.cached(`firing\u0000${f.rule}\u0000${f.severity}`, () => ({ rule: f.rule, severity: f.severity })));
      }
    });
    const backlog = meter.createObservableGauge('phabwatch.alert.backlog', { unit: '{notification}', description: 'notifications waiting to be delivered' });
    backlog.addCallback((result: ObservableResult) => {
      for (const e of this.safely(this.backlogProvider, [])) result.observe(e.count, this.cached(`backlog\u0000${e.sink}`, () => ({ sink: e.sink })));
    });
  }

  /** The phabwatch.request.duration series of a (source, kind, route_class) set; `key` must identify the set. */
  durationSeries(key: string, attributes: Attributes): HistogramSeries {
    return this.durations.seriesOf(key, attributes);
  }

  setLagProvider(fn: () => Iterable<[source: string, newestTs: number]>): void {
    this.lagProvider = fn;
  }

  setFiringProvider(fn: () => Iterable<FiringCount>): void {
    this.firingProvider = fn;
  }

  setBacklogProvider(fn: BacklogProvider): void {
    this.backlogProvider = fn;
  }

  setDeliveryProvider(fn: DeliveryCountsProvider): void {
    this.deliveryProvider = fn;
  }

  /**
   * Starts each configured source's line and reject counters at 0, so a dashboard shows 0 rather than "no data" and
   * `increase(phabwatch_rejects_total[5m]) > 0` sees a source's very first reject (a series that appears at 1 has no
   * increase to show).
   */
  initSources(sources: Iterable<string>): void {
    for (const source of sources) {
      this.lines.add(0, this.cached(`source\u0000${source}`, () => ({ source })));
      for (const reason of REJECT_REASONS) this.rejects.add(0, this.cached(`reject\u0000${source}\u0000${reason}`, () => ({ source, reason })));
    }
  }

  /** Lines and rejects of a committed batch (per source), and how long its commit took. */
  recordCommit(perSource: ReadonlyMap<string, SourceCounters>, commitMs: number): void {
    for (const [source, c] of perSource) {
      if (c.lines > 0) this.lines.add(c.lines, this.cached(`source\u0000${source}`, () => ({ source })));
      for (const [reason, n] of Object.entries(c.rejects)) {
        if (n) this.rejects.add(n, this.cached(`reject\u0000${source}\u0000${reason}`, () => ({ source, reason })));
      }
    }
    this.commitDuration.record(commitMs);
  }

  recordNotification(rule: string, severity: string, kind: string): void {
    this.notifications.add(1, this.cached(`notification\u0000${rule}\u0000${severity}\u0000${kind}`, () => ({ rule, severity, kind })));
  }

  recordExport(signal: SignalName, outcome: ExportOutcome, count: number): void {
    if (count > 0) this.telemetryExports.add(count, this.cached(`export\u0000${signal}\u0000${outcome}`, () => ({ signal, result: outcome })));
  }

  /** A provider that fails must not break the whole collection: its instrument is simply missing this time. */
  private safely<T>(provider: () => T, fallback: T): T {
    try {
      return provider();
    } catch {
      return fallback;
    }
  }

  private cached(key: string, make: () => Attributes): Attributes {
    let attrs = this.attributeCache.get(key);
    if (attrs === undefined) {
      attrs = make();
      this.attributeCache.set(key, attrs);
    }
    return attrs;
  }
}
