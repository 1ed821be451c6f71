// Delivery of the outbox (alert_notifications) to every destination, at least once, in order, surviving
// restarts. Each destination has its own lane: its own queue in the store, its own backoff, its own request in
// flight, so a dead destination never holds up another one, nor ingestion. The store is shared with ingestion on
// one connection: the loop only reads or writes it while no batch transaction is open (better-sqlite3 is
// synchronous, so each look is a short transaction of its own), and never across an await.

import type { AlertsConfig } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import { describeSqliteError, type Db } from '../store/database.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { DeliveryStore, SKIP_REASON } from './deliveryStore.js';
import { DEFAULT_MAX_BATCH, type DeliveryTraits } from './sinks/deliveryTraits.js';
import type { AlertNotification, AlertSink, DeliveryResult } from './sinks/sink.js';

export type DeliverySink = AlertSink & DeliveryTraits;

/** Notifications per destination since the start, by what became of them (metric phabwatch.alert.deliveries). */
export interface DeliveryCounts {
  /** acknowledged by the destination */
  delivered: number;
  /** in an attempt that failed and will be retried (one per notification per attempt) */
  failed: number;
  /** given up: refused by the destination, or pushed out of a full backlog */
  dropped: number;
  /** never attempted: below alerts.route.min_severity, older than alerts.max_age, or the alert is gone */
  skipped: number;
}

/** What the telemetry may poll; both calls are cheap (no store access). */
export interface DeliveryMetricsSource {
  deliveryCounts(): Record<string, DeliveryCounts>;
  /** notifications waiting per destination (metric phabwatch.alert.backlog) */
  backlog(): Record<string, number>;
}

export interface Delivery extends DeliveryMetricsSource {
  readonly sinks: readonly string[];
  /** New notifications may have been committed: look now if the store is free (call it after each batch commit). */
  nudge(): void;
  /** Stops the loop: requests in flight get `stopTimeoutMs` to finish, the rest stay pending for the next start. */
  stop(): Promise<void>;
}

export interface DeliveryOptions {
  /** wall clock */
  now?: () => number;
  random?: () => number;
  backoff?: BackoffPolicy;
  /** how often the store is looked at when nothing said so (e.g. a replay in another process added notifications) */
  pollMs?: number;
  /** an attempt that has not settled after this counts as a retryable failure */
  attemptTimeoutMs?: number;
  /** how long stop() lets requests in flight finish */
  stopTimeoutMs?: number;
  /** delivered, dropped and skipped rows are deleted after this long */
  keepFinishedMs?: number;
  /**
   * a sink with a periodic tick (Alertmanager) is given resolved alerts again for this long after their resolve
   * was delivered, as Prometheus does (15 min): an Alertmanager restarted meanwhile still sends the resolved
   * notification
   */
  resendResolvedForMs?: number;
}

const BUSY_RETRY_MS = 25;
const ERROR_RETRY_MS = 2000;
const PRUNE_EVERY_MS = 3_600_000;

interface Lane {
  readonly name: string;
  readonly sink: DeliverySink;
  readonly maxBatch: number;
  /** a deliver() or tick() is in flight, or its result is not written yet */
  busy: boolean;
  inFlight: Promise<void> | null;
  /** notification ids of the attempt in flight (the head of the queue) */
  inFlightIds: readonly number[];
  /** consecutive failed attempts */
  failures: number;
  /** no attempt before this (wall clock) */
  retryAt: number;
  nextTickAt: number;
  /** after a refused batch: until this notification id, deliver one at a time so one bad one does not take others down */
  singleUntil: number;
  backlog: number;
  counts: DeliveryCounts;
}

interface AttemptOutcome {
  lane: Lane;
  ids: readonly number[];
  result: DeliveryResult;
}

export function startDelivery(db: Db, config: AlertsConfig, sinks: readonly DeliverySink[], logger: Logger, options: DeliveryOptions = {}): Delivery {
  const loop = new DeliveryLoop(db, config, sinks, logger, options);
  loop.start();
  return loop;
}

