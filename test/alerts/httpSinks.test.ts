// The HTTP destinations against a receiver on 127.0.0.1: what goes over the wire, and what each answer means
// (2xx delivered, 5xx/408/429/network retried, other 4xx refused). Errors name the destination by its origin
// only: a webhook URL's path can be its secret.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AlertmanagerSink, type AlertmanagerAlert } from '../../src/alerts/sinks/alertmanager.js';
import { HttpClient } from '../../src/alerts/sinks/httpClient.js';
import type { AlertNotification } from '../../src/alerts/sinks/sink.js';
import { WebhookSink, type WebhookPayload } from '../../src/alerts/sinks/webhook.js';
import { freeLoopbackPort } from '../support/ports.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.js';
import { evidence, recordingLogger } from './helpers.js';

const AT = Date.UTC(2026, 10, 24, 7, 12, 32);
let receiver: WebhookReceiver;

before(async () => {
  receiver = await startWebhookReceiver();
});
after(() => receiver.close());

function notification(id: number, kind: AlertNotification['kind'] = 'firing'): AlertNotification {
  return {
    id, kind, at: AT,
    alert: {
      id: 3, ruleId: 'token-new-ip', severity: 'warning', state: 'firing', labels: { identity: 'dave' }, summary: 'dave made Conduit calls from 192.0.2.147',
      annotations: { summary: 's', runbook_url: null, description: 'd' }, startedAt: AT, firedAt: AT, endedAt: null, evidence: evidence(AT), samples: [],
    },
  };
}

function reset(status: number | 'hang' = 200): void {
  receiver.requests.length = 0;
  receiver.respond(status);
}

test('Alertmanager: one POST /api/v2/alerts with a JSON array and the configured headers', async () => {
  reset(200);
  const sink = new AlertmanagerSink({ url: receiver.url, resend_ms: 60_000, headers: { Authorization: 'Basic c2VjcmV0' } }, { externalUrl: null, logger: recordingLogger(), now: () => AT + 1000 });
  assert.deepEqual(await sink.deliver([notification(1), notification(2, 'resolved')]), { ok: true });
  assert.equal(receiver.requests.length, 1);
  const req = receiver.requests[0]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/api/v2/alerts');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers.authorization, 'Basic c2VjcmV0');
  assert.match(String(req.headers['user-agent']), /^phabwatch\//);
  const body = JSON.parse(req.body.toString('utf8')) as AlertmanagerAlert[];
  assert.equal(body.length, 2);
  assert.deepEqual(body.map((a) => a.labels.alertname), ['token-new-ip', 'token-new-ip']);
  await sink.close();
});

test('Alertmanager: the URL may already end in /api/v2/alerts', async () => {
  reset(200);
  const sink = new AlertmanagerSink({ url: `${receiver.url}/api/v2/alerts`, resend_ms: 60_000, headers: {} }, { externalUrl: null, logger: recordingLogger() });
  assert.deepEqual(await sink.deliver([notification(1)]), { ok: true });
  assert.equal(receiver.requests[0]!.path, '/api/v2/alerts');
  await sink.close();
});

test('Alertmanager: 400 is refused (not retried), 5xx and a refused connection are retried', async () => {
  const sink = new AlertmanagerSink({ url: receiver.url, resend_ms: 60_000, headers: {} }, { externalUrl: null, logger: recordingLogger() });
  reset(400);
  const refused = await sink.deliver([notification(1)]);
  assert.deepEqual(refused, { ok: false, retryable: false, error: `POST ${receiver.url}: HTTP 400: status 400` });
  reset(503);
  const unavailable = await sink.deliver([notification(1)]);
  assert.ok(!unavailable.ok && unavailable.retryable, JSON.stringify(unavailable));
  const down = new AlertmanagerSink({ url: `http://127.0.0.1:${await freeLoopbackPort()}`, resend_ms: 60_000, headers: {} }, { externalUrl: null, logger: recordingLogger() });
  const result = await down.deliver([notification(1)]);
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.retryable && /connection refused/.test(result.error), JSON.stringify(result));
  await sink.close();
  await down.close();
});

