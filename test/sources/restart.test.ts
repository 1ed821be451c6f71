// Restart exactness: a tailing process (restartConsumer) is killed with SIGKILL again and again while the
// writer rotates the file during each outage. Its journal holds exactly what it committed (several batches'
// lines and checkpoints in one write), so the test can tell every lost or repeated line and skipped byte.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { spawnRotatingWriter, type RotatingWriterOptions, type RotationKind, type WriterReport } from '../support/rotatingWriter.js';
import { LineLedger, makeTempDir, sleep } from './harness.js';
import { readJournal } from './journalCheckpointRegistry.js';
import { CONSUMER_SCRIPT, type ConsumerOptions } from './restartConsumer.js';

interface Outage {
  /** how long the consumer runs after its first commit before it is killed */
  upMs: number;
  /** rotation done while it is down */
  rotation: RotationKind;
  downMs: number;
}

function startConsumer(o: ConsumerOptions): ChildProcess {
  return fork(CONSUMER_SCRIPT, ['--run', JSON.stringify(o)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

/** Per checkpoint, batches must continue exactly where the previous one ended (from the registered offset). */
function checkJournalContiguity(journal: string): { batches: number; gaps: string[] } {
  const at = new Map<number, number>();
  const gaps: string[] = [];
  let batches = 0;
  for (const rec of readJournal(journal)) {
    if (rec.t === 'reg') at.set(rec.row.id, rec.row.offset);
    if (rec.t !== 'txn') continue;
    for (const b of rec.batches) {
      batches++;
      const expected = at.get(b.id);
      if (expected !== b.start) gaps.push(`checkpoint ${b.id}: batch starts at ${b.start}, checkpoint was ${expected}`);
      at.set(b.id, b.end);
    }
  }
  return { batches, gaps };
}

function countCommits(journal: string): number {
  return readJournal(journal).filter((rec) => rec.t === 'txn').length;
}

async function untilNewCommit(journal: string): Promise<void> {
  const before = countCommits(journal);
  const deadline = Date.now() + 15_000;
  while (countCommits(journal) === before) {
    if (Date.now() > deadline) throw new Error('the consumer committed nothing within 15 s');
    await sleep(20);
  }
}

function logMessages(path: string): Array<{ msg: string; [k: string]: unknown }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { msg: string });
}

async function killLoop(t: TestContext, writerOptions: Omit<RotatingWriterOptions, 'path'>, outages: Outage[]) {
  const { dir, cleanup } = await makeTempDir();
  const path = join(dir, 'access.log');
  const journal = join(dir, 'journal.jsonl');
  const log = join(dir, 'consumer.log');
  await writeFile(path, '');
  const consumerOptions: ConsumerOptions = { path, journal, log, rotateWaitMs: 400, pollMs: 50 };
  const writer = spawnRotatingWriter({ path, ...writerOptions });
  let consumer = startConsumer(consumerOptions);
  try {
    for (const outage of outages) {
      // killed only once it committed something: a kill before its first checkpoint is a first start
      // again, which by design reads only the glob's files and not the siblings rotated meanwhile
      await untilNewCommit(journal);
      await sleep(outage.upMs);
      await killHard(consumer);
      await writer.rotate(outage.rotation);
      await sleep(outage.downMs);
      consumer = startConsumer(consumerOptions);
    }
    const report: WriterReport = await writer.done;
    const deadline = Date.now() + 30_000;
    const ledger = (): LineLedger => {
      const l = new LineLedger();
      for (const rec of readJournal(journal)) {
        if (rec.t === 'txn') for (const b of rec.batches) for (const text of b.lines) l.addText(text);
      }
      return l;
    };
    while (ledger().distinct < report.lines && Date.now() < deadline) await sleep(200);
    await sleep(1000); // a duplicate arriving late would show now
    await killHard(consumer);
    const final = ledger();
    const summary = final.summary(report.perWriter);
    const { batches, gaps } = checkJournalContiguity(journal);
    t.diagnostic(`written ${summary.written}, received ${summary.received}, lost ${summary.lost}, duplicated ${summary.duplicated}, `
      + `out of order ${summary.outOfOrder}; kills ${outages.length}, batches ${batches}`);
    assert.deepEqual(gaps, [], 'every batch continues its checkpoint');
    assert.deepEqual(final.unparsable, []);
    assert.equal(summary.lost, 0, 'lines lost');
    assert.equal(summary.duplicated, 0, 'lines duplicated');
    assert.equal(summary.received, summary.written);
    return logMessages(log);
  } finally {
    writer.kill();
    await killHard(consumer);
    await cleanup();
  }
}

test('kill -9 three times while rename, rename and copytruncate happen during the outages: 0 lost, 0 duplicated', async (t) => {
  const messages = await killLoop(
    t,
    { lines: 30_000, linesPerSecond: 6000, writers: 2, lateReopenLines: 2000, splitEvery: 1000 },
    [
      { upMs: 500, rotation: 'rename', downMs: 400 },
      { upMs: 600, rotation: 'rename', downMs: 300 },
      { upMs: 500, rotation: 'copytruncate', downMs: 400 },
    ],
  );
  const adopted = messages.filter((m) => m.msg === 'resuming a checkpoint from a rotated copy of its file');
  t.diagnostic(`restarts resumed ${messages.filter((m) => m.msg === 'resuming at checkpoint').length} checkpoints, adopted ${adopted.length} copies`);
  assert.ok(adopted.length >= 1, 'the copytruncate during an outage was recovered from the copy');
});

test('kill -9 while the file is rotated and compressed at once: the unread tail comes from the .gz', async (t) => {
  const messages = await killLoop(
    t,
    { lines: 20_000, linesPerSecond: 6000, compress: 'immediate', splitEvery: 1000 },
    [
      { upMs: 500, rotation: 'rename', downMs: 300 },
      { upMs: 500, rotation: 'rename', downMs: 300 },
    ],
  );
  const fromGz = messages.filter((m) => m.msg === 'resuming a checkpoint from a rotated copy of its file' && m.compressed === true);
  assert.ok(fromGz.length >= 2, `each outage resumed from the compressed copy (${fromGz.length})`);
});
