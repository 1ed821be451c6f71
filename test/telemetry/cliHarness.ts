// Running the real phabwatch CLI against the OTLP test receiver: configs built from the bundled example, the
// compiled CLI started as a child process (async, so the receiver in this process keeps answering), and the
// store read back to know what was exported.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import YAML from 'yaml';
import type { PhabEvent } from '../../src/model/event.js';
import { REPO_ROOT, type TempDir } from '../support/cli.js';

/** The compiled CLI next to this compiled test (dist/test/telemetry -> dist/src/cli/main.js). */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const EXAMPLE = join(REPO_ROOT, 'examples');

export interface CliOutcome {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs a phabwatch command to its end without blocking this process's event loop. */
export function phabwatch(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliOutcome> {
  const child = start(args, env);
  return finished(child);
}

export function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  // OTEL_* from the test runner's own environment must not leak into the agent under test.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return spawn(process.execPath, [CLI_MAIN, ...args], { cwd: REPO_ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function finished(child: ChildProcess, timeoutMs = 120_000): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`phabwatch did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', stdout, stderr });
    });
  });
}

/** The example's config (calendar, zones, registry, all four sources) with its own store and extra keys. */
export function exampleConfig(dir: TempDir, name: string, extra: Record<string, unknown>): string {
  const example = YAML.parse(readFileSync(join(EXAMPLE, 'phabwatch.yaml'), 'utf8')) as Record<string, unknown>;
  const sources = (example.sources as { path: string }[]).map((s) => ({ ...s, path: join(EXAMPLE, s.path) }));
  const config = {
    ...example,
    store: { path: join(dir.path, `${name}.db`) },
    sources,
    identities: { ...(example.identities as object), registry: join(EXAMPLE, 'tokens.tsv') },
    log: { level: 'info' },
    ...extra,
  };
  return dir.file(`${name}.yaml`, YAML.stringify(config));
}

/** The raw tokens and usernames of the example's registry (every token in it is fake). */
export function exampleIdentities(): { tokens: string[]; usernames: string[] } {
  const rows = readFileSync(join(EXAMPLE, 'tokens.tsv'), 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '').map((l) => l.split('\t'));
  return { tokens: rows.map((r) => r[0]!), usernames: [...new Set(rows.map((r) => r[5]!))] };
}

export type StoredEvent = Pick<PhabEvent, 'ts' | 'source' | 'host' | 'kind' | 'outcome' | 'status' | 'method' | 'path' | 'route' | 'conduit_method' | 'duration_ms' | 'offset' | 'client_ip' | 'identity'> & { id: number };

export function readStore<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export function storedEvents(path: string): StoredEvent[] {
  return readStore(path, (db) => db.prepare(`SELECT id, ts, source, host, kind, outcome, status, method, path, route, conduit_method,
    duration_ms, "offset", client_ip, identity FROM events ORDER BY id`).all() as StoredEvent[]);
}


export const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
export const IPV6 = /^[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}$/i;
export const RAW_TOKEN = /\b(?:api|cli|clr)-[a-z2-7]{28}\b/;
