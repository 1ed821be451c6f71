// The ingestion loop: pull lines from every source's tailer, turn them into events, and commit each batch
// (events + rejects + checkpoint offsets) in one transaction. Reading is pull-based: while a commit is
// failing (disk full, locked database) nothing more is read, so nothing is dropped; the batch is retried.

import { setTimeout as sleep } from 'node:timers/promises';
import type { SourceConfig } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import { describeSqliteError } from '../store/database.js';
import type { IngestStore } from '../store/ingestStore.js';
import type { SourceTailer, TailedFileStatus } from '../sources/sourceTailer.js';
import { BatchAccumulator } from './batchAccumulator.js';
import type { LineProcessor, SourceCounters } from './lineProcessor.js';

export interface SourceRuntime {
  config: SourceConfig;
  tailer: SourceTailer;
  processor: LineProcessor;
}

export interface IngestOptions {
  mode: 'follow' | 'replay';
  sources: SourceRuntime[];
  store: IngestStore;
  logger: Logger;
  /** commit once this many lines are pending */
  batchLines?: number;
  /** commit pending lines at least this often while input keeps flowing */
  maxBatchDelayMs?: number;
  /** bytes read from one file per pull */
  readBytes?: number;
  /** replay: give up after a commit has failed for this long (run never gives up) */
  replayCommitGiveUpMs?: number;
  /** called after every successful commit, outside the transaction */
  onCommit?: (info: CommitInfo) => void;
  /** housekeeping (retention, registry reload) run between commits, at most once per `everyMs` */
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
}

export interface IngestSummary {
  lines: number;
  events: number;
  rejects: Partial<Record<string, number>>;
  bytes: number;
  elapsedMs: number;
  commits: number;
  commitFailures: number;
  perSource: Record<string, SourceCounters>;
}

/** A commit that kept failing in replay mode; nothing was lost: the checkpoints did not move. */
export class CommitGaveUpError extends Error {
  constructor(message: string, override readonly cause: unknown) {
    super(message);
    this.name = 'CommitGaveUpError';
  }
}

export class Ingestor {
  private readonly acc = new BatchAccumulator();
  private readonly batchLines: number;
  private readonly maxBatchDelayMs: number;
  private readonly readBytes: number;
  private readonly now: () => number;
  private readonly lastPoll = new Map<string, number>();
  private totalBytes = 0;
  private commits = 0;
  private commitFailures = 0;

  constructor(private readonly options: IngestOptions) {
    this.batchLines = options.batchLines ?? 5000;
    this.maxBatchDelayMs = options.maxBatchDelayMs ?? 50;
    this.readBytes = options.readBytes ?? 1 << 20;
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    for (const s of this.options.sources) await s.tailer.start();
  }

  /** Follow the sources until `signal` aborts; the batch in hand is finished and committed before returning. */
  async follow(signal: AbortSignal): Promise<IngestSummary> {
    const started = this.now();
    const pollFloor = Math.min(...this.options.sources.map((s) => s.config.poll_interval_ms), 1000);
    while (!signal.aborted) {
      await this.pollDue();
      this.runPeriodic();
      const readAny = await this.readRound();
      for (const s of this.options.sources) s.processor.flushHeld(this.acc, false);
      if (this.commitDue(readAny)) await this.commitPending(signal);
      if (!readAny && !signal.aborted) {
        const wake = new AbortController();
        const onAbort = (): void => wake.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        await Promise.race([
          ...this.options.sources.map((s) => s.tailer.waitForChange(pollFloor)),
          sleep(pollFloor, undefined, { signal: wake.signal }).catch(() => undefined),
        ]);
        signal.removeEventListener('abort', onAbort);
        wake.abort();
      }
    }
    if (!this.acc.empty) await this.commitPending(signal);
    return this.summary(started);
  }

