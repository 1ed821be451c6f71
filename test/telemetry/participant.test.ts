// The telemetry participant in the batch transaction: what a committed batch contributes to the metrics and spans,
// that a rolled-back batch contributes nothing (so nothing is counted twice), that metric labels stay within their
// small fixed sets, and which request spans are kept (errors, flagged, a share of the rest).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { PhabEvent } from '../../src/model/event.js';
import { silentLogger } from '../../src/model/logger.js';
import { BusinessCalendar } from '../../src/rules/calendar.js';
import { openStore, type Db } from '../../src/store/database.js';
import { IngestStore } from '../../src/store/ingestStore.js';
import { PhabwatchMetrics, requestDurationProducer } from '../../src/telemetry/metrics.js';
import { TelemetryParticipant } from '../../src/telemetry/participant.js';
import { RequestSpanEmitter } from '../../src/telemetry/requestSpans.js';
import { SamplingPolicy, type SampleShares } from '../../src/telemetry/sampling.js';
import { SpanIdDeriver } from '../../src/telemetry/spanIds.js';
import { makeEvent } from '../support/events.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-telemetry-participant-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;

class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Harness {
  db: Db;
  store: IngestStore;
  participant: TelemetryParticipant;
  spans: ReadableSpan[];
  deriver: SpanIdDeriver;
  /** ids the fake rule engine flags for the next event, or for events already stored */
  flagNext: (pred: (e: PhabEvent) => boolean) => void;
  flagNow: (ids: number[]) => void;
  collect: () => Promise<ResourceMetrics>;
}

// Tuesday 2026-11-24: 15:00 UTC is 10:00 in New York (business hours), 08:00 UTC is 03:00 (off hours).
const BUSINESS = Date.UTC(2026, 10, 24, 15, 0, 0);
const NIGHT = Date.UTC(2026, 10, 24, 8, 0, 0);

function harness(shares: SampleShares = { errors: 1, flagged: 1, other: 0 }): Harness {
  const db = openStore(join(dir, `s${++stores}.db`));
  const store = new IngestStore(db);
  let predicate: ((e: PhabEvent) => boolean) | null = null;
  const later: number[] = [];
  const durations = requestDurationProducer('phabwatch');
  const reader = new CollectingReader({ metricProducers: [durations] });
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = new PhabwatchMetrics(provider.getMeter('phabwatch'), durations);
  const spans: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: () => undefined, onEnd: (s) => spans.push(s), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve(),
  };
  const deriver = new SpanIdDeriver('');
  const participant = new TelemetryParticipant({
    db, metrics, deriver, logger: silentLogger, sampling: new SamplingPolicy(shares),
    spans: new RequestSpanEmitter(processor, resourceFromAttributes({ 'service.name': 'test' }), 'phabwatch', deriver, new Map([['web', 'nginx']])),
    calendar: new BusinessCalendar({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start_minute: 8 * 60, end_minute: 19 * 60, holidays: [] }, 'America/New_York', {}),
  });
  // Stands in for the rule engine, a participant registered before telemetry (as in run and replay): it sees each
  // event first, and flags it, or earlier events, when a rule's condition holds.
  store.addParticipant({
    onEvent: (e, id) => {
      if (predicate?.(e)) participant.flag(id);
      for (const old of later.splice(0)) participant.flag(old);
    },
  });
  store.addParticipant(participant);
  return {
    db, store, participant, spans, deriver,
    flagNext: (pred) => {
      predicate = pred;
    },
    flagNow: (ids) => later.push(...ids),
    collect: async () => (await reader.collect()).resourceMetrics,
  };
}

function commit(h: Harness, events: PhabEvent[]): number[] {
  const ids = events.map((e) => h.store.insertEvent(e));
  h.store.commit({ offsets: [], tokens: new Map(), identities: new Map() });
  return ids;
}

function points(rm: ResourceMetrics, name: string): { attributes: Record<string, unknown>; value: unknown }[] {
  const out: { attributes: Record<string, unknown>; value: unknown }[] = [];
  for (const scope of rm.scopeMetrics) for (const m of scope.metrics) if (m.descriptor.name === name) for (const p of m.dataPoints) out.push({ attributes: p.attributes, value: p.value });
  return out;
}

