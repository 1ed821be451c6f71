// Turns the lines of one source into events and rejects: mask secrets first, then parse, then attribute.
// Multi-line records (daemons.log stack traces) are held until their last line is known, and the file's
// checkpoint never moves past the start of a held record, so a restart re-reads it whole.

import type { EventBuilder } from '../attribution/eventBuilder.js';
import type { SecretScrubber } from '../attribution/secretScrubber.js';
import type { SeenToken } from '../attribution/types.js';
import type { SourceConfig } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import type { LineParser, ParsedRecord, RejectReason } from '../parsers/types.js';
import type { Line, LineBatch } from '../sources/types.js';
import type { BatchAccumulator } from './batchAccumulator.js';
import { redactSample } from './redact.js';

/** Raw text kept for a multi-line record (first line plus its continuation lines). */
const MAX_RECORD_RAW_CHARS = 8192;
/** A held multi-line record is emitted once its file has been quiet this long. */
export const HELD_RECORD_IDLE_MS = 1000;
// Control bytes other than tab: today's writers escape them, so raw ones usually mean a damaged file.
// eslint-disable-next-line no-control-regex
const CONTROL_BYTES = /[\x00-\x08\x0b-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_BYTES_ALL = /[\x00-\x08\x0b-\x1f\x7f]/g;

function escapeControlBytes(text: string): string {
  return text.replace(CONTROL_BYTES_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export interface SourceCounters {
  lines: number;
  events: number;
  continuationLines: number;
  rejects: Partial<Record<RejectReason, number>>;
  secretsMasked: number;
}

type Prepared =
  | { kind: 'record'; record: ParsedRecord; tokens: SeenToken[]; raw: string }
  | { kind: 'reject'; reason: RejectReason; detail: string; sampleText: string | null }
  | { kind: 'continuation' };

const CONTINUATION: Prepared = { kind: 'continuation' };

interface HeldRecord {
  fileId: number;
  first: Line;
  record: ParsedRecord;
  tokens: SeenToken[];
  raw: string;
  lines: number;
  /** offset just after the last line of the record */
  end: number;
  lastActivity: number;
}

export function emptyCounters(): SourceCounters {
  return { lines: 0, events: 0, continuationLines: 0, rejects: {}, secretsMasked: 0 };
}

export function addCounters(into: SourceCounters, from: SourceCounters): void {
  into.lines += from.lines;
  into.events += from.events;
  into.continuationLines += from.continuationLines;
  into.secretsMasked += from.secretsMasked;
  for (const [reason, n] of Object.entries(from.rejects) as [RejectReason, number][]) into.rejects[reason] = (into.rejects[reason] ?? 0) + n;
}

export class LineProcessor {
  /** counts since the last `takeCounters()`: they only become totals once their batch commits */
  private counters: SourceCounters = emptyCounters();
  private readonly held = new Map<number, HeldRecord>();
  /** per file: the end offset of the newest batch processed (what a held record's flush may commit) */
  private readonly lastBatchEnd = new Map<number, number>();
  private rejectLogBudget = 20;
  private cache: { line: Line; prepared: Prepared } | null = null;

  constructor(
    private readonly source: SourceConfig,
    private readonly parser: LineParser,
    private readonly scrubber: SecretScrubber,
    private readonly builder: EventBuilder,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The counts of the lines processed since the last call (the batch just committed). */
  takeCounters(): SourceCounters {
    const taken = this.counters;
    this.counters = emptyCounters();
    return taken;
  }

  get multiline(): boolean {
    return this.parser.isContinuation !== undefined;
  }

  process(batch: LineBatch, acc: BatchAccumulator): void {
    this.processUntil(batch, 0, Infinity, acc);
  }

  /**
   * The event time of the line at `index` of `batch` (masking and parsing it once; `processUntil` reuses the
   * result), or -Infinity when the line has no time of its own (a continuation, a line that will be rejected).
   */
  timeAt(batch: LineBatch, index: number): number {
    const prepared = this.prepared(batch, index);
    return prepared.kind === 'record' ? prepared.record.ts : -Infinity;
  }

  /**
   * Processes the lines of `batch` from `from` on, stopping before the first whose event time is after `horizon`;
   * returns the index of the first line not processed (batch.lines.length when all were). Replay uses it to
   * interleave several sources line by line in time order.
   */
  processUntil(batch: LineBatch, from: number, horizon: number, acc: BatchAccumulator): number {
    const now = this.now();
    acc.touch(now);
    // Lines that are complete on their own (events and rejects); multi-line records count theirs when emitted.
    let standalone = 0;
    let index = from;
    for (; index < batch.lines.length; index++) {
      const prepared = this.prepared(batch, index);
      if (prepared.kind === 'record' && prepared.record.ts > horizon) {
        // The next line starts a new record, so a record being assembled is complete: emit it now, at its own
        // time, rather than when the next record's time comes (hours later in a quiet daemon log).
        const held = this.held.get(batch.fileId);
        if (held) {
          this.held.delete(batch.fileId);
          this.emitHeld(held, acc);
        }
        break;
      }
      this.cache = null;
      const line = batch.lines[index]!;
      this.counters.lines++;
      acc.lines++;
      acc.bytes += line.length;
      if (prepared.kind === 'continuation') {
        this.appendContinuation(this.held.get(batch.fileId)!, line, now);
        continue;
      }
      const held = this.held.get(batch.fileId);
      if (held) {
        this.held.delete(batch.fileId);
        this.emitHeld(held, acc);
      }
      if (prepared.kind === 'reject') {
        this.reject(acc, batch.fileId, line, prepared.reason, prepared.detail, prepared.sampleText);
        standalone++;
      } else if (this.multiline) {
        this.held.set(batch.fileId, {
          fileId: batch.fileId, first: line, record: prepared.record, tokens: prepared.tokens, raw: prepared.raw, lines: 1,
          end: line.offset + line.length, lastActivity: now,
        });
      } else {
        this.emit(prepared.record, prepared.tokens, batch.fileId, line.offset, prepared.raw, acc);
        standalone++;
      }
    }
    const done = index >= batch.lines.length;
    if (done) this.lastBatchEnd.set(batch.fileId, batch.endOffset);
    const held = this.held.get(batch.fileId);
    const next = done ? batch.endOffset : batch.lines[index]!.offset;
    // Never checkpoint past the start of a record that is still being assembled, nor past an unprocessed line.
    acc.advance(batch.fileId, held ? Math.min(held.first.offset, next) : next, standalone);
    return index;
  }

  /** Emits held records whose file has been quiet for HELD_RECORD_IDLE_MS, or all of them when `force`. */
  flushHeld(acc: BatchAccumulator, force: boolean): void {
    const now = this.now();
    for (const [fileId, held] of this.held) {
      if (!force && now - held.lastActivity < HELD_RECORD_IDLE_MS) continue;
      this.held.delete(fileId);
      acc.touch(now);
      this.emitHeld(held, acc);
      acc.advance(fileId, Math.max(held.end, this.lastBatchEnd.get(fileId) ?? held.end), 0);
    }
  }

  get holding(): boolean {
    return this.held.size > 0;
  }

  /** The masked, parsed form of a line (cached for the line `timeAt` looked at last). */
  private prepared(batch: LineBatch, index: number): Prepared {
    const line = batch.lines[index]!;
    if (this.cache !== null && this.cache.line === line) return this.cache.prepared;
    const prepared = this.prepare(batch.fileId, line);
    this.cache = { line, prepared };
    return prepared;
  }

  /** Masks secrets and parses, without recording anything yet. */
  private prepare(fileId: number, line: Line): Prepared {
    const held = this.held.get(fileId);
    if (held && !line.oversized && this.parser.isContinuation!(line.text)) return CONTINUATION;
    if (line.oversized) {
      return { kind: 'reject', reason: 'oversized', detail: `line of ${line.length} bytes is longer than max_line_bytes (${this.source.max_line_bytes}); skipped`, sampleText: null };
    }
    const scrubbed = this.scrubber.scrub(line.text);
    this.counters.secretsMasked += scrubbed.masked;
    const result = this.parser.parse(scrubbed.line);
    const control = CONTROL_BYTES.exec(line.text);
    if (!result.ok) {
      // Say why in the terms that help most: bytes that are not text first, then the parser's reason.
      if (control) {
        const code = control[0].charCodeAt(0).toString(16).padStart(2, '0');
        return { kind: 'reject', reason: 'binary', detail: `control byte 0x${code} at column ${control.index + 1}, and the line does not parse: ${result.detail}`, sampleText: scrubbed.line };
      }
      const reason: RejectReason = line.invalidUtf8 ? 'invalid_utf8' : line.unterminated ? 'truncated' : result.reason;
      const detail = line.invalidUtf8
        ? `bytes that are not UTF-8, and the line does not parse: ${result.detail}`
        : line.unterminated
          ? `the file ended in the middle of this line: ${result.detail}`
          : result.detail;
      return { kind: 'reject', reason, detail, sampleText: scrubbed.line };
    }
    // A real request can carry raw control bytes (a worm's payload in an old Apache's log): it is an event, and
    // its stored line shows them escaped, as nginx would have written them.
    if (control) return { kind: 'record', record: result.record, tokens: scrubbed.tokens, raw: escapeControlBytes(scrubbed.line) };
    return { kind: 'record', record: result.record, tokens: scrubbed.tokens, raw: scrubbed.line };
  }

  private emit(record: ParsedRecord, tokens: readonly SeenToken[], fileId: number, offset: number, raw: string, acc: BatchAccumulator): void {
    const event = this.builder.build(record, tokens, { source: this.source.name, sourceHost: this.source.host, fileId, offset, raw });
    acc.addEvent(event);
    this.counters.events++;
    for (const t of tokens) acc.observeToken(t.tokenId, t.type, t.hint, event.ts);
    if (event.token_id !== null && event.attribution === 'inferred') acc.observeToken(event.token_id, event.token_type, null, event.ts);
  }

  private appendContinuation(held: HeldRecord, line: Line, now: number): void {
    this.counters.continuationLines++;
    held.lines++;
    held.end = line.offset + line.length;
    held.lastActivity = now;
    if (held.raw.length < MAX_RECORD_RAW_CHARS) {
      const scrubbed = this.scrubber.scrub(line.text);
      this.counters.secretsMasked += scrubbed.masked;
      held.raw = `${held.raw}\n${scrubbed.line}`.slice(0, MAX_RECORD_RAW_CHARS);
    }
  }

  private emitHeld(held: HeldRecord, acc: BatchAccumulator): void {
    this.emit(held.record, held.tokens, held.fileId, held.first.offset, held.raw, acc);
    acc.advance(held.fileId, held.end, held.lines);
  }

  private reject(acc: BatchAccumulator, fileId: number, line: Line, reason: RejectReason, detail: string, maskedText: string | null): void {
    const sample = redactSample(this.scrubber, maskedText ?? line.text);
    acc.addReject({ source: this.source.name, fileId, offset: line.offset, length: line.length, reason, detail, sample });
    this.counters.rejects[reason] = (this.counters.rejects[reason] ?? 0) + 1;
    if (this.rejectLogBudget > 0) {
      this.rejectLogBudget--;
      this.logger.warn(
        { fileId, offset: line.offset, reason, detail, sample },
        this.rejectLogBudget === 0 ? 'line rejected (further rejects of this source are only counted)' : 'line rejected',
      );
    }
  }
}
