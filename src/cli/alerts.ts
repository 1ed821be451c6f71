// `phabwatch alerts`: the alerts in the store with their evidence, for the on-call engineer and the analyst.
//   phabwatch alerts [--state S] [--rule ID] [--since T] [--json]
//   phabwatch alerts show ID [--json]

import { resolve } from 'node:path';
import type { AlertRow } from '../alerts/alertBook.js';
import { parseDuration } from '../config/duration.js';
import { hasTable, openStoreReadOnly, type Db } from '../store/database.js';
import { COMMON_OPTIONS, EXIT, parseCommandArgs, UsageError, type Command } from './command.js';
import { resolveConfig } from './configResolver.js';
import { renderTable, toJson } from './output.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  state: { type: 'string' },
  rule: { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
  store: { type: 'string' },
  limit: { type: 'string' },
} as const;

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'list alerts with their evidence (alerts show ID for one)',
  usage: `phabwatch alerts [--state pending|firing|resolved|open] [--rule ID] [--since T] [--json]
phabwatch alerts show ID [--json]

Lists alerts, newest first. --since takes an ISO time (2026-11-24T03:00:00Z) or a duration (24h), counted back
from the newest event in the store (event time). \`show\` prints one alert: evidence, sample lines (masked) and
its notifications.

  --limit N   at most N alerts (default 100)`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
    if (values.help) {
      process.stdout.write(`${this.usage}\n`);
      return EXIT.ok;
    }
    const storePath = values.store ? resolve(values.store) : resolveConfig(values.config).config.store.path;
    const db = openStoreReadOnly(storePath);
    try {
      if (!hasTable(db, 'alerts')) throw new UsageError(`${storePath} has no alerts table yet: run or replay with this phabwatch first`);
      const [sub, id, ...extra] = positionals;
      if (sub === 'show') {
        if (id === undefined || extra.length > 0 || !/^\d+$/.test(id)) throw new UsageError('expected: alerts show ID');
        return showAlert(db, Number(id), values.json === true);
      }
      if (sub !== undefined) throw new UsageError(`unknown subcommand "${sub}" (expected: show ID)`);
      return listAlerts(db, values);
    } finally {
      db.close();
    }
  },
};


function iso(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function sinceOf(db: Db, since: string): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(since)) {
    const at = Date.parse(since);
    if (Number.isNaN(at)) throw new UsageError(`--since ${since}: not a time`);
    return at;
  }
  const d = parseDuration(since);
  if (!d.ok) throw new UsageError(`--since ${since}: ${d.message}`);
  const newest = (db.prepare('SELECT max(ts) AS ts FROM events').get() as { ts: number | null }).ts ?? Date.now();
  return newest - d.ms;
}

