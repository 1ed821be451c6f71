// An in-memory CheckpointRegistry for tests, with the pipeline's side too: `commit(batch)` advances the
// offset as the store's transaction would. It checks what the store relies on: a batch continues exactly
// where its file's checkpoint is (no byte skipped or read twice), lines are contiguous, and nothing is
// committed to a retired checkpoint. A violation throws, so a test cannot pass over one.
import type {
  CheckpointRegistry, Fingerprint, LineBatch, NewCheckpoint, StoredCheckpoint,
} from '../../src/sources/types.js';

export class CheckpointContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointContractError';
  }
}

export class MemoryCheckpointRegistry implements CheckpointRegistry {
  private readonly rows = new Map<number, StoredCheckpoint>();
  private nextId = 1;
  /** every call, in order (for assertions on what the tailer recorded) */
  readonly calls: Array<{ op: 'register' | 'retire' | 'describe' | 'commit'; id: number }> = [];

  constructor(private readonly clock: () => number = Date.now) {}

  list(source: string): StoredCheckpoint[] {
    return [...this.rows.values()].filter((r) => r.source === source).map((r) => ({ ...r, fingerprint: { ...r.fingerprint } }));
  }

  register(entry: NewCheckpoint): number {
    const id = this.nextId++;
    this.rows.set(id, { ...entry, fingerprint: { ...entry.fingerprint }, id, state: 'active', updated_at: this.clock() });
    this.calls.push({ op: 'register', id });
    return id;
  }

  retire(id: number): void {
    const row = this.row(id);
    row.state = 'retired';
    row.updated_at = this.clock();
    this.calls.push({ op: 'retire', id });
  }

  describe(id: number, path: string, fingerprint: Fingerprint): void {
    const row = this.row(id);
    if (fingerprint.length < row.fingerprint.length) {
      throw new CheckpointContractError(`fingerprint of checkpoint ${id} shrank from ${row.fingerprint.length} to ${fingerprint.length}`);
    }
    row.path = path;
    row.fingerprint = { ...fingerprint };
    row.updated_at = this.clock();
    this.calls.push({ op: 'describe', id });
  }

  /** What the pipeline's transaction does with a batch: store its lines and advance the checkpoint. */
  commit(batch: LineBatch): void {
    const row = this.row(batch.fileId);
    if (row.state !== 'active') throw new CheckpointContractError(`batch for retired checkpoint ${row.id} (${row.path})`);
    if (batch.lines.length === 0) throw new CheckpointContractError(`empty batch for checkpoint ${row.id}`);
    let expected = row.offset;
    for (const line of batch.lines) {
      if (line.offset !== expected) {
        throw new CheckpointContractError(
          `checkpoint ${row.id} (${row.path}): line at ${line.offset}, expected ${expected} (${line.offset > expected ? 'bytes skipped' : 'bytes repeated'})`,
        );
      }
      expected += line.length;
    }
    if (batch.endOffset !== expected) {
      throw new CheckpointContractError(`checkpoint ${row.id}: endOffset ${batch.endOffset} but lines end at ${expected}`);
    }
    row.offset = batch.endOffset;
    row.updated_at = this.clock();
    this.calls.push({ op: 'commit', id: row.id });
  }

  get(id: number): StoredCheckpoint | undefined {
    const row = this.rows.get(id);
    return row === undefined ? undefined : { ...row };
  }

  all(): StoredCheckpoint[] {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }

  private row(id: number): StoredCheckpoint {
    const row = this.rows.get(id);
    if (row === undefined) throw new CheckpointContractError(`unknown checkpoint ${id}`);
    return row;
  }
}
