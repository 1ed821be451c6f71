// What to do with each file found when a tailer starts: resume a checkpoint, adopt a copy of one, read a
// file from its beginning (or from its end for `start_at: end`), or leave it alone. Pure: the tailer
// performs the plan.
import type { CandidateFile } from './candidateFile.js';
import { matchCheckpoints } from './checkpointMatcher.js';
import { compareGenerations } from './rotatedSiblings.js';
import type { StoredCheckpoint } from './types.js';

export type StartAction =
  /** the checkpoint's own file: continue at its offset under its id */
  | { kind: 'resume'; candidate: CandidateFile; row: StoredCheckpoint }
  /** the checkpoint's content under another inode (copytruncate copy, .gz): a new row at the same offset */
  | { kind: 'adopt'; candidate: CandidateFile; row: StoredCheckpoint }
  /** a file never read: from its first byte, or from the end of its last complete line */
  | { kind: 'fresh'; candidate: CandidateFile; from: 'beginning' | 'end' };

export type SkipReason =
  | 'retired' // its checkpoint is finished
  | 'history' // older than anything read: rotated away before we started
  | 'not-matched' // a rotated sibling on a first start (only the glob's files are read then)
  | 'unreadable' // a .gz that cannot be decompressed (yet)
  | 'empty';

export interface StartPlan {
  /** files to open, by rotation family, each family oldest first; families by their oldest file's mtime */
  families: Array<{ lineage: string; actions: StartAction[] }>;
  skipped: Array<{ candidate: CandidateFile; reason: SkipReason }>;
  /** active checkpoints whose file is gone or was rewritten with no copy of its content left */
  lost: Array<{ row: StoredCheckpoint; rewritten: CandidateFile | null }>;
}

export interface StartInput {
  mode: 'follow' | 'replay';
  startAt: 'beginning' | 'end';
  rows: readonly StoredCheckpoint[];
  candidates: readonly CandidateFile[];
}

function olderFirst(a: CandidateFile, b: CandidateFile): number {
  return compareGenerations(a, b) || a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

export function planStart(input: StartInput): StartPlan {
  const { matches, lost } = matchCheckpoints(input.rows, input.candidates);
  const skipped: StartPlan['skipped'] = [];
  const actions: StartAction[] = [];

  const boundByLineage = new Map<string, CandidateFile[]>();
  for (const c of matches.keys()) {
    const list = boundByLineage.get(c.lineage) ?? [];
    list.push(c);
    boundByLineage.set(c.lineage, list);
  }
  // a file changed after the last checkpoint update was written while we were not running
  let lastActivity = -Infinity;
  for (const row of input.rows) lastActivity = Math.max(lastActivity, row.updated_at);

  for (const c of input.candidates) {
    const match = matches.get(c);
    if (match !== undefined) {
      if (match.row.state === 'retired') skipped.push({ candidate: c, reason: 'retired' });
      else actions.push({ kind: match.kind === 'exact' ? 'resume' : 'adopt', candidate: c, row: match.row });
      continue;
    }
    if (!c.readable) {
      skipped.push({ candidate: c, reason: 'unreadable' });
      continue;
    }
    if (c.size === 0 && !c.live) {
      skipped.push({ candidate: c, reason: 'empty' });
      continue;
    }
    if (input.mode === 'replay') {
      actions.push({ kind: 'fresh', candidate: c, from: 'beginning' });
      continue;
    }
    if (input.rows.length === 0) {
      if (!c.live) skipped.push({ candidate: c, reason: 'not-matched' });
      else actions.push({ kind: 'fresh', candidate: c, from: input.startAt });
      continue;
    }
    const bound = boundByLineage.get(c.lineage);
    const isNew = bound !== undefined
      ? bound.some((b) => olderFirst(b, c) < 0 && compareGenerations(b, c) !== 0)
      : c.mtimeMs > lastActivity;
    if (isNew) actions.push({ kind: 'fresh', candidate: c, from: 'beginning' });
    else if (c.live) actions.push({ kind: 'fresh', candidate: c, from: input.startAt });
    else skipped.push({ candidate: c, reason: 'history' });
  }

  const byLineage = new Map<string, StartAction[]>();
  for (const a of actions) {
    const list = byLineage.get(a.candidate.lineage) ?? [];
    list.push(a);
    byLineage.set(a.candidate.lineage, list);
  }
  const families = [...byLineage.entries()].map(([lineage, list]) => ({
    lineage,
    actions: list.sort((a, b) => olderFirst(a.candidate, b.candidate)),
  }));
  families.sort((a, b) => a.actions[0]!.candidate.mtimeMs - b.actions[0]!.candidate.mtimeMs);
  return { families, skipped, lost };
}
