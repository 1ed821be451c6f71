// The ingestion loop: pull lines from every source's tailer, turn them into events inside one open transaction,
// and commit it with the checkpoint offsets of those bytes. Reading is pull-based, so a slow store slows reading
// and nothing is dropped. When a commit fails (disk full, locked database) the batch is rolled back and the
// sources are rebuilt from the committed checkpoints, exactly as after a restart, then retried with backoff.

import { setTimeout as sleep } from 'node:timers/promises';
import type { SourceConfig } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import { describeSqliteError } from '../store/database.js';
import type { IngestStore } from '../store/ingestStore.js';
import type { SourceTailer, TailedFileStatus } from '../sources/sourceTailer.js';
import type { LineBatch } from '../sources/types.js';
import { BatchAccumulator } from './batchAccumulator.js';
import { addCounters, emptyCounters, type LineProcessor, type SourceCounters } from './lineProcessor.js';

export interface SourceRuntime {
  config: SourceConfig;
  tailer: SourceTailer;
  processor: LineProcessor;
}

export interface IngestOptions {
  mode: 'follow' | 'replay';
  /** builds the sources from the store's committed checkpoints (again after a failed commit) */
  buildSources: () => SourceRuntime[];
  store: IngestStore;
  logger: Logger;
  /** commit once this many lines are pending */
  batchLines?: number;
  /** commit pending lines at least this often while input keeps flowing */
  maxBatchDelayMs?: number;
  /** bytes read from one file per pull */
  readBytes?: number;
  /** replay: give up after commits have failed for this long (run never gives up) */
  replayCommitGiveUpMs?: number;
  /** called after every successful commit */
  onCommit?: (info: CommitInfo) => void;
  /** housekeeping (retention, registry reload) run between batches, at most once per `everyMs` */
  periodic?: { everyMs: number; run: () => void }[];
  now?: () => number;
}

export interface CommitInfo {
  events: number;
  rejects: number;
  lines: number;
  bytes: number;
  /** wall-clock ms the commit took */
  commitMs: number;
  /** ms between the first line of the batch being read and its commit */
  batchAgeMs: number;
  /** what each source contributed to this batch (lines, events, rejects by reason), for telemetry */
  perSource: ReadonlyMap<string, SourceCounters>;
}

export interface IngestSummary {
  lines: number;
  events: number;
  rejects: Partial<Record<string, number>>;
  bytes: number;
  elapsedMs: number;
  commits: number;
  commitFailures: number;
  /** peak resident memory of the process so far */
  peakRssBytes: number;
  perSource: Record<string, SourceCounters>;
}

/** Commits kept failing in replay mode; nothing was lost: the checkpoints did not move. */
export class CommitGaveUpError extends Error {
  constructor(message: string, override readonly cause: unknown) {
    super(message);
    this.name = 'CommitGaveUpError';
  }
}

export class Ingestor {
  private readonly acc: BatchAccumulator;
  private readonly batchLines: number;
  private readonly maxBatchDelayMs: number;
  private readonly readBytes: number;
  private readonly now: () => number;
  private readonly lastPoll = new Map<string, number>();
  private readonly periodicLastRun = new Map<number, number>();
  private readonly totals = new Map<string, SourceCounters>();
  private sources: SourceRuntime[];
  private totalBytes = 0;
  private commits = 0;
  private commitFailures = 0;
  private firstFailureAt = 0;
  private retryDelayMs = 200;
  /** the batch each source is in the middle of, and the next line to process */
  private readonly pending = new Map<SourceRuntime, { batch: LineBatch; next: number }>();

  constructor(private readonly options: IngestOptions) {
    this.acc = new BatchAccumulator(options.store);
    this.batchLines = options.batchLines ?? 5000;
    this.maxBatchDelayMs = options.maxBatchDelayMs ?? 50;
    this.readBytes = options.readBytes ?? 1 << 20;
    this.now = options.now ?? Date.now;
    this.sources = options.buildSources();
    for (const s of this.sources) this.totals.set(s.config.name, emptyCounters());
  }

