// Per-rule, per-group state, kept in SQLite (table rule_state) and cached in memory. `flush` (inside the batch
// transaction) writes the groups changed since the last one, so state always commits with the events that changed
// it. Memory is bounded: after each flush, when the cache holds more than its capacity, the oldest entries (all
// stored by then) are dropped and read back from the store if they are needed again.
//
// The cache is looked up per event, so it is keyed by the group's raw values (`valueKey`: the value itself for
// one group field, values joined with NUL for several); the canonical JSON key (`key`, also the alert's group
// key) is built once, when a group enters the cache.

import type { Db } from '../store/database.js';
import type { GroupState } from './types/index.js';

/** What the engine keeps per group besides the evaluator's own state. */
export interface GroupRecord {
  state: GroupState;
  /** the last matching events, flat: [id, ts, id, ts, ...], newest last (alert evidence) */
  samples: number[];
  /** matching events that arrived late */
  late: number;
  /** event time after which the record holds nothing */
  expiresAt: number;
  /** the id of the flood summary alert that counted this group as held back (each group is counted once) */
  heldBackBy?: number;
}

export interface GroupEntry {
  /** canonical JSON of the group values (rule_state.group_key, alerts.group_key) */
  key: string;
  labels: Record<string, string>;
  record: GroupRecord;
  /** changed since the last flush */
  dirty: boolean;
}

const DEFAULT_CAPACITY = 20_000;

export class RuleStateStore {
  /** rule id -> value key -> entry */
  private readonly cache = new Map<string, Map<string, GroupEntry>>();
  private readonly dirty: [string, GroupEntry][] = [];
  private entries = 0;
  private readonly readStmt;
  private readonly writeStmt;
  private readonly expireStmt;

  constructor(db: Db, private readonly capacity = DEFAULT_CAPACITY) {
    this.readStmt = db.prepare('SELECT state FROM rule_state WHERE rule_id = ? AND group_key = ?');
    this.writeStmt = db.prepare(`INSERT INTO rule_state (rule_id, group_key, state, expires_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(rule_id, group_key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at`);
    this.expireStmt = db.prepare('DELETE FROM rule_state WHERE expires_at < ?');
  }

  get size(): number {
    return this.entries;
  }

  /** The cached entry of a group, if it is cached. */
  cached(ruleId: string, valueKey: string): GroupEntry | undefined {
    return this.cache.get(ruleId)?.get(valueKey);
  }

  /** The entry of a group from the cache, else from the store; undefined for a group never seen. */
  find(ruleId: string, valueKey: string, key: string, labels: Record<string, string>): GroupEntry | undefined {
    const hit = this.cached(ruleId, valueKey);
    if (hit) return hit;
    const row = this.readStmt.get(ruleId, key) as { state: string } | undefined;
    if (!row) return undefined;
    return this.add(ruleId, valueKey, key, labels, JSON.parse(row.state) as GroupRecord, false);
  }

  /** A new group (written at the next flush). */
  create(ruleId: string, valueKey: string, key: string, labels: Record<string, string>, record: GroupRecord): GroupEntry {
    const entry = this.add(ruleId, valueKey, key, labels, record, false);
    this.touch(ruleId, entry);
    return entry;
  }

  /** Marks a group as changed: it is written at the next flush. */
  touch(ruleId: string, entry: GroupEntry): void {
    if (entry.dirty) return;
    entry.dirty = true;
    this.dirty.push([ruleId, entry]);
  }

  /** Writes every changed group (call inside the batch transaction), then trims the cache to its capacity. */
  flush(): void {
    for (const [ruleId, entry] of this.dirty) {
      const record = entry.record;
      this.writeStmt.run(ruleId, entry.key, JSON.stringify(record), Math.min(record.expiresAt, Number.MAX_SAFE_INTEGER));
      entry.dirty = false;
    }
    this.dirty.length = 0;
    this.trim();
  }

  /** Drops state that holds nothing any more (its windows and history are past). */
  expire(now: number): number {
    for (const groups of this.cache.values()) {
      for (const [valueKey, entry] of groups) {
        if (entry.record.expiresAt < now && !entry.dirty) {
          groups.delete(valueKey);
          this.entries--;
        }
      }
    }
    return this.expireStmt.run(now).changes;
  }

  /** Forgets everything cached (after a rollback the store is the truth again). */
  clear(): void {
    this.cache.clear();
    this.dirty.length = 0;
    this.entries = 0;
  }

  private add(ruleId: string, valueKey: string, key: string, labels: Record<string, string>, record: GroupRecord, dirty: boolean): GroupEntry {
    let groups = this.cache.get(ruleId);
    if (!groups) {
      groups = new Map();
      this.cache.set(ruleId, groups);
    }
    const entry: GroupEntry = { key, labels, record, dirty };
    if (!groups.has(valueKey)) this.entries++;
    groups.set(valueKey, entry);
    return entry;
  }

  /** Drops the oldest cached entries of every rule, in proportion, until the cache is within its capacity. */
  private trim(): void {
    if (this.entries <= this.capacity) return;
    const share = this.capacity / this.entries;
    for (const groups of this.cache.values()) {
      let excess = groups.size - Math.floor(groups.size * share);
      for (const [valueKey, entry] of groups) {
        if (excess <= 0) break;
        if (entry.dirty) continue;
        groups.delete(valueKey);
        this.entries--;
        excess--;
      }
    }
  }
}
