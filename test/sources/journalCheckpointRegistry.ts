// A CheckpointRegistry kept as an append-only JSON-lines journal, for the kill -9 tests. A commit (one or
// more batches, as the pipeline groups them) is ONE write() of one record holding their lines and new
// offsets, standing in for the SQLite transaction that stores events and checkpoints together: after a
// crash, the journal says exactly which lines were committed. A record torn by the kill is cut off when the
// journal is opened again, as a rolled-back transaction.
import { closeSync, existsSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import type {
  CheckpointRegistry, Fingerprint, LineBatch, NewCheckpoint, StoredCheckpoint,
} from '../../src/sources/types.js';

type SerializedRow = Omit<StoredCheckpoint, 'dev' | 'ino'> & { dev: string; ino: string };

export type JournalRecord =
  | { t: 'reg'; row: SerializedRow }
  | { t: 'ret'; id: number; at: number }
  | { t: 'desc'; id: number; path: string; fp: Fingerprint; at: number }
  | { t: 'txn'; at: number; batches: CommittedBatch[] };

export interface CommittedBatch {
  id: number;
  /** offset of the first line */
  start: number;
  end: number;
  lines: string[];
}

/** The complete records of a journal (a torn last record is not one). */
export function readJournal(path: string): JournalRecord[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n');
  if (end < 0) return [];
  return text.slice(0, end).split('\n').map((line) => JSON.parse(line) as JournalRecord);
}

export class JournalCheckpointRegistry implements CheckpointRegistry {
  private readonly rows = new Map<number, StoredCheckpoint>();
  private nextId = 1;
  private readonly fd: number;

  constructor(path: string) {
    const records = readJournal(path);
    for (const r of records) this.apply(r);
    // drop a torn last record, then append after the last complete one
    if (existsSync(path)) truncateSync(path, readFileSync(path).lastIndexOf(0x0a) + 1);
    this.fd = openSync(path, 'a');
  }

  list(source: string): StoredCheckpoint[] {
    return [...this.rows.values()].filter((r) => r.source === source).map((r) => ({ ...r }));
  }

  register(entry: NewCheckpoint): number {
    const row: StoredCheckpoint = { ...entry, id: this.nextId, state: 'active', updated_at: Date.now() };
    this.append({ t: 'reg', row: { ...row, dev: String(row.dev), ino: String(row.ino) } });
    this.apply({ t: 'reg', row: { ...row, dev: String(row.dev), ino: String(row.ino) } });
    return row.id;
  }

  retire(id: number): void {
    const rec: JournalRecord = { t: 'ret', id, at: Date.now() };
    this.append(rec);
    this.apply(rec);
  }

  describe(id: number, path: string, fingerprint: Fingerprint): void {
    const rec: JournalRecord = { t: 'desc', id, path, fp: fingerprint, at: Date.now() };
    this.append(rec);
    this.apply(rec);
  }

  /** The pipeline's transaction: the batches' lines and end offsets in one write. */
  commit(batches: readonly LineBatch[]): void {
    const rec: JournalRecord = {
      t: 'txn',
      at: Date.now(),
      batches: batches.map((b) => ({
        id: b.fileId, start: b.lines[0]?.offset ?? b.endOffset, end: b.endOffset, lines: b.lines.map((l) => l.text),
      })),
    };
    this.append(rec);
    this.apply(rec);
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(rec: JournalRecord): void {
    writeSync(this.fd, `${JSON.stringify(rec)}\n`);
  }

  private apply(rec: JournalRecord): void {
    switch (rec.t) {
      case 'reg': {
        const row: StoredCheckpoint = { ...rec.row, dev: BigInt(rec.row.dev), ino: BigInt(rec.row.ino) };
        this.rows.set(row.id, row);
        this.nextId = Math.max(this.nextId, row.id + 1);
        break;
      }
      case 'ret': {
        const row = this.rows.get(rec.id);
        if (row !== undefined) {
          row.state = 'retired';
          row.updated_at = rec.at;
        }
        break;
      }
      case 'desc': {
        const row = this.rows.get(rec.id);
        if (row !== undefined) {
          row.path = rec.path;
          row.fingerprint = rec.fp;
          row.updated_at = rec.at;
        }
        break;
      }
      case 'txn': {
        for (const b of rec.batches) {
          const row = this.rows.get(b.id);
          if (row !== undefined) {
            row.offset = b.end;
            row.updated_at = rec.at;
          }
        }
        break;
      }
    }
  }
}
