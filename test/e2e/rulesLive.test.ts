// Alerts do not depend on how lines arrive: the example day's Phorge access log replayed in one go gives the same
// alerts (rule, labels, state, start and end times) as the same lines appended in small, uneven pieces to a file
// that `phabwatch run` tails, and as a run that is killed with SIGKILL and restarted three times on the way.
// Notifications (the outbox) are not repeated by the restarts.

import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import YAML from 'yaml';
import { REPO_ROOT, runCli, startAgent, tempDir, waitFor, type RunningAgent } from '../support/cli.js';

const dir = tempDir('rules-live');
after(() => dir.remove());

const EXAMPLE = join(REPO_ROOT, 'examples');
const LOG = readFileSync(join(EXAMPLE, 'logs', 'phorge-access.log'));
const LINES = LOG.toString('utf8').split('\n').filter((l) => l !== '').length;

/** The example's config (calendar, identities, registry) with one source: `logPath`, and its own store. */
function configFor(name: string, logPath: string): string {
  const example = YAML.parse(readFileSync(join(EXAMPLE, 'phabwatch.yaml'), 'utf8')) as Record<string, unknown>;
  const config = {
    ...example,
    store: { path: join(dir.path, `${name}.db`) },
    sources: [{ name: 'phab', type: 'phabricator-access', path: logPath, poll_interval: '50ms' }],
    identities: { ...(example.identities as object), registry: join(EXAMPLE, 'tokens.tsv') },
    log: { level: 'warn' },
  };
  return dir.file(`${name}.yaml`, YAML.stringify(config));
}

interface AlertRow {
  rule_id: string;
  labels: string;
  state: string;
  started_at: number;
  fired_at: number | null;
  ended_at: number | null;
}

function read(name: string): { alerts: AlertRow[]; notifications: string[]; events: number } {
  const db = new Database(join(dir.path, `${name}.db`), { readonly: true });
  try {
    return {
      alerts: db.prepare('SELECT rule_id, labels, state, started_at, fired_at, ended_at FROM alerts ORDER BY rule_id, labels, started_at').all() as AlertRow[],
      notifications: (db.prepare(`SELECT a.rule_id || ' ' || a.labels || ' ' || n.kind || ' ' || n.at AS n FROM alert_notifications n
        JOIN alerts a ON a.id = n.alert_id ORDER BY 1`).all() as { n: string }[]).map((r) => r.n),
      events: (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

function eventCount(name: string): number {
  try {
    const db = new Database(join(dir.path, `${name}.db`), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

/** A small deterministic PRNG, so the chunking is the same on every run. */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Appends LOG to `path` in uneven pieces (some cutting a line in two), calling `between` after some of them. */
async function appendInPieces(path: string, between?: (piece: number) => Promise<void>): Promise<void> {
  const random = prng(20261124);
  let at = 0;
  let piece = 0;
  while (at < LOG.length) {
    const size = Math.floor(500 + random() * 60_000);
    appendFileSync(path, LOG.subarray(at, Math.min(LOG.length, at + size)));
    at += size;
    piece++;
    await sleep(5 + Math.floor(random() * 20));
    if (between) await between(piece);
  }
}

let replayed: ReturnType<typeof read>;

before(() => {
  const copy = dir.file('replay-access.log', LOG);
  const result = runCli(['replay', '--config', configFor('replay', copy)]);
  assert.equal(result.status, 0, result.stderr);
  replayed = read('replay');
  assert.equal(replayed.events, LINES);
  // The example day has planted incidents in this log: the comparison is about real alerts.
  assert.ok(replayed.alerts.length >= 6, `the replay raised ${replayed.alerts.length} alerts`);
});

async function stop(agent: RunningAgent): Promise<void> {
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.output().stderr);
}

test('tailing the same lines in small pieces gives the same alerts as replaying them', { timeout: 120_000 }, async () => {
  const log = join(dir.path, 'live-access.log');
  writeFileSync(log, '');
  const agent = startAgent(['run', '--config', configFor('live', log)]);
  try {
    await appendInPieces(log);
    await waitFor(() => eventCount('live') === LINES, 60_000, `${LINES} events`, 200);
    await sleep(500);
  } finally {
    await stop(agent);
  }
  const live = read('live');
  assert.deepEqual(live.alerts, replayed.alerts);
  assert.deepEqual(live.notifications, replayed.notifications);
});

test('kill -9 in the middle of the stream, three times: same alerts and states, no notification repeated', { timeout: 150_000 }, async () => {
  const log = join(dir.path, 'crash-access.log');
  writeFileSync(log, '');
  const config = configFor('crash', log);
  let agent = startAgent(['run', '--config', config]);
  let kills = 0;
  try {
    await appendInPieces(log, async (piece) => {
      if (piece % 20 !== 10 || kills >= 3) return;
      // Let the agent get into the stream (alerts open) before killing it.
      await waitFor(() => eventCount('crash') > 0, 20_000, 'the agent to store events');
      agent.child.kill('SIGKILL');
      await agent.exited;
      kills++;
      agent = startAgent(['run', '--config', config]);
    });
    await waitFor(() => eventCount('crash') === LINES, 60_000, `${LINES} events`, 200);
    await sleep(500);
  } finally {
    await stop(agent);
  }
  assert.equal(kills, 3);
  const crashed = read('crash');
  assert.equal(crashed.events, LINES, 'no line lost or stored twice');
  assert.deepEqual(crashed.alerts, replayed.alerts);
  assert.deepEqual(crashed.notifications, replayed.notifications, 'every notification exactly once');
});
