// Per-rule, per-group state, kept in SQLite (table rule_state) and cached in memory. The cache is bounded:
// only entries already written to the store can be evicted, and `flush` (inside the batch transaction) writes
// the changed ones, so state always commits together with the events that changed it.

import type { Db } from '../store/database.js';
import type { GroupState } from './types/index.js';

/** What the engine keeps per group besides the evaluator's own state. */
export interface GroupRecord {
  state: GroupState;
  /** the last matching events: [event id, event time], newest last (alert evidence) */
  samples: [number, number][];
  /** matching events that arrived late */
  late: number;
  /** event time after which the record holds nothing */
  expiresAt: number;
}

const DEFAULT_CAPACITY = 20_000;

export class RuleStateStore {
  private readonly cache = new Map<string, GroupRecord>();
  private readonly dirty = new Set<string>();
  private readonly readStmt;
  private readonly writeStmt;
  private readonly deleteStmt;
  private readonly expireStmt;

  constructor(db: Db, private readonly capacity = DEFAULT_CAPACITY) {
    this.readStmt = db.prepare('SELECT state FROM rule_state WHERE rule_id = ? AND group_key = ?');
    this.writeStmt = db.prepare(`INSERT INTO rule_state (rule_id, group_key, state, expires_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(rule_id, group_key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at`);
    this.deleteStmt = db.prepare('DELETE FROM rule_state WHERE rule_id = ? AND group_key = ?');
    this.expireStmt = db.prepare('DELETE FROM rule_state WHERE expires_at < ?');
  }

  get size(): number {
    return this.cache.size;
  }

  get(ruleId: string, groupKey: string): GroupRecord | undefined {
    const key = cacheKey(ruleId, groupKey);
    const hit = this.cache.get(key);
    if (hit) {
      // Most recently used goes last (Map keeps insertion order).
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const row = this.readStmt.get(ruleId, groupKey) as { state: string } | undefined;
    if (!row) return undefined;
    const record = JSON.parse(row.state) as GroupRecord;
    this.remember(key, record);
    return record;
  }

  /** Records a new or changed group; it is written at the next flush. */
  put(ruleId: string, groupKey: string, record: GroupRecord): void {
    const key = cacheKey(ruleId, groupKey);
    if (!this.cache.has(key)) this.remember(key, record);
    this.dirty.add(key);
  }

  /** Writes every changed group (call inside the batch transaction). */
  flush(): void {
    for (const key of this.dirty) {
      const record = this.cache.get(key);
      const [ruleId, groupKey] = splitKey(key);
      if (record) this.writeStmt.run(ruleId, groupKey, JSON.stringify(record), Math.min(record.expiresAt, Number.MAX_SAFE_INTEGER));
      else this.deleteStmt.run(ruleId, groupKey);
    }
    this.dirty.clear();
    this.evict();
  }

  /** Drops state that holds nothing any more (its windows and history are past). */
  expire(now: number): number {
    for (const [key, record] of this.cache) {
      if (record.expiresAt < now && !this.dirty.has(key)) this.cache.delete(key);
    }
    return this.expireStmt.run(now).changes;
  }

  /** Forgets everything cached (after a rollback the store is the truth again). */
  clear(): void {
    this.cache.clear();
    this.dirty.clear();
  }

  private remember(key: string, record: GroupRecord): void {
    this.cache.set(key, record);
    if (this.cache.size > this.capacity * 1.25) this.evict();
  }

  /** Evicts least recently used entries that are already stored. */
  private evict(): void {
    if (this.cache.size <= this.capacity) return;
    for (const key of this.cache.keys()) {
      if (this.cache.size <= this.capacity) break;
      if (!this.dirty.has(key)) this.cache.delete(key);
    }
  }
}

const SEPARATOR = '\u0000';

function cacheKey(ruleId: string, groupKey: string): string {
  return `${ruleId}${SEPARATOR}${groupKey}`;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf(SEPARATOR);
  return [key.slice(0, at), key.slice(at + 1)];
}