function total(rm: ResourceMetrics, name: string, where: Record<string, string> = {}): number {
  return points(rm, name)
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count), 0);
}

test('a committed batch is counted once; a rolled-back one not at all, nor its spans', async () => {
  const h = harness();
  commit(h, [makeEvent({ offset: 0 }), makeEvent({ offset: 100, kind: 'conduit', conduit_method: 'user.whoami', route: '/api/user.whoami', path: '/api/user.whoami' })]);
  // A batch that fails: its events were inserted, then everything is rolled back.
  h.store.insertEvent(makeEvent({ offset: 200, status: 500, outcome: 'server_error' }));
  h.store.insertEvent(makeEvent({ offset: 300 }));
  h.store.rollback();
  // The same lines read again and committed.
  commit(h, [makeEvent({ offset: 200, status: 500, outcome: 'server_error' }), makeEvent({ offset: 300 })]);
  const rm = await h.collect();
  assert.equal(total(rm, 'phabwatch.events'), 4);
  assert.equal(total(rm, 'phabwatch.events', { kind: 'conduit' }), 1);
  assert.equal(total(rm, 'phabwatch.requests'), 4);
  assert.equal(total(rm, 'phabwatch.requests', { status_class: '5xx', outcome: 'server_error' }), 1);
  assert.equal(total(rm, 'phabwatch.conduit.calls', { conduit_method: 'user.whoami' }), 1);
  assert.equal(total(rm, 'phabwatch.request.duration'), 4);
  const errorSpans = h.spans.filter((s) => s.attributes['http.response.status_code'] === 500);
  assert.equal(errorSpans.length, 1, 'the 5xx span is emitted once, by the batch that committed');
});

test('metric labels come from small fixed sets: no address, username, token, path or junk method name', async () => {
  const h = harness();
  commit(h, [
    makeEvent({ offset: 0, identity: 'mallory', client_ip: '203.0.113.66', token_id: 'abcdef0123456789' as PhabEvent['token_id'], kind: 'conduit', conduit_method: 'Robots.txt<script>', route: '/api/x', path: '/api/x' }),
    makeEvent({ offset: 10, route: '/secret/path/of/a/scanner', path: '/secret/path/of/a/scanner', controller: 'PhabricatorPlatform404Controller', outcome: 'not_found' }),
    makeEvent({ offset: 20, kind: 'ssh', controller: 'git-upload-archive', status: 1, outcome: 'failed', route: 'git-upload-archive', method: null }),
    makeEvent({ offset: 30, kind: 'webhook', error_type: 'http', outcome: 'retrying', target: 'https://hooks.example.com/x', identity: null }),
    makeEvent({ offset: 40, kind: 'webhook', error_type: 'some new wording', outcome: 'failed', identity: null }),
    makeEvent({ offset: 50, kind: 'daemon', outcome: 'failed', identity: null, error_type: 'PhutilProxyException' }),
  ]);
  const rm = await h.collect();
  const allowed = new Set(['phab', 'http', 'conduit', 'ssh', 'webhook', 'daemon', 'other', 'not_found', '2xx', '1xx', 'ok', 'failed', 'retrying', 'business', 'unknown', 'true', 'false', 'none', 'not_found']);
  for (const scope of rm.scopeMetrics) {
    for (const m of scope.metrics) {
      for (const p of m.dataPoints) {
        for (const [key, value] of Object.entries(p.attributes)) assert.ok(allowed.has(String(value)), `${m.descriptor.name} ${key}=${String(value)}`);
      }
    }
  }
  assert.equal(total(rm, 'phabwatch.conduit.calls', { conduit_method: 'other' }), 1);
  assert.equal(total(rm, 'phabwatch.requests', { route_class: 'not_found' }), 1);
  assert.equal(total(rm, 'phabwatch.ssh.sessions', { workflow: 'other', outcome: 'failed' }), 1);
  assert.equal(total(rm, 'phabwatch.webhook.failures', { error_type: 'http', retry: 'true' }), 1);
  assert.equal(total(rm, 'phabwatch.webhook.failures', { error_type: 'other', retry: 'false' }), 1);
  assert.equal(total(rm, 'phabwatch.daemon.errors'), 1);
});

