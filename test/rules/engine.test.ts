// The engine's alert lifecycle, unit by unit: `for` (pending), keep_firing_for, renotify, the flood guard, late
// events, bots, state surviving a restart, and rules that disappear. Real rules (parsed from YAML), a real
// SQLite store, events fed through IngestStore as the pipeline does.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetworkSet } from '../../src/attribution/networks.js';
import { TokenRegistry } from '../../src/attribution/tokenRegistry.js';
import { silentLogger } from '../../src/model/logger.js';
import type { PhabEvent } from '../../src/model/event.js';
import { BusinessCalendar } from '../../src/rules/calendar.js';
import { RuleEngine, TICK_MS } from '../../src/rules/engine.js';
import type { FieldContext } from '../../src/rules/fields.js';
import { parseRule } from '../../src/rules/loader.js';
import type { Rule } from '../../src/rules/model.js';
import { openStore, type Db } from '../../src/store/database.js';
import { IngestStore } from '../../src/store/ingestStore.js';
import { makeEvent } from '../support/events.js';

const T0 = Date.UTC(2026, 10, 24, 15, 0, 0);
const MIN = 60_000;

const fields: FieldContext = {
  sourceTypes: new Map([['web', 'nginx'], ['phab', 'phabricator-access']]),
  registry: () => new TokenRegistry([], [], ['ci-bot']),
  clusterNetworks: new NetworkSet([]),
};

function rule(yaml: string): Rule {
  const id = /id: ([\w-]+)/.exec(yaml)![1]!;
  const result = parseRule(yaml, `/rules/${id}.yaml`, fields, 'user');
  assert.deepEqual(result.issues, [], 'the test rule is valid');
  return result.rule!;
}

const FAILURES = `id: failures
title: Failures
severity: warning
description: test
type: threshold
where: { outcome: auth_failure }
group_by: [client_ip]
window: 10m
threshold: 3
annotations: { summary: "{{value}} failures from {{client_ip}}" }
`;

interface Harness {
  db: Db;
  store: IngestStore;
  engine: RuleEngine;
  feed(events: Partial<PhabEvent>[]): void;
  at(ts: number): void;
  alerts(): { rule_id: string; labels: string; state: string; started_at: number; fired_at: number | null; ended_at: number | null; late_events: number; value: number | null; summary: string; evidence: string }[];
  notifications(): string[];
  restart(rules?: Rule[]): void;
}

function harness(rules: Rule[], db: Db = openStore(':memory:')): Harness {
  const make = (rs: Rule[]): { store: IngestStore; engine: RuleEngine } => {
    const store = new IngestStore(db);
    const engine = new RuleEngine(db, {
      rules: rs, fields, calendar: new BusinessCalendar({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start_minute: 480, end_minute: 1140, holidays: [] }, 'UTC', {}),
      allowedLatenessMs: 2 * MIN, logger: silentLogger,
    });
    store.addParticipant(engine);
    return { store, engine };
  };
  let parts = make(rules);
  let offset = 0;
  const h: Harness = {
    db,
    get store() { return parts.store; },
    get engine() { return parts.engine; },
    feed(events) {
      for (const e of events) parts.store.insertEvent(makeEvent({ outcome: 'auth_failure', client_ip: '203.0.113.9', offset: offset++, ...e }));
      parts.store.commit({ offsets: [], tokens: new Map(), identities: new Map() });
    },
    at(ts) {
      parts.store.begin();
      parts.engine.advanceTo(ts);
      parts.store.commit({ offsets: [], tokens: new Map(), identities: new Map() });
    },
    alerts: () => db.prepare('SELECT rule_id, labels, state, started_at, fired_at, ended_at, late_events, value, summary, evidence FROM alerts ORDER BY id').all() as ReturnType<Harness['alerts']>,
    notifications: () => (db.prepare('SELECT a.rule_id, n.kind, n.at FROM alert_notifications n JOIN alerts a ON a.id = n.alert_id ORDER BY n.id').all() as { rule_id: string; kind: string; at: number }[])
      .map((n) => `${n.rule_id} ${n.kind} +${(n.at - T0) / 1000}s`),
    restart(rs = rules) {
      parts = make(rs);
    },
  };
  return h;
}