function listAlerts(db: Db, values: { state?: string; rule?: string; since?: string; json?: boolean; limit?: string }): number {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (values.state !== undefined) {
    if (values.state === 'open') where.push("state != 'resolved'");
    else if (['pending', 'firing', 'resolved'].includes(values.state)) {
      where.push('state = ?');
      params.push(values.state);
    } else throw new UsageError(`--state ${values.state}: expected pending, firing, resolved or open`);
  }
  if (values.rule !== undefined) {
    where.push('rule_id = ?');
    params.push(values.rule);
  }
  if (values.since !== undefined) {
    where.push('coalesce(ended_at, last_held_at) >= ?');
    params.push(sinceOf(db, values.since));
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit: expected a whole number >= 1');
  const rows = db.prepare(`SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ${limit}`)
    .all(...params) as AlertRow[];
  if (values.json) {
    process.stdout.write(`${toJson(rows.map(toJsonAlert))}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    process.stdout.write('no alerts\n');
    return EXIT.ok;
  }
  const table = rows.map((r) => ({
    id: r.id, state: r.state, severity: r.severity, rule: r.rule_id, started: iso(r.started_at), ended: iso(r.ended_at),
    labels: Object.entries(JSON.parse(r.labels) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(' '), summary: r.summary,
  }));
  process.stdout.write(`${renderTable(['id', 'state', 'severity', 'rule', 'started', 'ended', 'labels', 'summary'], table, 70)}\n`);
  return EXIT.ok;
}

function toJsonAlert(r: AlertRow): Record<string, unknown> {
  return {
    id: r.id, rule_id: r.rule_id, severity: r.severity, state: r.state, labels: JSON.parse(r.labels), summary: r.summary,
    annotations: JSON.parse(r.annotations), started_at: iso(r.started_at), fired_at: iso(r.fired_at) || null,
    ended_at: iso(r.ended_at) || null, value: r.value, late_events: r.late_events, evidence: JSON.parse(r.evidence),
  };
}

function showAlert(db: Db, id: number, json: boolean): number {
  const row = db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
  if (!row) throw new UsageError(`no alert with id ${id}`);
  const samples = db.prepare('SELECT event_id, ts, source, raw FROM alert_events WHERE alert_id = ? ORDER BY ts, event_id').all(id) as {
    event_id: number; ts: number; source: string; raw: string;
  }[];
  const notifications = db.prepare('SELECT id, kind, at, created_at FROM alert_notifications WHERE alert_id = ? ORDER BY id').all(id) as {
    id: number; kind: string; at: number; created_at: number;
  }[];
  const deliveries = deliveriesOf(db, id);
  const alert = toJsonAlert(row);
  if (json) {
    process.stdout.write(`${toJson({
      ...alert,
      samples: samples.map((s) => ({ ...s, ts: iso(s.ts) })),
      notifications: notifications.map((n) => ({ kind: n.kind, at: iso(n.at), deliveries: deliveries.get(n.id) ?? [] })),
    })}\n`);
    return EXIT.ok;
  }
  const evidence = JSON.parse(row.evidence) as Record<string, unknown>;
  const annotations = JSON.parse(row.annotations) as Record<string, string | null>;
  const lines = [
    `alert ${row.id}: ${row.rule_id} (${row.severity}), ${row.state}`,
    `  ${row.summary}`,
    `  labels    ${Object.entries(JSON.parse(row.labels) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    `  started   ${iso(row.started_at)}${row.fired_at !== null ? `   fired ${iso(row.fired_at)}` : ''}${row.ended_at !== null ? `   resolved ${iso(row.ended_at)}` : ''}`,
    `  value     ${String(evidence.value ?? '')}${evidence.bound !== null && evidence.bound !== undefined ? ` (bound ${String(evidence.bound)})` : ''}`,
  ];
  const window = evidence.window as { start: string; end: string } | null;
  if (window) lines.push(`  window    ${window.start} .. ${window.end}`);
  lines.push(`  events    first ${String(evidence.first_event_at ?? '')}, last ${String(evidence.last_event_at ?? '')}, ${String(evidence.matched_events ?? 0)} matching${row.late_events ? `, ${row.late_events} late` : ''}`);
  const details = evidence.details as Record<string, unknown> | undefined;
  if (details && Object.keys(details).length > 0) lines.push(`  details   ${Object.entries(details).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ')}`);
  if (annotations.runbook_url) lines.push(`  runbook   ${annotations.runbook_url}`);
  lines.push(`  samples (${samples.length}):`);
  for (const s of samples) lines.push(`    ${iso(s.ts)} ${s.source} #${s.event_id}: ${s.raw.split('\n')[0]}`);
  lines.push('  notifications:');
  for (const n of notifications) {
    const sent = (deliveries.get(n.id) ?? []).map(describeDelivery).join('; ');
    lines.push(`    ${n.kind} at ${iso(n.at)}${sent === '' ? '' : `   ${sent}`}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

interface DeliveryRow {
  sink: string;
  status: 'pending' | 'delivered' | 'dropped' | 'skipped';
  attempts: number;
  at: string | null;
  reason: string | null;
  last_error: string | null;
}

/** Each notification's delivery to each destination (`run` delivers; an older store or `replay` has none). */
function deliveriesOf(db: Db, alertId: number): Map<number, DeliveryRow[]> {
  const byNotification = new Map<number, DeliveryRow[]>();
  if (!hasTable(db, 'alert_deliveries')) return byNotification;
  const rows = db.prepare(`SELECT d.notification_id, d.sink, d.status, d.attempts, d.reason, d.last_error,
      coalesce(d.delivered_at, d.dropped_at) AS at
    FROM alert_deliveries d JOIN alert_notifications n ON n.id = d.notification_id
    WHERE n.alert_id = ? ORDER BY d.notification_id, d.sink`).all(alertId) as (Omit<DeliveryRow, 'at'> & { notification_id: number; at: number | null })[];
  for (const r of rows) {
    let list = byNotification.get(r.notification_id);
    if (list === undefined) byNotification.set(r.notification_id, (list = []));
    list.push({ sink: r.sink, status: r.status, attempts: r.attempts, at: r.at === null ? null : iso(r.at), reason: r.reason, last_error: r.last_error });
  }
  return byNotification;
}

function describeDelivery(d: DeliveryRow): string {
  switch (d.status) {
    case 'delivered':
      return `${d.sink} delivered ${d.at ?? ''}`.trimEnd();
    case 'pending':
      return `${d.sink} pending${d.attempts > 0 ? ` after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${d.last_error ? ` (${d.last_error})` : ''}` : ''}`;
    default:
      return `${d.sink} ${d.status}${d.reason ? ` (${d.reason})` : ''}`;
  }
}
