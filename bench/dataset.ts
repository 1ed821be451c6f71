// The benchmark's input: a generated day of 1,000,000 Phorge access lines and the matching nginx lines, with
// 100,000 distinct client addresses and 10,000 tokens. Generated once into bench/out/ and reused.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeExample } from '../examples/generate/main.js';

export interface Dataset {
  dir: string;
  phorgeAccess: string;
  nginx: string;
  registry: string;
}

const OPTIONS = { requests: 1_000_000, people: 2000, tokens: 10_000, addresses: 100_000, seed: 'phabwatch-bench-1' };

export function ensureDataset(outDir: string, log: (message: string) => void): Dataset {
  const dir = join(outDir, 'dataset-1m');
  const stamp = join(dir, 'options.json');
  const wanted = JSON.stringify(OPTIONS);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    log(`generating ${OPTIONS.requests.toLocaleString('en-US')} Phorge access lines and the matching nginx log into ${dir} ...`);
    const summary = writeExample(dir, OPTIONS);
    writeFileSync(stamp, wanted);
    log(`  done: ${summary.phabricatorAccessLines} access lines, ${summary.nginxLines} nginx lines, ${summary.distinctClientAddresses} addresses`);
  }
  return {
    dir,
    phorgeAccess: join(dir, 'logs', 'phorge-access.log'),
    nginx: join(dir, 'logs', 'nginx-access.log'),
    registry: join(dir, 'tokens.tsv'),
  };
}
