// The span of an alert (`phabwatch.alert <rule id>`, from the alert's start to its firing), linked to the spans of
// its sample requests. Its ids come from the rule, the group labels and the start time, and the sample spans'
// ids are recomputed from the sample events (source, host, time, offset), so links hold across stores and
// replays. Only samples whose span was exported are linked.

import { ROOT_CONTEXT, SpanKind, TraceFlags, type Attributes, type Link, type SpanContext, type Tracer } from '@opentelemetry/api';
import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import type { AlertNotification } from '../alerts/sinks/sink.js';
import type { EventKind, Outcome } from '../model/event.js';
import type { Db } from '../store/database.js';
import { hasSpan, isErrorEvent } from './requestSpans.js';
import type { SamplingPolicy } from './sampling.js';
import type { SpanIdDeriver, SpanIds } from './spanIds.js';

type Alert = AlertNotification['alert'];

interface SampleRow {
  ts: number;
  source: string;
  host: string | null;
  kind: EventKind;
  outcome: Outcome;
  offset: number;
}

/**
 * The tracer asks its id generator for the ids of each new span; this one answers with the ids set just before,
 * so an alert span gets its deterministic ids through the ordinary Tracer API.
 */
export class PresetIdGenerator implements IdGenerator {
  private traceId: string | null = null;
  private spanId: string | null = null;
  private readonly fallback = new RandomIdGenerator();

  preset(ids: SpanIds): void {
    this.traceId = ids.traceId;
    this.spanId = ids.spanId;
  }

  generateTraceId(): string {
    const id = this.traceId ?? this.fallback.generateTraceId();
    this.traceId = null;
    return id;
  }

  generateSpanId(): string {
    const id = this.spanId ?? this.fallback.generateSpanId();
    this.spanId = null;
    return id;
  }
}

/** Alert ids whose span was emitted, so a re-delivered `firing` notification does not emit it twice. */
const MAX_REMEMBERED_ALERTS = 10_000;

export class AlertSpanEmitter {
  private sampleStmt: { get(id: number): unknown } | null = null;
  private readonly emitted = new Set<number>();

  constructor(
    private readonly tracer: Tracer,
    private readonly ids: PresetIdGenerator,
    private readonly deriver: SpanIdDeriver,
    private readonly sampling: SamplingPolicy,
  ) {}

  /** Sample events are read from this store to know their host and whether their span was kept. */
  useStore(db: Db): void {
    this.sampleStmt = db.prepare('SELECT ts, source, host, kind, outcome, "offset" FROM events WHERE id = ?');
  }

  /** The alert span's context, also carried by its log records so a backend can go from one to the other. */
  contextOf(alert: Alert): SpanContext {
    const ids = this.deriver.alertIds(alert.ruleId, alert.labels, alert.startedAt);
    return { traceId: ids.traceId, spanId: ids.spanId, traceFlags: TraceFlags.SAMPLED };
  }

  emit(alert: Alert, at: number): void {
    if (this.emitted.has(alert.id)) return;
    if (this.emitted.size >= MAX_REMEMBERED_ALERTS) this.emitted.clear();
    this.emitted.add(alert.id);
    const attributes: Attributes = {
      'phabwatch.rule_id': alert.ruleId,
      'phabwatch.alert_id': alert.id,
      'phabwatch.severity': alert.severity,
      'phabwatch.summary': alert.summary,
    };
    for (const [name, value] of Object.entries(alert.labels)) attributes[`phabwatch.label.${name}`] = value;
    if (alert.annotations.runbook_url) attributes['phabwatch.runbook_url'] = alert.annotations.runbook_url;
    const end = alert.firedAt ?? at;
    this.ids.preset(this.deriver.alertIds(alert.ruleId, alert.labels, alert.startedAt));
    const span = this.tracer.startSpan(
      `phabwatch.alert ${alert.ruleId}`,
      { kind: SpanKind.INTERNAL, startTime: alert.startedAt, attributes, links: this.sampleLinks(alert) },
      ROOT_CONTEXT,
    );
    span.end(Math.max(end, alert.startedAt));
  }

  /** Links to the exported spans of the alert's sample requests (samples are flagged events, see participant.ts). */
  private sampleLinks(alert: Alert): Link[] {
    const links: Link[] = [];
    if (this.sampleStmt === null) return links;
    for (const sample of alert.samples) {
      const row = this.sampleStmt.get(sample.eventId) as SampleRow | undefined;
      if (row === undefined || !hasSpan(row.kind)) continue;
      const u = this.deriver.samplingValue(row.source, row.host, row.ts, row.offset);
      if (!this.sampling.keepsOnItsOwn(isErrorEvent(row), u) && !this.sampling.keepsFlagged(u)) continue;
      const ids = this.deriver.requestIds(row);
      links.push({
        context: { traceId: ids.traceId, spanId: ids.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true },
        attributes: { 'phabwatch.link': 'sample' },
      });
    }
    return links;
  }
}
