// Span ids and sampling numbers come from the line's place (source, host, time, offset), so they are the same on
// every read of the line, differ between lines, look like valid OpenTelemetry ids, and spread evenly.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanIdDeriver } from '../../src/telemetry/spanIds.js';
import { SamplingPolicy } from '../../src/telemetry/sampling.js';

const TS = Date.UTC(2026, 10, 24, 15, 0, 0);

test('the same line always gets the same ids and sampling number, in any deriver', () => {
  const place = { source: 'phab', host: 'phorge01', ts: TS, offset: 123_456 };
  const a = new SpanIdDeriver('');
  const b = new SpanIdDeriver('');
  assert.deepEqual(a.requestIds(place), b.requestIds(place));
  assert.equal(a.samplingValue(place.source, place.host, place.ts, place.offset), b.samplingValue('phab', 'phorge01', TS, 123_456));
  // Asking for other lines in between changes nothing (no hidden state).
  a.requestIds({ ...place, source: 'web' });
  assert.deepEqual(a.requestIds(place), b.requestIds(place));
});

test('ids are 32 and 16 lowercase hex characters, never all zero', () => {
  const d = new SpanIdDeriver('');
  for (let offset = 0; offset < 2000; offset += 7) {
    const ids = d.requestIds({ source: 'phab', host: null, ts: TS, offset });
    assert.match(ids.traceId, /^[0-9a-f]{32}$/);
    assert.match(ids.spanId, /^[0-9a-f]{16}$/);
    assert.notEqual(ids.spanId, '0000000000000000');
  }
});

test('every part of the place matters: offset, time, source, host and the salt', () => {
  const base: { source: string; host: string | null; ts: number; offset: number } = { source: 'phab', host: 'phorge01', ts: TS, offset: 5000 };
  const d = new SpanIdDeriver('');
  const id = (p: typeof base, deriver = d): string => deriver.requestIds(p).traceId;
  const seen = new Set([
    id(base), id({ ...base, offset: 5001 }), id({ ...base, ts: TS + 1 }), id({ ...base, source: 'web' }),
    id({ ...base, host: 'phorge02' }), id({ ...base, host: null }), id(base, new SpanIdDeriver('other-install')),
    // Offsets and times beyond 32 bits still count in full.
    id({ ...base, offset: 5000 + 2 ** 32 }), id({ ...base, ts: TS + 2 ** 32 }),
  ]);
  assert.equal(seen.size, 9);
});

test('no two lines of a large file share a trace id or span id', () => {
  const d = new SpanIdDeriver('');
  const traces = new Set<string>();
  const spans = new Set<string>();
  for (let i = 0; i < 50_000; i++) {
    const ids = d.requestIds({ source: 'phab', host: 'phorge01', ts: TS + Math.floor(i / 10) * 1000, offset: i * 180 });
    traces.add(ids.traceId);
    spans.add(ids.spanId);
  }
  assert.equal(traces.size, 50_000);
  assert.equal(spans.size, 50_000);
});

test('sampling numbers spread evenly over [0, 1), even for regular offsets and repeated times', () => {
  const d = new SpanIdDeriver('');
  const buckets = new Array<number>(10).fill(0);
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const u = d.samplingValue('phab', 'phorge01', TS + Math.floor(i / 50) * 1000, i * 200);
    assert.ok(u >= 0 && u < 1);
    buckets[Math.floor(u * 10)]!++;
  }
  // Each tenth holds 10% of the lines; 5 standard deviations is about 0.5%.
  for (const count of buckets) assert.ok(Math.abs(count / n - 0.1) < 0.005, `bucket share ${count / n}`);
});

test('an alert keeps its ids whatever order its labels come in, and other alerts get others', () => {
  const d = new SpanIdDeriver('');
  const a = d.alertIds('login-bruteforce', { client_ip: '203.0.113.9', category: 'security' }, TS);
  assert.deepEqual(d.alertIds('login-bruteforce', { category: 'security', client_ip: '203.0.113.9' }, TS), a);
  assert.notDeepEqual(d.alertIds('login-bruteforce', { client_ip: '203.0.113.10', category: 'security' }, TS), a);
  assert.notDeepEqual(d.alertIds('login-bruteforce', { client_ip: '203.0.113.9', category: 'security' }, TS + 1), a);
  assert.notDeepEqual(d.alertIds('scanner-burst', { client_ip: '203.0.113.9', category: 'security' }, TS), a);
  assert.match(a.traceId, /^[0-9a-f]{32}$/);
  assert.match(a.spanId, /^[0-9a-f]{16}$/);
});

test('sampling: errors, flagged and the rest each have their own share', () => {
  const policy = new SamplingPolicy({ errors: 1, flagged: 0.5, other: 0.1 });
  assert.equal(policy.keepsOnItsOwn(true, 0.999), true, 'every error is kept');
  assert.equal(policy.keepsOnItsOwn(false, 0.05), true);
  assert.equal(policy.keepsOnItsOwn(false, 0.15), false);
  assert.equal(policy.keepsFlagged(0.45), true);
  assert.equal(policy.keepsFlagged(0.55), false);
  // An error is never less likely to be kept than an ordinary request.
  assert.equal(new SamplingPolicy({ errors: 0, flagged: 0, other: 0.2 }).keepsOnItsOwn(true, 0.1), true);
  assert.equal(new SamplingPolicy({ errors: 0, flagged: 0, other: 0 }).keepsNothing, true);
});
