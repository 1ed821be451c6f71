import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TokenId } from '../../src/model/event.js';
import { EVENT_COLUMNS } from '../../src/model/event.js';
import { openStore, openStoreReadOnly, readHmacKey, schemaVersion, StoreError } from '../../src/store/database.js';
import { IngestStore } from '../../src/store/ingestStore.js';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { importRegistry, loadRegistry } from '../../src/store/registryStore.js';
import { applyRetention } from '../../src/store/retention.js';
import { commitEvents, makeEvent } from '../support/events.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `store-${++n}.db`);

test('a new store is migrated, in WAL mode, with a stable HMAC key', () => {
  const path = freshPath();
  const db = openStore(path);
  assert.equal(schemaVersion(db), SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const key = readHmacKey(db);
  assert.equal(key.length, 32);
  db.close();
  const again = openStore(path);
  assert.deepEqual(readHmacKey(again), key, 'reopening keeps the key, so fingerprints stay comparable');
  again.close();
});

test('every event column round-trips in place (catches column order drift)', () => {
  const db = openStore(freshPath());
  const store = new IngestStore(db);
  const fileId = store.checkpoints.register({ source: 'phab', path: '/x', dev: 1n, ino: 2n, fingerprint: { hash: 'ab', length: 2 }, offset: 0, compressed: false });
  // Give every column a value that tells it apart from its neighbours.
  const event = makeEvent({ file_id: fileId });
  const distinct: Record<string, unknown> = {};
  EVENT_COLUMNS.forEach((c, i) => {
    const current = event[c];
    distinct[c] = typeof current === 'number' || c === 'status' || c === 'duration_ms' || c === 'bytes_in' || c === 'bytes_out'
      ? (c === 'file_id' ? fileId : 1000 + i)
      : `${c}-value`;
  });
  const ids = commitEvents(store, [distinct as unknown as ReturnType<typeof makeEvent>], [{ fileId, offset: 99, lines: 1 }]);
  const row = db.prepare('SELECT * FROM events WHERE id = ?').get(ids[0]) as Record<string, unknown>;
  for (const c of EVENT_COLUMNS) assert.equal(row[c], distinct[c], `column ${c}`);
  assert.equal(store.checkpoints.list('phab')[0]!.offset, 99);
  db.close();
});

test('a batch is atomic: if any part fails, no event is stored and no offset moves', () => {
  const db = openStore(freshPath());
  const store = new IngestStore(db);
  const fileId = store.checkpoints.register({ source: 'phab', path: '/x', dev: 1n, ino: 2n, fingerprint: { hash: 'ab', length: 2 }, offset: 0, compressed: false });
  let rolledBack = 0;
  store.addParticipant({
    beforeCommit: () => {
      throw new Error('rule engine failed');
    },
    onRollback: () => rolledBack++,
  });
  assert.throws(() => commitEvents(store, [makeEvent({ file_id: fileId }), makeEvent({ file_id: fileId, offset: 10 })], [{ fileId, offset: 20, lines: 2 }]), /rule engine failed/);
  assert.equal(rolledBack, 1, 'participants are told to forget the batch');
  assert.equal(store.batchOpen, false);
  assert.equal((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 0);
  assert.equal(store.checkpoints.list('phab')[0]!.offset, 0);
  db.close();
});

test('token and identity sightings keep the first and last event time', () => {
  const db = openStore(freshPath());
  const store = new IngestStore(db);
  const id = 'f00dfeedf00dfeed' as TokenId;
  commitEvents(store, [], [], { tokens: new Map([[id, { type: 'api', hint: 'api-abcd…', first: 2000, last: 3000 }]]), identities: new Map([['alice', { first: 2000, last: 3000 }]]) });
  commitEvents(store, [], [], { tokens: new Map([[id, { type: 'api', hint: null, first: 1000, last: 1500 }]]), identities: new Map([['alice', { first: 5000, last: 6000 }]]) });
  assert.deepEqual(db.prepare('SELECT hint, first_seen, last_seen, in_registry FROM tokens').get(), { hint: 'api-abcd…', first_seen: 1000, last_seen: 3000, in_registry: 0 });
  assert.deepEqual(db.prepare('SELECT first_seen, last_seen FROM identities').get(), { first_seen: 2000, last_seen: 6000 });
  db.close();
});

test('a registry import replaces the previous one and keeps observation history', () => {
  const db = openStore(freshPath());
  const token = (id: string, owner: string) => ({
    tokenId: id as TokenId, type: 'api' as const, hint: 'api-xxxx…', name: null, owner, ownerPhid: null,
    expiresAt: null, isBot: false, isAdmin: false, isDisabled: false,
  });
  importRegistry(db, { tokens: [token('t1', 'alice'), token('t2', 'bob')], identities: [] });
  const summary = importRegistry(db, { tokens: [token('t2', 'bob')], identities: [{ username: 'bob', phid: 'PHID-USER-x', isBot: true, isAdmin: false, isDisabled: false }] });
  assert.equal(summary.removedTokens, 1);
  const registry = loadRegistry(db);
  assert.deepEqual(registry.tokens.map((t) => t.tokenId), ['t2']);
  assert.equal(registry.identities[0]!.isBot, true);
  assert.equal((db.prepare('SELECT count(*) AS n FROM tokens').get() as { n: number }).n, 2, 'the removed token row stays for history');
  db.close();
});

test('retention removes events older than the newest event minus the window (event time)', () => {
  const db = openStore(freshPath());
  const store = new IngestStore(db);
  const day = 86_400_000;
  const base = Date.UTC(2015, 4, 17); // old logs: replaying them must not delete them on arrival
  commitEvents(store, [0, 10, 20, 29, 31, 40].map((d, i) => makeEvent({ ts: base + d * day, offset: i })));
  const removed = applyRetention(db, { events_ms: 30 * day, rejects_ms: 30 * day }, Date.now());
  assert.equal(removed.events, 1, 'only the event 40 days before the newest goes');
  const left = (db.prepare('SELECT min(ts) AS ts FROM events').get() as { ts: number }).ts;
  assert.equal(left, base + 10 * day);
  db.close();
});

test('the read-only connection refuses writes', () => {
  const path = freshPath();
  openStore(path).close();
  const ro = openStoreReadOnly(path);
  assert.throws(() => ro.prepare("INSERT INTO meta(key, value) VALUES ('x', 'y')").run());
  ro.close();
  assert.throws(() => openStoreReadOnly(join(dir, 'missing.db')), StoreError);
});

test('a long analyst read does not stop ingestion (WAL)', () => {
  const path = freshPath();
  const db = openStore(path);
  const store = new IngestStore(db);
  commitEvents(store, Array.from({ length: 1000 }, (_, i) => makeEvent({ offset: i })));
  const reader = openStoreReadOnly(path);
  // An open iterator holds a read transaction (one snapshot) for as long as the analyst's query runs.
  const rows = reader.prepare('SELECT id FROM events ORDER BY id').iterate();
  const first = rows.next();
  assert.equal(first.done, false);
  for (let i = 0; i < 20; i++) commitEvents(store, Array.from({ length: 100 }, (_, j) => makeEvent({ offset: 10_000 + i * 100 + j })));
  let seen = 1;
  for (const _ of rows) seen++;
  assert.equal(seen, 1000, 'the reader sees its snapshot');
  assert.equal((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 3000, 'the writer committed meanwhile');
  reader.close();
  db.close();
});

test('a store newer than this phabwatch is refused with a clear message', () => {
  const path = freshPath();
  const db = openStore(path);
  db.prepare("UPDATE meta SET value = '999' WHERE key = 'schema_version'").run();
  db.close();
  assert.throws(() => openStore(path), /schema version 999, newer than this phabwatch understands/);
});