test('hours: business or off in the identity\'s zone, unknown for anonymous requests', async () => {
  const h = harness();
  commit(h, [
    makeEvent({ offset: 0, ts: BUSINESS }), makeEvent({ offset: 1, ts: NIGHT }), makeEvent({ offset: 2, ts: BUSINESS, identity: null }),
  ]);
  const rm = await h.collect();
  assert.equal(total(rm, 'phabwatch.requests', { hours: 'business' }), 1);
  assert.equal(total(rm, 'phabwatch.requests', { hours: 'off' }), 1);
  assert.equal(total(rm, 'phabwatch.requests', { hours: 'unknown' }), 1);
});

test('logins by outcome, and request durations in the documented buckets', async () => {
  const h = harness();
  commit(h, [
    makeEvent({ offset: 0, kind: 'login', outcome: 'login_attempt', method: 'POST' }),
    makeEvent({ offset: 1, kind: 'login', outcome: 'login_failure', method: 'POST', duration_ms: 7 }),
    makeEvent({ offset: 2, kind: 'login', outcome: 'login_success', method: 'POST', duration_ms: null }),
  ]);
  const rm = await h.collect();
  assert.equal(total(rm, 'phabwatch.logins', { outcome: 'login_failure' }), 1);
  assert.equal(total(rm, 'phabwatch.logins'), 3);
  const [durations] = points(rm, 'phabwatch.request.duration');
  const value = durations!.value as { buckets: { boundaries: number[]; counts: number[] }; count: number };
  assert.deepEqual(value.buckets.boundaries, [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000]);
  assert.equal(value.count, 2, 'a request without a logged duration is not in the histogram');
  assert.deepEqual(durations!.attributes, { source: 'phab', kind: 'login', route_class: 'differential' });
});

test('errors are kept, flagged requests are kept (at once or later), the rest are not (other = 0)', () => {
  const h = harness({ errors: 1, flagged: 1, other: 0 });
  h.flagNext((e) => e.path === '/flagged-now');
  const [, error, , earlier] = commit(h, [
    makeEvent({ offset: 0 }), makeEvent({ offset: 1, status: 503, outcome: 'server_error' }), makeEvent({ offset: 2, path: '/flagged-now' }),
    makeEvent({ offset: 3, path: '/flagged-later' }),
  ]);
  assert.deepEqual(h.spans.map((s) => s.attributes['url.path']).sort(), ['/D123', '/flagged-now']);
  // A rule that holds later counts the earlier event among its samples: its span goes out with the next batch.
  h.flagNow([earlier!, earlier!]);
  commit(h, [makeEvent({ offset: 4 })]);
  assert.deepEqual(h.spans.map((s) => s.attributes['url.path']).sort(), ['/D123', '/flagged-later', '/flagged-now']);
  // Flagged again, or an event whose span went out already (an error): nothing new.
  h.flagNow([earlier!, error!]);
  h.flagNext((e) => e.offset === 5);
  commit(h, [makeEvent({ offset: 5, status: 500, outcome: 'server_error' })]);
  assert.equal(h.spans.length, 4);
  assert.equal(new Set(h.spans.map((s) => s.spanContext().spanId)).size, 4, 'no span twice');
});

