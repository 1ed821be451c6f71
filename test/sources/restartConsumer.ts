// A tailing process for the kill -9 tests: follows one source with a journal registry until it is killed.
// Like the pipeline, it holds several batches in one transaction (up to `batchesPerCommit`, or fewer when
// nothing more is ready) and commits them (lines plus checkpoints) in one write.
// CLI: node restartConsumer.js --run '{"path": ..., "journal": ..., "log": ..., "rotateWaitMs": 400, "pollMs": 50}'
// Without `--run` it does nothing (a test runner may execute every file under test/).
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LogFn, Logger } from '../../src/model/logger.js';
import { SourceTailer } from '../../src/sources/sourceTailer.js';
import type { LineBatch } from '../../src/sources/types.js';
import { sourceConfig } from './harness.js';
import { JournalCheckpointRegistry } from './journalCheckpointRegistry.js';

export interface ConsumerOptions {
  path: string;
  journal: string;
  /** JSON-lines log of the tailer's messages (tests check which recoveries ran) */
  log: string;
  rotateWaitMs: number;
  pollMs: number;
  maxBytes?: number;
  batchesPerCommit?: number;
}

export const CONSUMER_SCRIPT = fileURLToPath(import.meta.url);

function fileLogger(path: string, bindings: Record<string, unknown> = {}): Logger {
  const make = (level: string): LogFn => ((a: Record<string, unknown> | string, b?: string) => {
    const record = typeof a === 'string' ? { level, msg: a, ...bindings } : { level, msg: b ?? '', ...bindings, ...a };
    appendFileSync(path, `${JSON.stringify(record)}\n`);
  }) as LogFn;
  return {
    trace: () => undefined, debug: () => undefined, info: make('info'), warn: make('warn'), error: make('error'),
    child: (more) => fileLogger(path, { ...bindings, ...more }),
  };
}

async function main(o: ConsumerOptions): Promise<void> {
  const registry = new JournalCheckpointRegistry(o.journal);
  const tailer = new SourceTailer({
    source: sourceConfig(o.path, { rotate_wait_ms: o.rotateWaitMs, poll_interval_ms: o.pollMs }),
    checkpoints: registry,
    mode: 'follow',
    logger: fileLogger(o.log, { pid: process.pid }),
  });
  await tailer.start();
  const held: LineBatch[] = [];
  const perCommit = o.batchesPerCommit ?? 4;
  for (;;) {
    const batch = await tailer.read(o.maxBytes ?? 64 * 1024);
    if (batch !== null) {
      held.push(batch);
      if (held.length >= perCommit) registry.commit(held.splice(0));
      continue;
    }
    if (held.length > 0) registry.commit(held.splice(0));
    await tailer.poll();
    await tailer.waitForChange(o.pollMs);
  }
}

if (process.argv[1] === CONSUMER_SCRIPT && process.argv[2] === '--run') {
  main(JSON.parse(process.argv[3] ?? '{}') as ConsumerOptions).catch((err: unknown) => {
    process.stderr.write(`consumer failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
