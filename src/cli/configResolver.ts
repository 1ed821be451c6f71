// Which config a command uses: --config FILE, else ./phabwatch.yaml, else the bundled example (so that the
// quick start works on a fresh clone with no flags, and says loudly that it is the example).

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssues, loadConfigFile } from '../config/load.js';
import type { PhabwatchConfig, SourceConfig } from '../config/types.js';
import { createParser, isFormatError } from '../parsers/index.js';
import { UsageError } from './command.js';

/** The repository/package root (dist/src/cli/ -> ../../..). */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const EXAMPLE_CONFIG = resolve(PACKAGE_ROOT, 'examples', 'phabwatch.yaml');

export interface ResolvedConfig {
  config: PhabwatchConfig;
  /** true when neither --config nor ./phabwatch.yaml was there and the bundled example is used */
  isExample: boolean;
}

/** Format strings are compiled while loading, so a bad one is reported at its key's line. */
export function checkSourceFormat(source: SourceConfig): string | null {
  const parser = createParser({ type: source.type, format: source.format, timezone: source.timezone });
  if (!isFormatError(parser)) return null;
  const at = parser.position === null ? '' : ` (at character ${parser.position + 1} of the format)`;
  return `format cannot be used: ${parser.message}${at}`;
}

export function resolveConfig(configOption: string | undefined): ResolvedConfig {
  let file: string;
  let isExample = false;
  if (configOption !== undefined) {
    file = resolve(configOption);
  } else if (existsSync(resolve('phabwatch.yaml'))) {
    file = resolve('phabwatch.yaml');
  } else {
    file = EXAMPLE_CONFIG;
    isExample = true;
  }
  const result = loadConfigFile(file, { source: checkSourceFormat });
  if (!result.ok) {
    const count = result.issues.length;
    throw new UsageError(`${count === 1 ? 'a problem' : `${count} problems`} in the configuration:\n${formatIssues(result.issues)}`);
  }
  return { config: result.config, isExample };
}

export function exampleNotice(): string {
  return `no --config given and no ./phabwatch.yaml here: using the bundled example ${EXAMPLE_CONFIG}`;
}
