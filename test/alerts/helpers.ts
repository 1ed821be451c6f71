// Test fixtures for alert delivery: a store in a temporary folder with alerts made by the real AlertBook (so the
// outbox rows are the ones the engine writes), a sink that records what it is given and answers as told, and a
// logger that keeps what it was told.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AlertBook, type Evidence, type OpenAlert } from '../../src/alerts/alertBook.js';
import type { DeliverySink } from '../../src/alerts/delivery.js';
import type { AlertNotification, DeliveryResult } from '../../src/alerts/sinks/sink.js';
import type { AlertsConfig } from '../../src/config/types.js';
import type { Logger } from '../../src/model/logger.js';
import type { Severity } from '../../src/rules/model.js';
import { openStore, type Db } from '../../src/store/database.js';

export interface TestStore {
  db: Db;
  book: AlertBook;
  path: string;
  /** opens an alert (firing at once); returns it */
  fire(ruleId: string, labels: Record<string, string>, at: number, options?: { severity?: Severity; sampleEventIds?: number[] }): OpenAlert;
  resolve(alert: OpenAlert, at: number): void;
  /** inserts an event (for samples); returns its id */
  event(ts: number, raw: string): number;
  deliveries(sink: string): { notification_id: number; status: string; attempts: number; reason: string | null; last_error: string | null }[];
  close(): void;
}

export function testStore(): TestStore {
  const dir = mkdtempSync(join(tmpdir(), 'pw-delivery-'));
  const path = join(dir, 'store.db');
  const db = openStore(path);
  const book = new AlertBook(db);
  return {
    db,
    book,
    path,
    fire(ruleId, labels, at, options = {}) {
      return book.create({
        ruleId, severity: options.severity ?? 'warning', groupKey: JSON.stringify(labels), labels, state: 'firing', at, value: 21,
        summary: `${ruleId} held for ${JSON.stringify(labels)}`,
        annotations: { summary: `${ruleId} held`, runbook_url: `docs/runbooks/${ruleId}.md`, description: `what ${ruleId} means` },
        evidence: evidence(at), sampleEventIds: options.sampleEventIds ?? [],
      });
    },
    resolve(alert, at) {
      book.resolve(alert, at);
    },
    event(ts, raw) {
      return Number(db.prepare(`INSERT INTO events (ts, source, kind, auth, attribution, outcome, file_id, offset, raw)
        VALUES (?, 'phab', 'http', 'none', 'none', 'ok', 1, 0, ?)`).run(ts, raw).lastInsertRowid);
    },
    deliveries(sink) {
      return db.prepare('SELECT notification_id, status, attempts, reason, last_error FROM alert_deliveries WHERE sink = ? ORDER BY notification_id')
        .all(sink) as ReturnType<TestStore['deliveries']>;
    },
    close() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function evidence(at: number): Evidence {
  return {
    window: { start: new Date(at - 600_000).toISOString(), end: new Date(at).toISOString() }, value: 21, bound: 20,
    first_event_at: new Date(at - 500_000).toISOString(), last_event_at: new Date(at).toISOString(), late_events: 1, matched_events: 21,
    details: { window: '10m' },
  };
}

export function alertsConfig(overrides: Partial<AlertsConfig> = {}): AlertsConfig {
  return {
    stdout: false, alertmanager: null, webhooks: [], min_severity: 'info', max_backlog: 10_000, max_age_ms: 0, external_url: null,
    ...overrides,
  };
}

/** Fast, deterministic delivery timings for tests (random 0.5: each backoff is exactly 3/4 of its cap, at least min). */
export const FAST = { backoff: { minMs: 20, maxMs: 200 }, pollMs: 20, random: () => 0.5, stopTimeoutMs: 200, attemptTimeoutMs: 2000 };

export type Answer = DeliveryResult | 'hang';

/** A sink that records every call and answers with `answer(batch)` (default: delivered). */
export class RecordingSink implements DeliverySink {
  readonly calls: AlertNotification[][] = [];
  readonly ticks: AlertNotification['alert'][][] = [];
  answer: (batch: readonly AlertNotification[]) => Answer = () => ({ ok: true });
  closed = false;
  tick?: (alerts: readonly AlertNotification['alert'][], now: number) => Promise<void>;

  constructor(readonly name: string, readonly traits: { maxBatch?: number; oneNotificationPerAlert?: boolean; tickEveryMs?: number } = {}) {
    if (traits.tickEveryMs !== undefined) {
      this.tick = async (alerts) => {
        this.ticks.push([...alerts]);
      };
    }
  }

  get maxBatch(): number | undefined {
    return this.traits.maxBatch;
  }

  get oneNotificationPerAlert(): boolean | undefined {
    return this.traits.oneNotificationPerAlert;
  }

  get tickEveryMs(): number | undefined {
    return this.traits.tickEveryMs;
  }

  /** notifications acknowledged so far, in order */
  get delivered(): AlertNotification[] {
    return this.acknowledged;
  }

  private readonly acknowledged: AlertNotification[] = [];

  deliver(batch: readonly AlertNotification[]): Promise<DeliveryResult> {
    this.calls.push([...batch]);
    const answer = this.answer(batch);
    if (answer === 'hang') return new Promise<DeliveryResult>(() => undefined);
    if (answer.ok) this.acknowledged.push(...batch);
    return Promise.resolve(answer);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export interface LogEntry {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: string) => (a: Record<string, unknown> | string, b?: string): void => {
    if (typeof a === 'string') entries.push({ level, message: a, fields: {} });
    else entries.push({ level, message: b ?? '', fields: a });
  };
  const logger = {
    entries,
    trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: () => logger,
  };
  return logger;
}

export async function until(probe: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
