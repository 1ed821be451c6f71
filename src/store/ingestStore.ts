// The write side of the store for the ingestion pipeline: one call, one transaction, holding the events
// of a batch, their rejects, the checkpoint offsets of the bytes they came from, and what was learnt about
// tokens and identities. Either all of it is stored or none of it is, so a crash never loses or repeats a line.

import type { RejectReason } from '../parsers/types.js';
import { EVENT_COLUMNS, type PhabEvent, type TokenId, type TokenType } from '../model/event.js';
import { CheckpointStore } from './checkpointStore.js';
import type { Db } from './database.js';

export interface RejectRow {
  source: string;
  fileId: number | null;
  offset: number | null;
  length: number | null;
  reason: RejectReason;
  detail: string;
  /** already redacted and shortened */
  sample: string;
}

export interface OffsetAdvance {
  fileId: number;
  offset: number;
  /** lines consumed since the previous commit (events + rejects + continuation lines) */
  lines: number;
}

export interface SeenSpan {
  first: number;
  last: number;
}

export interface TokenObservation extends SeenSpan {
  type: TokenType | null;
  hint: string | null;
}

export interface CommitBatch {
  events: PhabEvent[];
  rejects: RejectRow[];
  offsets: OffsetAdvance[];
  tokens: Map<TokenId, TokenObservation>;
  identities: Map<string, SeenSpan>;
}

/** Work that must commit atomically with the batch (the rule engine's state, later the alert outbox). */
export type BatchParticipant = (db: Db, batch: CommitBatch, eventIds: readonly number[]) => void;

export class IngestStore {
  readonly checkpoints: CheckpointStore;
  private readonly insertEvent;
  private readonly insertReject;
  private readonly observeToken;
  private readonly observeIdentity;
  private readonly participants: BatchParticipant[] = [];
  private readonly commit: (batch: CommitBatch) => number[];

  constructor(readonly db: Db, private readonly now: () => number = Date.now) {
    this.checkpoints = new CheckpointStore(db, now);
    this.insertEvent = db.prepare(
      `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`,
    );
    this.insertReject = db.prepare(
      'INSERT INTO rejects (seen_at, source, file_id, offset, length, reason, detail, sample) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.observeToken = db.prepare(`INSERT INTO tokens (token_id, token_type, hint, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(token_id) DO UPDATE SET
        token_type = coalesce(tokens.token_type, excluded.token_type),
        hint = coalesce(tokens.hint, excluded.hint),
        first_seen = min(coalesce(tokens.first_seen, excluded.first_seen), excluded.first_seen),
        last_seen = max(coalesce(tokens.last_seen, excluded.last_seen), excluded.last_seen)`);
    this.observeIdentity = db.prepare(`INSERT INTO identities (username, first_seen, last_seen) VALUES (?, ?, ?)
      ON CONFLICT(username) DO UPDATE SET
        first_seen = min(coalesce(identities.first_seen, excluded.first_seen), excluded.first_seen),
        last_seen = max(coalesce(identities.last_seen, excluded.last_seen), excluded.last_seen)`);
    this.commit = db.transaction((batch: CommitBatch): number[] => this.writeBatch(batch));
  }

  /** Registers work that must be part of every batch transaction (called in registration order). */
  addParticipant(participant: BatchParticipant): void {
    this.participants.push(participant);
  }

  /** Stores a batch atomically; returns the ids of the inserted events, in order. Throws on SQLite errors. */
  commitBatch(batch: CommitBatch): number[] {
    return this.commit(batch);
  }

  private writeBatch(batch: CommitBatch): number[] {
    const ids = new Array<number>(batch.events.length);
    const insert = this.insertEvent;
    for (let i = 0; i < batch.events.length; i++) {
      const e = batch.events[i]!;
      const info = insert.run(
        e.ts, e.source, e.host, e.kind, e.client_ip, e.identity, e.token_id, e.token_type, e.auth, e.attribution,
        e.method, e.path, e.route, e.controller, e.conduit_method, e.status, e.outcome, e.duration_ms, e.bytes_in,
        e.bytes_out, e.user_agent, e.referrer, e.repository, e.request_id, e.webhook_id, e.target, e.error_type,
        e.error_code, e.message, e.file_id, e.offset, e.raw,
      );
      ids[i] = Number(info.lastInsertRowid);
    }
    const seenAt = this.now();
    for (const r of batch.rejects) {
      this.insertReject.run(seenAt, r.source, r.fileId, r.offset, r.length, r.reason, r.detail, r.sample);
    }
    for (const [tokenId, t] of batch.tokens) this.observeToken.run(tokenId, t.type, t.hint, t.first, t.last);
    for (const [username, s] of batch.identities) this.observeIdentity.run(username, s.first, s.last);
    for (const o of batch.offsets) this.checkpoints.advance(o.fileId, o.offset, o.lines);
    for (const participant of this.participants) participant(this.db, batch, ids);
    return ids;
  }
}
