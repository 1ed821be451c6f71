// The delivery loop over a real store: every notification reaches every destination once and in order, across
// restarts; failures back off and catch up; a dead destination holds up nobody; the backlog is bounded and what
// it drops is counted and logged; notifications below min_severity or older than max_age are never sent; a
// notification of an uncommitted batch is never seen.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDelivery, type Delivery, type DeliverySink } from '../../src/alerts/delivery.js';
import { alertsConfig, FAST, recordingLogger, RecordingSink, testStore, until, type TestStore } from './helpers.js';

const T0 = Date.UTC(2026, 10, 24, 7, 0, 0);
const open: { store?: TestStore; deliveries: Delivery[] } = { deliveries: [] };

afterEach(async () => {
  for (const d of open.deliveries.splice(0)) await d.stop();
  open.store?.close();
  open.store = undefined;
});

function store(): TestStore {
  open.store = testStore();
  return open.store;
}

function start(s: TestStore, sinks: DeliverySink[], config = alertsConfig(), logger = recordingLogger(), extra = {}): Delivery {
  const d = startDelivery(s.db, config, sinks, logger, { ...FAST, ...extra });
  open.deliveries.push(d);
  return d;
}

function ids(sink: RecordingSink): number[] {
  return sink.delivered.map((n) => n.id);
}

function notificationIds(s: TestStore): number[] {
  return (s.db.prepare('SELECT id FROM alert_notifications ORDER BY id').all() as { id: number }[]).map((r) => r.id);
}

test('every notification reaches every destination once, in order, with its alert as it is now', async () => {
  const s = store();
  const a = s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0);
  const b = s.fire('scanner-burst', { client_ip: '192.0.2.99' }, T0 + 1000);
  s.resolve(a, T0 + 60_000);
  const c = s.fire('admin-action', { identity: 'grace' }, T0 + 70_000);
  s.resolve(b, T0 + 80_000);
  const one = new RecordingSink('one');
  const two = new RecordingSink('two', { maxBatch: 2 });
  const d = start(s, [one, two]);
  await until(() => one.delivered.length === 5 && two.delivered.length === 5, 'both sinks to get 5 notifications');

  const expected = notificationIds(s);
  assert.deepEqual(ids(one), expected);
  assert.deepEqual(ids(two), expected);
  assert.ok(two.calls.every((batch) => batch.length <= 2), 'maxBatch is respected');
  assert.deepEqual(one.delivered.map((n) => [n.kind, n.alert.ruleId]), [
    ['firing', 'login-bruteforce'], ['firing', 'scanner-burst'], ['resolved', 'login-bruteforce'], ['firing', 'admin-action'], ['resolved', 'scanner-burst'],
  ]);
  // The notification carries its own transition time; the alert is read as it is now.
  const firstFiring = one.delivered[0]!;
  assert.equal(firstFiring.at, T0);
  assert.equal(firstFiring.alert.state, 'resolved');
  assert.equal(firstFiring.alert.endedAt, T0 + 60_000);
  assert.equal(one.delivered[3]!.alert.id, c.id);
  assert.deepEqual(d.deliveryCounts(), { one: { delivered: 5, failed: 0, dropped: 0, skipped: 0 }, two: { delivered: 5, failed: 0, dropped: 0, skipped: 0 } });
  await until(() => d.backlog().one === 0 && d.backlog().two === 0, 'backlogs to empty');
  assert.ok(s.deliveries('one').every((r) => r.status === 'delivered' && r.attempts === 1));
});

test('a restart resumes what is pending and repeats nothing that was acknowledged', async () => {
  const s = store();
  const a = s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0);
  s.fire('scanner-burst', { client_ip: '192.0.2.99' }, T0 + 1000);
  const first = new RecordingSink('webhook:0');
  const d1 = start(s, [first]);
  await until(() => first.delivered.length === 2, 'the first two');
  await d1.stop();
  assert.ok(first.closed, 'stop closes the sinks');

  // While the agent is down, the engine (a replay, say) adds notifications.
  s.resolve(a, T0 + 60_000);
  s.fire('admin-action', { identity: 'grace' }, T0 + 70_000);
  const second = new RecordingSink('webhook:0');
  start(s, [second]);
  await until(() => second.delivered.length === 2, 'the two new ones');
  await sleep(100);
  const all = notificationIds(s);
  assert.deepEqual(ids(second), all.slice(2), 'only what was not acknowledged before');
  assert.deepEqual(ids(first), all.slice(0, 2));
});

