// Alert delivery end to end, with the real Alertmanager (Debian's prometheus-alertmanager 0.25) and webhook
// receivers on 127.0.0.1: `phabwatch run` on the bundled example delivers every notification to a direct
// webhook, a Slack-format webhook and stdout, and every alert to Alertmanager, whose own webhook then gets each
// alert firing and later resolved. An Alertmanager outage while alerts fire loses nothing and repeats nothing,
// and ingestion goes on meanwhile. No raw token from the example reaches any destination.

import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import YAML from 'yaml';
import { alertmanagerBinary, startAlertmanager, type AmNotification, type RunningAlertmanager } from '../support/alertmanager.js';
import { REPO_ROOT, runCli, startAgent, tempDir, waitFor, type RunningAgent } from '../support/cli.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.js';

const EXAMPLE = join(REPO_ROOT, 'examples');
const dir = tempDir('alertmanager');
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  dir.remove();
});

/** Every raw token of the example: those of its registry export and those written in its logs. */
const RAW_TOKENS = (() => {
  const tokens = new Set<string>();
  const pattern = /(api|cli|clr)-[a-z2-7]{28}/g;
  for (const file of ['tokens.tsv', 'logs/nginx-access.log', 'logs/phorge-access.log', 'logs/ssh.log', 'logs/daemons.log']) {
    for (const m of readFileSync(join(EXAMPLE, file), 'utf8').matchAll(pattern)) tokens.add(m[0]);
  }
  return [...tokens];
})();

function assertNoRawToken(where: string, receivers: WebhookReceiver[], extra = ''): void {
  assert.ok(RAW_TOKENS.length > 40, 'the example should hold raw (fake) tokens to look for');
  const bytes = receivers.map((r) => r.requests.map((q) => q.body.toString('latin1')).join('\n')).join('\n') + extra;
  for (const token of RAW_TOKENS) assert.ok(!bytes.includes(token), `${where}: a raw token reached a destination`);
  assert.doesNotMatch(bytes, /\b(api|cli|clr)-[a-z2-7]{28}\b/, `${where}: something token-shaped reached a destination`);
}

interface ExampleConfig {
  name: string;
  /** null: the example's four sources, read from the bundled logs */
  accessLog: string | null;
  alerts: Record<string, unknown>;
}

function writeConfig(c: ExampleConfig): string {
  const example = YAML.parse(readFileSync(join(EXAMPLE, 'phabwatch.yaml'), 'utf8')) as Record<string, unknown> & { sources: { path: string }[] };
  const sources = c.accessLog === null
    ? example.sources.map((s) => ({ ...s, path: join(EXAMPLE, s.path), poll_interval: '50ms' }))
    : [{ name: 'phab', type: 'phabricator-access', path: c.accessLog, poll_interval: '50ms' }];
  const config = {
    ...example,
    store: { path: join(dir.path, `${c.name}.db`) },
    sources,
    identities: { ...(example.identities as object), registry: join(EXAMPLE, 'tokens.tsv') },
    alerts: c.alerts,
    log: { level: 'warn' },
  };
  return dir.file(`${c.name}.yaml`, YAML.stringify(config));
}

interface StoreView {
  events: number;
  alerts: { id: number; rule_id: string; labels: Record<string, string>; state: string; fired_at: number; ended_at: number | null }[];
  notifications: { id: number; alert_id: number; kind: string }[];
  deliveries: Record<string, Record<string, number>>;
}

