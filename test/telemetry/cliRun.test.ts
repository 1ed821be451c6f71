// `phabwatch run` on the example day with OTLP (protobuf) and a Prometheus endpoint: every alert notification is
// delivered as an OTLP log record with the rule's severity and id, each fired alert has its span, linked to the
// spans of its sample requests, which were exported too; and the Prometheus endpoint serves the documented series.

import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir, waitFor } from '../support/cli.js';
import { OtlpReceiver } from '../support/otlpReceiver.js';
import { freeLoopbackPort } from '../support/ports.js';
import {
  EXAMPLE, exampleConfig, exampleIdentities, finished, IPV4, IPV6, RAW_TOKEN, readStore, start, type CliOutcome,
} from './cliHarness.js';

const dir = tempDir('telemetry-run');
const receiver = new OtlpReceiver();
let store = '';
let scrape = '';
let outcome: CliOutcome;
let notifications: { id: number; kind: string; rule_id: string; severity: string; alert_id: number }[] = [];

before(async () => {
  await receiver.start();
  const promPort = await freeLoopbackPort();
  const config = exampleConfig(dir, 'run', {
    telemetry: {
      otlp: { endpoint: receiver.endpoint, protocol: 'http/protobuf', metrics_interval: '1s' },
      prometheus: { listen: `127.0.0.1:${promPort}` },
      traces: { sample: { errors: 1, flagged: 1, other: 0.01 } },
      instance: 'phorge.example.com',
    },
    // The example day is in the past: deliver its alerts anyway.
    alerts: { max_age: '3650d' },
  });
  store = join(dir.path, 'run.db');
  const totalBytes = readdirSync(join(EXAMPLE, 'logs')).reduce((n, f) => n + statSync(join(EXAMPLE, 'logs', f)).size, 0);
  const agent = start(['run', '--config', config]);
  const done = finished(agent);
  try {
    await waitFor(() => {
      try {
        return readStore(store, (db) => (db.prepare('SELECT coalesce(sum("offset"), 0) AS n FROM checkpoints').get() as { n: number }).n) >= totalBytes;
      } catch {
        return false;
      }
    }, 90_000, 'the example logs to be read');
    const readNotifications = (): typeof notifications => readStore(store, (db) => db.prepare(`SELECT n.id, n.kind, a.rule_id, a.severity,
      a.id AS alert_id FROM alert_notifications n JOIN alerts a ON a.id = n.alert_id ORDER BY n.id`).all() as typeof notifications);
    // Every notification written so far has been delivered, and none came since the previous look.
    let previous = -1;
    await waitFor(() => {
      notifications = readNotifications();
      const stable = notifications.length === previous;
      previous = notifications.length;
      return stable && receiver.logs().length >= notifications.length;
    }, 60_000, 'every alert notification to arrive as a log record', 500);
    const res = await fetch(`http://127.0.0.1:${promPort}/metrics`);
    assert.equal(res.status, 200);
    scrape = await res.text();
    // A metric push happens every second: let one pass with everything counted.
    await sleep(1500);
  } finally {
    agent.kill('SIGTERM');
    outcome = await done;
  }
});
after(async () => {
  await receiver.stop();
  dir.remove();
});

test('run stops cleanly on SIGTERM', () => {
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.equal(outcome.stderr.includes('telemetry export failed'), false);
});

test('each alert notification arrives as an OTLP log record with the rule\'s severity and id', () => {
  assert.ok(notifications.length >= 10, `${notifications.length} notifications in the example day`);
  const logs = receiver.logs();
  const byNotification = new Map(logs.map((l) => [Number(l.attributes['phabwatch.notification_id']), l]));
  const severityNumber = { info: 9, warning: 13, critical: 17 } as Record<string, number>;
  for (const n of notifications) {
    const log = byNotification.get(n.id);
    assert.ok(log, `notification ${n.id} (${n.rule_id} ${n.kind}) delivered`);
    assert.equal(log.attributes['phabwatch.rule_id'], n.rule_id);
    assert.equal(log.attributes['phabwatch.alert_id'], n.alert_id);
    assert.equal(log.attributes['phabwatch.transition'], n.kind);
    assert.equal(log.severityNumber, severityNumber[n.severity]);
    assert.equal(typeof log.body, 'string');
    assert.equal(log.resource['phabricator.instance'], 'phorge.example.com');
  }
});