test('an attempt still in flight when stopping stays pending and is delivered after the restart', async () => {
  const s = store();
  s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0);
  const stuck = new RecordingSink('alertmanager');
  stuck.answer = () => 'hang';
  const d1 = start(s, [stuck]);
  await until(() => stuck.calls.length === 1, 'the attempt to start');
  await d1.stop();
  assert.deepEqual(s.deliveries('alertmanager').map((r) => r.status), ['pending']);

  const healthy = new RecordingSink('alertmanager');
  start(s, [healthy]);
  await until(() => healthy.delivered.length === 1, 'the delivery after the restart');
  assert.deepEqual(s.deliveries('alertmanager').map((r) => r.status), ['delivered']);
});

test('the last batch before stopping gets its chance', async () => {
  const s = store();
  const sink = new RecordingSink('stdout');
  const d = start(s, [sink], alertsConfig(), recordingLogger(), { pollMs: 60_000 });
  await sleep(50);
  s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0);
  // Nothing nudges the loop and its poll is a minute away: stop() still delivers it.
  await d.stop();
  assert.equal(sink.delivered.length, 1);
  assert.deepEqual(s.deliveries('stdout').map((r) => r.status), ['delivered']);
});

test('a failing destination backs off exponentially, keeps its order, and catches up when it recovers', async () => {
  const s = store();
  s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0);
  s.fire('scanner-burst', { client_ip: '192.0.2.99' }, T0 + 1000);
  const sink = new RecordingSink('alertmanager');
  let failures = 4;
  sink.answer = () => (failures-- > 0 ? { ok: false, retryable: true, error: 'POST http://127.0.0.1:9: connection refused (is it running?)' } : { ok: true });
  const logger = recordingLogger();
  const d = start(s, [sink], alertsConfig(), logger);
  await until(() => sink.delivered.length === 2, 'delivery after the failures');

  assert.equal(sink.calls.length, 5);
  assert.ok(sink.calls.every((batch) => batch[0]!.id === notificationIds(s)[0]), 'every attempt starts at the head of the queue');
  const retries = logger.entries.filter((e) => e.message === 'alert delivery failed; will retry');
  // min 20 ms, max 200 ms, random 0.5: 20, 30, 60, 120 (a failure's wait is 3/4 of its cap, never below min).
  assert.deepEqual(retries.map((e) => [e.fields.attempt, e.fields.retryInMs]), [[1, 20], [2, 30], [3, 60], [4, 120]]);
  assert.ok(logger.entries.some((e) => e.message === 'alert destination reachable again; delivering'));
  assert.deepEqual(s.deliveries('alertmanager').map((r) => [r.status, r.attempts]), [['delivered', 5], ['delivered', 5]]);
  assert.equal(d.deliveryCounts().alertmanager!.failed, 8, 'two notifications in each of four failed attempts');
});

test('a dead or silent destination holds up no other destination', async () => {
  const s = store();
  const dead = new RecordingSink('alertmanager');
  dead.answer = () => ({ ok: false, retryable: true, error: 'connection refused' });
  const silent = new RecordingSink('webhook:0');
  silent.answer = () => 'hang';
  const healthy = new RecordingSink('webhook:1');
  const d = start(s, [dead, silent, healthy], alertsConfig(), recordingLogger(), { attemptTimeoutMs: 100 });
  for (let i = 0; i < 6; i++) s.fire('login-bruteforce', { client_ip: `198.51.100.${i}` }, T0 + i * 1000);
  d.nudge();
  await until(() => healthy.delivered.length === 6, 'the healthy destination to get all six');
  await until(() => d.deliveryCounts()['webhook:0']!.failed > 0, 'the silent destination to time out');
  assert.equal(dead.delivered.length, 0);
  assert.equal(d.backlog().alertmanager, 6);
  assert.equal(d.backlog()['webhook:0'], 6);
  assert.equal(d.backlog()['webhook:1'], 0);
  assert.ok(d.deliveryCounts().alertmanager!.failed >= 6);
});

