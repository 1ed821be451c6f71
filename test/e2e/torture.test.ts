// The whole agent under the conditions that lose lines in other tailers: two writers appending numbered lines
// in bursts (some split across two writes) while the log is renamed, copytruncated and rotated twice in quick
// succession, and `phabwatch run` is killed with SIGKILL and restarted several times meanwhile.
// Every line must end up in `events` exactly once.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { spawnRotatingWriter } from '../support/rotatingWriter.js';
import { startAgent, tempDir, waitFor, type RunningAgent } from '../support/cli.js';

const dir = tempDir('torture');
after(() => dir.remove());

// Phabricator's default access format; the path carries writer and sequence so every line is unique.
const TEMPLATE = '[{tsr}]\t{n}\tphab01\t10.0.0.{writer}\tuser{writer}\tPhabricatorTortureController\t-\t/w{writer}/s{seq}\t-\t200\t1234';
const LINES = 40_000;

function countEvents(dbPath: string): number {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

test('every line is stored exactly once through rotations and kill -9 restarts', { timeout: 150_000 }, async () => {
  const logPath = `${dir.path}/access.log`;
  const dbPath = `${dir.path}/store.db`;
  dir.file('access.log', '');
  const config = dir.file('phabwatch.yaml', [
    `store: { path: ${dbPath} }`,
    'sources:',
    // The glob also matches the rotated generations: a file is known by identity, never read twice.
    `  - { name: phab, type: phabricator-access, path: "${dir.path}/access.log*", rotate_wait: 1s, poll_interval: 100ms }`,
    'log: { level: warn }',
  ].join('\n'));

  let agent: RunningAgent = startAgent(['run', '--config', config]);
  const writer = spawnRotatingWriter({
    path: logPath,
    lines: LINES,
    template: TEMPLATE,
    linesPerSecond: 5000,
    writers: 2,
    lateReopenLines: 1500,
    splitEvery: 250,
    rotations: [
      { atLine: 8_000, kind: 'rename' },
      { atLine: 16_000, kind: 'copytruncate' },
      { atLine: 24_000, kind: 'double-rename' },
      { atLine: 32_000, kind: 'rename' },
    ],
  });

  // Kill -9 the agent several times while the writer rotates, restarting it after a short outage.
  let kills = 0;
  for (const delay of [1500, 1700, 1300, 1900, 1100]) {
    await sleep(delay);
    agent.child.kill('SIGKILL');
    await agent.exited;
    kills++;
    await sleep(300);
    agent = startAgent(['run', '--config', config]);
  }
  const report = await writer.done;
  assert.equal(report.lines, LINES);
  try {
    await waitFor(() => countEvents(dbPath) >= LINES, 60_000, `${LINES} events (have ${countEvents(dbPath)})`, 250);
    // Give a duplicate the chance to show up before checking (a late re-read would come within a poll or two).
    await sleep(1500);
  } finally {
    agent.child.kill('SIGTERM');
  }
  assert.equal(await agent.exited, 0, `agent exits cleanly on SIGTERM; stderr:\n${agent.output().stderr}`);

  const db = new Database(dbPath, { readonly: true });
  try {
    const total = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    const distinct = (db.prepare('SELECT count(DISTINCT path) AS n FROM events').get() as { n: number }).n;
    assert.equal(distinct, LINES, 'every written line is stored');
    assert.equal(total, LINES, 'no line is stored twice');
    for (const [w, written] of report.perWriter.entries()) {
      const row = db.prepare("SELECT count(*) AS n, min(path) AS first, max(path) AS last FROM events WHERE path LIKE ?").get(`/w${w}/%`) as { n: number; first: string; last: string };
      assert.equal(row.n, written, `writer ${w}: all ${written} lines`);
      assert.equal(row.first, `/w${w}/s00000001`);
      assert.equal(row.last, `/w${w}/s${String(written).padStart(8, '0')}`);
    }
    assert.equal((db.prepare('SELECT count(*) AS n FROM rejects').get() as { n: number }).n, 0, 'split writes never produce a broken line');
    assert.ok(kills >= 5);
  } finally {
    db.close();
  }
});
