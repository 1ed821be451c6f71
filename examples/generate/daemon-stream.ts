// What phd writes to daemons.log over the day. On a healthy install that is little: an overseer start
// after the morning deploy, a chat webhook timing out now and then (retried fine), a request for a
// disabled hook, a test delivery that failed. When a webhook endpoint goes down, every queued request
// fails and is retried about every 5 minutes, until the hook's error backoff (10 failures in 5 minutes)
// pauses the worker, and the lines stop once the endpoint answers again.

import type { DayFrame, TimeWindow } from './day-frame.js';
import { orgTime } from './day-frame.js';
import type { DaemonEvent, DaemonHappening } from './happenings.js';
import type { Prng } from './prng.js';

export interface Webhook {
  hookPhid: string;
  uri: string;
}

export interface DaemonStreamOptions {
  /** the CI webhook endpoint is down during this window (planted incident), or null */
  ciOutage: TimeWindow | null;
  /** the chat hook's occasional single timeouts (a near miss) */
  chatTimeouts: boolean;
}

export interface DaemonStream {
  happenings: DaemonHappening[];
  hooks: { ci: Webhook; chat: Webhook; disabled: Webhook; test: Webhook };
}

const RETRY_AFTER_MS = 300000;
const BACKOFF_FAILURES = 10;
const BACKOFF_WINDOW_MS = 300000;

/**
 * Task ids and request PHIDs as the taskmaster hands them out. Ids grow with the time a task is queued
 * (the install queues one every couple of seconds), so they read in order in the log.
 */
class TaskCounter {
  private readonly base: number;
  private readonly used = new Set<number>();
  constructor(private readonly rng: Prng, private readonly epochMs: number) {
    this.base = 581000 + rng.int(900);
  }
  taskId(queuedAtMs: number): number {
    let id = this.base + Math.floor((queuedAtMs - this.epochMs) / 2500);
    while (this.used.has(id)) id++;
    this.used.add(id);
    return id;
  }
  requestPhid(): string {
    return `PHID-HWBR-${this.rng.base32(20)}`;
  }
}

function at(atMs: number, event: DaemonEvent): DaemonHappening {
  return { type: 'daemon', atMs, event };
}

export function daemonStream(rng: Prng, frame: DayFrame, options: DaemonStreamOptions): DaemonStream {
  const hooks = {
    ci: { hookPhid: `PHID-HWBH-${rng.base32(20)}`, uri: 'https://ci.example.com/phorge/webhook' },
    chat: { hookPhid: `PHID-HWBH-${rng.base32(20)}`, uri: 'https://chat.example.com/hooks/phorge-feed' },
    disabled: { hookPhid: `PHID-HWBH-${rng.base32(20)}`, uri: 'https://old-ci.example.net/hook' },
    test: { hookPhid: `PHID-HWBH-${rng.base32(20)}`, uri: 'https://hooks.example.org/phorge-test' },
  };
  const tasks = new TaskCounter(rng, frame.startMs);
  const out: DaemonHappening[] = [];

  out.push(at(orgTime(frame, '06:12:04'), {
    kind: 'overseer', logType: 'OVER', message: `Started new daemon overseer (with PID "${20000 + rng.int(40000)}").`,
  }));

  // The chat hook times out a few times a day (cURL error 28); the retry five minutes later works.
  for (let i = 0; options.chatTimeouts && i < 4; i++) {
    const t = orgTime(frame, '08:30') + rng.int(10 * 3600000);
    out.push(at(t, {
      kind: 'webhook-retry', taskId: tasks.taskId(t - 1500), requestPhid: tasks.requestPhid(), uri: hooks.chat.uri,
      errorType: 'timeout', errorCode: 28,
    }));
  }

  for (const clock of ['10:48:31', '16:02:17']) {
    const t = orgTime(frame, clock);
    out.push(at(t, {
      kind: 'webhook-hook-disabled', taskId: tasks.taskId(t - 1000), requestPhid: tasks.requestPhid(), hookPhid: hooks.disabled.hookPhid,
    }));
  }

  const testAt = orgTime(frame, '11:05:42');
  out.push(at(testAt, {
    kind: 'webhook-not-retried', taskId: tasks.taskId(testAt - 1000), requestPhid: tasks.requestPhid(), uri: hooks.test.uri,
    errorType: 'http', errorCode: 404,
  }));

  if (options.ciOutage !== null) out.push(...outageFailures(rng, tasks, hooks.ci, options.ciOutage));

  out.sort((a, b) => a.atMs - b.atMs);
  return { happenings: out, hooks };
}

/**
 * Simulates the CI endpoint's outage: transactions keep queueing webhook requests; each attempt fails
 * (HTTP 502 from the CI's proxy) and is retried ~5 minutes later; while the hook has 10 failures in
 * the last 5 minutes the worker yields instead of calling. Attempts after the outage succeed silently.
 */
function outageFailures(rng: Prng, tasks: TaskCounter, hook: Webhook, outage: TimeWindow): DaemonHappening[] {
  interface Pending { dueMs: number; taskId: number; requestPhid: string }
  const pending: Pending[] = [];
  for (let t = outage.fromMs + rng.int(20000); t < outage.toMs; t += rng.exponential(45000)) {
    pending.push({ dueMs: t + 1000 + rng.int(2000), taskId: tasks.taskId(t), requestPhid: tasks.requestPhid() });
  }
  const failures: number[] = [];
  const out: DaemonHappening[] = [];
  while (pending.length > 0) {
    pending.sort((a, b) => a.dueMs - b.dueMs || a.taskId - b.taskId);
    const attempt = pending.shift() as Pending;
    if (attempt.dueMs >= outage.toMs) continue; // the endpoint answers again: delivered, nothing logged
    const recent = failures.filter((f) => f > attempt.dueMs - BACKOFF_WINDOW_MS).length;
    if (recent >= BACKOFF_FAILURES) {
      pending.push({ ...attempt, dueMs: attempt.dueMs + BACKOFF_WINDOW_MS + rng.int(10000) });
      continue;
    }
    failures.push(attempt.dueMs);
    out.push(at(attempt.dueMs, {
      kind: 'webhook-retry', taskId: attempt.taskId, requestPhid: attempt.requestPhid, uri: hook.uri,
      errorType: 'http', errorCode: 502,
    }));
    pending.push({ ...attempt, dueMs: attempt.dueMs + RETRY_AFTER_MS + rng.int(30000) - 10000 });
  }
  return out;
}
