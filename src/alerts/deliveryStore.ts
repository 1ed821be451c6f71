// The delivery state in the store (tables alert_deliveries and alert_delivery_cursors, migration 3): which
// outbox notifications each destination has queued, delivered, dropped or skipped. Every method is one short
// synchronous statement (or transaction); the delivery loop never holds a transaction across an await.

import type { Severity } from '../rules/model.js';
import type { Db } from '../store/database.js';
import type { AlertRow, Evidence, NotificationKind } from './alertBook.js';
import type { AlertNotification } from './sinks/sink.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'dropped' | 'skipped';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Why a notification is not delivered at all (the `reason` column). */
export const SKIP_REASON = {
  severity: 'below alerts.route.min_severity',
  age: 'older than alerts.max_age',
  gone: 'the alert is no longer in the store',
} as const;

export interface QueuePolicy {
  minSeverity: Severity;
  /** 0: no limit */
  maxAgeMs: number;
}

/** A pending delivery at the head of a destination's queue. */
export interface QueuedDelivery {
  notificationId: number;
  alertId: number;
  kind: NotificationKind;
  at: number;
  attempts: number;
  nextAttemptAt: number;
}

/** The alert columns a delivery needs. */
type DeliveredAlertRow = Pick<AlertRow, 'id' | 'rule_id' | 'severity' | 'state' | 'labels' | 'summary' | 'annotations' | 'started_at' | 'fired_at' | 'ended_at' | 'evidence'>;

interface SampleRow {
  event_id: number;
  ts: number;
  source: string;
  file_id: number | null;
  offset: number | null;
  raw: string;
}

export class DeliveryStore {
  private readonly latestStmt;
  private readonly cursorStmt;
  private readonly saveCursorStmt;
  private readonly enqueueStmt;
  private readonly skippedStmt;
  private readonly pendingCountStmt;
  private readonly dropOldestStmt;
  private readonly headStmt;
  private readonly alertStmt;
  private readonly samplesStmt;
  private readonly deliveredStmt;
  private readonly failedStmt;
  private readonly droppedStmt;
  private readonly resendStmt;
  private readonly pruneStmt;

