// A real Prometheus (Debian's 2.42 in CI) for end-to-end tests: started on a free loopback port with its own
// config and data folder, scraping the given targets every second, and queried over its HTTP API.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from './ports.js';

/** The binary: $PROMETHEUS_BIN when set (and only it), else the first `prometheus` on $PATH, else Debian's. */
export function findPrometheus(): string {
  const explicit = process.env.PROMETHEUS_BIN;
  const candidates = explicit
    ? [explicit]
    : [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'prometheus')), '/usr/bin/prometheus'];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(
    `the prometheus binary is missing (looked for ${explicit ? `PROMETHEUS_BIN=${explicit}` : 'prometheus on PATH and /usr/bin/prometheus'}): ` +
      'this end-to-end test needs a real Prometheus. Install it with `apt-get install -y --no-install-recommends prometheus` ' +
      '(CI does so in .ci/run), or set PROMETHEUS_BIN.',
  );
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface QueryResult {
  status: string;
  resultType: string;
  result: PromSample[];
  error: string | null;
}

export interface RunningPrometheus {
  url: string;
  /** an instant query through /api/v1/query; HTTP or PromQL errors are in the result, not thrown */
  query(expr: string): Promise<QueryResult>;
  /** label sets of every series matching the selector, through /api/v1/series */
  series(selector: string): Promise<Record<string, string>[]>;
  /** one line per scrape target: job, address, health and last scrape error (for failure messages) */
  targets(): Promise<string[]>;
  /** stderr so far, for failure messages */
  log(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** folder for the config and the TSDB (created if missing) */
  dir: string;
  targets: ScrapeTarget[];
  scrapeIntervalSeconds?: number;
  readyTimeoutMs?: number;
}

function configText(targets: ScrapeTarget[], interval: number): string {
  const jobs = targets
    .map((t) => `  - job_name: ${JSON.stringify(t.job)}\n    static_configs:\n      - targets: [${JSON.stringify(t.address)}]\n`)
    .join('');
  return `global:\n  scrape_interval: ${interval}s\n  evaluation_interval: ${interval}s\nscrape_configs:\n${jobs}`;
}

async function getJson(url: string): Promise<{ httpStatus: number; body: Record<string, unknown> | null; text: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  try {
    return { httpStatus: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
  } catch {
    return { httpStatus: response.status, body: null, text };
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = findPrometheus();
  const interval = options.scrapeIntervalSeconds ?? 1;
  mkdirSync(join(options.dir, 'data'), { recursive: true });
  const configFile = join(options.dir, 'prometheus.yml');
  writeFileSync(configFile, configText(options.targets, interval));
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitExit(child, 10_000))) {
      child.kill('SIGKILL');
      await waitExit(child, 5_000);
    }
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with code ${child.exitCode} before it was ready:\n${stderr}`);
    const failed = await Promise.race([spawnError, sleep(0).then(() => null)]);
    if (failed) throw new Error(`cannot start ${binary}: ${failed.message}`);
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus on ${url} was not ready after ${options.readyTimeoutMs ?? 15_000} ms:\n${stderr}`);
    }
    await sleep(100);
  }

  return {
    url,
    async query(expr) {
      const { httpStatus, body, text } = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (body === null) return { status: `http ${httpStatus}`, resultType: '', result: [], error: text.slice(0, 500) };
      const data = (body.data ?? {}) as { resultType?: string; result?: unknown };
      return {
        status: String(body.status),
        resultType: data.resultType ?? '',
        result: Array.isArray(data.result) ? (data.result as PromSample[]) : [],
        error: typeof body.error === 'string' ? body.error : null,
      };
    },
    async series(selector) {
      const { httpStatus, body, text } = await getJson(`${url}/api/v1/series?match[]=${encodeURIComponent(selector)}`);
      if (body?.status !== 'success' || !Array.isArray(body.data)) throw new Error(`series ${selector}: HTTP ${httpStatus} ${text.slice(0, 500)}`);
      return body.data as Record<string, string>[];
    },
    async targets() {
      const { body, text } = await getJson(`${url}/api/v1/targets?state=active`);
      const active = (body?.data as { activeTargets?: unknown } | undefined)?.activeTargets;
      if (!Array.isArray(active)) return [`targets: ${text.slice(0, 300)}`];
      return (active as { labels?: Record<string, string>; scrapeUrl?: string; health?: string; lastError?: string }[]).map(
        (t) => `${t.labels?.job ?? '?'} ${t.scrapeUrl ?? '?'} health=${t.health ?? '?'}${t.lastError ? ` lastError=${t.lastError}` : ''}`,
      );
    },
    log: () => stderr,
    stop,
  };
}