test('a threshold fires on the event that reaches it, and resolves keep_firing_for after it stops holding', () => {
  const h = harness([rule(`${FAILURES}keep_firing_for: 5m\n`)]);
  h.feed([{ ts: T0 }, { ts: T0 + 10_000 }]);
  assert.deepEqual(h.alerts(), []);
  h.feed([{ ts: T0 + 20_000 }]);
  const [alert] = h.alerts();
  assert.equal(alert!.state, 'firing');
  assert.equal(alert!.started_at, T0 + 20_000);
  assert.equal(alert!.summary, '3 failures from 203.0.113.9');
  // The window (10 min, 30 s buckets) empties at about T0 + 10 min; +5 min of keep_firing_for, on a tick.
  h.at(T0 + 14 * MIN);
  assert.equal(h.alerts()[0]!.state, 'firing');
  h.at(T0 + 16 * MIN);
  const resolved = h.alerts()[0]!;
  assert.equal(resolved.state, 'resolved');
  // It last held at the tick before the window emptied, within a tick of T0 + 10 min.
  assert.ok(resolved.ended_at! >= T0 + 15 * MIN - TICK_MS && resolved.ended_at! <= T0 + 15 * MIN + 30_000 + TICK_MS, `ended at +${(resolved.ended_at! - T0) / 1000}s`);
  assert.equal(resolved.value, 3, 'the evidence keeps the value that held');
  assert.deepEqual(h.notifications(), ['failures firing +20s', `failures resolved +${(resolved.ended_at! - T0) / 1000}s`]);
});

test('`for`: pending until the condition has held that long; dropped without a trace if it stops before', () => {
  const h = harness([rule(`${FAILURES}for: 2m\n`)]);
  h.feed([{ ts: T0 }, { ts: T0 + 1000 }, { ts: T0 + 2000 }]);
  assert.equal(h.alerts()[0]!.state, 'pending');
  assert.deepEqual(h.notifications(), [], 'a pending alert notifies nobody');
  h.at(T0 + 2 * MIN + 2000 + TICK_MS);
  assert.equal(h.alerts()[0]!.state, 'firing');
  assert.deepEqual(h.notifications(), [`failures firing +${(h.alerts()[0]!.fired_at! - T0) / 1000}s`]);

  const short = harness([rule(`${FAILURES}for: 15m\n`)]);
  short.feed([{ ts: T0 }, { ts: T0 + 1000 }, { ts: T0 + 2000 }]);
  short.at(T0 + 12 * MIN); // the window has emptied before `for` passed
  assert.deepEqual(short.alerts(), []);
  assert.deepEqual(short.notifications(), []);
});

test('renotify repeats the notification while the alert keeps firing', () => {
  const h = harness([rule(`${FAILURES}renotify: 1m\n`)]);
  for (let i = 0; i < 20; i++) h.feed([{ ts: T0 + i * 15_000 }]); // 4 a minute for 5 minutes: keeps holding
  h.at(T0 + 6 * MIN);
  const kinds = h.notifications().map((n) => n.split(' ')[1]);
  assert.equal(kinds[0], 'firing');
  assert.ok(kinds.filter((k) => k === 'renotify').length >= 3, kinds.join(','));
});

