// The metrics fed from outside the batch participant: lines, rejects and commit time from each commit, the
// delivery loop's counts and backlog, and the exporters' own outcomes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { SourceCounters } from '../../src/pipeline/lineProcessor.js';
import { PhabwatchMetrics, requestDurationProducer } from '../../src/telemetry/metrics.js';

class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(): { metrics: PhabwatchMetrics; collect: () => Promise<ResourceMetrics> } {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = new PhabwatchMetrics(provider.getMeter('phabwatch'), requestDurationProducer('phabwatch'));
  return { metrics, collect: async () => (await reader.collect()).resourceMetrics };
}

function find(rm: ResourceMetrics, name: string): { unit: string; points: { attributes: Record<string, unknown>; value: unknown }[] } | undefined {
  for (const scope of rm.scopeMetrics) {
    for (const m of scope.metrics) {
      if (m.descriptor.name === name) return { unit: m.descriptor.unit, points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })) };
    }
  }
  return undefined;
}

function counters(lines: number, rejects: SourceCounters['rejects']): SourceCounters {
  return { lines, events: lines, continuationLines: 0, rejects, secretsMasked: 0 };
}

test('each commit adds its lines and rejects per source and reason, and its duration', async () => {
  const { metrics, collect } = setup();
  metrics.recordCommit(new Map([['phab', counters(1000, { format_mismatch: 3 })], ['web', counters(0, {})]]), 12);
  metrics.recordCommit(new Map([['phab', counters(500, { format_mismatch: 1, oversized: 2 })]]), 40);
  const rm = await collect();
  assert.deepEqual(find(rm, 'phabwatch.lines')!.points, [{ attributes: { source: 'phab' }, value: 1500 }]);
  const rejects = find(rm, 'phabwatch.rejects')!.points.map((p) => [p.attributes.reason, p.attributes.source, p.value]).sort();
  assert.deepEqual(rejects, [['format_mismatch', 'phab', 4], ['oversized', 'phab', 2]]);
  const commit = find(rm, 'phabwatch.ingest.commit.duration')!;
  assert.equal(commit.unit, 'ms');
  assert.equal((commit.points[0]!.value as { count: number }).count, 2);
  assert.equal((commit.points[0]!.value as { sum: number }).sum, 52);
});

test('each configured source starts with its lines and every reject reason at 0, so the first reject shows as an increase', async () => {
  const { metrics, collect } = setup();
  metrics.initSources(['phab', 'web']);
  let rm = await collect();
  assert.deepEqual(find(rm, 'phabwatch.lines')!.points.map((p) => [p.attributes.source, p.value]).sort(), [['phab', 0], ['web', 0]]);
  const zeros = find(rm, 'phabwatch.rejects')!.points;
  assert.equal(zeros.length, 2 * 7);
  assert.ok(zeros.every((p) => p.value === 0));
  assert.ok(zeros.some((p) => p.attributes.source === 'web' && p.attributes.reason === 'binary'));
  metrics.recordCommit(new Map([['web', counters(10, { binary: 1 })]]), 1);
  rm = await collect();
  const web = find(rm, 'phabwatch.rejects')!.points.filter((p) => p.attributes.source === 'web' && p.value !== 0);
  assert.deepEqual(web.map((p) => [p.attributes.reason, p.value]), [['binary', 1]]);
});

test('delivery attempts and backlog come from the delivery loop\'s counts, as they are when collected', async () => {
  const { metrics, collect } = setup();
  let delivered = 3;
  metrics.setDeliveryProvider(() => ({ 'otlp-logs': { delivered, failed: 1, dropped: 0 }, 'webhook:0': { delivered: 0, failed: 5, dropped: 2 } }));
  metrics.setBacklogProvider(() => [{ sink: 'webhook:0', count: 9 }]);
  let rm = await collect();
  const deliveries = find(rm, 'phabwatch.alert.deliveries')!;
  assert.equal(deliveries.unit, '{delivery}');
  const value = (sink: string, result: string): unknown => deliveries.points.find((p) => p.attributes.sink === sink && p.attributes.result === result)?.value;
  assert.equal(value('otlp-logs', 'delivered'), 3);
  assert.equal(value('webhook:0', 'dropped'), 2);
  assert.deepEqual(find(rm, 'phabwatch.alert.backlog')!.points, [{ attributes: { sink: 'webhook:0' }, value: 9 }]);
  delivered = 10;
  rm = await collect();
  assert.equal(find(rm, 'phabwatch.alert.deliveries')!.points.find((p) => p.attributes.sink === 'otlp-logs' && p.attributes.result === 'delivered')!.value, 10);
});

test('a failing provider leaves its gauge out of one collection and breaks nothing else', async () => {
  const { metrics, collect } = setup();
  metrics.setBacklogProvider(() => {
    throw new Error('store busy');
  });
  metrics.recordNotification('scanner-burst', 'warning', 'firing');
  const rm = await collect();
  assert.equal(find(rm, 'phabwatch.alert.backlog'), undefined);
  assert.equal(find(rm, 'phabwatch.alerts.notifications')!.points[0]!.value, 1);
});

test('the exporters\' outcomes are counted per signal', async () => {
  const { metrics, collect } = setup();
  metrics.recordExport('traces', 'exported', 512);
  metrics.recordExport('traces', 'dropped', 3);
  metrics.recordExport('logs', 'failed', 1);
  const points = find(await collect(), 'phabwatch.telemetry.exports')!.points.map((p) => [p.attributes.signal, p.attributes.result, p.value]).sort();
  assert.deepEqual(points, [['logs', 'failed', 1], ['traces', 'dropped', 3], ['traces', 'exported', 512]]);
});
