// The write side of the store for the ingestion pipeline. A batch is one transaction: events and rejects are
// inserted as they are produced (so memory stays flat however big the batch), and `commit` adds the checkpoint
// offsets of the bytes they came from and what was learnt about tokens and identities. Either all of it is
// stored or none of it is, so a crash never loses or repeats a line.

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

/** What closes a batch, besides the events and rejects already inserted. */
export interface BatchClose {
  offsets: readonly OffsetAdvance[];
  tokens: ReadonlyMap<TokenId, TokenObservation>;
  identities: ReadonlyMap<string, SeenSpan>;
}

/** Work that must commit atomically with a batch: the rule engine's state, later the alert outbox. */
export interface BatchParticipant {
  /** an event was inserted into the open batch with this id */
  onEvent?(event: PhabEvent, id: number): void;
  /** the participant's own writes, inside the batch's transaction, just before it commits */
  beforeCommit?(db: Db): void;
  /** the batch was rolled back: forget what its events taught (state is reloaded from the store) */
  onRollback?(): void;
  /** the batch committed: now it may be told to the outside world (telemetry, deliveries) */
  afterCommit?(): void;
}

export class IngestStore {
  readonly checkpoints: CheckpointStore;
  private readonly insertEventStmt;
  private readonly insertRejectStmt;
  private readonly observeToken;
  private readonly observeIdentity;
  private readonly beginStmt;
  private readonly commitStmt;
  private readonly rollbackStmt;
  private readonly participants: BatchParticipant[] = [];

  constructor(readonly db: Db, private readonly now: () => number = Date.now) {
    this.checkpoints = new CheckpointStore(db, now);
    this.insertEventStmt = db.prepare(
      `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`,
    );
    this.insertRejectStmt = db.prepare(
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
    // IMMEDIATE takes the write lock at once, so a batch never fails half-way for lack of it.
    this.beginStmt = db.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.prepare('COMMIT');
    this.rollbackStmt = db.prepare('ROLLBACK');
  }

  /** Registers work that must be part of every batch transaction (called in registration order). */
  addParticipant(participant: BatchParticipant): void {
    this.participants.push(participant);
  }

  get batchOpen(): boolean {
    return this.db.inTransaction;
  }

  /** Opens a batch explicitly (for work that writes no event, such as the rule engine following the clock). */
  begin(): void {
    if (!this.db.inTransaction) this.beginStmt.run();
  }

  /** Inserts an event into the open batch (opening one if needed); returns its id. Throws on SQLite errors. */
  insertEvent(e: PhabEvent): number {
    if (!this.db.inTransaction) this.beginStmt.run();
    const id = Number(this.insertEventStmt.run(
      e.ts, e.source, e.host, e.kind, e.client_ip, e.identity, e.token_id, e.token_type, e.auth, e.attribution,
      e.method, e.path, e.route, e.controller, e.conduit_method, e.status, e.outcome, e.duration_ms, e.bytes_in,
      e.bytes_out, e.user_agent, e.referrer, e.repository, e.request_id, e.webhook_id, e.target, e.error_type,
      e.error_code, e.message, e.file_id, e.offset, e.raw,
    ).lastInsertRowid);
    for (const participant of this.participants) participant.onEvent?.(e, id);
    return id;
  }

  insertReject(r: RejectRow): void {
    if (!this.db.inTransaction) this.beginStmt.run();
    this.insertRejectStmt.run(this.now(), r.source, r.fileId, r.offset, r.length, r.reason, r.detail, r.sample);
  }

  /** Writes the batch's offsets and sightings and commits it. On an error the batch is rolled back and rethrown. */
  commit(close: BatchClose): void {
    try {
      if (!this.db.inTransaction) this.beginStmt.run();
      for (const [tokenId, t] of close.tokens) this.observeToken.run(tokenId, t.type, t.hint, t.first, t.last);
      for (const [username, s] of close.identities) this.observeIdentity.run(username, s.first, s.last);
      for (const o of close.offsets) this.checkpoints.advance(o.fileId, o.offset, o.lines);
      for (const participant of this.participants) participant.beforeCommit?.(this.db);
      this.commitStmt.run();
    } catch (err) {
      this.rollback();
      throw err;
    }
    for (const participant of this.participants) participant.afterCommit?.();
  }

  /** Abandons the open batch: nothing of it is stored and no offset moved. */
  rollback(): void {
    if (this.db.inTransaction) this.rollbackStmt.run();
    for (const participant of this.participants) participant.onRollback?.();
  }
}
