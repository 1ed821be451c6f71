// SourceTailer step by step on real files with an injected clock: each test performs one file-system
// event between reads and checks exactly which lines come out and what the checkpoints say.
import assert from 'node:assert/strict';
import { appendFile, mkdir, open, readFile, rename, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { SourceConfig } from '../../src/config/types.js';
import { fingerprintOf } from '../../src/sources/fingerprint.js';
import { SourceTailer } from '../../src/sources/sourceTailer.js';
import type { Line } from '../../src/sources/types.js';
import { MemoryCheckpointRegistry } from '../support/memoryCheckpointRegistry.js';
import { makeTempDir, RecordingLogger, sourceConfig } from './harness.js';

class FakeClock {
  t = 1_000_000;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

interface Rig {
  dir: string;
  log: string;
  clock: FakeClock;
  registry: MemoryCheckpointRegistry;
  logger: RecordingLogger;
  tailer: SourceTailer;
  cleanup: () => Promise<void>;
}

async function rig(setup: (dir: string) => Promise<void>, overrides: Partial<SourceConfig> = {}, mode: 'follow' | 'replay' = 'follow', files?: (dir: string) => string[]): Promise<Rig> {
  const { dir, cleanup } = await makeTempDir();
  await setup(dir);
  const clock = new FakeClock();
  const registry = new MemoryCheckpointRegistry(clock.now);
  const logger = new RecordingLogger();
  const log = join(dir, 'access.log');
  const source = sourceConfig(overrides.path ?? log, { poll_interval_ms: 50, rotate_wait_ms: 400, ...overrides });
  const tailer = new SourceTailer({ source, checkpoints: registry, mode, logger, now: clock.now, ...(files ? { files: files(dir) } : {}) });
  await tailer.start();
  return {
    dir, log, clock, registry, logger, tailer,
    cleanup: async () => {
      await tailer.close();
      await cleanup();
    },
  };
}

/** Read and commit until nothing is ready. */
async function drain(tailer: SourceTailer, registry: MemoryCheckpointRegistry, maxBytes = 64 * 1024): Promise<Line[]> {
  const lines: Line[] = [];
  for (let i = 0; i < 10_000; i++) {
    const batch = await tailer.read(maxBytes);
    if (batch === null) return lines;
    registry.commit(batch);
    lines.push(...batch.lines);
  }
  throw new Error('drain did not end');
}

const texts = (lines: Line[]): string[] => lines.map((l) => l.text);
const numbered = (prefix: string, from: number, to: number): string =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${String(from + i).padStart(5, '0')} ${'p'.repeat(60)}\n`).join('');
const numberedTexts = (prefix: string, from: number, to: number): string[] => numbered(prefix, from, to).split('\n').slice(0, -1);

test('start_at end starts after the last complete line; the partial line there is completed later', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), 'old 1\nold 2\npart'), { start_at: 'end' });
  try {
    assert.deepEqual(await drain(r.tailer, r.registry), []);
    assert.equal(r.tailer.status()[0]?.offset, 12);
    await appendFile(r.log, 'ial\nnew\n');
    await r.tailer.poll();
    assert.deepEqual(texts(await drain(r.tailer, r.registry)), ['partial', 'new']);
    assert.equal(r.registry.all()[0]?.offset, 24);
  } finally {
    await r.cleanup();
  }
});

test('a file is registered only once it has a complete line', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), 'no newline yet'));
  try {
    assert.deepEqual(await drain(r.tailer, r.registry), []);
    assert.equal(r.registry.all().length, 0);
    await appendFile(r.log, '\n');
    await r.tailer.poll();
    assert.deepEqual(texts(await drain(r.tailer, r.registry)), ['no newline yet']);
    assert.equal(r.registry.all().length, 1);
  } finally {
    await r.cleanup();
  }
});

test('the fingerprint grows with the file up to 1024 bytes and is recorded', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), 'first line of forty bytes, more or less\n'));
  try {
    await drain(r.tailer, r.registry);
    assert.equal(r.registry.all()[0]?.fingerprint.length, 40);
    await appendFile(r.log, numbered('grow', 1, 40));
    await r.tailer.poll();
    await drain(r.tailer, r.registry);
    const content = await readFile(r.log);
    assert.deepEqual(r.registry.all()[0]?.fingerprint, fingerprintOf(content.subarray(0, 1024)));
  } finally {
    await r.cleanup();
  }
});

test('rename rotation: the old file is read until quiet for rotate_wait, its last fragment handed out, then retired', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), 'a\nb'));
  try {
    assert.deepEqual(texts(await drain(r.tailer, r.registry)), ['a']);
    const oldId = r.registry.all()[0]!.id;
    await rename(r.log, `${r.log}.1`);
    await writeFile(r.log, 'new 1\n');
    await r.tailer.poll();
    assert.deepEqual(texts(await drain(r.tailer, r.registry)), ['new 1']);
    assert.equal(r.registry.get(oldId)?.path, `${r.log}.1`, 'the rename was recorded');
    // a late writer still appends to the renamed file: its lines are read, and the quiet time starts over
    r.clock.advance(300);
    await appendFile(`${r.log}.1`, 'late\nfragment');
    await r.tailer.poll();
    assert.deepEqual(texts(await drain(r.tailer, r.registry)), ['blate']);
    r.clock.advance(300);
    await r.tailer.poll();
    assert.deepEqual(await drain(r.tailer, r.registry), [], 'not quiet for 400 ms yet');
    assert.deepEqual(r.tailer.status().map((s) => s.state).sort(), ['draining', 'reading']);
    r.clock.advance(150);
    await r.tailer.poll();
    const last = await drain(r.tailer, r.registry);
    assert.deepEqual(last, [{ offset: 8, length: 8, text: 'fragment', unterminated: true }]);
    assert.equal(r.registry.get(oldId)?.state, 'retired');
    assert.equal(r.registry.get(oldId)?.offset, (await stat(`${r.log}.1`)).size);
    assert.deepEqual(r.tailer.status().filter((s) => s.state !== 'done').map((s) => s.path), [r.log]);
  } finally {
    await r.cleanup();
  }
});

test('a file deleted while open is read through its descriptor until quiet, then retired', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), 'one\n'));
  const writer = await open(r.log, 'a');
  try {
    await drain(r.tailer, r.registry);
    await unlink(r.log);
    await writer.write('two\n');
    await r.tailer.poll();
    assert.deepEqual(texts(await drain(r.tailer, r.registry)), ['two']);
    r.clock.advance(500);
    await r.tailer.poll();
    await drain(r.tailer, r.registry);
    assert.equal(r.registry.all()[0]?.state, 'retired');
    assert.equal(r.tailer.status().filter((s) => s.state !== 'done').length, 0);
  } finally {
    await writer.close();
    await r.cleanup();
  }
});

test('an oversized line is handed out as a sample and the checkpoint moves past it', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), `ok\n${'x'.repeat(5000)}\nafter\n`), { max_line_bytes: 1000 });
  try {
    const lines = await drain(r.tailer, r.registry, 1024);
    assert.deepEqual(lines.map((l) => [l.text.length, l.oversized === true, l.length]), [[2, false, 3], [256, true, 5001], [5, false, 6]]);
    assert.equal(r.registry.all()[0]?.offset, (await stat(r.log)).size);
  } finally {
    await r.cleanup();
  }
});

test('restart resumes exactly at the committed checkpoint', async () => {
  const { dir, cleanup } = await makeTempDir();
  const log = join(dir, 'access.log');
  const registry = new MemoryCheckpointRegistry();
  try {
    await writeFile(log, numbered('r', 1, 100));
    const source = sourceConfig(log);
    const first = new SourceTailer({ source, checkpoints: registry, mode: 'follow', logger: new RecordingLogger() });
    await first.start();
    const batch = await first.read(1000); // commit one small batch only, then "crash"
    assert.ok(batch !== null);
    registry.commit(batch);
    const got = batch.lines.length;
    await first.close();
    await appendFile(log, numbered('r', 101, 120));
    const second = new SourceTailer({ source, checkpoints: registry, mode: 'follow', logger: new RecordingLogger() });
    await second.start();
    const rest = await drain(second, registry);
    await second.close();
    assert.deepEqual(texts([...batch.lines, ...rest]), numberedTexts('r', 1, 120));
    assert.ok(got > 0 && got < 100);
  } finally {
    await cleanup();
  }
});

test('inode reuse on restart: a new file on the old inode is read from 0, never from the stale offset', async (t) => {
  const { dir, cleanup } = await makeTempDir();
  const log = join(dir, 'access.log');
  const registry = new MemoryCheckpointRegistry();
  try {
    await writeFile(log, numbered('A', 1, 200));
    const source = sourceConfig(log);
    const first = new SourceTailer({ source, checkpoints: registry, mode: 'follow', logger: new RecordingLogger() });
    await first.start();
    await drain(first, registry);
    await first.close();
    const oldIno = (await stat(log)).ino;
    // delete and create: ext4 and most file systems hand the freed inode to the next new file
    await unlink(log);
    await writeFile(log, numbered('B', 1, 400));
    const reused = (await stat(log)).ino === oldIno;
    const logger = new RecordingLogger();
    const second = new SourceTailer({ source, checkpoints: registry, mode: 'follow', logger });
    await second.start();
    const lines = await drain(second, registry);
    await second.close();
    assert.deepEqual(texts(lines), numberedTexts('B', 1, 400));
    assert.equal(registry.all().filter((r) => r.state === 'active').length, 1);
    t.diagnostic(`inode reused by the new file: ${reused}`);
  } finally {
    await cleanup();
  }
});

test('truncate and rewrite to a larger size without rotation: new content from 0, nothing repeated (Vector #23619)', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), numbered('v1', 1, 100)));
  try {
    assert.equal((await drain(r.tailer, r.registry)).length, 100);
    await truncate(r.log, 0);
    await writeFile(r.log, numbered('v2', 1, 300));
    // no poll: the read itself notices that the first bytes changed
    const lines = await drain(r.tailer, r.registry);
    assert.deepEqual(texts(lines), numberedTexts('v2', 1, 300));
    const rows = r.registry.all();
    assert.deepEqual(rows.map((row) => row.state), ['retired', 'active']);
    assert.equal(r.logger.count('no rotated copy holds its unread tail'), 0, 'nothing unread was lost');
  } finally {
    await r.cleanup();
  }
});

test('copytruncate: the unread tail is read from the copy, then the truncated file from 0', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), numbered('g1', 1, 50)));
  try {
    const first = await r.tailer.read(700);
    assert.ok(first !== null && first.lines.length < 50);
    r.registry.commit(first);
    await writeFile(`${r.log}.1`, await readFile(r.log));
    await truncate(r.log, 0);
    await appendFile(r.log, numbered('g2', 1, 80));
    await r.tailer.poll();
    const rest = await drain(r.tailer, r.registry);
    assert.deepEqual(texts([...first.lines, ...rest]), [...numberedTexts('g1', 1, 50), ...numberedTexts('g2', 1, 80)]);
    assert.equal(r.logger.count('reading its tail from the rotated copy'), 1);
    const copy = r.registry.all().find((row) => row.path === `${r.log}.1`);
    assert.equal(copy?.offset, (await stat(`${r.log}.1`)).size);
  } finally {
    await r.cleanup();
  }
});

test('copytruncate with nothing to recover logs how many bytes were lost', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), numbered('g1', 1, 50)));
  try {
    const first = await r.tailer.read(700);
    assert.ok(first !== null);
    r.registry.commit(first);
    const size = (await stat(r.log)).size;
    await truncate(r.log, 0);
    await appendFile(r.log, numbered('g2', 1, 80)); // no copy anywhere
    await r.tailer.poll();
    const rest = await drain(r.tailer, r.registry);
    assert.deepEqual(texts(rest), numberedTexts('g2', 1, 80));
    const warn = r.logger.records.find((rec) => rec.message.includes('no rotated copy holds its unread tail'));
    assert.equal(warn?.fields.lostBytes, size - first.endOffset);
  } finally {
    await r.cleanup();
  }
});

test('two rotations between polls: the generation born and rotated in between is read too', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), numbered('g1', 1, 10)));
  try {
    assert.equal((await drain(r.tailer, r.registry)).length, 10);
    await appendFile(r.log, numbered('g1', 11, 20));
    await rename(r.log, `${r.log}.1`);
    await writeFile(r.log, numbered('g2', 1, 30));
    await rename(`${r.log}.1`, `${r.log}.2`);
    await rename(r.log, `${r.log}.1`);
    await writeFile(r.log, numbered('g3', 1, 5));
    await r.tailer.poll();
    const lines = await drain(r.tailer, r.registry);
    assert.deepEqual(texts(lines), [...numberedTexts('g1', 11, 20), ...numberedTexts('g2', 1, 30), ...numberedTexts('g3', 1, 5)]);
    assert.equal(r.logger.count('appeared between two polls'), 1);
  } finally {
    await r.cleanup();
  }
});

test('restart after rotation and compression while stopped: the tail is read from the .gz', async () => {
  const { dir, cleanup } = await makeTempDir();
  const log = join(dir, 'access.log');
  const registry = new MemoryCheckpointRegistry();
  try {
    await writeFile(log, numbered('g1', 1, 100));
    const source = sourceConfig(log);
    const first = new SourceTailer({ source, checkpoints: registry, mode: 'follow', logger: new RecordingLogger() });
    await first.start();
    const batch = await first.read(3000);
    assert.ok(batch !== null);
    registry.commit(batch);
    await first.close();
    await appendFile(log, numbered('g1', 101, 120));
    await writeFile(`${log}.1.gz`, gzipSync(await readFile(log)));
    await unlink(log);
    await writeFile(log, numbered('g2', 1, 10));
    const logger = new RecordingLogger();
    const second = new SourceTailer({ source, checkpoints: registry, mode: 'follow', logger });
    await second.start();
    const rest = await drain(second, registry);
    assert.deepEqual(texts([...batch.lines, ...rest]), [...numberedTexts('g1', 1, 120), ...numberedTexts('g2', 1, 10)]);
    assert.equal(logger.count('resuming a checkpoint from a rotated copy'), 1);
    assert.ok(second.status().some((s) => s.compressed && s.path === `${log}.1.gz`));
    await second.close();
  } finally {
    await cleanup();
  }
});

test('replay: rotated and .gz siblings oldest first, their last fragment handed out; the live file\'s waits', async () => {
  const setup = async (dir: string): Promise<void> => {
    const log = join(dir, 'access.log');
    await writeFile(`${log}.2.gz`, gzipSync(Buffer.from(`${numbered('g1', 1, 3)}g1 end`)));
    await writeFile(`${log}.1`, `${numbered('g2', 1, 3)}g2 end`);
    await writeFile(log, `${numbered('g3', 1, 3)}g3 partial`);
  };
  const r = await rig(setup, {}, 'replay');
  try {
    assert.equal(r.tailer.finished, false);
    const lines = await drain(r.tailer, r.registry);
    assert.deepEqual(texts(lines), [
      ...numberedTexts('g1', 1, 3), 'g1 end', ...numberedTexts('g2', 1, 3), 'g2 end', ...numberedTexts('g3', 1, 3),
    ]);
    assert.deepEqual(lines.filter((l) => l.unterminated).map((l) => l.text), ['g1 end', 'g2 end']);
    assert.equal(r.tailer.finished, true);
    const rows = r.registry.all();
    assert.deepEqual(rows.map((row) => [row.path.slice(r.dir.length + 1), row.state, row.compressed]), [
      ['access.log.2.gz', 'retired', true], ['access.log.1', 'retired', false], ['access.log', 'active', false],
    ]);
    // a second replay over the same files reads nothing again
    const again = new SourceTailer({ source: sourceConfig(r.log), checkpoints: r.registry, mode: 'replay', logger: r.logger });
    await again.start();
    assert.deepEqual(await drain(again, r.registry), []);
    assert.equal(again.finished, true);
    await again.close();
  } finally {
    await r.cleanup();
  }
});

test('replay of explicit files reads exactly those, as this source', async () => {
  const setup = async (dir: string): Promise<void> => {
    await writeFile(join(dir, 'old-export.log'), 'x 1\nx 2\n');
    await writeFile(join(dir, 'access.log'), 'not asked for\n');
  };
  const r = await rig(setup, {}, 'replay', (dir) => [join(dir, 'old-export.log')]);
  try {
    assert.deepEqual(texts(await drain(r.tailer, r.registry)), ['x 1', 'x 2']);
    assert.equal(r.tailer.finished, true);
    assert.deepEqual(r.registry.all().map((row) => row.state), ['retired']);
  } finally {
    await r.cleanup();
  }
});


test('a glob source reads each of its files, and a file created later from its first line', async () => {
  const setup = async (dir: string): Promise<void> => {
    await writeFile(join(dir, 'a.log'), 'a 1\na 2\n');
    await writeFile(join(dir, 'b.log'), 'b 1\n');
    await writeFile(join(dir, 'b.log.1'), 'old b, not read on a first start\n');
  };
  const { dir, cleanup } = await makeTempDir();
  try {
    await setup(dir);
    const registry = new MemoryCheckpointRegistry();
    const tailer = new SourceTailer({ source: sourceConfig(join(dir, '*.log')), checkpoints: registry, mode: 'follow', logger: new RecordingLogger() });
    await tailer.start();
    assert.deepEqual(texts(await drain(tailer, registry)).sort(), ['a 1', 'a 2', 'b 1']);
    await writeFile(join(dir, 'c.log'), 'c 1\n');
    await appendFile(join(dir, 'a.log'), 'a 3\n');
    await tailer.poll();
    assert.deepEqual(texts(await drain(tailer, registry)).sort(), ['a 3', 'c 1']);
    assert.deepEqual(registry.all().map((row) => row.path.slice(dir.length + 1)).sort(), ['a.log', 'b.log', 'c.log']);
    await tailer.close();
  } finally {
    await cleanup();
  }
});

test('replay of a damaged .gz reads up to the damage and says so', async () => {
  const setup = async (dir: string): Promise<void> => {
    const gz = gzipSync(Buffer.from(numbered('z', 1, 2000)));
    await writeFile(join(dir, 'access.log.1.gz'), gz.subarray(0, gz.length >> 1));
    await writeFile(join(dir, 'access.log'), 'live 1\n');
  };
  const r = await rig(setup, {}, 'replay');
  try {
    const lines = await drain(r.tailer, r.registry);
    const fromGz = lines.filter((l) => l.text.startsWith('z '));
    const complete = fromGz.filter((l) => l.unterminated !== true);
    const cut = fromGz.filter((l) => l.unterminated === true);
    assert.ok(complete.length > 0 && complete.length < 2000);
    // every complete line before the damage, in order; a line cut by the damage comes last, marked
    assert.deepEqual(texts(complete), numberedTexts('z', 1, complete.length));
    assert.ok(cut.length <= 1 && fromGz.indexOf(cut[0] ?? complete.at(-1)!) === fromGz.length - 1);
    if (cut[0] !== undefined) assert.ok(numberedTexts('z', complete.length + 1, complete.length + 1)[0]!.startsWith(cut[0].text));
    assert.equal(lines.at(-1)?.text, 'live 1');
    assert.equal(r.logger.count('compressed file is damaged'), 1);
    assert.equal(r.tailer.finished, true);
  } finally {
    await r.cleanup();
  }
});

test('close() ends a pending waitForChange', { timeout: 10_000 }, async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), 'x\n'));
  const waiting = r.tailer.waitForChange(600_000);
  await r.cleanup();
  await waiting;
});

test('a rotated .gz still being written is read as far as it goes, then finished once complete', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), numbered('live', 1, 3)));
  try {
    assert.equal((await drain(r.tailer, r.registry)).length, 3);
    const gz = gzipSync(Buffer.from(numbered('m', 1, 300)));
    // between two polls: the live file went to .2, and a generation we never saw is being compressed to .1.gz
    await rename(r.log, `${r.log}.2`);
    await writeFile(`${r.log}.1.gz`, gz.subarray(0, gz.length >> 1));
    await writeFile(r.log, 'next 1\n');
    await r.tailer.poll();
    const first = await drain(r.tailer, r.registry);
    const partial = first.filter((l) => l.text.startsWith('m '));
    assert.ok(partial.length > 0 && partial.length < 300);
    await appendFile(`${r.log}.1.gz`, gz.subarray(gz.length >> 1));
    r.clock.advance(100);
    await r.tailer.poll();
    const rest = await drain(r.tailer, r.registry);
    assert.deepEqual(texts([...partial, ...rest.filter((l) => l.text.startsWith('m '))]), numberedTexts('m', 1, 300));
    assert.deepEqual(texts(first.filter((l) => !l.text.startsWith('m '))), ['next 1']);
    r.clock.advance(500);
    await r.tailer.poll();
    await drain(r.tailer, r.registry);
    assert.deepEqual(r.tailer.status().filter((s) => s.state !== 'done').map((s) => s.path), [r.log]);
  } finally {
    await r.cleanup();
  }
});

test('a checkpoint whose directory is missing at start is kept, and resumed when the file is back', async () => {
  const { dir, cleanup } = await makeTempDir();
  const logDir = join(dir, 'mnt');
  const log = join(logDir, 'access.log');
  const registry = new MemoryCheckpointRegistry();
  try {
    await mkdir(logDir);
    await writeFile(log, numbered('k', 1, 10));
    const source = sourceConfig(log);
    const first = new SourceTailer({ source, checkpoints: registry, mode: 'follow', logger: new RecordingLogger() });
    await first.start();
    await drain(first, registry);
    await first.close();
    await rename(logDir, join(dir, 'unmounted'));
    const logger = new RecordingLogger();
    const second = new SourceTailer({ source, checkpoints: registry, mode: 'follow', logger });
    await second.start();
    assert.equal(registry.all()[0]?.state, 'active');
    assert.equal(logger.count('its checkpoint is kept'), 1);
    await rename(join(dir, 'unmounted'), logDir);
    await appendFile(log, numbered('k', 11, 15));
    await second.poll();
    assert.deepEqual(texts(await drain(second, registry)), numberedTexts('k', 11, 15));
    await second.close();
  } finally {
    await cleanup();
  }
});

test('replay of several plain rotated generations reads them one after another', async () => {
  const setup = async (dir: string): Promise<void> => {
    const log = join(dir, 'access.log');
    await writeFile(`${log}.3`, numbered('g1', 1, 500));
    await writeFile(`${log}.2`, numbered('g2', 1, 500));
    await writeFile(`${log}.1`, numbered('g3', 1, 500));
    await writeFile(log, numbered('g4', 1, 500));
  };
  const r = await rig(setup, {}, 'replay');
  try {
    const lines = await drain(r.tailer, r.registry, 4096);
    assert.deepEqual(texts(lines), [
      ...numberedTexts('g1', 1, 500), ...numberedTexts('g2', 1, 500), ...numberedTexts('g3', 1, 500), ...numberedTexts('g4', 1, 500),
    ]);
    assert.equal(r.tailer.finished, true);
  } finally {
    await r.cleanup();
  }
});

test('follow: a file deleted, retired, then recreated on the same inode is read from its first line', async (t) => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), numbered('old', 1, 50)));
  try {
    assert.equal((await drain(r.tailer, r.registry)).length, 50);
    const oldIno = (await stat(r.log)).ino;
    await unlink(r.log);
    await r.tailer.poll();
    r.clock.advance(500);
    await r.tailer.poll(); // quiet and gone: retired, descriptor closed, inode free
    assert.equal(r.registry.all()[0]?.state, 'retired');
    await writeFile(r.log, numbered('new', 1, 80));
    t.diagnostic(`inode reused by the new file: ${(await stat(r.log)).ino === oldIno}`);
    await r.tailer.poll();
    assert.deepEqual(texts(await drain(r.tailer, r.registry)), numberedTexts('new', 1, 80));
  } finally {
    await r.cleanup();
  }
});

test('batches committed several reads later: copytruncate waits for the commit before handing over to the copy', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), numbered('g1', 1, 50)));
  try {
    // the pipeline holds two batches in one open transaction
    const held = [await r.tailer.read(700), await r.tailer.read(700)];
    assert.ok(held[0] !== null && held[1] !== null);
    await writeFile(`${r.log}.1`, await readFile(r.log));
    await truncate(r.log, 0);
    await appendFile(r.log, numbered('g2', 1, 20));
    await r.tailer.poll();
    assert.equal(await r.tailer.read(700), null, 'nothing more from the rewritten file until its batches are committed');
    assert.deepEqual(r.registry.all().map((row) => [row.path, row.state]), [[r.log, 'active']], 'no copy registered yet');
    for (const batch of held) r.registry.commit(batch!);
    const rest = await drain(r.tailer, r.registry);
    assert.deepEqual(texts([...held[0]!.lines, ...held[1]!.lines, ...rest]), [...numberedTexts('g1', 1, 50), ...numberedTexts('g2', 1, 20)]);
    const copy = r.registry.all().find((row) => row.path === `${r.log}.1`);
    assert.equal(copy?.offset, (await stat(`${r.log}.1`)).size);
  } finally {
    await r.cleanup();
  }
});

test('a rotated file is retired only once its last batch is committed', async () => {
  const r = await rig((dir) => writeFile(join(dir, 'access.log'), 'one\n'));
  try {
    const held = await r.tailer.read(1024);
    assert.ok(held !== null);
    const id = held.fileId;
    await rename(r.log, `${r.log}.1`);
    await writeFile(r.log, '');
    await r.tailer.poll();
    r.clock.advance(500);
    await r.tailer.poll();
    assert.equal(await r.tailer.read(1024), null);
    assert.equal(r.registry.get(id)?.state, 'active', 'not retired while its last batch is uncommitted');
    r.registry.commit(held);
    await r.tailer.read(1024);
    assert.equal(r.registry.get(id)?.state, 'retired');
  } finally {
    await r.cleanup();
  }
});

test('replay finishes when all is handed out; close() retires what was committed and keeps the rest', async () => {
  const setup = async (dir: string): Promise<void> => {
    await writeFile(join(dir, 'access.log.2'), 'a\n');
    await writeFile(join(dir, 'access.log.1'), 'b\n');
    await writeFile(join(dir, 'access.log'), 'c\n');
  };
  const r = await rig(setup, {}, 'replay');
  try {
    const batches = [];
    while (!r.tailer.finished) {
      const b = await r.tailer.read(1024);
      if (b !== null) batches.push(b);
    }
    assert.deepEqual(batches.map((b) => b.lines[0]?.text), ['a', 'b', 'c']);
    r.registry.commit(batches[0]!); // .2 committed, .1 not (the run was aborted before its commit)
    r.registry.commit(batches[2]!);
    await r.tailer.close();
    const state = (name: string): string | undefined => r.registry.all().find((row) => row.path.endsWith(name))?.state;
    assert.equal(state('access.log.2'), 'retired');
    assert.equal(state('access.log.1'), 'active');
    assert.equal(state('access.log'), 'active');
  } finally {
    await r.cleanup();
  }
});
