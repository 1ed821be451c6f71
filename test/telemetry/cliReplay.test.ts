// `phabwatch replay` of the bundled example day exports its spans and metrics over OTLP, in protobuf and in JSON:
// spans carry the documented names, attributes and the lines' own times; metrics the documented names, units and
// attribute keys, with values that add up to what the store holds; sampling keeps every error, a share of the
// rest, and is the same on every replay; and no payload ever holds a raw token, nor a metric label an address,
// a token or a username.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SpanIdDeriver } from '../../src/telemetry/spanIds.js';
import { tempDir } from '../support/cli.js';
import { OtlpReceiver, type ReceivedMetric, type ReceivedRequest, type ReceivedSpan } from '../support/otlpReceiver.js';
import {
  exampleConfig, exampleIdentities, IPV4, IPV6, phabwatch, RAW_TOKEN, readStore, storedEvents, type StoredEvent,
} from './cliHarness.js';

const dir = tempDir('telemetry-replay');
const receiver = new OtlpReceiver();
const OTHER_SHARE = 0.1;
const SPAN_KINDS = new Set(['http', 'conduit', 'login', 'vcs', 'ssh']);
const REQUEST_KINDS = new Set(['http', 'conduit', 'login', 'vcs']);

interface Run {
  name: string;
  store: string;
  summary: { lines: number; events: number };
  stderr: string;
  requests: ReceivedRequest[];
  spans: ReceivedSpan[];
  metrics: Map<string, ReceivedMetric>;
  events: StoredEvent[];
}

const runs = new Map<string, Run>();

async function replay(name: string, protocol: string, extraArgs: string[] = []): Promise<Run> {
  receiver.clear();
  const config = exampleConfig(dir, name, {
    telemetry: {
      otlp: { endpoint: receiver.endpoint, protocol, metrics_interval: '10m' },
      traces: { sample: { errors: 1, flagged: 1, other: OTHER_SHARE } },
    },
  });
  const out = await phabwatch(['replay', '--config', config, '--json', '--no-progress', ...extraArgs]);
  assert.equal(out.code, 0, out.stderr);
  const store = `${dir.path}/${name}.db`;
  const run: Run = {
    name, store, summary: JSON.parse(out.stdout) as Run['summary'], stderr: out.stderr, requests: [...receiver.requests],
    spans: receiver.spans(), metrics: receiver.latestMetrics(), events: storedEvents(store),
  };
  runs.set(name, run);
  return run;
}

before(async () => {
  await receiver.start();
  await replay('proto', 'http/protobuf');
  await replay('json', 'http/json');
  await replay('norules', 'http/protobuf', ['--no-rules']);
});
after(async () => {
  await receiver.stop();
  dir.remove();
});

const deriver = new SpanIdDeriver('');
const spanIdOf = (e: StoredEvent): string => deriver.requestIds(e).spanId;
const isError = (e: StoredEvent): boolean =>
  e.outcome === 'server_error' || e.outcome === 'auth_failure' || e.outcome === 'login_failure' || (e.kind === 'ssh' && e.outcome === 'failed');