test('each fired alert has its span, linked to exported spans of its sample requests', () => {
  const spans = receiver.spans();
  const alertSpans = spans.filter((s) => s.name.startsWith('phabwatch.alert '));
  const exported = new Set(spans.filter((s) => !s.name.startsWith('phabwatch.alert ')).map((s) => `${s.traceId}/${s.spanId}`));
  const fired = new Set(notifications.filter((n) => n.kind === 'firing').map((n) => n.alert_id));
  assert.equal(new Set(alertSpans.map((s) => s.attributes['phabwatch.alert_id'])).size, fired.size);
  let links = 0;
  for (const span of alertSpans) {
    assert.equal(span.name, `phabwatch.alert ${String(span.attributes['phabwatch.rule_id'])}`);
    assert.ok(span.endNs >= span.startNs);
    for (const link of span.links) {
      links++;
      assert.ok(exported.has(`${link.traceId}/${link.spanId}`), `${span.name} links to a span that was exported`);
    }
  }
  assert.ok(links > 10, `${links} links`);
  // Log records of an alert carry its span's ids.
  const firingLogs = receiver.logs().filter((l) => l.attributes['phabwatch.transition'] === 'firing');
  const spanIds = new Set(alertSpans.map((s) => s.spanId));
  for (const l of firingLogs) assert.ok(spanIds.has(l.spanId));
});

test('metrics pushed while running count what the store holds', () => {
  const events = readStore(store, (db) => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n);
  const latest = receiver.latestMetrics();
  assert.equal(latest.get('phabwatch.events')!.points.reduce((s, p) => s + p.value, 0), events);
  const deliveries = latest.get('phabwatch.alert.deliveries');
  assert.ok(deliveries, 'the delivery loop\'s counts are exported');
  const delivered = deliveries.points.filter((p) => p.attributes.sink === 'otlp-logs' && p.attributes.result === 'delivered').reduce((s, p) => s + p.value, 0);
  assert.ok(delivered >= notifications.length);
  assert.ok(latest.get('phabwatch.alert.backlog')?.points.some((p) => p.attributes.sink === 'otlp-logs'));
});

test('the Prometheus endpoint serves the documented series, with labels that name no address, token or person', () => {
  assert.match(scrape, /^phabwatch_events_total\{[^}]*source="phab"[^}]*\} \d+/m);
  assert.match(scrape, /^phabwatch_requests_total\{[^}]*otel_scope_name="phabwatch"[^}]*\} \d+/m);
  assert.match(scrape, /^phabwatch_request_duration_bucket\{[^}]*le="60000"[^}]*\} \d+/m);
  assert.match(scrape, /^phabwatch_ingest_lag\{[^}]*source="web"[^}]*\} [\d.e+]+/m);
  assert.match(scrape, /^phabwatch_alerts_notifications_total\{/m);
  const { tokens, usernames } = exampleIdentities();
  const people = new Set(usernames);
  for (const line of scrape.split('\n')) {
    if (!line.startsWith('phabwatch_')) continue;
    for (const [, key, value] of line.matchAll(/(\w+)="([^"]*)"/g)) {
      assert.equal(IPV4.test(value!) || IPV6.test(value!), false, `${key}=${value}`);
      assert.equal(RAW_TOKEN.test(value!) || tokens.includes(value!), false, `${key}=${value}`);
      assert.equal(people.has(value!), false, `${key}=${value}`);
    }
  }
});
