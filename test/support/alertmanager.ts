// The real Alertmanager (Debian's prometheus-alertmanager 0.25) for end-to-end tests: started on a free
// loopback port, HA gossip off, with a route that sends everything quickly to one webhook. It can be stopped
// and started again on the same port and storage (its notification log survives, as in production).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from './ports.js';

const CANDIDATES = ['/usr/bin/prometheus-alertmanager', '/usr/local/bin/alertmanager', '/usr/bin/alertmanager'];

/** The Alertmanager binary, or an error that says how to install it (tests fail with it; they never skip). */
export function alertmanagerBinary(): string {
  const install = 'Install it with: apt-get install -y --no-install-recommends prometheus-alertmanager (CI does this in .ci/run), '
    + 'or set PHABWATCH_ALERTMANAGER_BIN to an alertmanager binary.';
  const fromEnv = process.env.PHABWATCH_ALERTMANAGER_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`Alertmanager not found: PHABWATCH_ALERTMANAGER_BIN=${fromEnv} does not exist. ${install}`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`Alertmanager is not installed (looked for ${CANDIDATES.join(', ')}). ${install}`);
  return found;
}


/** An alert as GET /api/v2/alerts returns it (the fields the tests read). */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
  status: { state: string };
}

/** One POST Alertmanager made to the webhook receiver. */
export interface AmNotification {
  status: 'firing' | 'resolved';
  alerts: { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; fingerprint: string; generatorURL: string }[];
}

export interface RunningAlertmanager {
  readonly url: string;
  /** GET /api/v2/alerts (active alerts) */
  alerts(): Promise<AmAlert[]>;
  stop(): Promise<void>;
  /** starts it again on the same port, config and storage */
  start(): Promise<void>;
  output(): string;
}

export interface AlertmanagerSetup {
  /** folder for the config and the storage */
  dir: string;
  /** where every notification goes (Alertmanager's webhook_config url) */
  webhookUrl: string;
}

export async function startAlertmanager(setup: AlertmanagerSetup): Promise<RunningAlertmanager> {
  const binary = alertmanagerBinary();
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const configPath = join(setup.dir, 'alertmanager.yml');
  // Every alert its own group ('...'), sent at once and re-sent rarely, so each notification a test sees is one
  // alert's transition.
  writeFileSync(configPath, `route:
  receiver: test-webhook
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test-webhook
    webhook_configs: [ { url: "${setup.webhookUrl}", send_resolved: true } ]
`);
  const check = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`${binary} --version failed: ${check.stderr}`);
  let child: ChildProcess | null = null;
  let log = '';

  const start = async (): Promise<void> => {
    child = spawn(binary, [
      `--config.file=${configPath}`, `--storage.path=${join(setup.dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}: ${log}`);
      try {
        const res = await fetch(`${url}/-/ready`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`alertmanager not ready after 15 s: ${log}`);
      await sleep(50);
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`);
      if (!res.ok) throw new Error(`GET /api/v2/alerts: HTTP ${res.status}`);
      return (await res.json()) as AmAlert[];
    },
    stop,
    start,
    output: () => log,
  };
}
