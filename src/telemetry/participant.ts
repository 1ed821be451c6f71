// Telemetry's part in every batch transaction. `onEvent` runs for each stored event (tens of thousands a second),
// so it only counts into per-source tallies and remembers the few events whose span is kept; `afterCommit` hands
// the committed batch to the SDK (metrics, spans) and notes the alert notifications it created; `onRollback`
// forgets the batch, so a rolled-back batch is never counted twice.

import { routeClass } from '../attribution/routes.js';
import type { PhabEvent } from '../model/event.js';
import type { Logger } from '../model/logger.js';
import type { BusinessCalendar } from '../rules/calendar.js';
import type { Db } from '../store/database.js';
import type { BatchParticipant } from '../store/ingestStore.js';
import {
  ConduitMethodLabels, HOURS_BUSINESS, HOURS_OFF, HOURS_UNKNOWN, KIND_INDEX, LOGIN_OUTCOMES, OUTCOME_INDEX, REQUEST_KINDS,
  ROUTE_CLASS_INDEX, sshWorkflowIndex, statusClassIndex, webhookErrorIndex,
} from './attributeSets.js';
import type { FiringCount, PhabwatchMetrics } from './metrics.js';
import { hasSpan, isErrorEvent, SPAN_EVENT_COLUMNS, type RequestSpanEmitter, type SpanEvent } from './requestSpans.js';
import type { SamplingPolicy } from './sampling.js';
import { durationKey, requestKey, SourceTally, sshKey, webhookKey } from './sourceTally.js';
import type { SpanIdDeriver } from './spanIds.js';

const NOT_FOUND_CONTROLLER = 'PhabricatorPlatform404Controller';
const NOT_FOUND_CLASS = ROUTE_CLASS_INDEX.get('not_found')!;
const VCS_CLASS = ROUTE_CLASS_INDEX.get('vcs')!;
const OTHER_CLASS = ROUTE_CLASS_INDEX.get('other')!;
/** Routes remembered with their class; beyond this the memo starts over (routes come from log lines). */
const MAX_ROUTE_MEMO = 20_000;
/** Flagged event ids remembered across batches, so a rule that keeps holding does not look them up again. */
const MAX_RECENTLY_FLAGGED = 100_000;
/** Events looked at at start to learn each source's newest event time (for the lag gauge). */
const LAG_SEED_EVENTS = 100_000;
const ERROR_LOG_EVERY_MS = 60_000;

export interface ParticipantOptions {
  db: Db;
  /** null: metrics are exported nowhere */
  metrics: PhabwatchMetrics | null;
  /** null: traces are not exported */
  spans: RequestSpanEmitter | null;
  sampling: SamplingPolicy;
  deriver: SpanIdDeriver;
  calendar: BusinessCalendar;
  logger: Logger;
}

export class TelemetryParticipant implements BatchParticipant {
  private readonly tallies = new Map<string, SourceTally>();
  private lastTally: SourceTally | null = null;
  private readonly routeClassMemo = new Map<string, number>();
  private readonly conduitLabels = new ConduitMethodLabels();
  /** events of this batch whose span is kept: on their own merits (errors, the `other` share) or flagged */
  private kept: PhabEvent[] = [];
  /**
   * Flags for the event being stored: the engine (an earlier participant) sees each event first, so a rule that
   * holds on it flags it before onEvent here, which then decides with the event in hand.
   */
  private readonly flagsAhead = new Set<number>();
  /** flags for events seen before (a rule's earlier samples): their spans are decided after the commit */
  private readonly flagsBehind = new Set<number>();
  /** flagged events of this batch already decided in onEvent */
  private readonly decidedThisBatch = new Set<number>();
  /** flagged events decided in earlier batches, so a rule that keeps holding does not have them looked up again */
  private readonly recentlyFlagged = new Set<number>();
  private lastSeenId: number;
  private lastCommittedId: number;
  private readonly counting: boolean;
  private readonly tracing: boolean;
  private readonly eventById;
  private readonly newNotifications;
  private readonly firingByRule;
  private lastNotificationId: number;
  private firing = new Map<string, FiringCount>();
  private lastErrorLogAt = -Infinity;
  /** wall-clock ms the last afterCommit took (so the commit duration does not include telemetry's own work) */
  lastFlushMs = 0;