test('a request span: name, kind, own time and duration, semantic-convention attributes, deterministic ids', () => {
  const h = harness({ errors: 1, flagged: 0, other: 1 });
  commit(h, [
    makeEvent({
      offset: 42, ts: BUSINESS, kind: 'conduit', method: 'POST', path: '/api/differential.query', route: '/api/differential.query',
      conduit_method: 'differential.query', status: 200, outcome: 'auth_failure', duration_ms: 12.5, identity: null, user_agent: 'arc/1.0', host: 'phorge01',
    }),
    makeEvent({ offset: 43, ts: BUSINESS, source: 'web', method: 'GET', duration_ms: 250, client_ip: '2001:db8::1' }),
    makeEvent({ offset: 44, ts: BUSINESS, kind: 'ssh', method: null, controller: 'git-receive-pack', route: 'git-receive-pack /source/x.git', status: 0, outcome: 'ok', duration_ms: 1000 }),
  ]);
  const [conduit, web, ssh] = h.spans;
  assert.equal(conduit!.name, 'POST /api/differential.query');
  assert.equal(conduit!.kind, 1 /* SERVER */);
  assert.deepEqual(conduit!.startTime, [Math.floor(BUSINESS / 1000), 0]);
  assert.deepEqual(conduit!.endTime, [Math.floor(BUSINESS / 1000), 12_500_000]);
  assert.equal(conduit!.status.code, 2 /* ERROR */);
  assert.deepEqual({ ...conduit!.attributes }, {
    'http.request.method': 'POST', 'http.route': '/api/differential.query', 'url.path': '/api/differential.query', 'http.response.status_code': 200,
    'user_agent.original': 'arc/1.0', 'http.response.body.size': 5120, 'phabwatch.controller': 'DifferentialRevisionViewController',
    'rpc.system': 'conduit', 'rpc.method': 'differential.query', 'phabwatch.source': 'phab', 'phabwatch.kind': 'conduit',
    'phabwatch.outcome': 'auth_failure', 'server.address': 'phorge01', 'client.address': '198.51.100.7', 'error.type': 'auth_failure',
  });
  assert.deepEqual(conduit!.spanContext().traceId, h.deriver.requestIds({ source: 'phab', host: 'phorge01', ts: BUSINESS, offset: 42 }).traceId);
  // nginx logs the end of a request: its span ends at the logged time.
  assert.deepEqual(web!.endTime, [Math.floor(BUSINESS / 1000), 0]);
  assert.deepEqual(web!.startTime, [Math.floor(BUSINESS / 1000) - 1, 750_000_000]);
  assert.equal(web!.status.code, 0);
  assert.equal(ssh!.name, 'ssh git-receive-pack');
  assert.equal(ssh!.attributes['process.exit.code'], 0);
  assert.equal(ssh!.attributes['enduser.id'], 'alice');
});

test('alert notifications are counted by rule, severity and kind; firing alerts are a gauge', async () => {
  const h = harness();
  const writeAlert = (state: string, kinds: string[]): void => {
    h.store.begin();
    const id = Number(h.db.prepare(`INSERT INTO alerts (rule_id, severity, state, group_key, labels, summary, annotations, started_at, last_held_at, evidence, updated_at)
      VALUES ('scanner-burst', 'warning', ?, ?, '{}', 's', '{}', 1, 1, '{}', 1)`).run(state, String(Math.random())).lastInsertRowid);
    for (const kind of kinds) h.db.prepare('INSERT INTO alert_notifications (alert_id, kind, at, created_at) VALUES (?, ?, 1, 1)').run(id, kind);
    h.store.commit({ offsets: [], tokens: new Map(), identities: new Map() });
  };
  writeAlert('firing', ['firing']);
  writeAlert('resolved', ['firing', 'resolved']);
  writeAlert('firing', ['firing', 'renotify']);
  const rm = await h.collect();
  assert.equal(total(rm, 'phabwatch.alerts.notifications', { rule: 'scanner-burst', severity: 'warning', kind: 'firing' }), 3);
  assert.equal(total(rm, 'phabwatch.alerts.notifications', { kind: 'resolved' }), 1);
  assert.equal(total(rm, 'phabwatch.alerts.notifications', { kind: 'renotify' }), 1);
  assert.equal(total(rm, 'phabwatch.alerts.firing', { rule: 'scanner-burst', severity: 'warning' }), 2);
});

test('ingest lag: wall clock minus the newest event time stored, per source', async () => {
  const h = harness();
  const newest = Date.now() - 90_000;
  commit(h, [makeEvent({ offset: 0, ts: newest - 60_000 }), makeEvent({ offset: 1, ts: newest }), makeEvent({ offset: 2, source: 'web', ts: newest - 3_600_000 })]);
  const rm = await h.collect();
  const lag = points(rm, 'phabwatch.ingest.lag');
  const phab = lag.find((p) => p.attributes.source === 'phab')!.value as number;
  const web = lag.find((p) => p.attributes.source === 'web')!.value as number;
  assert.ok(phab >= 90 && phab < 150, `phab lag ${phab}`);
  assert.ok(web >= 3690 && web < 3750, `web lag ${web}`);
});
