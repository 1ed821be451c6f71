// Replay of a real rotated Apache log set (Honeynet "Linux RedHat 7.1", weekly rotation, access_log.1 to
// .25 with gaps) from shared/data/realworld: every line of every generation, oldest generation first.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { test } from 'node:test';
import { SourceTailer } from '../../src/sources/sourceTailer.js';
import { MemoryCheckpointRegistry } from '../support/memoryCheckpointRegistry.js';
import { RecordingLogger, sourceConfig } from './harness.js';

const DATA = resolve(process.cwd(), '../shared/data/realworld/honeynet-redhat71');
const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
const CLF_TIME = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]/;

function clfTime(line: string): number {
  const m = CLF_TIME.exec(line);
  if (m === null) throw new Error(`no timestamp in a line of ${line.length} chars`);
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  return Date.UTC(Number(m[3]), MONTHS[m[2]!]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset;
}

test('replay of a real weekly-rotated access log set reads every generation, oldest first', async (t) => {
  assert.ok(existsSync(resolve(DATA, 'access_log')), `${DATA} is missing: clone the repository with ../shared beside it`);
  const registry = new MemoryCheckpointRegistry();
  const tailer = new SourceTailer({
    source: sourceConfig(resolve(DATA, 'access_log')),
    checkpoints: registry,
    mode: 'replay',
    logger: new RecordingLogger(),
  });
  await tailer.start();
  const perFile = new Map<string, number>();
  const order: string[] = [];
  let previousTime = -Infinity;
  let backwardsAtFileStart = 0;
  while (!tailer.finished) {
    const batch = await tailer.read(256 * 1024);
    if (batch === null) continue;
    registry.commit(batch);
    const name = basename(batch.path);
    if (order.at(-1) !== name) {
      order.push(name);
      if (clfTime(batch.lines[0]!.text) < previousTime) backwardsAtFileStart++;
    }
    perFile.set(name, (perFile.get(name) ?? 0) + batch.lines.length);
    previousTime = clfTime(batch.lines.at(-1)!.text);
  }
  await tailer.close();

  const expectedOrder = ['access_log', ...Array.from({ length: 25 }, (_, i) => `access_log.${i + 1}`)]
    .filter((name) => existsSync(resolve(DATA, name)))
    .reverse();
  assert.deepEqual(order, expectedOrder, 'each generation read once, whole, oldest first');
  for (const name of expectedOrder) {
    const content = await readFile(resolve(DATA, name));
    let newlines = 0;
    for (const byte of content) if (byte === 0x0a) newlines++;
    assert.equal(perFile.get(name), newlines, name);
  }
  assert.equal(backwardsAtFileStart, 0, 'time never goes back from one generation to the next');
  t.diagnostic(`${[...perFile.values()].reduce((a, b) => a + b, 0)} lines from ${order.length} files`);
});