  async start(): Promise<void> {
    for (const s of this.sources) await s.tailer.start();
  }

  /** Follow the sources until `signal` aborts; the batch in hand is finished and committed before returning. */
  async follow(signal: AbortSignal): Promise<IngestSummary> {
    const started = this.now();
    const pollFloor = Math.min(...this.sources.map((s) => s.config.poll_interval_ms), 1000);
    while (!signal.aborted) {
      await this.pollDue();
      if (this.acc.empty) this.runPeriodic();
      const readAny = await this.readInTimeOrder();
      for (const s of this.sources) s.processor.flushHeld(this.acc, false);
      if (this.commitDue(readAny)) await this.commitPending(signal);
      if (!readAny && !signal.aborted) await this.waitForInput(signal, pollFloor);
    }
    if (!this.acc.empty) await this.commitPending(signal);
    return this.summary(started);
  }

  /** Read every file to its end, as fast as possible, then return. */
  async replay(signal?: AbortSignal): Promise<IngestSummary> {
    const started = this.now();
    for (;;) {
      if (signal?.aborted) break;
      const readAny = await this.readInTimeOrder();
      if (this.acc.lines >= this.batchLines) await this.commitPending(signal);
      if (!readAny && this.pending.size === 0 && this.sources.every((s) => s.tailer.finished)) {
        for (const s of this.sources) s.processor.flushHeld(this.acc, true);
        if (this.acc.empty) break;
        await this.commitPending(signal);
        continue;
      }
      if (!readAny) await sleep(5);
    }
    if (!this.acc.empty) await this.commitPending(signal);
    return this.summary(started);
  }

  status(): { source: string; files: TailedFileStatus[] }[] {
    return this.sources.map((s) => ({ source: s.config.name, files: s.tailer.status() }));
  }

  async close(): Promise<void> {
    if (this.options.store.batchOpen) this.acc.abandon();
    for (const s of this.sources) await s.tailer.close();
  }

  private async waitForInput(signal: AbortSignal, ms: number): Promise<void> {
    const wake = new AbortController();
    const onAbort = (): void => wake.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([
        ...this.sources.map((s) => s.tailer.waitForChange(ms)),
        sleep(ms, undefined, { signal: wake.signal }).catch(() => undefined),
      ]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      wake.abort();
    }
  }

  private runPeriodic(): void {
    const now = this.now();
    (this.options.periodic ?? []).forEach((task, i) => {
      const last = this.periodicLastRun.get(i);
      if (last === undefined) {
        this.periodicLastRun.set(i, now);
        return;
      }
      if (now - last < task.everyMs) return;
      this.periodicLastRun.set(i, now);
      try {
        task.run();
      } catch (err) {
        this.options.logger.error({ err: describeSqliteError(err) }, 'housekeeping task failed; will try again later');
      }
    });
  }

  private async pollDue(): Promise<void> {
    const now = this.now();
    for (const s of this.sources) {
      const last = this.lastPoll.get(s.config.name) ?? 0;
      if (now - last >= s.config.poll_interval_ms) {
        this.lastPoll.set(s.config.name, now);
        await s.tailer.poll();
      }
    }
  }

