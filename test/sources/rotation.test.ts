// Rotation torture against SourceTailer in follow mode: a writer process appends numbered lines and
// rotates the file itself (rename, copytruncate, double rotations, compression) while this process tails
// it through the pipeline's loop. Every numbered line must arrive exactly once, in order per writer.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { SourceTailer } from '../../src/sources/sourceTailer.js';
import { MemoryCheckpointRegistry } from '../support/memoryCheckpointRegistry.js';
import { spawnRotatingWriter, type RotatingWriterOptions, type WriterReport } from '../support/rotatingWriter.js';
import { followLoop, LineLedger, makeTempDir, RecordingLogger, sourceConfig } from './harness.js';

const ROTATE_WAIT_MS = 400;
const POLL_MS = 50;

interface ScenarioOptions {
  writer: Omit<RotatingWriterOptions, 'path'>;
  maxBytes?: number;
  delayPerBatchMs?: number;
  batchesPerCommit?: number;
}

async function scenario(t: TestContext, o: ScenarioOptions): Promise<{ logger: RecordingLogger }> {
  const { dir, cleanup } = await makeTempDir();
  const path = join(dir, 'access.log');
  await writeFile(path, '');
  const registry = new MemoryCheckpointRegistry();
  const logger = new RecordingLogger();
  const tailer = new SourceTailer({
    source: sourceConfig(path, { rotate_wait_ms: ROTATE_WAIT_MS, poll_interval_ms: POLL_MS }),
    checkpoints: registry,
    mode: 'follow',
    logger,
  });
  const ledger = new LineLedger();
  const writer = spawnRotatingWriter({ path, ...o.writer });
  let report: WriterReport | null = null;
  let writerError: unknown = null;
  writer.done.then((r) => { report = r; }, (err: unknown) => { writerError = err; });
  try {
    await tailer.start();
    let lastProgress = Date.now();
    let settleUntil = Infinity;
    await followLoop(tailer, registry, {
      maxBytes: o.maxBytes ?? 256 * 1024,
      ...(o.delayPerBatchMs !== undefined ? { delayPerBatchMs: o.delayPerBatchMs } : {}),
      ...(o.batchesPerCommit !== undefined ? { batchesPerCommit: o.batchesPerCommit } : {}),
      pollIntervalMs: POLL_MS,
      timeoutMs: 45_000,
      onBatch: (batch) => {
        ledger.add(batch.lines);
        lastProgress = Date.now();
      },
      stop: () => {
        if (writerError !== null) return true;
        const r = report as WriterReport | null;
        if (r === null) return false;
        // all lines in: keep tailing past rotate_wait so late duplicates and retirements would show
        if (ledger.distinct >= r.lines && settleUntil === Infinity) settleUntil = Date.now() + ROTATE_WAIT_MS + 600;
        return Date.now() >= settleUntil || Date.now() - lastProgress > 5000;
      },
    });
    if (writerError !== null) throw writerError;
    const r = report as unknown as WriterReport;
    const summary = ledger.summary(r.perWriter);
    t.diagnostic(`written ${summary.written}, received ${summary.received}, lost ${summary.lost}, duplicated ${summary.duplicated}, `
      + `out of order ${summary.outOfOrder}, garbled ${summary.garbled}; rotations ${r.rotations}, split lines ${r.splitLines}`);
    assert.deepEqual(ledger.unparsable, [], 'no line glued to or cut from another');
    assert.equal(summary.lost, 0, 'lines lost');
    assert.equal(summary.duplicated, 0, 'lines duplicated');
    assert.equal(summary.outOfOrder, 0, 'lines out of order for their writer');
    assert.equal(summary.received, summary.written);
    const open = tailer.status().filter((s) => s.state !== 'done');
    assert.deepEqual(open.map((s) => [s.path, s.state]), [[path, 'reading']], 'every rotated file was retired');
    assert.deepEqual(registry.all().filter((row) => row.state === 'active').map((row) => row.path), [path]);
    return { logger };
  } finally {
    writer.kill();
    await tailer.close();
    await cleanup();
  }
}

const ROTATIONS = (lines: number): RotatingWriterOptions['rotations'] => [
  { atLine: Math.round(lines * 0.25), kind: 'rename' },
  { atLine: Math.round(lines * 0.5), kind: 'rename' },
  { atLine: Math.round(lines * 0.75), kind: 'copytruncate' },
];

test('paced, one writer: rename, rename, copytruncate with split writes', async (t) => {
  await scenario(t, { writer: { lines: 30_000, linesPerSecond: 15_000, splitEvery: 1000, rotations: ROTATIONS(30_000) } });
});

test('burst, one writer: rename, rename, copytruncate with split writes', async (t) => {
  await scenario(t, { writer: { lines: 40_000, splitEvery: 1000, rotations: ROTATIONS(40_000) } });
});

test('paced, two writers: one reopens 2,000 lines after each rename (nginx before USR1)', async (t) => {
  await scenario(t, {
    writer: { lines: 30_000, linesPerSecond: 15_000, writers: 2, lateReopenLines: 2000, splitEvery: 1000, rotations: ROTATIONS(30_000) },
  });
});

test('burst, two writers, reader slowed by the store, several batches per transaction', async (t) => {
  await scenario(t, {
    writer: { lines: 30_000, writers: 2, lateReopenLines: 2000, splitEvery: 1000, rotations: ROTATIONS(30_000) },
    maxBytes: 32 * 1024,
    delayPerBatchMs: 1,
    batchesPerCommit: 4,
  });
});

test('double rotations (rename and copytruncate) while the reader is far behind, with delaycompress', async (t) => {
  const { logger } = await scenario(t, {
    writer: {
      lines: 24_000,
      splitEvery: 1000,
      compress: 'delay',
      rotations: [
        { atLine: 5000, kind: 'double-rename' },
        { atLine: 11_000, kind: 'double-rename' },
        { atLine: 17_000, kind: 'copytruncate' },
        { atLine: 17_050, kind: 'copytruncate' },
      ],
    },
    maxBytes: 8 * 1024,
    delayPerBatchMs: 2,
    batchesPerCommit: 3,
  });
  t.diagnostic(`generations found between polls: ${logger.count('appeared between two polls')}, `
    + `tails read from a copy: ${logger.count('reading its tail from the rotated copy')}`);
  // the 50 lines between the two rotations of a pair live in a generation no poll can see at its path
  assert.ok(logger.count('appeared between two polls') >= 2, 'the middle generations were found by the sibling sweep');
});
