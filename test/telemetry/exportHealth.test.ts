// What the exporters do is counted: spans the bounded queue drops while a slow collector holds an export, spans
// exported or failed; and failures are logged once, then at most once a minute, with a note when exports work again.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../../src/model/logger.js';
import { CountingSpanProcessor, ExportHealth, GuardedSpanExporter } from '../../src/telemetry/exportHealth.js';

function recorder(): { logger: Logger; warnings: Record<string, unknown>[]; infos: string[] } {
  const warnings: Record<string, unknown>[] = [];
  const infos: string[] = [];
  const logger: Logger = {
    trace: () => undefined, debug: () => undefined, error: () => undefined,
    info: (a: unknown, b?: string) => void infos.push(typeof a === 'string' ? a : b ?? ''),
    warn: (a: unknown, b?: string) => void warnings.push(typeof a === 'string' ? { msg: a } : { ...(a as object), msg: b }),
    child: () => logger,
  };
  return { logger, warnings, infos };
}

function fakeSpan(i: number): ReadableSpan {
  const context = { traceId: '0'.repeat(31) + (i % 10), spanId: '1'.repeat(15) + (i % 10), traceFlags: 1 };
  return {
    name: `s${i}`, kind: 1, spanContext: () => context, startTime: [1, 0], endTime: [1, 0], duration: [0, 0], status: { code: 0 },
    attributes: {}, links: [], events: [], ended: true, resource: { attributes: {} } as unknown as ReadableSpan['resource'],
    instrumentationScope: { name: 't' }, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
}

test('while an export hangs, the queue fills and every span beyond it is counted as dropped', async () => {
  const pending: { n: number; done: (r: ExportResult) => void }[] = [];
  let hang = true;
  const slow: SpanExporter = {
    export: (spans, done) => (hang ? void pending.push({ n: spans.length, done }) : done({ code: ExportResultCode.SUCCESS })),
    shutdown: () => Promise.resolve(),
  };
  const { logger, warnings } = recorder();
  const health = new ExportHealth(logger, { traces: 'http://collector/v1/traces' });
  const exporter = new GuardedSpanExporter(slow, health);
  const processor = new CountingSpanProcessor(new BatchSpanProcessor(exporter, { maxQueueSize: 10, maxExportBatchSize: 5, scheduledDelayMillis: 60_000 }), exporter, 10, health);
  for (let i = 0; i < 30; i++) processor.onEnd(fakeSpan(i));
  // The first 5 went to the exporter (which hangs), the next 10 wait in the queue, the last 15 had no room.
  assert.deepEqual(pending.map((p) => p.n), [5]);
  assert.equal(health.counts.traces.dropped, 15);
  assert.equal(warnings.length, 1, 'the drops are logged');
  pending[0]!.done({ code: ExportResultCode.SUCCESS });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(health.counts.traces.exported, 5);
  // Room again: the queue accepts spans once the exporter took some.
  processor.onEnd(fakeSpan(99));
  assert.equal(health.counts.traces.dropped, 15);
  hang = false;
  for (const p of pending.slice(1)) p.done({ code: ExportResultCode.SUCCESS });
  await processor.shutdown();
  assert.equal(health.counts.traces.exported, 16, 'everything that was queued went out');
});

test('failures: logged at once, then at most once a minute with the count in between; recovery is said', () => {
  let now = 1_000_000;
  const { logger, warnings, infos } = recorder();
  const health = new ExportHealth(logger, { metrics: 'http://collector/v1/metrics' }, () => now);
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), { code: 'ECONNREFUSED' });
  health.failed('metrics', 1, refused);
  for (let i = 0; i < 20; i++) {
    now += 1000;
    health.failed('metrics', 1, refused);
  }
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.endpoint, 'http://collector/v1/metrics');
  assert.match(String(warnings[0]!.error), /ECONNREFUSED/);
  now += 60_000;
  health.failed('metrics', 1, refused);
  assert.equal(warnings.length, 2);
  assert.equal(warnings[1]!.failures, 21, 'the failures since the last warning');
  health.exported('metrics', 1);
  assert.deepEqual(infos, ['telemetry export works again']);
  assert.deepEqual(health.counts.metrics, { exported: 1, failed: 22, dropped: 0 });
});

test('an exporter that throws is a failed export, not a crash', () => {
  const { logger } = recorder();
  const health = new ExportHealth(logger, {});
  const broken: SpanExporter = { export: () => { throw new Error('serializer bug'); }, shutdown: () => Promise.resolve() };
  const results: ExportResult[] = [];
  new GuardedSpanExporter(broken, health).export([fakeSpan(1)], (r) => results.push(r));
  assert.equal(results[0]!.code, ExportResultCode.FAILED);
  assert.equal(health.counts.traces.failed, 1);
});
