// What `run` and `replay` share around their work: telemetry started before the store opens (so its exporters
// see everything), the token registry imported, setup errors reported as usage errors, and, whatever happens,
// telemetry flushed and stopped before the store closes.

import type { PhabwatchConfig } from '../config/types.js';
import type { Logger } from '../model/logger.js';
import { importConfiguredRegistry, SetupError } from '../pipeline/assemble.js';
import { openStore, type Db } from '../store/database.js';
import { startTelemetry, type Telemetry } from '../telemetry/setup.js';
import { UsageError } from './command.js';

export async function withStoreAndTelemetry<T>(
  config: PhabwatchConfig,
  logger: Logger,
  work: (db: Db, telemetry: Telemetry) => Promise<T>,
): Promise<T> {
  const telemetry = startTelemetry(config, logger);
  let db: Db;
  try {
    db = openStore(config.store.path);
  } catch (err) {
    await telemetry.shutdown();
    throw err;
  }
  try {
    importConfiguredRegistry(db, config, logger);
    return await work(db, telemetry);
  } catch (err) {
    if (err instanceof SetupError) throw new UsageError(err.message);
    throw err;
  } finally {
    await telemetry.shutdown();
    db.close();
  }
}
