// Writes the bundled example (examples/logs/*, examples/tokens.tsv) or, with options, any day of any
// size, e.g. the benchmark's million-line logs:
//   node dist/examples/generate/main.js                       # regenerate the committed example
//   node dist/examples/generate/main.js --out /tmp/big --requests 1000000 --people 2000 \
//        --addresses 100000 --tokens 10000 --scenarios none

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { BufferedFileSink } from './file-sink.js';
import { renderTokenRegistry } from './registry.js';
import {
  ALL_SCENARIOS, EXAMPLE_OPTIONS, type GenerationSummary, type ScenarioId, streamDay, TrafficModel,
  type TrafficOptions,
} from './traffic.js';

/** File names inside the output folder, as examples/phabwatch.yaml expects them. */
export const EXAMPLE_FILES = {
  phabricatorAccess: 'logs/phorge-access.log',
  nginx: 'logs/nginx-access.log',
  ssh: 'logs/ssh.log',
  daemons: 'logs/daemons.log',
  registry: 'tokens.tsv',
} as const;

/** Generates one day into `outDir` (logs/ and tokens.tsv) and returns the summary. */
export function writeExample(outDir: string, options: Partial<TrafficOptions> = {}): GenerationSummary {
  mkdirSync(join(outDir, 'logs'), { recursive: true });
  const sinks = {
    phabricatorAccess: new BufferedFileSink(join(outDir, EXAMPLE_FILES.phabricatorAccess)),
    nginx: new BufferedFileSink(join(outDir, EXAMPLE_FILES.nginx)),
    ssh: new BufferedFileSink(join(outDir, EXAMPLE_FILES.ssh)),
    daemons: new BufferedFileSink(join(outDir, EXAMPLE_FILES.daemons)),
  };
  const model = new TrafficModel(options);
  writeFileSync(join(outDir, EXAMPLE_FILES.registry), renderTokenRegistry(model.cast));
  try {
    return streamDay(model, sinks);
  } finally {
    for (const sink of Object.values(sinks)) sink.close();
  }
}

/** The repository root: the nearest folder above this file that holds package.json. */
export function repositoryRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

function parseScenarios(value: string): 'all' | ScenarioId[] {
  if (value === 'all') return 'all';
  if (value === 'none') return [];
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const id of ids) {
    if (!(ALL_SCENARIOS as readonly string[]).includes(id)) {
      throw new RangeError(`--scenarios: unknown scenario "${id}" (known: ${ALL_SCENARIOS.join(', ')})`);
    }
  }
  return ids as ScenarioId[];
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new RangeError(`--${name} must be an integer, got "${value}"`);
  return n;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' }, seed: { type: 'string' }, date: { type: 'string' }, 'org-zone': { type: 'string' },
      'server-zone': { type: 'string' }, host: { type: 'string' }, requests: { type: 'string' },
      people: { type: 'string' }, bots: { type: 'string' }, tokens: { type: 'string' }, addresses: { type: 'string' },
      scenarios: { type: 'string' }, 'health-check-interval': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(
      'usage: main.js [--out DIR] [--seed S] [--date YYYY-MM-DD] [--org-zone Z] [--server-zone Z] [--host H]\n' +
      '               [--requests N] [--people N] [--bots N] [--tokens N] [--addresses N]\n' +
      '               [--scenarios all|none|id,id,...] [--health-check-interval SECONDS]\n' +
      `defaults regenerate the bundled example into <repo>/examples (${JSON.stringify(EXAMPLE_OPTIONS)})\n`);
    return;
  }
  const options: Partial<TrafficOptions> = {};
  if (values.seed !== undefined) options.seed = values.seed;
  if (values.date !== undefined) options.date = values.date;
  if (values['org-zone'] !== undefined) options.orgZone = values['org-zone'];
  if (values['server-zone'] !== undefined) options.serverZone = values['server-zone'];
  if (values.host !== undefined) options.serverHost = values.host;
  const numbers: ReadonlyArray<readonly [keyof TrafficOptions, string]> = [
    ['requests', 'requests'], ['people', 'people'], ['bots', 'bots'], ['tokens', 'tokens'], ['addresses', 'addresses'],
    ['healthCheckIntervalSeconds', 'health-check-interval'],
  ];
  for (const [key, flag] of numbers) {
    const n = integer(flag, values[flag as keyof typeof values] as string | undefined);
    if (n !== undefined) (options as Record<string, unknown>)[key] = n;
  }
  if (values.scenarios !== undefined) options.scenarios = parseScenarios(values.scenarios);
  const outDir = resolve(values.out ?? join(repositoryRoot(), 'examples'));
  const started = process.hrtime.bigint();
  const summary = writeExample(outDir, options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `wrote ${outDir}: ${summary.phabricatorAccessLines} Phorge access lines, ${summary.nginxLines} nginx lines, ` +
    `${summary.sshLines} SSH lines, ${summary.daemonLines} daemon lines, ${summary.registryTokens} registry tokens; ` +
    `${summary.distinctClientAddresses} distinct client addresses, ${summary.distinctTokensInQueries} distinct tokens in ` +
    `query strings; ${summary.scenarios.length} scenarios; ${seconds.toFixed(2)} s\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`generate: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