for (const name of ['proto', 'json']) {
  test(`replay exports one SERVER span per kept request, with its own time and semantic-convention attributes (${name})`, () => {
    const run = runs.get(name)!;
    assert.ok(run.requests.every((r) => r.contentType.includes(name === 'json' ? 'json' : 'protobuf')));
    const bySpanId = new Map(run.events.filter((e) => SPAN_KINDS.has(e.kind)).map((e) => [spanIdOf(e), e]));
    const requestSpans = run.spans.filter((s) => !s.name.startsWith('phabwatch.alert '));
    assert.ok(requestSpans.length > 1000, `${requestSpans.length} spans`);
    assert.equal(new Set(requestSpans.map((s) => s.spanId)).size, requestSpans.length, 'no span twice');
    let conduitWithMethod = 0;
    for (const span of requestSpans) {
      const e = bySpanId.get(span.spanId);
      assert.ok(e, `span ${span.name} ${span.spanId} is the span of a stored event`);
      assert.equal(span.traceId, deriver.requestIds(e).traceId);
      assert.equal(span.kind, 2, 'SERVER');
      assert.equal(span.scope, 'phabwatch');
      const duration = BigInt(Math.round((e.duration_ms ?? 0) * 1e6));
      // nginx writes a request's end time; Phorge's logs its start.
      const start = e.source === 'web' ? BigInt(e.ts) * 1_000_000n - duration : BigInt(e.ts) * 1_000_000n;
      assert.ok(span.startNs - start <= 1000n && start - span.startNs <= 1000n, `${span.name}: start ${span.startNs} vs line ${start}`);
      assert.ok(span.endNs - span.startNs - duration <= 1000n && duration - (span.endNs - span.startNs) <= 1000n);
      assert.equal(span.attributes['phabwatch.source'], e.source);
      assert.equal(span.attributes['client.address'], e.client_ip ?? undefined);
      assert.equal(span.statusCode, isError(e) ? 2 : 0, `${span.name} ${e.outcome}`);
      if (e.kind === 'ssh') {
        assert.match(span.name, /^ssh /);
        continue;
      }
      const known = e.method !== null && /^(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH)$/.test(e.method);
      assert.equal(span.attributes['http.request.method'], e.method === null ? undefined : known ? e.method : '_OTHER');
      const method = known ? e.method : 'HTTP';
      assert.equal(span.attributes['url.path'], e.path ?? undefined);
      assert.equal(span.attributes['http.response.status_code'], e.status ?? undefined);
      if (e.source === 'phab') assert.equal(span.attributes['server.address'], e.host);
      if (e.kind === 'conduit') {
        assert.equal(span.attributes['rpc.system'], 'conduit');
        if (e.conduit_method !== null) {
          conduitWithMethod++;
          assert.equal(span.attributes['rpc.method'], e.conduit_method);
          assert.equal(span.name, `${method} /api/${e.conduit_method}`);
        }
      } else if (span.attributes['http.route'] !== undefined) {
        assert.equal(span.name, `${method} ${String(span.attributes['http.route'])}`);
      }
    }
    assert.ok(conduitWithMethod > 0);
    assert.ok(requestSpans.some((s) => typeof s.attributes['user_agent.original'] === 'string'));
    const resource = requestSpans[0]!.resource;
    assert.equal(resource['service.name'], 'phabwatch');
    assert.equal(typeof resource['service.instance.id'], 'string');
    assert.equal(typeof resource['host.name'], 'string');
  });
}

test('sampling: every error is kept, the same spans on every replay (protobuf or JSON), flagged ones on top', () => {
  const proto = runs.get('proto')!;
  const json = runs.get('json')!;
  const norules = runs.get('norules')!;
  const ids = (run: Run): Set<string> => new Set(run.spans.filter((s) => !s.name.startsWith('phabwatch.alert ')).map((s) => s.spanId));
  const protoIds = ids(proto);
  const jsonIds = ids(json);
  const plainIds = ids(norules);
  assert.deepEqual([...jsonIds].sort(), [...protoIds].sort(), 'two replays of the same logs export the same spans');
  const errors = proto.events.filter((e) => SPAN_KINDS.has(e.kind) && isError(e));
  assert.ok(errors.length > 100, `${errors.length} errors in the example`);
  for (const e of errors) assert.ok(protoIds.has(spanIdOf(e)), `error ${e.kind} ${e.outcome} ${e.path} kept`);
  // Without rules nothing is flagged: the rest are kept at the configured share.
  const rest = norules.events.filter((e) => SPAN_KINDS.has(e.kind) && !isError(e));
  const kept = rest.filter((e) => plainIds.has(spanIdOf(e))).length;
  const share = kept / rest.length;
  assert.ok(Math.abs(share - OTHER_SHARE) < 0.01, `kept ${kept} of ${rest.length} = ${share}`);
  // Rules add the flagged requests, never remove any: exactly the fired alerts' sample requests not kept otherwise.
  for (const id of plainIds) assert.ok(protoIds.has(id));
  const flagged = [...protoIds].filter((id) => !plainIds.has(id)).sort();
  const sampleIds = new Set(readStore(proto.store, (db) => db.prepare('SELECT DISTINCT e.event_id FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.fired_at IS NOT NULL').all() as { event_id: number }[]).map((r) => r.event_id));
  const samples = proto.events.filter((e) => sampleIds.has(e.id) && SPAN_KINDS.has(e.kind)).map(spanIdOf);
  assert.ok(samples.length > 0, 'the example day has alerts with request samples');
  assert.deepEqual(flagged, [...new Set(samples.filter((id) => !plainIds.has(id)))].sort());
});

