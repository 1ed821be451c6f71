// Shared pieces of the tailer tests: a source config, a recording logger, a ledger that checks every
// numbered line arrived exactly once and in order per writer, and the pipeline's follow loop.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceConfig } from '../../src/config/types.js';
import type { LogFn, Logger } from '../../src/model/logger.js';
import type { SourceTailer } from '../../src/sources/sourceTailer.js';
import type { Line, LineBatch } from '../../src/sources/types.js';
import { parseWriterLine } from '../support/rotatingWriter.js';
import type { MemoryCheckpointRegistry } from '../support/memoryCheckpointRegistry.js';

export async function makeTempDir(prefix = 'phabwatch-sources-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function sourceConfig(path: string, overrides: Partial<SourceConfig> = {}): SourceConfig {
  return {
    name: 'access',
    type: 'nginx',
    path,
    format: null,
    start_at: 'beginning',
    host: null,
    timezone: 'UTC',
    rotate_wait_ms: 400,
    max_line_bytes: 64 * 1024,
    poll_interval_ms: 50,
    ...overrides,
  };
}

export interface LogRecord {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps what it is told (tests assert that a recovery path was really taken). */
export class RecordingLogger implements Logger {
  constructor(readonly records: LogRecord[] = [], private readonly bindings: Record<string, unknown> = {}) {}
  private make(level: LogRecord['level']): LogFn {
    return ((a: Record<string, unknown> | string, b?: string) => {
      if (typeof a === 'string') this.records.push({ level, message: a, fields: { ...this.bindings } });
      else this.records.push({ level, message: b ?? '', fields: { ...this.bindings, ...a } });
    }) as LogFn;
  }
  trace = this.make('trace');
  debug = this.make('debug');
  info = this.make('info');
  warn = this.make('warn');
  error = this.make('error');
  child(bindings: Record<string, unknown>): Logger {
    return new RecordingLogger(this.records, { ...this.bindings, ...bindings });
  }
  messages(level?: LogRecord['level']): string[] {
    return this.records.filter((r) => level === undefined || r.level === level).map((r) => r.message);
  }
  count(fragment: string): number {
    return this.records.filter((r) => r.message.includes(fragment)).length;
  }
}

/** Every numbered line seen: duplicates, gaps and per-writer order. */
export class LineLedger {
  private readonly seen: Array<Map<number, number>> = [new Map(), new Map()];
  private readonly lastSeq = [0, 0];
  duplicates = 0;
  outOfOrder = 0;
  unparsable: string[] = [];
  total = 0;

  add(lines: readonly Line[]): void {
    for (const line of lines) this.addText(line.text);
  }

  addText(text: string): void {
    this.total++;
    const parsed = parseWriterLine(text);
    if (parsed === null || parsed.writer > 1) {
      if (this.unparsable.length < 20) this.unparsable.push(text.slice(0, 120));
      else this.unparsable.length++;
      return;
    }
    const seen = this.seen[parsed.writer]!;
    const count = (seen.get(parsed.seq) ?? 0) + 1;
    seen.set(parsed.seq, count);
    if (count > 1) this.duplicates++;
    if (parsed.seq < this.lastSeq[parsed.writer]!) this.outOfOrder++;
    this.lastSeq[parsed.writer] = Math.max(parsed.seq, this.lastSeq[parsed.writer]!);
  }

  /** distinct lines received */
  get distinct(): number {
    return this.seen[0]!.size + this.seen[1]!.size;
  }

  /** sequence numbers 1..perWriter[w] that never arrived */
  missing(perWriter: readonly number[]): number {
    let missing = 0;
    perWriter.forEach((last, w) => {
      const seen = this.seen[w]!;
      for (let seq = 1; seq <= last; seq++) if (!seen.has(seq)) missing++;
    });
    return missing;
  }

  summary(perWriter: readonly number[]): { written: number; received: number; lost: number; duplicated: number; outOfOrder: number; garbled: number } {
    return {
      written: perWriter.reduce((a, b) => a + b, 0),
      received: this.total,
      lost: this.missing(perWriter),
      duplicated: this.duplicates,
      outOfOrder: this.outOfOrder,
      garbled: this.unparsable.length,
    };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

export interface FollowLoopOptions {
  /** stop when this returns true (checked between batches and waits) */
  stop: () => boolean;
  maxBytes?: number;
  /** pause after each committed batch: a deliberately slow store */
  delayPerBatchMs?: number;
  pollIntervalMs: number;
  /** fail when the loop runs longer */
  timeoutMs: number;
  /** hold up to this many batches in one transaction, as the pipeline does (default 1: commit each) */
  batchesPerCommit?: number;
  onBatch?: (batch: LineBatch) => void;
}

/**
 * The pipeline's loop: read batches, commit them (several per transaction if asked), and when nothing is
 * ready commit what is held, poll and wait.
 */
export async function followLoop(tailer: SourceTailer, registry: MemoryCheckpointRegistry, o: FollowLoopOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const held: LineBatch[] = [];
  const commitHeld = (): void => {
    for (const batch of held.splice(0)) {
      registry.commit(batch);
      o.onBatch?.(batch);
    }
  };
  while (!o.stop()) {
    if (Date.now() > deadline) throw new Error(`follow loop did not finish within ${o.timeoutMs} ms`);
    const batch = await tailer.read(o.maxBytes ?? 256 * 1024);
    if (batch !== null) {
      held.push(batch);
      if (held.length >= (o.batchesPerCommit ?? 1)) commitHeld();
      if (o.delayPerBatchMs !== undefined) await sleep(o.delayPerBatchMs);
      continue;
    }
    commitHeld();
    await tailer.poll();
    await tailer.waitForChange(o.pollIntervalMs);
  }
  commitHeld();
}