test('the backlog is bounded: the oldest undelivered are dropped, counted and logged', async () => {
  const s = store();
  for (let i = 0; i < 25; i++) s.fire('login-bruteforce', { client_ip: `198.51.100.${i}` }, T0 + i * 1000);
  const sink = new RecordingSink('alertmanager');
  sink.answer = () => ({ ok: false, retryable: true, error: 'connection refused' });
  const logger = recordingLogger();
  const d = start(s, [sink], alertsConfig({ max_backlog: 10 }), logger);
  await until(() => d.deliveryCounts().alertmanager!.dropped === 15, '15 dropped');
  assert.equal(d.backlog().alertmanager, 10);
  const warning = logger.entries.find((e) => e.message.startsWith('alert delivery: backlog full'));
  assert.ok(warning, 'the drop is logged');
  assert.equal(warning.fields.dropped, 15);
  const rows = s.deliveries('alertmanager');
  const all = notificationIds(s);
  assert.deepEqual(rows.filter((r) => r.status === 'dropped').map((r) => r.notification_id), all.slice(0, 15));
  assert.ok(rows.filter((r) => r.status === 'dropped').every((r) => r.reason === 'backlog full (alerts.max_backlog = 10)'));

  sink.answer = () => ({ ok: true });
  await until(() => sink.delivered.length === 10, 'the ten kept to be delivered');
  assert.deepEqual(ids(sink), all.slice(15));
});

test('notifications below min_severity or older than max_age are never sent, and are counted as skipped', async () => {
  const s = store();
  const now = Date.UTC(2026, 10, 29, 12, 0, 0);
  s.fire('scanner-burst', { client_ip: '192.0.2.99' }, now - 60_000, { severity: 'info' });
  s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, now - 2 * 3_600_000, { severity: 'critical' });
  const fresh = s.fire('admin-action', { identity: 'grace' }, now - 60_000, { severity: 'warning' });
  const sink = new RecordingSink('webhook:0');
  const logger = recordingLogger();
  const d = start(s, [sink], alertsConfig({ min_severity: 'warning', max_age_ms: 3_600_000 }), logger, { now: () => now });
  await until(() => sink.delivered.length === 1, 'the one to deliver');
  await sleep(50);
  assert.deepEqual(sink.delivered.map((n) => n.alert.id), [fresh.id]);
  assert.deepEqual(s.deliveries('webhook:0').map((r) => [r.status, r.reason]), [
    ['skipped', 'below alerts.route.min_severity'], ['skipped', 'older than alerts.max_age'], ['delivered', null],
  ]);
  assert.equal(d.deliveryCounts()['webhook:0']!.skipped, 2);
  assert.ok(logger.entries.some((e) => e.fields.reason === 'older than alerts.max_age' && e.fields.notifications === 1), 'the skip is logged');
});

test('a notification the destination refuses is dropped alone; the rest of its batch is delivered', async () => {
  const s = store();
  for (const [i, rule] of ['a-rule', 'b-rule', 'bad-rule', 'c-rule', 'd-rule'].entries()) s.fire(rule, { n: String(i) }, T0 + i);
  const sink = new RecordingSink('alertmanager');
  sink.answer = (batch) => (batch.some((n) => n.alert.ruleId === 'bad-rule')
    ? { ok: false, retryable: false, error: 'POST http://127.0.0.1:9093: HTTP 400: invalid label set' }
    : { ok: true });
  const logger = recordingLogger();
  const d = start(s, [sink], alertsConfig(), logger);
  await until(() => sink.delivered.length === 4 && d.deliveryCounts().alertmanager!.dropped === 1, 'four delivered, one dropped');
  await sleep(50);
  assert.deepEqual(sink.delivered.map((n) => n.alert.ruleId), ['a-rule', 'b-rule', 'c-rule', 'd-rule']);
  const bad = s.deliveries('alertmanager').find((r) => r.status === 'dropped');
  assert.equal(bad?.reason, 'POST http://127.0.0.1:9093: HTTP 400: invalid label set');
  assert.equal(sink.calls.filter((batch) => batch.length === 1 && batch[0]!.alert.ruleId === 'bad-rule').length, 1, 'a refused notification is not retried');
  assert.ok(logger.entries.some((e) => e.level === 'error' && e.message.includes('refused a notification')));
});