test('metrics: the documented names, units and attribute keys, adding up to what the store holds', () => {
  for (const name of ['proto', 'json']) {
    const run = runs.get(name)!;
    const m = run.metrics;
    const expect: Record<string, { unit: string; keys: string[]; type: string }> = {
      'phabwatch.requests': { unit: '{request}', keys: ['source', 'kind', 'route_class', 'status_class', 'outcome', 'hours'], type: 'sum' },
      'phabwatch.request.duration': { unit: 'ms', keys: ['source', 'kind', 'route_class'], type: 'histogram' },
      'phabwatch.conduit.calls': { unit: '{call}', keys: ['source', 'conduit_method', 'outcome'], type: 'sum' },
      'phabwatch.logins': { unit: '{attempt}', keys: ['source', 'outcome'], type: 'sum' },
      'phabwatch.ssh.sessions': { unit: '{session}', keys: ['source', 'workflow', 'outcome'], type: 'sum' },
      'phabwatch.webhook.failures': { unit: '{failure}', keys: ['source', 'error_type', 'retry'], type: 'sum' },
      'phabwatch.lines': { unit: '{line}', keys: ['source'], type: 'sum' },
      'phabwatch.events': { unit: '{event}', keys: ['source', 'kind'], type: 'sum' },
      'phabwatch.ingest.lag': { unit: 's', keys: ['source'], type: 'gauge' },
      'phabwatch.ingest.commit.duration': { unit: 'ms', keys: [], type: 'histogram' },
      'phabwatch.alerts.firing': { unit: '{alert}', keys: ['rule', 'severity'], type: 'gauge' },
      'phabwatch.alerts.notifications': { unit: '{notification}', keys: ['rule', 'severity', 'kind'], type: 'sum' },
    };
    for (const [metric, e] of Object.entries(expect)) {
      const got = m.get(metric);
      assert.ok(got, `${name}: ${metric} exported`);
      assert.equal(got.unit, e.unit, metric);
      assert.equal(got.type, e.type, metric);
      assert.equal(got.scope, 'phabwatch');
      for (const p of got.points) assert.deepEqual(Object.keys(p.attributes).sort(), [...e.keys].sort(), metric);
      if (e.type === 'sum') assert.ok(got.monotonic, `${metric} is a counter`);
    }
    const sum = (metric: string, where: (a: Record<string, unknown>) => boolean = () => true): number =>
      m.get(metric)!.points.filter((p) => where(p.attributes)).reduce((s, p) => s + p.value, 0);
    const count = (pred: (e: StoredEvent) => boolean): number => run.events.filter(pred).length;
    assert.equal(sum('phabwatch.events'), run.events.length);
    assert.equal(sum('phabwatch.events', (a) => a.kind === 'conduit'), count((e) => e.kind === 'conduit'));
    assert.equal(sum('phabwatch.events', (a) => a.source === 'phd'), count((e) => e.source === 'phd'));
    assert.equal(sum('phabwatch.lines'), run.summary.lines);
    assert.equal(sum('phabwatch.requests'), count((e) => REQUEST_KINDS.has(e.kind)));
    assert.equal(sum('phabwatch.requests', (a) => a.status_class === '5xx'), count((e) => REQUEST_KINDS.has(e.kind) && e.status !== null && e.status >= 500));
    assert.equal(sum('phabwatch.request.duration'), count((e) => REQUEST_KINDS.has(e.kind) && e.duration_ms !== null));
    assert.deepEqual(m.get('phabwatch.request.duration')!.points[0]!.histogram!.bounds, [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000]);
    assert.equal(sum('phabwatch.conduit.calls'), count((e) => e.kind === 'conduit'));
    assert.equal(sum('phabwatch.ssh.sessions'), count((e) => e.kind === 'ssh'));
    assert.equal(sum('phabwatch.webhook.failures'), count((e) => e.kind === 'webhook'));
    assert.equal(sum('phabwatch.webhook.failures', (a) => a.retry === 'true'), count((e) => e.kind === 'webhook' && e.outcome === 'retrying'));
    assert.equal(sum('phabwatch.logins'), count((e) => e.outcome.startsWith('login_')));
    const alerts = readStore(run.store, (db) => ({
      notifications: (db.prepare('SELECT count(*) AS n FROM alert_notifications').get() as { n: number }).n,
      firing: (db.prepare("SELECT count(*) AS n FROM alerts WHERE state = 'firing'").get() as { n: number }).n,
    }));
    assert.ok(alerts.notifications > 0);
    assert.equal(sum('phabwatch.alerts.notifications'), alerts.notifications);
    assert.equal(sum('phabwatch.alerts.firing'), alerts.firing);
    // The example day is in the past: every source is behind the wall clock.
    const lag = m.get('phabwatch.ingest.lag')!.points;
    assert.deepEqual(lag.map((p) => p.attributes.source).sort(), ['phab', 'phd', 'ssh', 'web']);
    for (const p of lag) assert.ok(p.value > 3600, `lag ${p.value} s`);
    assert.ok(sum('phabwatch.ingest.commit.duration') >= 1);
    assert.equal(run.stderr.includes('telemetry export failed'), false, run.stderr);
  }
});