class DeliveryLoop implements Delivery {
  readonly sinks: readonly string[];
  private readonly store: DeliveryStore;
  private readonly lanes: Lane[];
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly pollMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly keepFinishedMs: number;
  private readonly resendResolvedForMs: number;
  private readonly outcomes: AttemptOutcome[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Infinity;
  private immediate: NodeJS.Immediate | null = null;
  private stopped = false;
  private lastQueued = -1;
  private lastPrune = 0;

  constructor(private readonly db: Db, private readonly config: AlertsConfig, sinks: readonly DeliverySink[], private readonly logger: Logger, options: DeliveryOptions) {
    const names = new Set<string>();
    for (const sink of sinks) {
      if (names.has(sink.name)) throw new Error(`two alert destinations are named "${sink.name}"; each needs its own name`);
      names.add(sink.name);
    }
    this.store = new DeliveryStore(db);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.pollMs = options.pollMs ?? 1000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5000;
    this.keepFinishedMs = options.keepFinishedMs ?? 30 * 86_400_000;
    this.resendResolvedForMs = options.resendResolvedForMs ?? 15 * 60_000;
    this.sinks = sinks.map((s) => s.name);
    this.lanes = sinks.map((sink) => ({
      name: sink.name, sink, maxBatch: Math.max(1, sink.maxBatch ?? DEFAULT_MAX_BATCH), busy: false, inFlight: null, inFlightIds: [],
      failures: 0, retryAt: 0, nextTickAt: 0, singleUntil: 0, backlog: 0,
      counts: { delivered: 0, failed: 0, dropped: 0, skipped: 0 },
    }));
  }

  start(): void {
    if (this.lanes.length > 0) {
      this.logger.info({ sinks: this.sinks, min_severity: this.config.min_severity }, 'alert delivery started');
    }
    this.wake();
  }

  nudge(): void {
    if (this.stopped) return;
    if (this.db.inTransaction) this.wake();
    else this.step();
  }

  deliveryCounts(): Record<string, DeliveryCounts> {
    return Object.fromEntries(this.lanes.map((l) => [l.name, { ...l.counts }]));
  }

  backlog(): Record<string, number> {
    return Object.fromEntries(this.lanes.map((l) => [l.name, l.backlog]));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.clearTimers();
    // A last round, so notifications of the final batch get their chance (a destination that is backing off is
    // not tried again: it would only make stopping slower).
    if (this.db.open && !this.db.inTransaction) {
      try {
        this.round(this.now(), false);
      } catch (err) {
        this.logger.warn({ err: describeSqliteError(err) }, 'alert delivery: last round failed; pending notifications wait for the next start');
      }
    }
    this.stopped = true;
    const inFlight = (): Promise<unknown>[] => this.lanes.flatMap((l) => (l.inFlight ? [l.inFlight] : []));
    await settledOrTimeout(inFlight(), this.stopTimeoutMs);
    // Closing a sink aborts what it still has in flight: those deliveries stay pending for the next start.
    for (const lane of this.lanes) {
      try {
        await lane.sink.close?.();
      } catch (err) {
        this.logger.warn({ sink: lane.name, err: (err as Error).message }, 'alert destination did not close cleanly');
      }
    }
    await settledOrTimeout(inFlight(), 1000);
    if (this.outcomes.length === 0) return;
    if (this.db.inTransaction) {
      this.logger.warn({ notifications: this.outcomes.reduce((n, o) => n + o.ids.length, 0) }, 'alert delivery: results not recorded (the store is busy); they will be delivered again');
      return;
    }
    try {
      this.recordOutcomes(this.now());
    } catch (err) {
      this.logger.warn({ err: describeSqliteError(err) }, 'alert delivery: results not recorded; they will be delivered again');
    }
  }

  // ---- the loop ----------------------------------------------------------------------------------------------

  private wake(): void {
    if (this.stopped || this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.step();
    });
  }

