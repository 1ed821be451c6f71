// The ingestion loop when the store cannot take a batch: the disk is full (SQLITE_FULL, made real by capping
// the database's page count) or a participant fails. The batch is rolled back, the sources restart from the
// committed checkpoints, and once the store recovers every line is stored exactly once.

import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../../src/config/load.js';
import type { PhabwatchConfig } from '../../src/config/types.js';
import { silentLogger, type Logger } from '../../src/model/logger.js';
import { Attribution, buildSources } from '../../src/pipeline/assemble.js';
import { Ingestor } from '../../src/pipeline/ingestor.js';
import { openStore } from '../../src/store/database.js';
import { IngestStore } from '../../src/store/ingestStore.js';
import { tempDir, waitFor } from '../support/cli.js';

const dir = tempDir('ingestor');
after(() => dir.remove());

const line = (n: number): string =>
  `[Tue, 24 Nov 2026 15:00:00 +0000]\t${n}\tphab01\t198.51.100.7\talice\tPhabricatorHomeController\t-\t/n/${n}\t-\t200\t1500\n`;

function configFor(name: string, log: string): PhabwatchConfig {
  const result = parseConfig(`store: { path: ${dir.path}/${name}.db }\nsources:\n  - { name: phab, type: phabricator-access, path: ${log}, poll_interval: 20ms }\n`, `${dir.path}/${name}.yaml`);
  assert.ok(result.ok);
  return result.config;
}

function recordingLogger(messages: string[]): Logger {
  const record = (fieldsOrMessage: unknown, message?: string): void => void messages.push(String(message ?? fieldsOrMessage));
  const logger: Logger = { ...silentLogger, error: record, warn: record, child: () => logger };
  return logger;
}

test('a full disk pauses ingestion without losing or repeating a line', { timeout: 60_000 }, async () => {
  const log = dir.file('full.log', '');
  const config = configFor('full', log);
  const db = openStore(config.store.path);
  const store = new IngestStore(db);
  const attribution = new Attribution(db, []);
  const messages: string[] = [];
  const logger = recordingLogger(messages);
  const ingestor = new Ingestor({ mode: 'follow', buildSources: () => buildSources(config, store, attribution, logger, 'follow'), store, logger, batchLines: 100 });
  const stop = new AbortController();
  await ingestor.start();
  const running = ingestor.follow(stop.signal);
  const count = (): number => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  try {
    for (let n = 0; n < 500; n++) appendFileSync(log, line(n));
    await waitFor(() => count() === 500, 20_000, 'the first 500 lines');
    // The disk fills up: SQLite may not grow the file any further.
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    for (let n = 500; n < 3000; n++) appendFileSync(log, line(n));
    await waitFor(() => messages.some((m) => m.includes('cannot store a batch')), 20_000, 'the failure to be reported');
    await sleep(600); // a few retries while the disk stays full
    assert.ok(count() < 3000, 'nothing more could be stored while the disk was full');
    db.pragma('max_page_count = 1073741823');
    await waitFor(() => count() === 3000, 30_000, 'every line once the disk has room again');
  } finally {
    stop.abort();
  }
  const summary = await running;
  await ingestor.close();
  assert.ok(summary.commitFailures >= 1);
  const distinct = (db.prepare('SELECT count(DISTINCT path) AS n FROM events').get() as { n: number }).n;
  assert.equal(distinct, 3000);
  assert.equal(count(), 3000, 'no line stored twice');
  assert.equal(summary.events, 3000, 'the summary counts only what was stored');
  db.close();
});

test('replay gives up with a clear error when the store keeps failing, and nothing moves', async () => {
  const log = dir.file('fail.log', [line(1), line(2)].join(''));
  const config = configFor('fail', log);
  const db = openStore(config.store.path);
  const store = new IngestStore(db);
  store.addParticipant({
    beforeCommit: () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    },
  });
  const attribution = new Attribution(db, []);
  const ingestor = new Ingestor({
    mode: 'replay', buildSources: () => buildSources(config, store, attribution, silentLogger, 'replay'), store, logger: silentLogger,
    replayCommitGiveUpMs: 300,
  });
  await ingestor.start();
  await assert.rejects(ingestor.replay(), /cannot store events: the disk is full/);
  await ingestor.close();
  assert.equal((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 0);
  assert.deepEqual(db.prepare('SELECT offset FROM checkpoints').all(), [{ offset: 0 }]);
  db.close();
});
