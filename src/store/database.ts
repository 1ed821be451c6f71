// Opening the SQLite store: WAL so analysts can read while the agent writes, migrations, and the HMAC key
// that turns raw tokens into fingerprints (generated once per store, kept in `meta`).

import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Db = Database.Database;

/** A failure to open or use the store, with the file and what was being done. */
export class StoreError extends Error {
  constructor(message: string, readonly storePath: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StoreError';
  }
}

export function describeSqliteError(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'SQLITE_FULL':
      return 'the disk is full';
    case 'SQLITE_BUSY':
    case 'SQLITE_BUSY_SNAPSHOT':
      return 'the database is locked by another writer';
    case 'SQLITE_READONLY':
      return 'the database file is read-only';
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return 'the file is not a phabwatch database or is corrupt';
    case 'SQLITE_CANTOPEN':
      return 'the file cannot be opened (missing folder or permissions)';
    case 'SQLITE_IOERR':
      return 'an I/O error occurred';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Opens (creating if needed) the store for writing and brings its schema up to date. */
export function openStore(path: string): Db {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    throw new StoreError(`cannot create the folder for the store ${path}: ${(err as Error).message}`, path, err);
  }
  let db: Db;
  try {
    db = new Database(path, { timeout: 10_000 });
    // Larger pages make the wide event rows and their four indexes cheaper to maintain (measured ~15%);
    // it only takes effect on a new file, before the first table exists.
    if (schemaVersion(db) === 0) db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (kill -9) without losing committed transactions; a power
    // loss may roll back the last ones, and since checkpoints commit with their events, those lines are
    // simply read again.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -32000');
    // Checkpoint the WAL into the database every 64 MB rather than every 4 MB: index pages dirtied by many
    // commits are then copied once (measured ~10% on replay).
    db.pragma('wal_autocheckpoint = 4096');
    db.pragma('temp_store = MEMORY');
    migrate(db, path);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`cannot open the store ${path}: ${describeSqliteError(err)}`, path, err);
  }
  return db;
}

/** Opens the store read-only (for `query` and `alerts`): never writes, never blocks the agent. */
export function openStoreReadOnly(path: string): Db {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 10_000 });
    db.pragma('query_only = ON');
    return db;
  } catch (err) {
    throw new StoreError(`cannot open the store ${path} for reading: ${describeSqliteError(err)}`, path, err);
  }
}

/** Whether the store has this table (a store opened read-only may predate a migration). */
export function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

export function schemaVersion(db: Db): number {
  if (!hasTable(db, 'meta')) return 0;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

function migrate(db: Db, path: string): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new StoreError(
      `the store ${path} has schema version ${current}, newer than this phabwatch understands (${SCHEMA_VERSION}); upgrade phabwatch`,
      path,
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare("INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .run(String(migration.version));
      if (migration.version === 1) {
        db.prepare("INSERT OR IGNORE INTO meta(key, value) VALUES ('hmac_key', ?)").run(randomBytes(32).toString('hex'));
        db.prepare("INSERT OR IGNORE INTO meta(key, value) VALUES ('created_at', ?)").run(String(Date.now()));
      }
    })();
  }
}

/** The per-store key for token fingerprints. Fingerprints from different stores are not comparable. */
export function readHmacKey(db: Db): Buffer {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'hmac_key'").get() as { value: string } | undefined;
  if (!row) throw new Error('store has no hmac_key in meta (not migrated?)');
  return Buffer.from(row.value, 'hex');
}

export function readMeta(db: Db, key: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function writeMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
