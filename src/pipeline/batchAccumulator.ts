// Collects what one commit will store: events, rejects, the newest offset per file, and token/identity
// sightings, so that the store can write them in a single transaction.

import type { PhabEvent, TokenId, TokenType } from '../model/event.js';
import type { CommitBatch, RejectRow, SeenSpan, TokenObservation } from '../store/ingestStore.js';

export class BatchAccumulator {
  events: PhabEvent[] = [];
  rejects: RejectRow[] = [];
  /** lines consumed (events, rejects and continuation lines) */
  lines = 0;
  bytes = 0;
  startedAt = 0;
  private offsets = new Map<number, { offset: number; lines: number }>();
  private tokens = new Map<TokenId, TokenObservation>();
  private identities = new Map<string, SeenSpan>();

  get empty(): boolean {
    return this.lines === 0 && this.offsets.size === 0;
  }

  touch(now: number): void {
    if (this.startedAt === 0) this.startedAt = now;
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

  observeIdentity(username: string, ts: number): void {
    const seen = this.identities.get(username);
    if (seen) {
      if (ts < seen.first) seen.first = ts;
      if (ts > seen.last) seen.last = ts;
    } else {
      this.identities.set(username, { first: ts, last: ts });
    }
  }

  toCommitBatch(): CommitBatch {
    return {
      events: this.events,
      rejects: this.rejects,
      offsets: [...this.offsets].map(([fileId, o]) => ({ fileId, offset: o.offset, lines: o.lines })),
      tokens: this.tokens,
      identities: this.identities,
    };
  }

  reset(): void {
    this.events = [];
    this.rejects = [];
    this.lines = 0;
    this.bytes = 0;
    this.startedAt = 0;
    this.offsets = new Map();
    this.tokens = new Map();
    this.identities = new Map();
  }
}