  constructor(private readonly db: Db) {
    this.latestStmt = db.prepare('SELECT coalesce(max(id), 0) AS id FROM alert_notifications');
    this.cursorStmt = db.prepare('SELECT last_notification_id AS id FROM alert_delivery_cursors WHERE sink = ?');
    this.saveCursorStmt = db.prepare(`INSERT INTO alert_delivery_cursors (sink, last_notification_id) VALUES (?, ?)
      ON CONFLICT(sink) DO UPDATE SET last_notification_id = excluded.last_notification_id`);
    // One statement queues every new notification; those that are never to be sent are marked at once, with why.
    this.enqueueStmt = db.prepare(`INSERT OR IGNORE INTO alert_deliveries
        (notification_id, sink, status, attempts, next_attempt_at, queued_at, dropped_at, reason)
      SELECT id, @sink, CASE WHEN reason IS NULL THEN 'pending' ELSE 'skipped' END, 0, @now, @now,
             CASE WHEN reason IS NULL THEN NULL ELSE @now END, reason
      FROM (
        SELECT n.id,
          CASE
            WHEN a.id IS NULL THEN '${SKIP_REASON.gone}'
            WHEN (CASE a.severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) < @minRank THEN '${SKIP_REASON.severity}'
            WHEN @maxAge > 0 AND n.at < @now - @maxAge THEN '${SKIP_REASON.age}'
          END AS reason
        FROM alert_notifications n LEFT JOIN alerts a ON a.id = n.alert_id
        WHERE n.id > @after AND n.id <= @upTo
        ORDER BY n.id
      )`);
    this.skippedStmt = db.prepare(`SELECT reason, count(*) AS n FROM alert_deliveries
      WHERE sink = ? AND notification_id > ? AND notification_id <= ? AND status = 'skipped' GROUP BY reason`);
    this.pendingCountStmt = db.prepare("SELECT count(*) AS n FROM alert_deliveries WHERE sink = ? AND status = 'pending'");
    this.dropOldestStmt = db.prepare(`UPDATE alert_deliveries SET status = 'dropped', dropped_at = @now, reason = @reason
      WHERE sink = @sink AND status = 'pending' AND notification_id IN (
        SELECT notification_id FROM alert_deliveries WHERE sink = @sink AND status = 'pending' ORDER BY notification_id
        LIMIT @count OFFSET @offset)`);
    this.headStmt = db.prepare(`SELECT d.notification_id AS notificationId, n.alert_id AS alertId, n.kind, n.at, d.attempts,
        d.next_attempt_at AS nextAttemptAt
      FROM alert_deliveries d JOIN alert_notifications n ON n.id = d.notification_id
      WHERE d.sink = ? AND d.status = 'pending' ORDER BY d.notification_id LIMIT ?`);
    this.alertStmt = db.prepare(`SELECT id, rule_id, severity, state, labels, summary, annotations, started_at, fired_at, ended_at, evidence
      FROM alerts WHERE id = ?`);
    this.samplesStmt = db.prepare('SELECT event_id, ts, source, file_id, offset, raw FROM alert_events WHERE alert_id = ? ORDER BY ts, event_id');
    const pendingOf = "sink = @sink AND status = 'pending' AND notification_id IN (SELECT value FROM json_each(@ids))";
    this.deliveredStmt = db.prepare(`UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = @now WHERE ${pendingOf}`);
    this.failedStmt = db.prepare(`UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = @next, last_error = @error WHERE ${pendingOf}`);
    this.droppedStmt = db.prepare(`UPDATE alert_deliveries SET status = @status, attempts = attempts + @attempted, dropped_at = @now, reason = @reason,
      last_error = coalesce(@error, last_error) WHERE ${pendingOf}`);
    // What a destination is told again: the firing alerts it has been told about (a firing or renotify delivered
    // to it; an alert skipped or dropped never reaches it through a re-send), and the alerts whose resolve it got
    // recently (a destination that restarted and lost its memory still learns they ended), unless a newer alert
    // with the same labels exists (re-sending the old one would look like the new one ending).
    this.resendStmt = db.prepare(`SELECT id, rule_id, severity, state, labels, summary, annotations, started_at, fired_at, ended_at, evidence
      FROM alerts a WHERE a.id IN (
        SELECT a2.id FROM alerts a2 WHERE a2.state = 'firing' AND EXISTS (
          SELECT 1 FROM alert_notifications n JOIN alert_deliveries d ON d.notification_id = n.id
          WHERE n.alert_id = a2.id AND n.kind IN ('firing', 'renotify') AND d.sink = @sink AND d.status = 'delivered')
        UNION
        SELECT n.alert_id FROM alert_deliveries d JOIN alert_notifications n ON n.id = d.notification_id
        WHERE d.status != 'pending' AND coalesce(d.delivered_at, d.dropped_at) >= @resolvedSince
          AND d.sink = @sink AND d.status = 'delivered' AND n.kind = 'resolved')
      AND NOT EXISTS (SELECT 1 FROM alerts b WHERE b.rule_id = a.rule_id AND b.group_key = a.group_key AND b.id > a.id)
      ORDER BY a.id`);
    this.pruneStmt = db.prepare(`DELETE FROM alert_deliveries WHERE (notification_id, sink) IN (
      SELECT notification_id, sink FROM alert_deliveries WHERE status != 'pending' AND coalesce(delivered_at, dropped_at) < ? LIMIT 5000)`);
  }

  /** The newest outbox row (0 when there is none). */
  latestNotificationId(): number {
    return (this.latestStmt.get() as { id: number }).id;
  }