  constructor(private readonly o: ParticipantOptions) {
    this.counting = o.metrics !== null;
    this.tracing = o.spans !== null && !o.sampling.keepsNothing;
    this.eventById = o.db.prepare(`SELECT ${SPAN_EVENT_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM events WHERE id = ?`);
    this.newNotifications = o.db.prepare(`SELECT n.id, n.kind, a.rule_id, a.severity FROM alert_notifications n
      JOIN alerts a ON a.id = n.alert_id WHERE n.id > ? ORDER BY n.id`);
    this.firingByRule = o.db.prepare(`SELECT rule_id, severity, count(*) AS n FROM alerts WHERE state = 'firing' GROUP BY rule_id, severity`);
    this.lastNotificationId = (o.db.prepare('SELECT coalesce(max(id), 0) AS id FROM alert_notifications').get() as { id: number }).id;
    this.lastCommittedId = (o.db.prepare('SELECT coalesce(max(id), 0) AS id FROM events').get() as { id: number }).id;
    this.lastSeenId = this.lastCommittedId;
    if (o.metrics !== null) {
      this.seedNewest();
      this.refreshFiring();
      o.metrics.setLagProvider(() => this.newestPerSource());
      o.metrics.setFiringProvider(() => this.firing.values());
    }
  }

  // ---- BatchParticipant ------------------------------------------------------------------------------------

  onEvent(e: PhabEvent, id: number): void {
    try {
      this.lastSeenId = id;
      if (this.counting) this.count(e);
      if (this.tracing) {
        const flagged = this.flagsAhead.size > 0 && this.flagsAhead.delete(id);
        if (flagged) this.decidedThisBatch.add(id);
        if (hasSpan(e.kind)) {
          const u = this.o.deriver.samplingValue(e.source, e.host, e.ts, e.offset);
          if (this.o.sampling.keepsOnItsOwn(isErrorEvent(e), u) || (flagged && this.o.sampling.keepsFlagged(u))) this.kept.push(e);
        }
      }
    } catch (err) {
      this.logError(err, 'telemetry could not count an event; it is left out of the metrics');
    }
  }

  /** The rule engine says this event is a sample of an alert it opened (its span is kept as `flagged`). */
  flag(eventId: number): void {
    if (!this.tracing) return;
    if (eventId > this.lastSeenId) this.flagsAhead.add(eventId);
    else if (!this.decidedThisBatch.has(eventId) && !this.recentlyFlagged.has(eventId)) this.flagsBehind.add(eventId);
  }

  onRollback(): void {
    for (const t of this.tallies.values()) t.reset();
    this.forgetBatch();
    // Ids of the rolled-back events will be given again.
    this.lastSeenId = this.lastCommittedId;
  }

  afterCommit(): void {
    const started = performance.now();
    try {
      if (this.o.metrics !== null) {
        for (const t of this.tallies.values()) t.flush(this.o.metrics);
        this.countNotifications(this.o.metrics);
      }
      if (this.o.spans !== null) this.emitSpans(this.o.spans);
    } catch (err) {
      this.logError(err, 'telemetry could not record a committed batch; its metrics or spans are incomplete');
    } finally {
      for (const id of this.decidedThisBatch) this.rememberFlagged(id);
      this.forgetBatch();
      this.lastCommittedId = this.lastSeenId;
      this.lastFlushMs = performance.now() - started;
    }
  }

  private forgetBatch(): void {
    this.kept = [];
    this.flagsAhead.clear();
    this.flagsBehind.clear();
    this.decidedThisBatch.clear();
  }

  // ---- counting (per event) --------------------------------------------------------------------------------

  private count(e: PhabEvent): void {
    let t = this.lastTally;
    if (t === null || t.name !== e.source) t = this.tallyOf(e.source);
    const kind = KIND_INDEX.get(e.kind)!;
    t.events[kind]!++;
    if (e.ts > t.batchNewest) t.batchNewest = e.ts;
    if (REQUEST_KINDS.has(e.kind)) this.countRequest(t, e, kind);
    else if (e.kind === 'ssh') t.ssh[sshKey(sshWorkflowIndex(e.controller), OUTCOME_INDEX.get(e.outcome)!)]!++;
    else if (e.kind === 'webhook') t.webhook[webhookKey(webhookErrorIndex(e.error_type), e.outcome === 'retrying')]!++;
    else if (e.outcome === 'failed') t.daemonErrors++;
  }

  private countRequest(t: SourceTally, e: PhabEvent, kind: number): void {
    const rc = this.routeClassOf(e);
    const outcome = OUTCOME_INDEX.get(e.outcome)!;
    const hours = e.identity === null ? HOURS_UNKNOWN : this.o.calendar.isBusinessTime(e.ts, e.identity) ? HOURS_BUSINESS : HOURS_OFF;
    const key = requestKey(kind, rc, statusClassIndex(e.status), outcome, hours);
    t.requests.set(key, (t.requests.get(key) ?? 0) + 1);
    if (e.duration_ms !== null) {
      const dk = durationKey(kind, rc);
      let values = t.durations.get(dk);
      if (values === undefined) {
        values = [];
        t.durations.set(dk, values);
      }
      values.push(e.duration_ms);
    }
    if (e.kind === 'conduit') {
      const label = this.conduitLabels.label(e.conduit_method);
      let counts = t.conduit.get(label);
      if (counts === undefined) {
        counts = new Float64Array(OUTCOME_INDEX.size);
        t.conduit.set(label, counts);
      }
      counts[outcome]!++;
    }
    if (LOGIN_OUTCOMES.has(e.outcome)) t.logins[outcome]!++;
  }

