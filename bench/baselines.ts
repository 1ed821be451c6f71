// Baselines measured in the same run as phabwatch itself, so ratios stay meaningful on a noisy machine:
// reading and splitting the file with no parsing, and inserting already-built rows with a bare statement.

import { open } from 'node:fs/promises';
import { rmSync, statSync } from 'node:fs';
import { EventBuilder } from '../src/attribution/eventBuilder.js';
import { SecretScrubber } from '../src/attribution/secretScrubber.js';
import { TokenRegistry } from '../src/attribution/tokenRegistry.js';
import { EVENT_COLUMNS, type PhabEvent } from '../src/model/event.js';
import { createParser, isFormatError } from '../src/parsers/index.js';
import type { SourceType } from '../src/config/types.js';
import { openStore } from '../src/store/database.js';

export interface Throughput {
  lines: number;
  bytes: number;
  ms: number;
}

/** Read the whole file in 1 MiB chunks and cut it into line strings: the floor of any tailer. */
export async function readAndSplit(path: string): Promise<Throughput> {
  const started = performance.now();
  const handle = await open(path, 'r');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let carry = Buffer.alloc(0);
  let lines = 0;
  let bytes = 0;
  let sink = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      const chunk = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        sink += chunk.toString('utf8', start, nl).length;
        lines++;
        start = nl + 1;
      }
      carry = Buffer.from(chunk.subarray(start));
    }
  } finally {
    await handle.close();
  }
  if (sink < 0) throw new Error('unreachable');
  return { lines, bytes, ms: performance.now() - started };
}

export type EventRow = PhabEvent[keyof PhabEvent][];

/** Parse the first `limit` lines into ready rows (not timed): the input of the bare-insert baseline. */
export async function buildRows(path: string, type: SourceType, limit: number): Promise<EventRow[]> {
  const parser = createParser({ type, format: null, timezone: 'UTC' });
  if (isFormatError(parser)) throw new Error(parser.message);
  const scrubber = new SecretScrubber(Buffer.alloc(32, 7));
  const builder = new EventBuilder(new TokenRegistry([], [], []));
  const handle = await open(path, 'r');
  const rows: EventRow[] = [];
  let offset = 0;
  try {
    for await (const line of handle.readLines()) {
      if (rows.length >= limit) break;
      const scrubbed = scrubber.scrub(line);
      const parsed = parser.parse(scrubbed.line);
      if (parsed.ok) {
        const event = builder.build(parsed.record, scrubbed.tokens, { source: 'bench', sourceHost: null, fileId: 1, offset, raw: scrubbed.line });
        rows.push(EVENT_COLUMNS.map((c) => event[c]));
      }
      offset += Buffer.byteLength(line) + 1;
    }
  } finally {
    await handle.close();
  }
  return rows;
}

/** Insert ready rows into a fresh store (same schema, pragmas and indexes) with one bare prepared statement. */
export function bareInsert(rows: readonly EventRow[], dbPath: string, batch = 50_000): Throughput {
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  const db = openStore(dbPath);
  try {
    const insert = db.prepare(`INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`);
    const insertMany = db.transaction((slice: readonly EventRow[]) => {
      for (const row of slice) insert.run(row);
    });
    const started = performance.now();
    for (let i = 0; i < rows.length; i += batch) insertMany(rows.slice(i, i + batch));
    const ms = performance.now() - started;
    return { lines: rows.length, bytes: statSync(dbPath).size, ms };
  } finally {
    db.close();
  }
}