function readStore(name: string): StoreView | null {
  let db: Database.Database;
  try {
    db = new Database(join(dir.path, `${name}.db`), { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  try {
    const hasDeliveries = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'alert_deliveries'").get() !== undefined;
    if (!hasDeliveries) return null;
    const deliveries: StoreView['deliveries'] = {};
    for (const r of db.prepare('SELECT sink, status, count(*) AS n FROM alert_deliveries GROUP BY 1, 2').all() as { sink: string; status: string; n: number }[]) {
      (deliveries[r.sink] ??= {})[r.status] = r.n;
    }
    return {
      events: (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
      alerts: (db.prepare("SELECT id, rule_id, labels, state, fired_at, ended_at FROM alerts WHERE state != 'pending' ORDER BY id").all() as
        { id: number; rule_id: string; labels: string; state: string; fired_at: number; ended_at: number | null }[])
        .map((a) => ({ ...a, labels: JSON.parse(a.labels) as Record<string, string> })),
      notifications: db.prepare('SELECT id, alert_id, kind FROM alert_notifications ORDER BY id').all() as StoreView['notifications'],
      deliveries,
    };
  } finally {
    db.close();
  }
}

/** Whether every file of the store's checkpoints has been read to its end. */
function readToTheEnd(name: string): boolean {
  const db = new Database(join(dir.path, `${name}.db`), { readonly: true, fileMustExist: true });
  try {
    const files = db.prepare("SELECT path, offset FROM checkpoints WHERE state = 'active'").all() as { path: string; offset: number }[];
    return files.length > 0 && files.every((f) => statSync(f.path).size === f.offset);
  } finally {
    db.close();
  }
}

/** The most attempts a pending delivery of `sink` has had. */
function failedAttempts(name: string, sink: string): number {
  const db = new Database(join(dir.path, `${name}.db`), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT coalesce(max(attempts), 0) AS n FROM alert_deliveries WHERE sink = ? AND status = 'pending'").get(sink) as { n: number }).n;
  } finally {
    db.close();
  }
}

function delivered(view: StoreView, sink: string): number {
  return view.deliveries[sink]?.delivered ?? 0;
}

function pending(view: StoreView, sink: string): number {
  return view.deliveries[sink]?.pending ?? 0;
}

/** An alert instance as Alertmanager shows it: its label set (fingerprint) and when it started. */
function instanceKey(alertname: string, labels: Record<string, string>, startsAt: string): string {
  const rest = Object.entries(labels).filter(([k]) => k !== 'alertname' && k !== 'severity').sort(([a], [b]) => a.localeCompare(b));
  return `${alertname} ${JSON.stringify(rest)} ${new Date(startsAt).toISOString()}`;
}

function storeInstanceKey(a: StoreView['alerts'][number]): string {
  return instanceKey(a.rule_id, a.labels, new Date(a.fired_at).toISOString());
}

/** What Alertmanager's webhook got, per alert instance: how many firing and resolved notifications. */
function amTally(receiver: WebhookReceiver): Map<string, { firing: number; resolved: number }> {
  const tally = new Map<string, { firing: number; resolved: number }>();
  for (const n of receiver.json<AmNotification>()) {
    for (const a of n.alerts) {
      const key = instanceKey(a.labels.alertname!, a.labels, a.startsAt);
      const t = tally.get(key) ?? { firing: 0, resolved: 0 };
      t[a.status]++;
      tally.set(key, t);
    }
  }
  return tally;
}

/** null when Alertmanager's webhook got each alert firing once, and resolved once if it resolved; else what differs. */
function amMismatch(receiver: WebhookReceiver, alerts: StoreView['alerts']): string | null {
  const tally = amTally(receiver);
  const wrong: string[] = [];
  for (const a of alerts) {
    const key = storeInstanceKey(a);
    const want = { firing: 1, resolved: a.state === 'resolved' ? 1 : 0 };
    const got = tally.get(key) ?? { firing: 0, resolved: 0 };
    if (got.firing !== want.firing || got.resolved !== want.resolved) wrong.push(`${key}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    tally.delete(key);
  }
  for (const [key, got] of tally) wrong.push(`${key}: not an alert of the store, got ${JSON.stringify(got)}`);
  return wrong.length === 0 ? null : wrong.join('\n');
}

async function stopAgent(agent: RunningAgent): Promise<void> {
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.output().stderr);
}

async function setUp(name: string): Promise<{ am: RunningAlertmanager; amHook: WebhookReceiver; direct: WebhookReceiver }> {
  // Fails (never skips) with install instructions when the binary is missing.
  alertmanagerBinary();
  const amHook = await startWebhookReceiver();
  const direct = await startWebhookReceiver();
  cleanups.push(() => amHook.close(), () => direct.close());
  const amDir = join(dir.path, `${name}-am`);
  mkdirSync(amDir);
  const am = await startAlertmanager({ dir: amDir, webhookUrl: `${amHook.url}/hook` });
  cleanups.push(() => am.stop());
  return { am, amHook, direct };
}

test('run on the example: every notification reaches the webhooks and stdout, every alert reaches Alertmanager and its receiver, firing then resolved', { timeout: 180_000 }, async () => {
  const { am, amHook, direct } = await setUp('full');
  const slack = await startWebhookReceiver();
  cleanups.push(() => slack.close());
  const config = writeConfig({
    name: 'full',
    accessLog: null,
    alerts: {
      stdout: true,
      alertmanager: { url: am.url, resend: '2s' },
      webhooks: [
        { url: `${direct.url}/phabwatch`, headers: { Authorization: 'Bearer test-secret-header' } },
        { url: `${slack.url}/services/T000/B000/not-a-real-secret`, format: 'slack' },
      ],
      // The example day is in the past; without this its notifications would be skipped as too old.
      max_age: 0,
      external_url: 'https://phabwatch.example.com/',
    },
  });
  const agent = startAgent(['run', '--config', config]);
  cleanups.push(() => void agent.child.kill('SIGKILL'));
  const sinks = ['stdout', 'alertmanager', 'webhook:0', 'webhook:1'];

  const done = await waitFor(() => {
    const view = readStore('full');
    if (!view || !readToTheEnd('full') || view.notifications.length === 0) return null;
    return sinks.every((s) => delivered(view, s) === view.notifications.length) ? view : null;
  }, 120_000, 'the example read to its end and every notification delivered to every destination', 250);
  // The example day has planted incidents.
  assert.ok(done.alerts.length >= 10, `only ${done.alerts.length} alerts`);
  const resolved = done.alerts.filter((a) => a.state === 'resolved');
  const firing = done.alerts.filter((a) => a.state === 'firing');
  assert.ok(resolved.length >= 5, `only ${resolved.length} alerts resolved`);
  const total = done.notifications.length;
  assert.equal(total, done.alerts.length + resolved.length, 'each alert fired once, and resolved once if it did');

  // Direct webhook: each notification exactly once, with its id, kind and alert.
  const bodies = direct.json<{ version: number; id: number; kind: string; alert: { id: number; rule_id: string; url: string }; samples: { raw: string }[] }>();
  assert.equal(bodies.length, total);
  assert.deepEqual(bodies.map((b) => b.id).sort((a, b) => a - b), done.notifications.map((n) => n.id));
  const byId = new Map(done.notifications.map((n) => [n.id, n]));
  for (const b of bodies) {
    assert.equal(b.version, 1);
    assert.equal(b.kind, byId.get(b.id)!.kind);
    assert.equal(b.alert.id, byId.get(b.id)!.alert_id);
    assert.match(b.alert.url, /^https:\/\/phabwatch\.example\.com\/alerts\/\d+$/);
    assert.ok(b.samples.length > 0 || b.alert.rule_id === 'log-silence', `${b.alert.rule_id}: samples`);
  }
  assert.ok(direct.requests.every((r) => r.headers.authorization === 'Bearer test-secret-header' && r.headers['content-type'] === 'application/json'));

  // Slack-format webhook: a readable text per notification, nothing else.
  const texts = slack.json<{ text: string }>();
  assert.equal(texts.length, total);
  for (const t of texts) {
    assert.deepEqual(Object.keys(t), ['text']);
    assert.match(t.text, /^:(red|large_green)_circle: \*(FIRING|RESOLVED)\* (info|warning|critical) `[a-z-]+`\n.+\n.+<https:\/\/phabwatch\.example\.com\/alerts\/\d+\|alert \d+>/);
  }
  assert.equal(texts.filter((t) => t.text.includes('*RESOLVED*')).length, resolved.length);

  // Alertmanager's receiver: each alert once firing, and once resolved if it resolved (startsAt is hours old, so
  // Alertmanager sends at once rather than after group_wait).
  await amHook.waitFor(() => amMismatch(amHook, done.alerts) === null, 30_000, 'Alertmanager notifying every alert')
    .catch((err: Error) => assert.fail(`${err.message}: ${amMismatch(amHook, done.alerts)}`));
  await sleep(3000); // re-sends of the firing alerts (every 2 s) must not notify them again
  assert.equal(amMismatch(amHook, done.alerts), null);
  for (const n of amHook.json<AmNotification>()) {
    for (const a of n.alerts) {
      assert.match(a.generatorURL, /^https:\/\/phabwatch\.example\.com\/alerts\/\d+$/);
      assert.ok(a.annotations.summary && a.annotations.evidence, 'summary and evidence annotations');
      assert.ok(['info', 'warning', 'critical'].includes(a.labels.severity!));
    }
  }
  // What Alertmanager reports: exactly the alerts still firing in the store, active.
  const listed = await am.alerts();
  assert.deepEqual(listed.map((a) => instanceKey(a.labels.alertname!, a.labels, a.startsAt)).sort(), firing.map(storeInstanceKey).sort());
  assert.ok(listed.every((a) => a.status.state === 'active'));

  await stopAgent(agent);
  const stdoutLines = agent.output().stdout.split('\n').filter((l) => l !== '');
  assert.equal(stdoutLines.length, total, agent.output().stdout);
  for (const line of stdoutLines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (FIRING|RESOLVED) (info|warning|critical) [a-z-]+ .*: .+ \(alert \d+\)$/);
  assertNoRawToken('run on the example', [direct, slack, amHook], agent.output().stdout + agent.output().stderr);

  // `alerts show` tells the on-call engineer where each notification of an alert went.
  const shown = resolved[0]!;
  const show = runCli(['alerts', 'show', String(shown.id), '--json', '--config', config]);
  assert.equal(show.status, 0, show.stderr);
  const detail = JSON.parse(show.stdout) as { notifications: { kind: string; deliveries: { sink: string; status: string }[] }[] };
  assert.deepEqual(detail.notifications.map((n) => n.kind), ['firing', 'resolved']);
  for (const n of detail.notifications) assert.deepEqual(n.deliveries.map((d) => `${d.sink} ${d.status}`).sort(), sinks.map((s) => `${s} delivered`).sort());
  const text = runCli(['alerts', 'show', String(shown.id), '--config', config]);
  assert.match(text.stdout, /resolved at \S+ +alertmanager delivered \S+; stdout delivered \S+; webhook:0 delivered \S+; webhook:1 delivered/);

  // And `doctor` finds this Alertmanager ready and the webhook receivers listening.
  const doctor = runCli(['doctor', '--config', config]);
  assert.ok(doctor.stdout.includes(`ok    alerts alertmanager: ${new URL(am.url).origin}: ready`), doctor.stdout);
  assert.match(doctor.stdout, /ok +alerts webhook:1: http:\/\/127\.0\.0\.1:\d+: accepts connections/);
  assert.doesNotMatch(doctor.stdout, /not-a-real-secret/);
});

test('an Alertmanager outage while alerts fire: ingestion goes on, every alert is delivered afterwards, none twice', { timeout: 240_000 }, async () => {
  const { am, amHook, direct } = await setUp('outage');
  const log = join(dir.path, 'outage-access.log');
  writeFileSync(log, '');
  const config = writeConfig({
    name: 'outage',
    accessLog: log,
    alerts: { alertmanager: { url: am.url, resend: '2s' }, webhooks: [{ url: `${direct.url}/hook` }], max_age: 0 },
  });
  const lines = readFileSync(join(EXAMPLE, 'logs', 'phorge-access.log'), 'utf8').split('\n').filter((l) => l !== '');
  const cutAt = (stamp: string): number => lines.findIndex((l) => l.startsWith(`[${stamp}`));
  const firstCut = cutAt('Tue, 24 Nov 2026 07:4');
  const secondCut = cutAt('Tue, 24 Nov 2026 16:1');
  assert.ok(firstCut > 0 && secondCut > firstCut, 'cut points in the example log');
  const append = (from: number, to: number): void => appendFileSync(log, lines.slice(from, to).map((l) => `${l}\n`).join(''));

  const agent = startAgent(['run', '--config', config]);
  cleanups.push(() => void agent.child.kill('SIGKILL'));

  // 1. Alertmanager up: the alerts firing at 07:40 are listed by Alertmanager.
  append(0, firstCut);
  const before = await waitFor(() => {
    const view = readStore('outage');
    if (!view || view.events !== firstCut || view.notifications.length === 0) return null;
    return delivered(view, 'alertmanager') === view.notifications.length && delivered(view, 'webhook:0') === view.notifications.length ? view : null;
  }, 60_000, 'the first part delivered', 200);
  const firingBefore = before.alerts.filter((a) => a.state === 'firing');
  assert.ok(firingBefore.length >= 1, 'some alerts fire at the first cut');
  const listed = await am.alerts();
  assert.deepEqual(
    listed.map((a) => instanceKey(a.labels.alertname!, a.labels, a.startsAt)).sort(),
    firingBefore.map(storeInstanceKey).sort(),
    'Alertmanager lists exactly the firing alerts',
  );

  // 2. Alertmanager down: lines keep being stored, the webhook keeps getting notifications, Alertmanager's queue grows.
  await am.stop();
  append(firstCut, secondCut);
  const during = await waitFor(() => {
    const view = readStore('outage');
    if (!view || view.events !== secondCut) return null;
    return delivered(view, 'webhook:0') === view.notifications.length && pending(view, 'alertmanager') > 0 ? view : null;
  }, 60_000, 'the second part stored and delivered to the webhook while Alertmanager is down', 200);
  assert.ok(during.notifications.length > before.notifications.length, 'new notifications during the outage');
  await waitFor(() => failedAttempts('outage', 'alertmanager') > 0, 10_000, 'a failed attempt recorded');
  assert.equal(agent.child.exitCode, null, 'the agent keeps running');
  assert.match(agent.output().stderr, /alert delivery failed; will retry/);

  // 3. Alertmanager back: everything queued is delivered, the rest of the day follows.
  await am.start();
  append(secondCut, lines.length);
  const end = await waitFor(() => {
    const view = readStore('outage');
    if (!view || view.events !== lines.length) return null;
    return pending(view, 'alertmanager') === 0 && delivered(view, 'alertmanager') === view.notifications.length
      && delivered(view, 'webhook:0') === view.notifications.length ? view : null;
  }, 120_000, 'every notification delivered to Alertmanager after the outage', 250);
  assert.equal(end.deliveries.alertmanager?.dropped ?? 0, 0);

  await amHook.waitFor(() => amMismatch(amHook, end.alerts) === null, 60_000, 'Alertmanager notifying every alert')
    .catch((err: Error) => assert.fail(`${err.message}: ${amMismatch(amHook, end.alerts)}`));
  await sleep(4000); // re-sends of the alerts still firing must not notify them again
  const tally = amTally(amHook);
  for (const a of end.alerts) {
    assert.deepEqual(tally.get(storeInstanceKey(a)), { firing: 1, resolved: a.state === 'resolved' ? 1 : 0 }, `${a.rule_id} ${JSON.stringify(a.labels)} at ${a.fired_at}`);
  }
  assert.equal(tally.size, end.alerts.length, 'no alert Alertmanager was not sent');
  const stillFiring = end.alerts.filter((a) => a.state === 'firing').map(storeInstanceKey).sort();
  assert.deepEqual((await am.alerts()).map((a) => instanceKey(a.labels.alertname!, a.labels, a.startsAt)).sort(), stillFiring);

  // The direct webhook got each notification once: the outage of another destination did not disturb it.
  const ids = direct.json<{ id: number }>().map((b) => b.id);
  assert.equal(new Set(ids).size, ids.length, 'no notification twice at the webhook');
  assert.deepEqual([...ids].sort((a, b) => a - b), end.notifications.map((n) => n.id));

  await stopAgent(agent);
  assertNoRawToken('outage', [direct, amHook]);
});
