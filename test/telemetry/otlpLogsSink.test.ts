// The otlp-logs alert sink against a local OTLP receiver: one log record per notification with the documented
// severity, body and attributes, carrying the alert span's ids; the alert span once per alert; and a delivery is
// reported as done only when the collector took the records (so the outbox retries otherwise).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createOtlpLogsSink } from '../../src/alerts/sinks/otlpLogs.js';
import type { AlertNotification } from '../../src/alerts/sinks/sink.js';
import { parseConfig } from '../../src/config/load.js';
import type { PhabwatchConfig } from '../../src/config/types.js';
import type { Logger } from '../../src/model/logger.js';
import { startTelemetry } from '../../src/telemetry/setup.js';
import { OtlpReceiver } from '../support/otlpReceiver.js';
import { freeLoopbackPort } from '../support/ports.js';

const receiver = new OtlpReceiver();
before(() => receiver.start());
after(() => receiver.stop());

const STARTED = Date.UTC(2026, 10, 24, 7, 15, 0);
const FIRED = STARTED + 120_000;

function config(endpoint: string, protocol: string, logs = true): PhabwatchConfig {
  const result = parseConfig(`
telemetry:
  otlp: { endpoint: "${endpoint}", protocol: ${protocol}, logs: ${logs}, metrics: false, timeout: 1s }
`, null);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  return result.config;
}

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const fn = (a: unknown, b?: string): void => {
    lines.push(typeof a === 'string' ? a : `${b ?? ''} ${JSON.stringify(a)}`);
  };
  const logger: Logger = { trace: fn, debug: fn, info: fn, warn: fn, error: fn, child: () => logger };
  return { logger, lines };
}

function notification(id: number, kind: AlertNotification['kind'], severity: AlertNotification['alert']['severity'], at: number): AlertNotification {
  return {
    id, kind, at,
    alert: {
      id: 7, ruleId: 'login-bruteforce', severity, state: kind === 'resolved' ? 'resolved' : 'firing',
      labels: { client_ip: '203.0.113.9', category: 'security' }, summary: '40 failed logins from 203.0.113.9 in 5m',
      annotations: { runbook_url: 'docs/runbooks/login-bruteforce.md', summary: null }, startedAt: STARTED, firedAt: FIRED,
      endedAt: kind === 'resolved' ? at : null,
      evidence: { window: null, value: 40, bound: 30, first_event_at: null, last_event_at: null, late_events: 0, matched_events: 40, details: {} },
      samples: [],
    },
  };
}

for (const protocol of ['http/protobuf', 'http/json']) {
  test(`each notification is an OTLP log record, and a firing one also the alert span (${protocol})`, async () => {
    receiver.clear();
    const telemetry = startTelemetry(config(receiver.endpoint, protocol), recordingLogger().logger, { env: {} });
    const sink = createOtlpLogsSink(telemetry);
    assert.ok(sink);
    assert.equal(sink.name, 'otlp-logs');
    const firing = notification(1, 'firing', 'warning', FIRED);
    assert.deepEqual(await sink.deliver([firing]), { ok: true });
    // Re-delivered (at-least-once) and then resolved: the span is not emitted twice.
    assert.deepEqual(await sink.deliver([firing, notification(2, 'renotify', 'critical', FIRED + 3_600_000), notification(3, 'resolved', 'info', FIRED + 7_200_000)]), { ok: true });
    await telemetry.shutdown();

    const logs = receiver.logs();
    assert.equal(logs.length, 4);
    assert.deepEqual(logs.map((l) => [l.severityNumber, l.severityText]), [[13, 'WARN'], [13, 'WARN'], [17, 'ERROR'], [9, 'INFO']]);
    const first = logs[0]!;
    assert.equal(first.body, '40 failed logins from 203.0.113.9 in 5m');
    assert.equal(first.timeNs, BigInt(FIRED) * 1_000_000n);
    assert.equal(first.attributes['phabwatch.rule_id'], 'login-bruteforce');
    assert.equal(first.attributes['phabwatch.alert_id'], 7);
    assert.equal(first.attributes['phabwatch.transition'], 'firing');
    assert.equal(first.attributes['phabwatch.label.client_ip'], '203.0.113.9');
    assert.equal(first.attributes['phabwatch.label.category'], 'security');
    assert.equal(logs[3]!.attributes['phabwatch.transition'], 'resolved');

    const spans = receiver.spans();
    assert.equal(spans.length, 1);
    const span = spans[0]!;
    assert.equal(span.name, 'phabwatch.alert login-bruteforce');
    assert.equal(span.startNs, BigInt(STARTED) * 1_000_000n);
    assert.equal(span.endNs, BigInt(FIRED) * 1_000_000n);
    assert.equal(span.attributes['phabwatch.rule_id'], 'login-bruteforce');
    // Every record of the alert carries the span's ids, so a backend can go from the record to the span.
    for (const l of logs) {
      assert.equal(l.traceId, span.traceId);
      assert.equal(l.spanId, span.spanId);
    }
    assert.equal(first.resource['service.name'], 'phabwatch');
  });
}

test('a collector that cannot be reached: the delivery fails as retryable, nothing throws, the failure is logged', async () => {
  const port = await freeLoopbackPort();
  const { logger, lines } = recordingLogger();
  const telemetry = startTelemetry(config(`http://127.0.0.1:${port}`, 'http/protobuf'), logger, { env: {} });
  const sink = createOtlpLogsSink(telemetry)!;
  const result = await sink.deliver([notification(1, 'firing', 'critical', FIRED)]);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.retryable, true);
  assert.match(!result.ok ? result.error : '', /OTLP log export failed/);
  assert.equal(telemetry.exportCounts().logs.failed, 1);
  await telemetry.shutdown();
  assert.ok(lines.some((l) => l.includes('telemetry export failed')), lines.join('\n'));
});

test('no sink when OTLP logs are off, or when there is no OTLP at all', () => {
  const off = startTelemetry(config(receiver.endpoint, 'http/protobuf', false), recordingLogger().logger, { env: {} });
  assert.equal(createOtlpLogsSink(off), null);
  const none = parseConfig('{}', null);
  assert.ok(none.ok);
  assert.equal(createOtlpLogsSink(startTelemetry(none.config, recordingLogger().logger, { env: {} })), null);
  return off.shutdown();
});
