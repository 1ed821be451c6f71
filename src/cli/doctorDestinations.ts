// `phabwatch doctor`, the outward half: can alerts and telemetry leave this machine? Alertmanager is asked
// whether it is ready; webhooks and OTLP endpoints are only connected to (a test POST would page someone or
// store junk); the Prometheus listen address must be free; and the store's delivery queue must not be stuck.
// Only scheme, host and port are ever shown: a Slack webhook's path is its secret.

import { connect, createServer } from 'node:net';
import { originOf } from '../alerts/sinks/httpClient.js';
import type { PhabwatchConfig } from '../config/types.js';
import type { Db } from '../store/database.js';
import { resolveOtlpSettings } from '../telemetry/otlpSettings.js';
import type { Check } from './doctor.js';

const PROBE_TIMEOUT_MS = 3000;
/** A delivery still pending after this long means a destination is down or refusing. */
const STUCK_AFTER_MS = 5 * 60_000;

export async function checkDestinations(config: PhabwatchConfig, checks: Check[]): Promise<void> {
  const am = config.alerts.alertmanager;
  if (am !== null) checks.push(await alertmanagerReady(am.url, am.headers));
  for (const [i, hook] of config.alerts.webhooks.entries()) checks.push(await reachable(`alerts webhook:${i}`, hook.url, 'alerts to it wait in the store and are retried'));
  const otlp = resolveOtlpSettings(config.telemetry);
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    const s = otlp[signal];
    if (s !== null) checks.push(await reachable(`telemetry ${signal}`, s.url, 'the agent runs without it and logs failed exports'));
  }
  for (const warning of otlp.warnings) checks.push({ status: 'warn', subject: 'telemetry', message: warning, details: [] });
  const prometheus = config.telemetry.prometheus;
  if (prometheus !== null) checks.push(await listenable(prometheus.host, prometheus.port));
}

/** Deliveries waiting too long, per destination, with the last error (the store's view of the same question; `db` is migrated). */
export function checkDeliveryQueue(db: Db, checks: Check[], now = Date.now()): void {
  const rows = db.prepare(`SELECT sink, count(*) AS n, min(queued_at) AS oldest,
      (SELECT last_error FROM alert_deliveries d2 WHERE d2.sink = d.sink AND d2.status = 'pending' AND d2.last_error IS NOT NULL
       ORDER BY d2.notification_id DESC LIMIT 1) AS last_error
    FROM alert_deliveries d WHERE status = 'pending' GROUP BY sink ORDER BY sink`).all() as { sink: string; n: number; oldest: number; last_error: string | null }[];
  for (const r of rows) {
    const age = now - r.oldest;
    if (age < STUCK_AFTER_MS) continue;
    checks.push({
      status: 'warn', subject: `alerts ${r.sink}`,
      message: `${r.n} notification${r.n === 1 ? '' : 's'} waiting, the oldest for ${Math.round(age / 60_000)} min`,
      details: r.last_error === null ? [] : [`last error: ${r.last_error}`],
    });
  }
}

async function alertmanagerReady(url: string, headers: Record<string, string>): Promise<Check> {
  const base = url.replace(/\/api\/v2\/alerts\/?$/, '').replace(/\/+$/, '');
  const subject = 'alerts alertmanager';
  try {
    const res = await fetch(`${base}/-/ready`, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    if (res.ok) return { status: 'ok', subject, message: `${originOf(url)}: ready`, details: [] };
    return { status: 'fail', subject, message: `${originOf(url)}: answered ${res.status} to /-/ready`, details: ['alerts wait in the store and are retried until it is ready'] };
  } catch (err) {
    return { status: 'fail', subject, message: `${originOf(url)}: not reachable (${reason(err)})`, details: ['alerts wait in the store and are retried until it answers'] };
  }
}

async function reachable(subject: string, url: string, consequence: string): Promise<Check> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { status: 'fail', subject, message: 'not a URL', details: [] };
  }
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host, port, timeout: PROBE_TIMEOUT_MS });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('timeout', () => {
        socket.destroy();
        reject(new Error(`no answer in ${PROBE_TIMEOUT_MS / 1000} s`));
      });
      socket.once('error', reject);
    });
    return { status: 'ok', subject, message: `${originOf(url)}: accepts connections`, details: [] };
  } catch (err) {
    return { status: 'warn', subject, message: `${originOf(url)}: not reachable (${reason(err)})`, details: [consequence] };
  }
}

async function listenable(host: string, port: number): Promise<Check> {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const subject = 'telemetry prometheus';
  try {
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, host, () => server.close(() => resolve()));
    });
    return { status: 'ok', subject, message: `${where}: free to serve /metrics`, details: [] };
  } catch (err) {
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    return {
      status: 'warn', subject, message: `${where}: cannot listen (${reason(err)})`,
      details: [inUse ? 'in use: by a phabwatch already running, or another program' : 'the agent runs without its scrape endpoint'],
    };
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.cause?.code ?? e.code;
  if (e.name === 'TimeoutError') return `no answer in ${PROBE_TIMEOUT_MS / 1000} s`;
  return code ?? (err instanceof Error ? err.message : String(err));
}
