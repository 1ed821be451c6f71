// The dashboards the repository ships: where each JSON file lives and the code that builds it.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DashboardJson } from './grafanaJson.js';
import { operationsDashboard } from './operationsDashboard.js';
import { securityDashboard } from './securityDashboard.js';

export interface ShippedDashboard {
  /** path relative to the repository root */
  file: string;
  build: () => DashboardJson;
}

export const SHIPPED_DASHBOARDS: readonly ShippedDashboard[] = [
  { file: 'dashboards/phabwatch-operations.json', build: operationsDashboard },
  { file: 'dashboards/phabwatch-security.json', build: securityDashboard },
];

/**
 * The repository root, found by walking up from this compiled file to the first package.json, so the same code
 * works from dist/ (npm test) and from a private build folder such as .build-dash/dist/.
 */
export const REPO_ROOT: string = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}: cannot find the repository root`);
  }
}

/** The committed JSON of a shipped dashboard, parsed. */
export function readCommittedDashboard(file: string): DashboardJson {
  const path = join(REPO_ROOT, file);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DashboardJson;
  } catch (err) {
    throw new Error(`cannot read dashboard ${path}: ${(err as Error).message}`);
  }
}
