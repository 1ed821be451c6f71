// Table `checkpoints`: where each file identity has been read up to. The tailer registers and describes
// files through the CheckpointRegistry interface; offsets only move inside the batch transaction
// (see IngestStore.commitBatch), together with the events of those bytes.

import type { CheckpointRegistry, Fingerprint, NewCheckpoint, StoredCheckpoint } from '../sources/types.js';
import type { Db } from './database.js';

interface CheckpointRow {
  id: number;
  source: string;
  path: string;
  dev: string;
  ino: string;
  fingerprint: string;
  fingerprint_len: number;
  offset: number;
  compressed: number;
  state: 'active' | 'retired';
  updated_at: number;
}

export class CheckpointStore implements CheckpointRegistry {
  private readonly listStmt;
  private readonly insertStmt;
  private readonly retireStmt;
  private readonly describeStmt;
  private readonly advanceStmt;

  constructor(db: Db, private readonly now: () => number = Date.now) {
    this.listStmt = db.prepare('SELECT * FROM checkpoints WHERE source = ? ORDER BY id');
    this.insertStmt = db.prepare(`INSERT INTO checkpoints
      (source, path, dev, ino, fingerprint, fingerprint_len, offset, compressed, state, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)`);
    this.retireStmt = db.prepare("UPDATE checkpoints SET state = 'retired', updated_at = ? WHERE id = ?");
    this.describeStmt = db.prepare('UPDATE checkpoints SET path = ?, fingerprint = ?, fingerprint_len = ?, updated_at = ? WHERE id = ?');
    this.advanceStmt = db.prepare('UPDATE checkpoints SET offset = ?, lines = lines + ?, updated_at = ? WHERE id = ?');
  }

  list(source: string): StoredCheckpoint[] {
    return (this.listStmt.all(source) as CheckpointRow[]).map(toCheckpoint);
  }

  register(entry: NewCheckpoint): number {
    const at = this.now();
    const info = this.insertStmt.run(
      entry.source, entry.path, entry.dev.toString(), entry.ino.toString(), entry.fingerprint.hash,
      entry.fingerprint.length, entry.offset, entry.compressed ? 1 : 0, at, at,
    );
    return Number(info.lastInsertRowid);
  }

  retire(id: number): void {
    this.retireStmt.run(this.now(), id);
  }

  describe(id: number, path: string, fingerprint: Fingerprint): void {
    this.describeStmt.run(path, fingerprint.hash, fingerprint.length, this.now(), id);
  }

  /** Moves a file's offset; call only inside the transaction that stores the events of those bytes. */
  advance(id: number, offset: number, lines: number): void {
    this.advanceStmt.run(offset, lines, this.now(), id);
  }
}

function toCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return {
    id: row.id,
    source: row.source,
    path: row.path,
    dev: BigInt(row.dev),
    ino: BigInt(row.ino),
    fingerprint: { hash: row.fingerprint, length: row.fingerprint_len },
    offset: row.offset,
    compressed: row.compressed === 1,
    state: row.state,
    updated_at: row.updated_at,
  };
}
