// phabwatch.request.duration is aggregated by phabwatch rather than the SDK (for speed): the readers must receive
// exactly what the SDK's own explicit-bucket histogram would have produced from the same values.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AggregationTemporality, DataPointType, MeterProvider, MetricReader, type DataPoint, type Histogram, type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ProducedHistogram } from '../../src/telemetry/durationHistogram.js';
import { REQUEST_DURATION_BUCKETS_MS } from '../../src/telemetry/metrics.js';

class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function histogramPoints(rm: ResourceMetrics, name: string): DataPoint<Histogram>[] {
  for (const scope of rm.scopeMetrics) {
    for (const m of scope.metrics) {
      if (m.descriptor.name === name && m.dataPointType === DataPointType.HISTOGRAM) return m.dataPoints;
    }
  }
  return [];
}

test('bucket counts, count, sum, min and max equal the SDK histogram for the same values', async () => {
  const produced = new ProducedHistogram({ name: 'phabwatch.request.duration', unit: 'ms', description: 'd', boundaries: REQUEST_DURATION_BUCKETS_MS }, 'phabwatch');
  const reader = new CollectingReader({ metricProducers: [produced] });
  const provider = new MeterProvider({ readers: [reader] });
  const oracle = provider.getMeter('oracle').createHistogram('oracle', { unit: 'ms', advice: { explicitBucketBoundaries: REQUEST_DURATION_BUCKETS_MS } });
  const a = { source: 'phab', kind: 'http', route_class: 'diffusion' };
  const b = { source: 'web', kind: 'conduit', route_class: 'conduit' };
  const seriesA = produced.seriesOf('a', a);
  const seriesB = produced.seriesOf('b', b);
  // Values on every boundary (bounds are inclusive upper limits), around them, at zero and far above the last.
  const values = [0, 0.001, 4.999, 5, 5.0001, 9.99, 10, 60_000, 60_000.5, 250_000];
  let x = 7;
  for (let i = 0; i < 2000; i++) {
    x = (x * 48271) % 2147483647;
    values.push((x % 120_000_000) / 1000);
  }
  values.forEach((v, i) => {
    const [series, attrs] = i % 3 === 0 ? [seriesB, b] : [seriesA, a];
    series.record(v);
    oracle.record(v, attrs);
  });
  const { resourceMetrics } = await reader.collect();
  const mine = histogramPoints(resourceMetrics, 'phabwatch.request.duration');
  const sdk = histogramPoints(resourceMetrics, 'oracle');
  assert.equal(mine.length, 2);
  for (const attrs of [a, b]) {
    const m = mine.find((p) => p.attributes.source === attrs.source)!;
    const o = sdk.find((p) => p.attributes.source === attrs.source)!;
    assert.deepEqual(m.attributes, attrs);
    assert.deepEqual(m.value.buckets, o.value.buckets);
    assert.equal(m.value.count, o.value.count);
    assert.ok(Math.abs(m.value.sum! - o.value.sum!) < 1e-6);
    assert.equal(m.value.min, o.value.min);
    assert.equal(m.value.max, o.value.max);
  }
  await provider.shutdown();
});

test('cumulative: a second collection includes everything recorded since the start', async () => {
  const produced = new ProducedHistogram({ name: 'h', unit: 'ms', description: 'd', boundaries: [10, 100] }, 'phabwatch');
  const series = produced.seriesOf('k', { source: 'phab' });
  series.record(3);
  const first = (await produced.collect()).resourceMetrics.scopeMetrics[0]!.metrics[0]!;
  series.record(50);
  series.record(500);
  const second = (await produced.collect()).resourceMetrics.scopeMetrics[0]!.metrics[0]!;
  assert.equal(second.aggregationTemporality, AggregationTemporality.CUMULATIVE);
  assert.equal(first.dataPointType, DataPointType.HISTOGRAM);
  assert.equal(second.dataPointType, DataPointType.HISTOGRAM);
  if (first.dataPointType !== DataPointType.HISTOGRAM || second.dataPointType !== DataPointType.HISTOGRAM) return;
  assert.deepEqual(first.dataPoints[0]!.value.buckets.counts, [1, 0, 0]);
  assert.deepEqual(second.dataPoints[0]!.value.buckets.counts, [1, 1, 1]);
  assert.deepEqual(second.dataPoints[0]!.startTime, first.dataPoints[0]!.startTime, 'the series keeps its start time');
});

test('no values yet: no metric at all (not an empty histogram)', async () => {
  const produced = new ProducedHistogram({ name: 'h', unit: 'ms', description: 'd', boundaries: [10] }, 'phabwatch');
  produced.seriesOf('k', { source: 'phab' });
  assert.deepEqual((await produced.collect()).resourceMetrics.scopeMetrics, []);
});