  private routeClassOf(e: PhabEvent): number {
    if (e.controller === NOT_FOUND_CONTROLLER) return NOT_FOUND_CLASS;
    if (e.kind === 'vcs') return VCS_CLASS;
    const route = e.route;
    if (route === null) return OTHER_CLASS;
    let index = this.routeClassMemo.get(route);
    if (index === undefined) {
      index = ROUTE_CLASS_INDEX.get(routeClass(route, null, e.kind)) ?? OTHER_CLASS;
      if (this.routeClassMemo.size >= MAX_ROUTE_MEMO) this.routeClassMemo.clear();
      this.routeClassMemo.set(route, index);
    }
    return index;
  }

  private tallyOf(source: string): SourceTally {
    let t = this.tallies.get(source);
    if (t === undefined) {
      t = new SourceTally(source);
      this.tallies.set(source, t);
    }
    this.lastTally = t;
    return t;
  }

  // ---- after commit ----------------------------------------------------------------------------------------

  private emitSpans(spans: RequestSpanEmitter): void {
    for (const e of this.kept) spans.emit(e);
    // Earlier samples of a rule that now holds: read back from the store (rare: most flags are for the event at hand).
    for (const id of this.flagsBehind) {
      if (this.recentlyFlagged.has(id) || this.decidedThisBatch.has(id)) continue;
      this.rememberFlagged(id);
      const e = this.eventById.get(id) as SpanEvent | undefined;
      if (e === undefined || !hasSpan(e.kind)) continue;
      const u = this.o.deriver.samplingValue(e.source, e.host, e.ts, e.offset);
      // Kept on its own merits: its span went out with its own batch already.
      if (this.o.sampling.keepsOnItsOwn(isErrorEvent(e), u)) continue;
      if (this.o.sampling.keepsFlagged(u)) spans.emit(e);
    }
  }

  private rememberFlagged(id: number): void {
    if (this.recentlyFlagged.size >= MAX_RECENTLY_FLAGGED) {
      // Forget the oldest half (a Set iterates in insertion order).
      let drop = MAX_RECENTLY_FLAGGED / 2;
      for (const old of this.recentlyFlagged) {
        this.recentlyFlagged.delete(old);
        if (--drop === 0) break;
      }
    }
    this.recentlyFlagged.add(id);
  }

  private countNotifications(m: PhabwatchMetrics): void {
    const rows = this.newNotifications.all(this.lastNotificationId) as { id: number; kind: string; rule_id: string; severity: string }[];
    if (rows.length === 0) return;
    let firingChanged = false;
    for (const r of rows) {
      m.recordNotification(r.rule_id, r.severity, r.kind);
      if (r.kind !== 'renotify') firingChanged = true;
      // A rule that has notified is on the gauge from then on, at 0 when nothing of it fires (even if its alert
      // fired and resolved within one batch).
      const key = `${r.rule_id}\u0000${r.severity}`;
      if (!this.firing.has(key)) this.firing.set(key, { rule: r.rule_id, severity: r.severity, count: 0 });
    }
    this.lastNotificationId = rows[rows.length - 1]!.id;
    if (firingChanged) this.refreshFiring();
  }

  /** Alerts firing per rule and severity; a pair that stops firing stays at 0 rather than vanishing. */
  private refreshFiring(): void {
    const next = new Map<string, FiringCount>();
    for (const [key, f] of this.firing) next.set(key, { ...f, count: 0 });
    for (const r of this.firingByRule.all() as { rule_id: string; severity: string; n: number }[]) {
      next.set(`${r.rule_id}\u0000${r.severity}`, { rule: r.rule_id, severity: r.severity, count: r.n });
    }
    this.firing = next;
  }

  private seedNewest(): void {
    const rows = this.o.db.prepare(`SELECT source, max(ts) AS newest FROM events
      WHERE id > (SELECT coalesce(max(id), 0) - ${LAG_SEED_EVENTS} FROM events) GROUP BY source`).all() as { source: string; newest: number }[];
    for (const r of rows) this.tallyOf(r.source).newest = r.newest;
    this.lastTally = null;
  }

  private *newestPerSource(): Iterable<[string, number]> {
    for (const t of this.tallies.values()) if (Number.isFinite(t.newest)) yield [t.name, t.newest];
  }

  private logError(err: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastErrorLogAt < ERROR_LOG_EVERY_MS) return;
    this.lastErrorLogAt = now;
    this.o.logger.error({ err: err instanceof Error ? err.message : String(err) }, message);
  }
}