test('a destination that asks for it never gets two notifications of one alert in one call', async () => {
  const s = store();
  const a = s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0);
  s.fire('scanner-burst', { client_ip: '192.0.2.99' }, T0 + 1000);
  s.resolve(a, T0 + 60_000);
  const sink = new RecordingSink('alertmanager', { oneNotificationPerAlert: true });
  start(s, [sink]);
  await until(() => sink.delivered.length === 3, 'three notifications');
  assert.deepEqual(sink.calls.map((batch) => batch.map((n) => `${n.kind} ${n.alert.ruleId}`)), [
    ['firing login-bruteforce', 'firing scanner-burst'], ['resolved login-bruteforce'],
  ]);
});

test('notifications of a batch that is not committed are never seen, even if the batch rolls back', async () => {
  const s = store();
  const sink = new RecordingSink('webhook:0');
  const d = start(s, [sink]);
  s.db.exec('BEGIN IMMEDIATE');
  s.fire('uncommitted-rule', { n: '1' }, T0);
  d.nudge();
  await sleep(100);
  assert.equal(sink.calls.length, 0, 'nothing read while the batch is open');
  s.db.exec('ROLLBACK');
  s.book.reload();
  s.fire('committed-rule', { n: '2' }, T0 + 1000);
  d.nudge();
  await until(() => sink.delivered.length === 1, 'the committed one');
  await sleep(50);
  assert.deepEqual(sink.delivered.map((n) => n.alert.ruleId), ['committed-rule']);
});

test('the periodic re-send gets the firing alerts delivered to that destination, and recently resolved ones', async () => {
  const s = store();
  const shown = s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0, { severity: 'warning' });
  s.fire('scanner-burst', { client_ip: '192.0.2.99' }, T0, { severity: 'info' });
  const sink = new RecordingSink('alertmanager', { tickEveryMs: 20 });
  start(s, [sink], alertsConfig({ min_severity: 'warning' }));
  await until(() => sink.ticks.length >= 2, 'two re-sends');
  assert.ok(sink.ticks.every((alerts) => alerts.length === 1 && alerts[0]!.id === shown.id && alerts[0]!.state === 'firing'),
    'only the alert this destination was told about is re-sent');

  s.resolve(shown, T0 + 60_000);
  const before = sink.ticks.length;
  await until(() => sink.delivered.length === 2 && sink.ticks.length >= before + 2, 'the resolve and two more re-sends');
  const last = sink.ticks.at(-1)!;
  assert.deepEqual(last.map((a) => [a.id, a.state, a.endedAt]), [[shown.id, 'resolved', T0 + 60_000]], 'a recent resolve is re-sent as resolved');

  // A newer alert with the same labels replaces the old one in the re-send (the old one would look like it ending).
  const again = s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0 + 120_000, { severity: 'warning' });
  await until(() => sink.delivered.length === 3, 'the new firing');
  const mark = sink.ticks.length;
  await until(() => sink.ticks.length >= mark + 2, 'two more re-sends');
  assert.deepEqual(sink.ticks.at(-1)!.map((a) => [a.id, a.state]), [[again.id, 'firing']]);
});

test('resolved alerts are not re-sent once the resend window has passed', async () => {
  const s = store();
  const a = s.fire('login-bruteforce', { client_ip: '198.51.100.66' }, T0);
  s.resolve(a, T0 + 60_000);
  const sink = new RecordingSink('alertmanager', { tickEveryMs: 20 });
  start(s, [sink], alertsConfig(), recordingLogger(), { resendResolvedForMs: 0 });
  await until(() => sink.delivered.length === 2, 'both notifications');
  await sleep(100);
  assert.deepEqual(sink.ticks.filter((t) => t.length > 0), [], 'nothing to re-send');
});

test('two destinations with one name are refused', () => {
  const s = store();
  assert.throws(() => start(s, [new RecordingSink('webhook:0'), new RecordingSink('webhook:0')]), /two alert destinations are named "webhook:0"/);
});
