// Bad input never stops the agent: binary bytes, invalid UTF-8, a 1 MB line, a cut line and lines in the wrong
// format are counted in `rejects` with a reason, where they were and a short masked sample, and the lines
// around them are stored.

import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, startAgent, tempDir, waitFor } from '../support/cli.js';

const dir = tempDir('badinput');
after(() => dir.remove());

const good = (n: number): string =>
  `[Tue, 24 Nov 2026 15:00:${String(n % 60).padStart(2, '0')} +0000]\t100\tphab01\t198.51.100.${n % 250}\talice\tPhabricatorHomeController\t-\t/good/${n}\t-\t200\t1500\n`;

function garbage(): Buffer {
  return Buffer.concat([
    Buffer.from(good(1)),
    Buffer.from([0x00, 0x01, 0x02, 0xff, 0x10, 0x0a]), // binary
    Buffer.from(good(2)),
    Buffer.concat([Buffer.from('[Tue, 24 Nov 2026 15:00:03 +0000]\t100\tphab01\t198.51.100.3\t'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from('\tx\n')]), // invalid UTF-8
    Buffer.from(good(4)),
    Buffer.from(`${'A'.repeat(1024 * 1024)}\n`), // 1 MB line
    Buffer.from(good(5)),
    Buffer.from('[Tue, 24 Nov 2026 15:00:06 +0000]\t100\tph\n'), // cut short: a writer died mid-line
    Buffer.from('198.51.100.7 - - [24/Nov/2026:15:00:07 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8"\n'), // wrong format
    Buffer.from('[Not a date]\t100\tphab01\t198.51.100.8\talice\tX\t-\t/x\t-\t200\t1\n'), // bad timestamp
    Buffer.from('[Tue, 24 Nov 2026 15:00:09 +0000]\t100\tphab01\t198.51.100.9\talice\tX\t-\t/x\t-\tabc\t1\n'), // bad status
    Buffer.from(good(10)),
  ]);
}

test('replay counts every kind of garbage in rejects, with reason, location and a short sample', () => {
  const log = dir.file('garbage.log', garbage());
  const db = `${dir.path}/replay.db`;
  const config = dir.file('replay.yaml', `store: { path: ${db} }\nsources:\n  - { name: phab, type: phabricator-access, path: ${log} }\n`);
  const result = runCli(['replay', '--config', config, '--json']);
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as { lines: number; events: number; rejects: Record<string, number> };
  assert.equal(summary.events, 5, 'the five good lines are stored');
  assert.equal(summary.lines, 12);
  assert.deepEqual(summary.rejects, { binary: 1, invalid_utf8: 1, oversized: 1, format_mismatch: 2, bad_timestamp: 1, bad_field: 1 });

  const store = new Database(db, { readonly: true });
  try {
    const rejects = store.prepare('SELECT reason, offset, length, detail, sample FROM rejects ORDER BY offset').all() as {
      reason: string; offset: number; length: number; detail: string; sample: string;
    }[];
    assert.equal(rejects.length, 7);
    for (const r of rejects) {
      assert.ok(r.sample.length <= 201, `sample of a ${r.reason} reject is short (${r.sample.length})`);
      assert.ok(r.detail.length > 10, 'the detail says what was wrong');
    }
    const oversized = rejects.find((r) => r.reason === 'oversized')!;
    assert.equal(oversized.length, 1024 * 1024 + 1, 'the whole oversized line is accounted for');
    assert.match(oversized.detail, /longer than max_line_bytes/);
    const binary = rejects.find((r) => r.reason === 'binary')!;
    assert.match(binary.detail, /control byte 0x00/);
    assert.doesNotMatch(binary.sample, /\x00/, 'control bytes are shown escaped');
    assert.match(rejects.find((r) => r.reason === 'bad_field')!.detail, /%c|status/);
    // Offsets point at the lines: the stored good events and the rejects tile the file without gaps.
    const events = store.prepare('SELECT offset FROM events ORDER BY offset').all() as { offset: number }[];
    const all = [...events.map((e) => e.offset), ...rejects.map((r) => r.offset)].sort((a, b) => a - b);
    assert.equal(all[0], 0);
    assert.equal(new Set(all).size, 12);
    const checkpoint = store.prepare('SELECT offset FROM checkpoints').get() as { offset: number };
    assert.equal(checkpoint.offset, garbage().length, 'the checkpoint moved past the garbage');
  } finally {
    store.close();
  }
});

test('run keeps going after garbage arrives live', { timeout: 60_000 }, async () => {
  const log = dir.file('live.log', good(100));
  const db = `${dir.path}/live.db`;
  const config = dir.file('live.yaml', `store: { path: ${db} }\nsources:\n  - { name: phab, type: phabricator-access, path: ${log}, poll_interval: 50ms }\nlog: { level: warn }\n`);
  const agent = startAgent(['run', '--config', config]);
  const count = (sql: string): number => {
    try {
      const store = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return (store.prepare(sql).get() as { n: number }).n;
      } finally {
        store.close();
      }
    } catch {
      return 0;
    }
  };
  try {
    await waitFor(() => count('SELECT count(*) AS n FROM events') === 1, 20_000, 'the first event');
    appendFileSync(log, garbage());
    await waitFor(() => count('SELECT count(*) AS n FROM events') === 6, 20_000, 'the good lines after the garbage');
    assert.equal(count('SELECT count(*) AS n FROM rejects'), 7);
    appendFileSync(log, good(200));
    await waitFor(() => count('SELECT count(*) AS n FROM events') === 7, 20_000, 'a line after that');
  } finally {
    agent.child.kill('SIGTERM');
  }
  assert.equal(await agent.exited, 0);
  const { stderr } = agent.output();
  assert.match(stderr, /line rejected/, 'rejects are logged');
  assert.doesNotMatch(stderr, /A{300}/, 'logs carry short samples, not whole lines');
});