test('the flood guard opens one summary alert for the groups over the cap, and counts them', () => {
  const h = harness([rule(`${FAILURES.replace('threshold: 3', 'threshold: 1')}flood: { max: 3, per: 1h }\n`)]);
  h.feed(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'].map((ip, i) => ({ ts: T0 + i * 1000, client_ip: ip })));
  // Held-back groups that keep failing are still two groups held back, not one per failure.
  h.feed(['198.51.100.4', '198.51.100.5', '198.51.100.4'].map((ip, i) => ({ ts: T0 + 10_000 + i * 1000, client_ip: ip })));
  const alerts = h.alerts();
  assert.equal(alerts.length, 4, 'three alerts and one summary');
  const summary = alerts[3]!;
  assert.deepEqual(JSON.parse(summary.labels), { flood: 'true' });
  assert.equal(summary.value, 2);
  assert.match(summary.summary, /failures: 2 more alerts held back \(more than 3 in 1h\)/);
  const evidence = JSON.parse(summary.evidence) as { last_event_at: string; details: { held_back: number; groups: unknown[] } };
  assert.equal(evidence.details.held_back, 2);
  assert.equal(evidence.details.groups.length, 2);
  assert.equal(evidence.last_event_at, new Date(T0 + 12_000).toISOString(), 'the summary knows the latest held-back event');
});

test('a late event counts in its own window, and the alert says so', () => {
  const h = harness([rule(FAILURES)]);
  h.feed([{ ts: T0 + 20 * MIN, client_ip: '198.51.100.99' }]); // moves the clock to T0 + 18 min
  h.feed([{ ts: T0 + 15 * MIN }, { ts: T0 + 15 * MIN + 1000 }, { ts: T0 + 15 * MIN + 2000 }]); // 3 late failures
  const alert = h.alerts().find((a) => JSON.parse(a.labels).client_ip === '203.0.113.9');
  assert.ok(alert, 'late events still fire');
  assert.equal(alert!.late_events, 3);
});

test('bots are exempt when the rule says so; events without a group value do not count', () => {
  const h = harness([rule(`${FAILURES.replace('group_by: [client_ip]', 'group_by: [identity]').replace('{{client_ip}}', '{{identity}}')}exempt_bots: true\n`)]);
  h.feed([0, 1, 2].map((i) => ({ ts: T0 + i * 1000, identity: 'ci-bot' })));
  h.feed([0, 1, 2].map((i) => ({ ts: T0 + i * 1000, identity: null })));
  assert.deepEqual(h.alerts(), []);
  h.feed([0, 1, 2].map((i) => ({ ts: T0 + 5000 + i * 1000, identity: 'alice' })));
  assert.deepEqual(h.alerts().map((a) => JSON.parse(a.labels)), [{ identity: 'alice' }]);
});

test('state survives a restart: the same stream gives the same alerts and notifications with or without one', () => {
  const stream = Array.from({ length: 40 }, (_, i) => ({ ts: T0 + i * 20_000, client_ip: i % 2 === 0 ? '203.0.113.9' : '198.51.100.7' }));
  const once = harness([rule(FAILURES)]);
  for (const e of stream) once.feed([e]);
  once.at(T0 + 60 * MIN);
  const twice = harness([rule(FAILURES)]);
  for (const [i, e] of stream.entries()) {
    if (i === 17) twice.restart(); // a new engine on the same store, as after a crash
    twice.feed([e]);
  }
  twice.restart();
  twice.at(T0 + 60 * MIN);
  assert.deepEqual(twice.alerts(), once.alerts());
  assert.deepEqual(twice.notifications(), once.notifications());
});

test('a rolled-back batch leaves no trace in the engine', () => {
  const h = harness([rule(FAILURES)]);
  h.store.insertEvent(makeEvent({ ts: T0, outcome: 'auth_failure', client_ip: '203.0.113.9' }));
  h.store.insertEvent(makeEvent({ ts: T0 + 1000, outcome: 'auth_failure', client_ip: '203.0.113.9', offset: 1 }));
  h.store.rollback();
  h.feed([{ ts: T0 + 2000 }]);
  assert.deepEqual(h.alerts(), [], 'the two rolled-back failures are not counted');
  h.feed([{ ts: T0 + 3000 }, { ts: T0 + 4000 }]);
  assert.equal(h.alerts().length, 1);
});

test('an open alert of a rule that was removed is resolved, saying why', () => {
  const db = openStore(':memory:');
  const h = harness([rule(FAILURES)], db);
  h.feed([{ ts: T0 }, { ts: T0 + 1000 }, { ts: T0 + 2000 }]);
  h.restart([]);
  h.feed([{ ts: T0 + 5 * MIN, outcome: 'ok' }]);
  const [alert] = h.alerts();
  assert.equal(alert!.state, 'resolved');
  const evidence = JSON.parse((db.prepare('SELECT evidence FROM alerts').get() as { evidence: string }).evidence) as { details: { resolved_because: string } };
  assert.equal(evidence.details.resolved_because, 'rule removed or disabled');
});