  private schedule(inMs: number): void {
    if (this.stopped || this.immediate) return;
    const due = this.now() + inMs;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerDue = Infinity;
      this.step();
    }, Math.max(0, inMs));
    this.timer.unref();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.timerDue = Infinity;
  }

  /** One look at the store: record finished attempts, queue new notifications, start the next attempts. */
  private step(): void {
    if (this.stopped) return;
    if (!this.db.open) {
      // The agent closed the store without stopping delivery first (it is going away).
      this.stopped = true;
      return;
    }
    if (this.db.inTransaction) {
      // A batch is being written; its commit calls nudge(), and this is the fallback.
      this.schedule(BUSY_RETRY_MS);
      return;
    }
    const now = this.now();
    try {
      this.round(now, true);
    } catch (err) {
      this.logger.error({ err: describeSqliteError(err), retryInMs: ERROR_RETRY_MS }, 'alert delivery: cannot use the store; trying again shortly');
      this.schedule(ERROR_RETRY_MS);
      return;
    }
    this.schedule(this.nextWakeIn(now));
  }

  private round(now: number, withTicks: boolean): void {
    this.recordOutcomes(now);
    this.queueNew(now);
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const removed = this.store.prune(now - this.keepFinishedMs);
      if (removed > 0) this.logger.debug({ removed }, 'alert delivery: old delivery records removed');
    }
    for (const lane of this.lanes) if (!lane.busy) this.startAttempt(lane, now, withTicks);
  }

  private nextWakeIn(now: number): number {
    let wait = this.pollMs;
    for (const lane of this.lanes) {
      if (lane.busy) continue;
      if (lane.backlog > 0) wait = Math.min(wait, lane.retryAt - now);
      if (lane.sink.tick) wait = Math.min(wait, Math.max(lane.nextTickAt, lane.retryAt) - now);
    }
    return Math.max(10, wait);
  }

  /** Queues notifications committed since the last look, for every lane, and keeps each backlog within bounds. */
  private queueNew(now: number): void {
    const latest = this.store.latestNotificationId();
    if (latest === this.lastQueued) return;
    const policy = { minSeverity: this.config.min_severity, maxAgeMs: this.config.max_age_ms };
    for (const lane of this.lanes) {
      const skipped = this.store.enqueue(lane.name, latest, now, policy);
      for (const [reason, n] of Object.entries(skipped)) {
        lane.counts.skipped += n;
        const level = reason === SKIP_REASON.severity ? 'debug' : 'info';
        this.logger[level]({ sink: lane.name, notifications: n, reason }, 'alert notifications not delivered');
      }
      this.boundBacklog(lane, now);
    }
    this.lastQueued = latest;
  }

  private boundBacklog(lane: Lane, now: number): void {
    let pending = this.store.pendingCount(lane.name);
    // The attempt in flight holds the oldest rows: it is left alone, the next oldest go.
    const excess = pending - this.config.max_backlog;
    if (excess > 0) {
      const dropped = this.store.dropOldestAfter(lane.name, lane.busy ? lane.inFlightIds.length : 0, excess, now,
        `backlog full (alerts.max_backlog = ${this.config.max_backlog})`);
      lane.counts.dropped += dropped;
      pending -= dropped;
      this.logger.warn({ sink: lane.name, dropped, max_backlog: this.config.max_backlog },
        'alert delivery: backlog full; the oldest undelivered notifications were dropped');
    }
    lane.backlog = pending;
  }

  private startAttempt(lane: Lane, now: number, withTicks: boolean): void {
    if (lane.retryAt > now) return;
    const tickDue = withTicks && lane.sink.tick !== undefined && now >= lane.nextTickAt;
    // A busy queue must not starve the re-send: once it is a whole interval late, it goes first.
    const tickOverdue = tickDue && now - lane.nextTickAt >= (lane.sink.tickEveryMs ?? 10_000);
    if (lane.backlog > 0 && !tickOverdue) {
      const batch = this.nextBatch(lane, now);
      if (batch === 'waiting') return;
      if (batch.length > 0) {
        this.launch(lane, batch.map((n) => n.id), () => lane.sink.deliver(batch));
        return;
      }
    }
    if (tickDue) this.launchTick(lane, now);
  }

  /** The next notifications for a lane, from the head of its queue, or 'waiting' when its head is backing off. */
  private nextBatch(lane: Lane, now: number): AlertNotification[] | 'waiting' {
    const head = this.store.head(lane.name, lane.maxBatch);
    if (head.length === 0) {
      lane.backlog = 0;
      return [];
    }
    if (head[0]!.nextAttemptAt > now) {
      // Backoff remembered in the store (e.g. from before a restart).
      lane.retryAt = head[0]!.nextAttemptAt;
      return 'waiting';
    }
    const single = head[0]!.notificationId <= lane.singleUntil;
    const batch: AlertNotification[] = [];
    const gone: number[] = [];
    const alerts = new Set<number>();
    const cache = new Map<number, AlertNotification['alert'] | null>();
    for (const d of head) {
      if (lane.sink.oneNotificationPerAlert && alerts.has(d.alertId)) break;
      const n = this.store.notification(d, cache);
      if (n === null) {
        gone.push(d.notificationId);
        continue;
      }
      batch.push(n);
      alerts.add(d.alertId);
      if (single) break;
    }
    if (gone.length > 0) this.skipGone(lane, gone, now);
    return batch;
  }

  private skipGone(lane: Lane, ids: readonly number[], now: number): void {
    const n = this.store.markGivenUp(lane.name, ids, now, 'skipped', SKIP_REASON.gone, false);
    lane.counts.skipped += n;
    lane.backlog -= n;
    this.logger.warn({ sink: lane.name, notifications: n }, `alert notifications not delivered: ${SKIP_REASON.gone}`);
  }

  private launch(lane: Lane, ids: readonly number[], attempt: () => Promise<DeliveryResult>): void {
    lane.busy = true;
    lane.inFlightIds = ids;
    lane.inFlight = settleWithin(guarded(lane.name, attempt), this.attemptTimeoutMs, lane.name).then((result) => {
      this.outcomes.push({ lane, ids, result });
      lane.inFlight = null;
      if (!this.stopped) this.nudge();
    });
  }

  private launchTick(lane: Lane, now: number): void {
    lane.nextTickAt = now + (lane.sink.tickEveryMs ?? 10_000);
    const firing = this.store.toResend(lane.name, now - this.resendResolvedForMs);
    if (firing.length === 0) return;
    lane.busy = true;
    lane.inFlightIds = [];
    const tick = lane.sink.tick!.bind(lane.sink);
    lane.inFlight = settleWithin(guarded(lane.name, async () => {
      await tick(firing, now);
      return { ok: true };
    }), this.attemptTimeoutMs, lane.name).then(() => {
      lane.busy = false;
      lane.inFlight = null;
      if (!this.stopped) this.nudge();
    });
  }

  /** Writes what finished attempts came to, in one transaction, then updates the lanes. */
  private recordOutcomes(now: number): void {
    if (this.outcomes.length === 0) return;
    const outcomes = this.outcomes.splice(0);
    const plans = outcomes.map((o) => this.planFor(o, now));
    try {
      this.store.transaction(() => {
        for (const plan of plans) plan.write();
      });
    } catch (err) {
      this.outcomes.unshift(...outcomes);
      throw err;
    }
    for (const plan of plans) plan.apply();
  }

  private planFor(outcome: AttemptOutcome, now: number): { write: () => void; apply: () => void } {
    const { lane, ids, result } = outcome;
    const done = (): void => {
      lane.busy = false;
      lane.inFlightIds = [];
    };
    if (result.ok) {
      return {
        write: () => this.store.markDelivered(lane.name, ids, now),
        apply: () => {
          done();
          if (lane.failures > 0) this.logger.info({ sink: lane.name, failedAttempts: lane.failures }, 'alert destination reachable again; delivering');
          lane.failures = 0;
          lane.retryAt = 0;
          lane.counts.delivered += ids.length;
          lane.backlog = Math.max(0, lane.backlog - ids.length);
        },
      };
    }
    if (!result.retryable && ids.length > 1) {
      // One bad notification should not take the batch down: try them one at a time, and drop only the bad one.
      return {
        write: () => undefined,
        apply: () => {
          done();
          lane.singleUntil = Math.max(lane.singleUntil, ...ids);
          this.logger.warn({ sink: lane.name, error: result.error, notifications: ids.length }, 'alert destination refused a batch; trying its notifications one at a time');
        },
      };
    }
    if (!result.retryable) {
      return {
        write: () => this.store.markGivenUp(lane.name, ids, now, 'dropped', result.error, true),
        apply: () => {
          done();
          lane.failures = 0;
          lane.retryAt = 0;
          lane.counts.dropped += ids.length;
          lane.backlog = Math.max(0, lane.backlog - ids.length);
          this.logger.error({ sink: lane.name, error: result.error, notifications: ids }, 'alert destination refused a notification; dropped (not retried)');
        },
      };
    }
    const failures = lane.failures + 1;
    const delay = backoffDelay(failures, this.backoff, this.random);
    return {
      write: () => this.store.markFailed(lane.name, ids, now + delay, result.error),
      apply: () => {
        done();
        lane.failures = failures;
        lane.retryAt = now + delay;
        lane.counts.failed += ids.length;
        this.logger.warn({ sink: lane.name, error: result.error, attempt: failures, retryInMs: delay, backlog: lane.backlog },
          'alert delivery failed; will retry');
      },
    };
  }
}

/** Runs one attempt; a sink that throws instead of answering is a retryable failure, with what it threw. */
async function guarded(sink: string, attempt: () => Promise<DeliveryResult>): Promise<DeliveryResult> {
  try {
    return await attempt();
  } catch (err) {
    return { ok: false, retryable: true, error: `destination ${sink} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function settleWithin(attempt: Promise<DeliveryResult>, ms: number, sink: string): Promise<DeliveryResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DeliveryResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, retryable: true, error: `destination ${sink} did not answer within ${ms} ms` }), ms);
  });
  return Promise.race([attempt, timeout]).finally(() => clearTimeout(timer));
}

async function settledOrTimeout(promises: Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
