// Which stored checkpoint (if any) each file on disk is. Exact identity is (dev, ino) plus the fingerprint,
// so a reused inode never resumes a stale offset (Vector #23076, Filebeat #1341); content-only identity (the
// fingerprint alone) is accepted for files named like rotated copies: a copytruncate copy or a .gz sibling.
import type { CandidateFile } from './candidateFile.js';
import { prefixMatches } from './fingerprint.js';
import type { StoredCheckpoint } from './types.js';

export type MatchKind = 'exact' | 'content';

export interface CheckpointMatch {
  row: StoredCheckpoint;
  kind: MatchKind;
}

export interface MatchResult {
  matches: Map<CandidateFile, CheckpointMatch>;
  /**
   * Active checkpoints whose content was found nowhere. `rewritten` is the file that now has the same
   * inode with other content or fewer bytes than the offset (truncated, rewritten, or the inode reused).
   */
  lost: Array<{ row: StoredCheckpoint; rewritten: CandidateFile | null }>;
}

export function isExactMatch(c: CandidateFile, row: StoredCheckpoint): boolean {
  return c.dev === row.dev && c.ino === row.ino && c.compressed === row.compressed
    && prefixMatches(c.prefix, row.fingerprint);
}

/** Same content under another inode, for a copy-shaped file holding at least `row.offset` bytes. */
export function isContentMatch(c: CandidateFile, row: StoredCheckpoint): boolean {
  if (!c.siblingShaped || !c.readable) return false;
  if (c.dev === row.dev && c.ino === row.ino) return false;
  if (!c.compressed && c.size < row.offset) return false;
  return prefixMatches(c.prefix, row.fingerprint);
}

/** Active rows first, newest first within a state: the row most likely to be the current one wins a tie. */
function byPreference(a: StoredCheckpoint, b: StoredCheckpoint): number {
  if (a.state !== b.state) return a.state === 'active' ? -1 : 1;
  return b.id - a.id;
}

/** Plain copies before compressed ones (cheaper to resume), then the larger. */
function copyPreference(a: CandidateFile, b: CandidateFile): number {
  if (a.compressed !== b.compressed) return a.compressed ? 1 : -1;
  return b.size - a.size;
}

export function matchCheckpoints(rows: readonly StoredCheckpoint[], candidates: readonly CandidateFile[]): MatchResult {
  const ordered = [...rows].sort(byPreference);
  const matches = new Map<CandidateFile, CheckpointMatch>();
  const rewrittenOf = new Map<StoredCheckpoint, CandidateFile>();
  const unmatched: StoredCheckpoint[] = [];

  for (const row of ordered) {
    let bound = false;
    for (const c of candidates) {
      if (matches.has(c) || c.dev !== row.dev || c.ino !== row.ino || c.compressed !== row.compressed) continue;
      const beyondEnd = row.state === 'active' && !c.compressed && row.offset > c.size;
      if (!beyondEnd && prefixMatches(c.prefix, row.fingerprint)) {
        matches.set(c, { row, kind: 'exact' });
        bound = true;
        break;
      }
      rewrittenOf.set(row, c);
    }
    if (!bound) unmatched.push(row);
  }

  const lost: MatchResult['lost'] = [];
  for (const row of unmatched) {
    const copies = candidates.filter((c) => !matches.has(c) && isContentMatch(c, row)).sort(copyPreference);
    const copy = copies[0];
    if (copy !== undefined) {
      matches.set(copy, { row, kind: 'content' });
    } else if (row.state === 'active') {
      lost.push({ row, rewritten: rewrittenOf.get(row) ?? null });
    }
  }
  return { matches, lost };
}

/** The stored row a file is (exact identity first, then content for copy-shaped files), or null. */
export function findKnownRow(c: CandidateFile, rows: readonly StoredCheckpoint[]): CheckpointMatch | null {
  const ordered = [...rows].sort(byPreference);
  for (const row of ordered) if (isExactMatch(c, row)) return { row, kind: 'exact' };
  for (const row of ordered) if (isContentMatch(c, row)) return { row, kind: 'content' };
  return null;
}
