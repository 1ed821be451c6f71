// Runs the real `phabwatch` binary for the benchmark: a replay into a fresh store (throughput, memory, bytes
// per event), and a live `run` fed at a steady rate (latency from a line's append to its committed event).

import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { IngestSummary } from '../src/pipeline/ingestor.js';

export const BIN = join(process.cwd(), 'bin', 'phabwatch.js');

export interface ReplayResult {
  summary: IngestSummary;
  events: number;
  storeBytes: number;
}

function removeStore(dbPath: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
}

/**
 * `phabwatch replay --type TYPE FILE` into a fresh store; extra CLI args (e.g. --no-rules) appended, `extraConfig`
 * (YAML lines, e.g. a telemetry block) added to the config.
 */
export function replayOnce(
  file: string, type: string, dbPath: string, workDir: string, extraArgs: string[] = [], registry: string | null = null, extraConfig = '',
): ReplayResult {
  removeStore(dbPath);
  const config = join(workDir, 'bench-replay.yaml');
  const identities = registry === null ? '' : `identities: { registry: ${registry}, cluster_networks: [10.0.0.0/8] }\n`;
  writeFileSync(config, `store: { path: ${dbPath} }\nsources: []\n${identities}timezone: America/New_York\nlog: { level: warn }\n${extraConfig}`);
  const result = spawnSync(process.execPath, [BIN, 'replay', '--config', config, '--type', type, '--source', 'bench', '--json', '--no-progress', ...extraArgs, file], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`replay failed (${result.status}): ${result.stderr}`);
  const summary = JSON.parse(result.stdout) as IngestSummary;
  const db = new Database(dbPath);
  let events: number;
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    events = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
  return { summary, events, storeBytes: statSync(dbPath).size };
}

export interface LatencyResult {
  samples: number[];
  lines: number;
}

/**
 * Starts `phabwatch run` on an empty file, appends `lines` access lines at `linesPerSecond` in small writes,
 * and measures for each line the time from its append to its event being readable in the store.
 */
export async function liveLatency(workDir: string, lines: number, linesPerSecond: number): Promise<LatencyResult> {
  const log = join(workDir, 'live-access.log');
  const dbPath = join(workDir, 'live.db');
  removeStore(dbPath);
  writeFileSync(log, '');
  const config = join(workDir, 'bench-live.yaml');
  writeFileSync(config, `store: { path: ${dbPath} }\nsources:\n  - { name: live, type: phabricator-access, path: ${log} }\nlog: { level: warn }\n`);
  const agent = spawn(process.execPath, [BIN, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    // Wait for the store and the tailer to be up.
    for (let i = 0; i < 200; i++) {
      try {
        statSync(dbPath);
        break;
      } catch {
        await sleep(50);
      }
    }
    await sleep(500);
    const written = new Float64Array(lines);
    const seen = new Float64Array(lines);
    let next = 0;
    const reader = new Database(dbPath, { readonly: true });
    const poll = reader.prepare('SELECT id, path FROM events WHERE id > ? ORDER BY id');
    let lastId = 0;
    let observed = 0;
    const started = performance.now();
    const stamp = new Date(Date.UTC(2026, 10, 24, 15)).toUTCString().replace('GMT', '+0000');
    while (observed < lines) {
      const due = Math.min(lines, Math.floor(((performance.now() - started) / 1000) * linesPerSecond));
      if (due > next) {
        let chunk = '';
        const now = performance.now();
        for (; next < due; next++) {
          chunk += `[${stamp}]\t1\tphab01\t198.51.100.7\talice\tPhabricatorHomeController\t-\t/latency/${next}\t-\t200\t1000\n`;
          written[next] = now;
        }
        appendFileSync(log, chunk);
      }
      for (const row of poll.iterate(lastId) as Iterable<{ id: number; path: string }>) {
        lastId = row.id;
        const index = Number(row.path.slice('/latency/'.length));
        seen[index] = performance.now();
        observed++;
      }
      if (performance.now() - started > 120_000) throw new Error(`live latency run timed out with ${observed}/${lines} events`);
      await sleep(2);
    }
    reader.close();
    const samples: number[] = [];
    for (let i = 0; i < lines; i++) samples.push(seen[i]! - written[i]!);
    return { samples, lines };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((resolve) => agent.on('exit', resolve));
  }
}

export interface AcceptingCollector {
  endpoint: string;
  /** stops the collector; what it received per signal */
  stop(): Promise<Record<string, { requests: number; bytes: number }>>;
}

/** Starts bench/acceptingCollector.js in its own process (the replays run synchronously in this one). */
export async function startAcceptingCollector(): Promise<AcceptingCollector> {
  const child = spawn(process.execPath, [join(process.cwd(), 'dist', 'bench', 'acceptingCollector.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffered = '';
  let wake: (() => void) | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let i = buffered.indexOf('\n'); i !== -1; i = buffered.indexOf('\n')) {
      lines.push(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
    wake?.();
  });
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error(`the accepting collector exited (${child.exitCode})`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
    return lines.shift()!;
  };
  const { port } = JSON.parse(await nextLine()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.stdin!.end();
      return (JSON.parse(await nextLine()) as { counts: Record<string, { requests: number; bytes: number }> }).counts;
    },
  };
}
