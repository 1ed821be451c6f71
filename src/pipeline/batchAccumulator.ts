// The batch being built: events and rejects go straight into the store's open transaction, while the newest
// offset per file and the token/identity sightings are collected here until the batch commits.

import type { PhabEvent, TokenId, TokenType } from '../model/event.js';
import type { BatchClose, IngestStore, RejectRow, SeenSpan, TokenObservation } from '../store/ingestStore.js';

export class BatchAccumulator {
  /** lines consumed (events, rejects and continuation lines) */
  lines = 0;
  bytes = 0;
  events = 0;
  rejects = 0;
  startedAt = 0;
  private offsets = new Map<number, { offset: number; lines: number }>();
  private tokens = new Map<TokenId, TokenObservation>();
  private identities = new Map<string, SeenSpan>();

  constructor(private readonly store: IngestStore) {}

  get empty(): boolean {
    return this.lines === 0 && this.offsets.size === 0 && this.events === 0;
  }

  touch(now: number): void {
    if (this.startedAt === 0) this.startedAt = now;
  }

  addEvent(event: PhabEvent): void {
    this.store.insertEvent(event);
    this.events++;
    if (event.identity !== null) this.observeIdentity(event.identity, event.ts);
  }

  addReject(reject: RejectRow): void {
    this.store.insertReject(reject);
    this.rejects++;
  }

  advance(fileId: number, offset: number, lines: number): void {
    const current = this.offsets.get(fileId);
    if (current) {
      if (offset > current.offset) current.offset = offset;
      current.lines += lines;
    } else {
      this.offsets.set(fileId, { offset, lines });
    }
  }

  observeToken(id: TokenId, type: TokenType | null, hint: string | null, ts: number): void {
    const seen = this.tokens.get(id);
    if (seen) {
      if (ts < seen.first) seen.first = ts;
      if (ts > seen.last) seen.last = ts;
      if (seen.hint === null && hint !== null) seen.hint = hint;
    } else {
      this.tokens.set(id, { type, hint, first: ts, last: ts });
    }
  }

  private observeIdentity(username: string, ts: number): void {
    const seen = this.identities.get(username);
    if (seen) {
      if (ts < seen.first) seen.first = ts;
      if (ts > seen.last) seen.last = ts;
    } else {
      this.identities.set(username, { first: ts, last: ts });
    }
  }

  /** Commits the batch (throws, after rolling back, if the store cannot) and starts a new one. */
  commit(): void {
    const close: BatchClose = {
      offsets: [...this.offsets].map(([fileId, o]) => ({ fileId, offset: o.offset, lines: o.lines })),
      tokens: this.tokens,
      identities: this.identities,
    };
    this.store.commit(close);
    this.reset();
  }

  /** Drops the batch: its events and rejects are rolled back; the lines will be read again. */
  abandon(): void {
    this.store.rollback();
    this.reset();
  }

  private reset(): void {
    this.lines = 0;
    this.bytes = 0;
    this.events = 0;
    this.rejects = 0;
    this.startedAt = 0;
    this.offsets = new Map();
    this.tokens = new Map();
    this.identities = new Map();
  }
}
