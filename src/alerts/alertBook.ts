// The alerts that are open (pending or firing), kept in memory and in table `alerts`. Creations and transitions
// are written at once, with their evidence (alert_events) and their notification (alert_notifications, the
// outbox), inside the batch transaction; value and evidence updates of open alerts are written at the flush.

import type { Db } from '../store/database.js';
import type { Severity } from '../rules/model.js';

export type AlertState = 'pending' | 'firing' | 'resolved';
export type NotificationKind = 'firing' | 'resolved' | 'renotify';

export interface Evidence {
  /** the window the value covers (ISO UTC), when the rule has one */
  window: { start: string; end: string } | null;
  value: number | string | null;
  bound: number | string | null;
  first_event_at: string | null;
  last_event_at: string | null;
  /** matching events that arrived later than the allowed lateness */
  late_events: number;
  /** matching events seen while the alert was open */
  matched_events: number;
  details: Record<string, unknown>;
}

export interface OpenAlert {
  id: number;
  ruleId: string;
  severity: Severity;
  groupKey: string;
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  startedAt: number;
  firedAt: number | null;
  lastHeldAt: number;
  lastNotifiedAt: number | null;
  value: number | string | null;
  summary: string;
  annotations: Record<string, string | null>;
  evidence: Evidence;
}

export interface NewAlert {
  ruleId: string;
  severity: Severity;
  groupKey: string;
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  at: number;
  value: number | string | null;
  summary: string;
  annotations: Record<string, string | null>;
  evidence: Evidence;
  /** sample event ids for alert_events */
  sampleEventIds: readonly number[];
}

/** One row of the `alerts` table as SQLite returns it (JSON columns as text); see docs/schema.md. */
export interface AlertRow {
  id: number;
  rule_id: string;
  severity: Severity;
  state: 'pending' | 'firing' | 'resolved';
  group_key: string;
  labels: string;
  summary: string;
  annotations: string;
  started_at: number;
  fired_at: number | null;
  ended_at: number | null;
  last_held_at: number;
  last_notified_at: number | null;
  value: number | null;
  evidence: string;
  late_events: number;
  updated_at: number;
}

type OpenAlertRow = AlertRow & { state: 'pending' | 'firing' };

export class AlertBook {
  /** rule id -> group key -> open alert */
  private readonly open = new Map<string, Map<string, OpenAlert>>();
  private readonly dirty = new Set<OpenAlert>();
  private readonly insertAlert;
  private readonly updateAlert;
  private readonly deleteAlert;
  private readonly deleteEvidence;
  private readonly insertNotification;
  private readonly copySamples;
  private readonly samplesOf;

  constructor(private readonly db: Db, private readonly wallClock: () => number = Date.now) {
    this.insertAlert = db.prepare(`INSERT INTO alerts
      (rule_id, severity, state, group_key, labels, summary, annotations, started_at, fired_at, ended_at, last_held_at,
       last_notified_at, value, evidence, late_events, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`);
    this.updateAlert = db.prepare(`UPDATE alerts SET state = ?, summary = ?, fired_at = ?, ended_at = ?, last_held_at = ?,
      last_notified_at = ?, value = ?, evidence = ?, late_events = ?, updated_at = ? WHERE id = ?`);
    this.deleteAlert = db.prepare('DELETE FROM alerts WHERE id = ?');
    this.deleteEvidence = db.prepare('DELETE FROM alert_events WHERE alert_id = ?');
    this.insertNotification = db.prepare('INSERT INTO alert_notifications (alert_id, kind, at, created_at) VALUES (?, ?, ?, ?)');
    this.copySamples = db.prepare(`INSERT OR IGNORE INTO alert_events (alert_id, event_id, ts, source, file_id, offset, raw)
      SELECT ?, id, ts, source, file_id, offset, raw FROM events WHERE id = ?`);
    this.samplesOf = db.prepare('SELECT event_id FROM alert_events WHERE alert_id = ? ORDER BY event_id').pluck();
    this.reload();
  }

