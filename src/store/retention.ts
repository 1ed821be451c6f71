// Retention: events older than the configured age are deleted, measured in EVENT time (from the newest event
// stored), so replaying last year's logs does not delete them on arrival. Rejects age by wall clock (they
// have no trustworthy event time). Deletes run in small chunks so the writer never holds the lock for long.

import type { StoreConfig } from '../config/types.js';
import type { Db } from './database.js';

export interface RetentionResult {
  events: number;
  rejects: number;
  checkpoints: number;
}

const CHUNK = 5000;
/** Retired checkpoints are kept at least this long so a late-compressed sibling is still recognised. */
const MIN_CHECKPOINT_KEEP_MS = 90 * 86_400_000;

export function applyRetention(db: Db, retention: StoreConfig['retention'], now: number = Date.now()): RetentionResult {
  const newest = (db.prepare('SELECT max(ts) AS ts FROM events').get() as { ts: number | null }).ts;
  let events = 0;
  if (newest !== null) {
    const cutoff = newest - retention.events_ms;
    const del = db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?)');
    for (;;) {
      const n = del.run(cutoff, CHUNK).changes;
      events += n;
      if (n < CHUNK) break;
    }
  }
  const rejects = db.prepare('DELETE FROM rejects WHERE seen_at < ?').run(now - retention.rejects_ms).changes;
  const checkpointKeep = Math.max(MIN_CHECKPOINT_KEEP_MS, retention.events_ms);
  const checkpoints = db.prepare("DELETE FROM checkpoints WHERE state = 'retired' AND updated_at < ?").run(now - checkpointKeep).changes;
  return { events, rejects, checkpoints };
}
