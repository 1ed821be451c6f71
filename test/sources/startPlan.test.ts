import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCandidate, type CandidateFile } from '../../src/sources/candidateFile.js';
import { fingerprintOf } from '../../src/sources/fingerprint.js';
import { planStart, type StartPlan } from '../../src/sources/startPlan.js';
import type { StoredCheckpoint } from '../../src/sources/types.js';

const LIVE = '/l/access.log';
const isSourceFile = (p: string): boolean => p === LIVE;

function file(
  path: string, ino: number, content: string, mtimeMs: number, size = Buffer.byteLength(content), isSource = isSourceFile,
): CandidateFile {
  return describeCandidate(
    path,
    { dev: 7n, ino: BigInt(ino), size, mtimeMs, nlink: 1, isFile: true, changeStamp: `${size}:${mtimeMs}` },
    Buffer.from(content.slice(0, 1024)),
    null,
    isSource,
  );
}

let nextId = 1;
function row(path: string, ino: number, content: string, offset: number, extra: Partial<StoredCheckpoint> = {}): StoredCheckpoint {
  return {
    id: nextId++, source: 'access', path, dev: 7n, ino: BigInt(ino), fingerprint: fingerprintOf(Buffer.from(content)),
    offset, compressed: false, state: 'active', updated_at: 1000, ...extra,
  };
}

function summary(plan: StartPlan): string[] {
  const out: string[] = [];
  for (const f of plan.families) {
    for (const a of f.actions) {
      out.push(a.kind === 'fresh' ? `${a.candidate.path} fresh:${a.from}` : `${a.candidate.path} ${a.kind}:${a.row.id}`);
    }
  }
  for (const s of plan.skipped) out.push(`${s.candidate.path} skip:${s.reason}`);
  for (const l of plan.lost) out.push(`lost:${l.row.id}${l.rewritten !== null ? ` rewritten:${l.rewritten.path}` : ''}`);
  return out;
}

test('first start in follow mode reads only the glob matches, from start_at', () => {
  const candidates = [file(LIVE, 1, 'b\n', 900), file(`${LIVE}.1`, 2, 'a\n', 500)];
  assert.deepEqual(summary(planStart({ mode: 'follow', startAt: 'end', rows: [], candidates })), [
    `${LIVE} fresh:end`, `${LIVE}.1 skip:not-matched`,
  ]);
});

test('replay reads every file oldest generation first, skipping what a checkpoint already finished', () => {
  const done = row(`${LIVE}.3.gz`, 9, 'zero\n', 5, { state: 'retired', compressed: true });
  const candidates = [
    file(LIVE, 1, 'c\n', 900), file(`${LIVE}.1`, 2, 'b\n', 950), file(`${LIVE}.2.gz`, 3, 'a\n', 400),
    { ...file(`${LIVE}.3.gz`, 9, 'zero\n', 100), compressed: true },
  ];
  assert.deepEqual(summary(planStart({ mode: 'replay', startAt: 'end', rows: [done], candidates })), [
    `${LIVE}.2.gz fresh:beginning`, `${LIVE}.1 fresh:beginning`, `${LIVE} fresh:beginning`, `${LIVE}.3.gz skip:retired`,
  ]);
});

test('restart: a renamed file resumes, a newer generation is read from 0, older history is left alone', () => {
  const current = row(LIVE, 2, 'gen2 first line\n', 40);
  const candidates = [
    file(`${LIVE}.2`, 1, 'gen1 history\n', 100), // never registered, older than what we read
    file(`${LIVE}.1`, 2, 'gen2 first line\nmore\n', 300, 4000), // our file, renamed while we were down
    file(LIVE, 3, 'gen3\n', 2000), // created while we were down
  ];
  assert.deepEqual(summary(planStart({ mode: 'follow', startAt: 'end', rows: [current], candidates })), [
    `${LIVE}.1 resume:${current.id}`, `${LIVE} fresh:beginning`, `${LIVE}.2 skip:history`,
  ]);
});

test('inode reuse: same dev+ino with other first bytes never resumes the stale offset', () => {
  const stale = row(LIVE, 5, 'old content line\n', 17_000);
  const candidates = [file(LIVE, 5, 'new content, other bytes\n', 5000, 26_000)];
  const plan = planStart({ mode: 'follow', startAt: 'end', rows: [stale], candidates });
  assert.deepEqual(summary(plan), [`${LIVE} fresh:beginning`, `lost:${stale.id} rewritten:${LIVE}`]);
});

test('an offset beyond the file size is a truncation, never a resume past the end', () => {
  const r = row(LIVE, 5, 'same first line\n', 5000);
  const candidates = [file(LIVE, 5, 'same first line\n', 5000, 300)];
  assert.deepEqual(summary(planStart({ mode: 'follow', startAt: 'end', rows: [r], candidates })), [
    `${LIVE} fresh:beginning`, `lost:${r.id} rewritten:${LIVE}`,
  ]);
});

test('copytruncate while down: the copy is adopted at the old offset, the truncated file read from 0', () => {
  const r = row(LIVE, 5, 'generation one\n', 500);
  const candidates = [
    file(`${LIVE}.1`, 6, 'generation one\nand its tail\n', 600, 900), // the copy
    file(LIVE, 5, 'generation two\n', 700), // same inode, new content
  ];
  assert.deepEqual(summary(planStart({ mode: 'follow', startAt: 'end', rows: [r], candidates })), [
    `${LIVE}.1 adopt:${r.id}`, `${LIVE} fresh:beginning`,
  ]);
});

test('a .gz sibling holding a checkpoint\'s content is adopted; a copy shorter than the offset is not', () => {
  const r = row(LIVE, 5, 'generation one\n', 500);
  const gz = { ...file(`${LIVE}.1.gz`, 8, 'generation one\nmore\n', 600, 80), compressed: true };
  const short = file(`${LIVE}.2`, 9, 'generation one\n', 550, 100);
  const plan = planStart({ mode: 'follow', startAt: 'end', rows: [r], candidates: [gz, short, file(LIVE, 10, 'g3\n', 700)] });
  assert.deepEqual(summary(plan), [`${LIVE}.1.gz adopt:${r.id}`, `${LIVE} fresh:beginning`, `${LIVE}.2 skip:history`]);
});

test('the live file is never matched by content alone (two logs may start alike)', () => {
  const r = row(`${LIVE}.1`, 5, 'header\n', 7, { state: 'retired' });
  const plan = planStart({ mode: 'follow', startAt: 'end', rows: [r], candidates: [file(LIVE, 6, 'header\nnew lines\n', 2000)] });
  assert.deepEqual(summary(plan), [`${LIVE} fresh:beginning`]);
});

test('a glob match nobody read: from 0 if written after our last checkpoint activity, else from start_at', () => {
  const globbed = (p: string): boolean => p.startsWith('/l/') && p.endsWith('.log');
  const other = row('/l/other.log', 3, 'o\n', 2, { updated_at: 5000 });
  const candidates = [
    file('/l/other.log', 3, 'o\n', 4000, 2, globbed),
    file('/l/quiet.log', 4, 'q\n', 100, 2, globbed), // untouched since before: treated as never seen
    file('/l/new.log', 5, 'n\n', 6000, 2, globbed), // written while we were down
  ];
  const plan = planStart({ mode: 'follow', startAt: 'end', rows: [other], candidates });
  assert.deepEqual(summary(plan), ['/l/quiet.log fresh:end', `/l/other.log resume:${other.id}`, '/l/new.log fresh:beginning']);
});