test('no exported payload holds a raw token; no metric label is an address, a token or a username', () => {
  const { tokens, usernames } = exampleIdentities();
  const needles = tokens.map((t) => Buffer.from(t));
  const fingerprints = new Set<string>();
  const identities = new Set(usernames.map((u) => u.toLowerCase()));
  let bodies = 0;
  let points = 0;
  for (const run of runs.values()) {
    readStore(run.store, (db) => {
      for (const r of db.prepare('SELECT token_id FROM tokens').all() as { token_id: string }[]) fingerprints.add(r.token_id);
      for (const r of db.prepare('SELECT username FROM identities').all() as { username: string }[]) identities.add(r.username.toLowerCase());
    });
    for (const request of run.requests) {
      bodies++;
      for (const body of [request.raw, request.wire]) {
        for (const needle of needles) assert.equal(body.includes(needle), false, `${run.name}: a raw token in a ${request.signal} payload`);
        assert.equal(RAW_TOKEN.test(body.toString('latin1')), false, `${run.name}: something shaped like a token in a ${request.signal} payload`);
      }
    }
    for (const metric of run.metrics.values()) {
      for (const p of metric.points) {
        points++;
        for (const [key, value] of Object.entries(p.attributes)) {
          const text = String(value);
          const where = `${run.name}: ${metric.name} ${key}=${text}`;
          assert.equal(IPV4.test(text) || IPV6.test(text), false, `${where} is an address`);
          assert.equal(fingerprints.has(text) || RAW_TOKEN.test(text), false, `${where} is a token`);
          assert.equal(identities.has(text.toLowerCase()), false, `${where} is a username`);
        }
      }
    }
  }
  assert.ok(fingerprints.size > 10 && identities.size > 10, 'the store knows the tokens and people the labels are checked against');
  assert.ok(bodies >= 9 && points > 100, `${bodies} payloads, ${points} data points checked`);
});