  /**
   * Queues, for `sink`, the outbox rows after its cursor up to `upTo`: pending, or skipped with the reason.
   * Returns how many were skipped, by reason.
   */
  enqueue(sink: string, upTo: number, now: number, policy: QueuePolicy): Record<string, number> {
    const after = (this.cursorStmt.get(sink) as { id: number } | undefined)?.id ?? 0;
    if (upTo <= after) return {};
    const skipped: Record<string, number> = {};
    this.db.transaction(() => {
      this.enqueueStmt.run({ sink, now, minRank: SEVERITY_RANK[policy.minSeverity], maxAge: policy.maxAgeMs, after, upTo });
      this.saveCursorStmt.run(sink, upTo);
      for (const row of this.skippedStmt.all(sink, after, upTo) as { reason: string; n: number }[]) skipped[row.reason] = row.n;
    })();
    return skipped;
  }

  pendingCount(sink: string): number {
    return (this.pendingCountStmt.get(sink) as { n: number }).n;
  }

  /** Marks the `count` oldest pending deliveries of `sink` after the first `offset` dropped; returns how many were. */
  dropOldestAfter(sink: string, offset: number, count: number, now: number, reason: string): number {
    return this.dropOldestStmt.run({ sink, offset, count, now, reason }).changes;
  }

  /** The first `limit` pending deliveries of `sink`, oldest first. */
  head(sink: string, limit: number): QueuedDelivery[] {
    return this.headStmt.all(sink, limit) as QueuedDelivery[];
  }

  /** The notification with its alert as it is now, or null when the alert is gone. `cache` spares re-reading one alert. */
  notification(d: QueuedDelivery, cache: Map<number, AlertNotification['alert'] | null>): AlertNotification | null {
    let alert = cache.get(d.alertId);
    if (alert === undefined) {
      const row = this.alertStmt.get(d.alertId) as DeliveredAlertRow | undefined;
      alert = row ? this.alertOf(row) : null;
      cache.set(d.alertId, alert);
    }
    return alert ? { id: d.notificationId, kind: d.kind, at: d.at, alert } : null;
  }

  /**
   * The alerts to tell `sink` again: firing ones whose firing (or a renotify) was delivered to it, and resolved
   * ones whose resolve was delivered to it since `resolvedSince` (wall clock), oldest first.
   */
  toResend(sink: string, resolvedSince: number): AlertNotification['alert'][] {
    return (this.resendStmt.all({ sink, resolvedSince }) as DeliveredAlertRow[]).map((row) => this.alertOf(row));
  }

  markDelivered(sink: string, ids: readonly number[], now: number): number {
    return this.deliveredStmt.run({ sink, ids: JSON.stringify(ids), now }).changes;
  }

  markFailed(sink: string, ids: readonly number[], next: number, error: string): number {
    return this.failedStmt.run({ sink, ids: JSON.stringify(ids), next, error }).changes;
  }

  /** Gives up on deliveries: `dropped` after an attempt the destination refused, `skipped` when never attempted. */
  markGivenUp(sink: string, ids: readonly number[], now: number, status: 'dropped' | 'skipped', reason: string, attempted: boolean): number {
    return this.droppedStmt.run({ sink, ids: JSON.stringify(ids), now, status, reason, attempted: attempted ? 1 : 0, error: attempted ? reason : null }).changes;
  }

  /** Deletes finished deliveries older than `before` (a chunk at a time); returns how many went. */
  prune(before: number): number {
    let removed = 0;
    for (;;) {
      const n = this.pruneStmt.run(before).changes;
      removed += n;
      if (n < 5000) return removed;
    }
  }

  /** Runs `work` as one transaction (results of several destinations written together). */
  transaction(work: () => void): void {
    this.db.transaction(work)();
  }

  private alertOf(row: DeliveredAlertRow): AlertNotification['alert'] {
    const samples = (this.samplesStmt.all(row.id) as SampleRow[]).map((s) => ({
      eventId: s.event_id, ts: s.ts, source: s.source, fileId: s.file_id, offset: s.offset, raw: s.raw,
    }));
    return {
      id: row.id, ruleId: row.rule_id, severity: row.severity, state: row.state,
      labels: JSON.parse(row.labels) as Record<string, string>, summary: row.summary,
      annotations: JSON.parse(row.annotations) as Record<string, string | null>,
      startedAt: row.started_at, firedAt: row.fired_at, endedAt: row.ended_at,
      evidence: JSON.parse(row.evidence) as Evidence, samples,
    };
  }
}