  /** Reads the open alerts from the store (at start, and after a rollback). */
  reload(): void {
    this.open.clear();
    this.dirty.clear();
    this.count = 0;
    const rows = this.db.prepare("SELECT * FROM alerts WHERE state != 'resolved'").all() as OpenAlertRow[];
    for (const r of rows) {
      this.remember({
        id: r.id, ruleId: r.rule_id, severity: r.severity, groupKey: r.group_key, labels: JSON.parse(r.labels) as Record<string, string>,
        state: r.state, startedAt: r.started_at, firedAt: r.fired_at, lastHeldAt: r.last_held_at, lastNotifiedAt: r.last_notified_at,
        value: r.value, summary: r.summary, annotations: JSON.parse(r.annotations) as Record<string, string | null>,
        evidence: JSON.parse(r.evidence) as Evidence,
      });
    }
  }

  private remember(alert: OpenAlert): void {
    let groups = this.open.get(alert.ruleId);
    if (!groups) {
      groups = new Map();
      this.open.set(alert.ruleId, groups);
    }
    if (!groups.has(alert.groupKey)) this.count++;
    groups.set(alert.groupKey, alert);
  }

  private forget(alert: OpenAlert): void {
    if (this.open.get(alert.ruleId)?.delete(alert.groupKey)) this.count--;
    this.dirty.delete(alert);
  }

  get(ruleId: string, groupKey: string): OpenAlert | undefined {
    return this.open.get(ruleId)?.get(groupKey);
  }

  /** Open alerts, oldest first (a stable order, so every run takes the same decisions). */
  all(): OpenAlert[] {
    const out: OpenAlert[] = [];
    for (const groups of this.open.values()) for (const alert of groups.values()) out.push(alert);
    return out.sort((a, b) => a.id - b.id);
  }

  /** number of open alerts */
  count = 0;

  create(a: NewAlert): OpenAlert {
    const firing = a.state === 'firing';
    const info = this.insertAlert.run(
      a.ruleId, a.severity, a.state, a.groupKey, JSON.stringify(a.labels), a.summary, JSON.stringify(a.annotations), a.at,
      firing ? a.at : null, a.at, firing ? a.at : null, numeric(a.value), JSON.stringify(a.evidence), a.evidence.late_events, this.wallClock(),
    );
    const alert: OpenAlert = {
      id: Number(info.lastInsertRowid), ruleId: a.ruleId, severity: a.severity, groupKey: a.groupKey, labels: a.labels,
      state: a.state, startedAt: a.at, firedAt: firing ? a.at : null, lastHeldAt: a.at, lastNotifiedAt: firing ? a.at : null,
      value: a.value, summary: a.summary, annotations: a.annotations, evidence: a.evidence,
    };
    for (const id of a.sampleEventIds) this.copySamples.run(alert.id, id);
    if (firing) this.notify(alert, 'firing', a.at);
    this.remember(alert);
    return alert;
  }

  /** The ids of the sample events stored with an alert (its evidence). */
  sampleEventIds(alert: OpenAlert): number[] {
    return this.samplesOf.all(alert.id) as number[];
  }

  /** A changed value or evidence: written at the next flush. */
  touch(alert: OpenAlert): void {
    this.dirty.add(alert);
  }

  fire(alert: OpenAlert, at: number): void {
    alert.state = 'firing';
    alert.firedAt = at;
    alert.lastNotifiedAt = at;
    this.write(alert, null);
    this.notify(alert, 'firing', at);
  }

  renotify(alert: OpenAlert, at: number): void {
    alert.lastNotifiedAt = at;
    this.write(alert, null);
    this.notify(alert, 'renotify', at);
  }

  resolve(alert: OpenAlert, at: number): void {
    this.write(alert, at);
    this.notify(alert, 'resolved', at);
    this.forget(alert);
  }

  /** A pending alert whose condition stopped before `for` passed: it never fired, so it leaves no trace. */
  drop(alert: OpenAlert): void {
    this.deleteEvidence.run(alert.id);
    this.deleteAlert.run(alert.id);
    this.forget(alert);
  }

  flush(): void {
    for (const alert of this.dirty) this.write(alert, null);
    this.dirty.clear();
  }

  private write(alert: OpenAlert, endedAt: number | null): void {
    this.updateAlert.run(
      endedAt === null ? alert.state : 'resolved', alert.summary, alert.firedAt, endedAt, alert.lastHeldAt, alert.lastNotifiedAt,
      numeric(alert.value), JSON.stringify(alert.evidence), alert.evidence.late_events, this.wallClock(), alert.id,
    );
    this.dirty.delete(alert);
  }

  private notify(alert: OpenAlert, kind: NotificationKind, at: number): void {
    this.insertNotification.run(alert.id, kind, at, this.wallClock());
  }
}

function numeric(value: number | string | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