test('Alertmanager: the re-send posts the alerts it is given and logs a failing streak once', async () => {
  reset(200);
  const logger = recordingLogger();
  const sink = new AlertmanagerSink({ url: receiver.url, resend_ms: 2000, headers: {} }, { externalUrl: null, logger, now: () => AT });
  const resolvedAlert = { ...notification(2).alert, id: 4, labels: { identity: 'erin' }, state: 'resolved' as const, endedAt: AT + 5000 };
  await sink.tick([notification(1).alert, resolvedAlert], AT + 10_000);
  const body = JSON.parse(receiver.requests[0]!.body.toString('utf8')) as AlertmanagerAlert[];
  assert.deepEqual(body.map((a) => [a.labels.identity, a.endsAt]), [['dave', '2026-11-24T07:12:50Z'], ['erin', '2026-11-24T07:12:37Z']]);
  reset(503);
  await sink.tick([notification(1).alert], AT);
  await sink.tick([notification(1).alert], AT);
  assert.equal(logger.entries.filter((e) => e.level === 'warn').length, 1);
  reset(200);
  await sink.tick([notification(1).alert], AT);
  assert.equal(logger.entries.filter((e) => e.level === 'info').length, 1, 'recovery is logged');
  await sink.close();
});

test('webhook JSON: one POST per notification with its id; any 2xx is delivered', async () => {
  reset(204);
  const sink = new WebhookSink(0, { url: `${receiver.url}/hooks/phabwatch?key=abc`, format: 'json', headers: { 'X-Token': 'hook-secret' } }, null);
  assert.equal(sink.name, 'webhook:0');
  assert.deepEqual(await sink.deliver([notification(5)]), { ok: true });
  const req = receiver.requests[0]!;
  assert.equal(req.path, '/hooks/phabwatch?key=abc');
  assert.equal(req.headers['x-token'], 'hook-secret');
  const body = JSON.parse(req.body.toString('utf8')) as WebhookPayload;
  assert.equal(body.id, 5);
  assert.equal(body.kind, 'firing');
  assert.equal(body.alert.url, 'phabwatch://alerts/3');
  await sink.close();
});

test('webhook Slack: a body with only a text field', async () => {
  reset(200);
  const sink = new WebhookSink(1, { url: `${receiver.url}/services/T0/B0/xyz`, format: 'slack', headers: {} }, null);
  assert.deepEqual(await sink.deliver([notification(6, 'resolved')]), { ok: true });
  const body = JSON.parse(receiver.requests[0]!.body.toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['text']);
  assert.match(String(body.text), /^:large_green_circle: \*RESOLVED\* warning `token-new-ip`/);
  await sink.close();
});

test('webhook answers: 404 refused, 429 and 500 retried, a silent receiver times out; errors never show the URL path', async () => {
  const secretPath = '/services/T000/B000/very-secret-part';
  const sink = new WebhookSink(0, { url: `${receiver.url}${secretPath}`, format: 'slack', headers: {} }, null, new HttpClient({ timeoutMs: 150 }));
  const cases: [number | 'hang', boolean][] = [[404, false], [410, false], [429, true], [500, true], [408, true], ['hang', true]];
  for (const [status, retryable] of cases) {
    reset(status);
    const result = await sink.deliver([notification(7)]);
    assert.equal(result.ok, false, String(status));
    if (result.ok) continue;
    assert.equal(result.retryable, retryable, `${status}: ${result.error}`);
    assert.ok(result.error.startsWith(`POST ${receiver.url}:`), result.error);
    assert.ok(!result.error.includes('very-secret-part'), result.error);
    if (status === 'hang') assert.match(result.error, /no answer within 150 ms/);
  }
  await sink.close();
});

test('closing a sink aborts its request in flight: the delivery stays for later', async () => {
  reset('hang');
  const sink = new WebhookSink(0, { url: `${receiver.url}/hook`, format: 'json', headers: {} }, null);
  const pending = sink.deliver([notification(8)]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await sink.close();
  const result = await pending;
  assert.ok(!result.ok && result.retryable, JSON.stringify(result));
  reset(200);
});