  /** Read every file to its end, as fast as possible, then return. */
  async replay(signal?: AbortSignal): Promise<IngestSummary> {
    const started = this.now();
    for (;;) {
      if (signal?.aborted) break;
      const readAny = await this.readRound();
      if (this.acc.lines >= this.batchLines) await this.commitPending(signal);
      if (!readAny && this.options.sources.every((s) => s.tailer.finished)) break;
      if (!readAny) await sleep(5);
    }
    for (const s of this.options.sources) s.processor.flushHeld(this.acc, true);
    if (!this.acc.empty) await this.commitPending(signal);
    return this.summary(started);
  }

  status(): { source: string; files: TailedFileStatus[] }[] {
    return this.options.sources.map((s) => ({ source: s.config.name, files: s.tailer.status() }));
  }

  async close(): Promise<void> {
    for (const s of this.options.sources) await s.tailer.close();
  }

  private readonly periodicLastRun = new Map<number, number>();

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
    for (const s of this.options.sources) {
      const last = this.lastPoll.get(s.config.name) ?? 0;
      if (now - last >= s.config.poll_interval_ms) {
        this.lastPoll.set(s.config.name, now);
        await s.tailer.poll();
      }
    }
  }

  /** One pull from each source; commits in between when the batch is full. */
  private async readRound(): Promise<boolean> {
    let readAny = false;
    for (const s of this.options.sources) {
      const batch = await s.tailer.read(this.readBytes);
      if (!batch) continue;
      readAny = true;
      s.processor.process(batch, this.acc);
      if (this.acc.lines >= this.batchLines) return true;
    }
    return readAny;
  }

  private commitDue(readAny: boolean): boolean {
    if (this.acc.empty) return false;
    if (this.acc.lines >= this.batchLines) return true;
    if (!readAny) return true;
    return this.now() - this.acc.startedAt >= this.maxBatchDelayMs;
  }

  private async commitPending(signal: AbortSignal | undefined): Promise<void> {
    let delay = 200;
    let firstFailure = 0;
    for (;;) {
      const begin = this.now();
      try {
        const batch = this.acc.toCommitBatch();
        this.options.store.commitBatch(batch);
        const info: CommitInfo = {
          events: batch.events.length, rejects: batch.rejects.length, lines: this.acc.lines, bytes: this.acc.bytes,
          commitMs: this.now() - begin, batchAgeMs: this.now() - this.acc.startedAt,
        };
        this.totalBytes += this.acc.bytes;
        this.commits++;
        this.acc.reset();
        this.options.onCommit?.(info);
        return;
      } catch (err) {
        this.commitFailures++;
        if (firstFailure === 0) firstFailure = begin;
        const why = describeSqliteError(err);
        this.options.logger.error(
          { err: why, pendingLines: this.acc.lines, retryInMs: delay },
          'cannot store a batch; reading is paused and the batch will be retried (nothing is lost: checkpoints did not move)',
        );
        const giveUp = this.options.replayCommitGiveUpMs ?? 30_000;
        if (this.options.mode === 'replay' && this.now() - firstFailure >= giveUp) {
          throw new CommitGaveUpError(`cannot store events: ${why}`, err);
        }
        if (signal?.aborted && this.options.mode === 'follow') {
          // Stopping: leave the batch uncommitted; its lines are read again on the next start.
          this.acc.reset();
          return;
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  private summary(started: number): IngestSummary {
    const perSource: Record<string, SourceCounters> = {};
    const rejects: Partial<Record<string, number>> = {};
    let lines = 0;
    let events = 0;
    for (const s of this.options.sources) {
      const c = s.processor.counters;
      perSource[s.config.name] = c;
      lines += c.lines;
      events += c.events;
      for (const [reason, n] of Object.entries(c.rejects)) rejects[reason] = (rejects[reason] ?? 0) + (n ?? 0);
    }
    return {
      lines, events, rejects, bytes: this.totalBytes, elapsedMs: this.now() - started,
      commits: this.commits, commitFailures: this.commitFailures, perSource,
    };
  }
}
