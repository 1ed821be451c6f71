// Where the parser tests find their data, from wherever the compiled tests run (dist/ or .build-*/).

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest ancestor holding package.json and test/fixtures. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`repository root not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** test/fixtures/parsers */
export function fixturesDir(): string {
  return join(repoRoot(), 'test', 'fixtures', 'parsers');
}

/** A file of the shared real-world samples (../shared/data/realworld from the repository; never copied in). */
export function realworldPath(...parts: string[]): string {
  return resolve(repoRoot(), '..', 'shared', 'data', 'realworld', ...parts);
}