  /**
   * Processes the sources' lines in event-time order, line by line, as they would have arrived live: the source
   * whose next line is oldest goes first, up to the time of the next line of any other source that has data. A
   * busy access log and a quiet daemon log (replayed, or caught up after downtime) are thus interleaved exactly,
   * and the rule engine sees time move forward evenly. Returns false when no source had anything to read.
   */
  private async readInTimeOrder(): Promise<boolean> {
    let candidates = 0;
    let first: { s: SourceRuntime; at: number } | null = null;
    let second = Infinity;
    for (const s of this.sources) {
      let pending = this.pending.get(s);
      if (!pending) {
        if (s.tailer.finished) continue;
        const batch = await s.tailer.read(this.readBytes);
        if (!batch) continue;
        pending = { batch, next: 0 };
        this.pending.set(s, pending);
      }
      candidates++;
      // Take leading stack-trace lines and complete a multi-line record whose end is now known.
      pending.next = s.processor.processUntil(pending.batch, pending.next, -Infinity, this.acc);
      if (pending.next >= pending.batch.lines.length) {
        this.pending.delete(s);
        continue;
      }
      const at = s.processor.timeAt(pending.batch, pending.next);
      if (first === null || at < first.at) {
        if (first !== null) second = Math.min(second, first.at);
        first = { s, at };
      } else {
        second = Math.min(second, at);
      }
    }
    if (first === null) return false;
    const pending = this.pending.get(first.s)!;
    // With one source there is nothing to interleave: take the whole batch.
    const horizon = candidates === 1 ? Infinity : second;
    try {
      pending.next = first.s.processor.processUntil(pending.batch, pending.next, Math.max(horizon, first.at), this.acc);
    } catch (err) {
      this.pending.clear();
      await this.recover(err, undefined);
      return true;
    }
    if (pending.next >= pending.batch.lines.length) this.pending.delete(first.s);
    return true;
  }

  private commitDue(readAny: boolean): boolean {
    if (this.acc.empty) return false;
    if (this.acc.lines >= this.batchLines) return true;
    if (!readAny) return true;
    return this.now() - this.acc.startedAt >= this.maxBatchDelayMs;
  }

  private async commitPending(signal: AbortSignal | undefined): Promise<void> {
    const begin = this.now();
    const info = { events: this.acc.events, rejects: this.acc.rejects, lines: this.acc.lines, bytes: this.acc.bytes, batchAgeMs: begin - this.acc.startedAt };
    try {
      this.acc.commit();
    } catch (err) {
      await this.recover(err, signal);
      return;
    }
    const perSource = new Map<string, SourceCounters>();
    for (const s of this.sources) {
      const counters = s.processor.takeCounters();
      addCounters(this.totals.get(s.config.name)!, counters);
      perSource.set(s.config.name, counters);
    }
    this.totalBytes += info.bytes;
    this.commits++;
    this.firstFailureAt = 0;
    this.retryDelayMs = 200;
    this.options.onCommit?.({ ...info, commitMs: this.now() - begin, perSource });
  }

  /**
   * A batch could not be stored. Roll it back, then start again from the committed checkpoints, as after a
   * restart: the same lines are read again, so nothing is lost and nothing is stored twice.
   */
  private async recover(err: unknown, signal: AbortSignal | undefined): Promise<void> {
    this.commitFailures++;
    const at = this.now();
    if (this.firstFailureAt === 0) this.firstFailureAt = at;
    const why = describeSqliteError(err);
    this.options.logger.error(
      { err: why, retryInMs: this.retryDelayMs },
      'cannot store a batch; it was rolled back and will be read again (nothing is lost: checkpoints did not move)',
    );
    if (this.options.store.batchOpen) this.acc.abandon();
    else this.options.store.rollback();
    this.pending.clear();
    for (const s of this.sources) await s.tailer.close();
    const giveUp = this.options.replayCommitGiveUpMs ?? 30_000;
    if (this.options.mode === 'replay' && at - this.firstFailureAt >= giveUp) {
      throw new CommitGaveUpError(`cannot store events: ${why}`, err);
    }
    if (!signal?.aborted) {
      await sleep(this.retryDelayMs);
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, 10_000);
    }
    this.sources = this.options.buildSources();
    await this.start();
  }

  private summary(started: number): IngestSummary {
    const perSource: Record<string, SourceCounters> = {};
    const rejects: Partial<Record<string, number>> = {};
    let lines = 0;
    let events = 0;
    for (const [name, c] of this.totals) {
      perSource[name] = c;
      lines += c.lines;
      events += c.events;
      for (const [reason, n] of Object.entries(c.rejects)) rejects[reason] = (rejects[reason] ?? 0) + (n ?? 0);
    }
    return {
      lines, events, rejects, bytes: this.totalBytes, elapsedMs: this.now() - started,
      commits: this.commits, commitFailures: this.commitFailures, peakRssBytes: process.resourceUsage().maxRSS * 1024, perSource,
    };
  }
}
