// phabwatch.request.duration, aggregated by phabwatch itself and handed to the metric readers as a MetricProducer.
// The SDK's Histogram.record() serialises the attribute set to find its series on every call (about 1.3 µs); one
// call per stored request would cost several percent of ingestion. Here a batch's durations go straight into the
// series' bucket counts; the readers (OTLP push, Prometheus scrape) receive an ordinary cumulative explicit-bucket
// histogram, exactly as the SDK would build it.

import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import {
  AggregationTemporality, DataPointType, type CollectionResult, type DataPoint, type Histogram, type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';

export interface HistogramDescription {
  name: string;
  unit: string;
  description: string;
  /** explicit bucket upper bounds (inclusive), ascending */
  boundaries: readonly number[];
}

/** One series (one attribute set) of the histogram. */
export class HistogramSeries {
  /** counts[i]: values in (boundaries[i-1], boundaries[i]]; the last one: above the last boundary */
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly attributes: Attributes, private readonly boundaries: readonly number[]) {
    this.counts = new Float64Array(boundaries.length + 1);
  }

  record(value: number): void {
    const b = this.boundaries;
    let i = 0;
    // A dozen boundaries: a linear scan beats a binary search, and most durations are in the first few buckets.
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

export class ProducedHistogram implements MetricProducer {
  private readonly series = new Map<string, HistogramSeries>();
  private readonly startTime: HrTime = hrTime();
  // The reader keeps the SDK's resource when it merges this producer's scope metrics; this one is not exported.
  private readonly resource = resourceFromAttributes({});

  constructor(private readonly description: HistogramDescription, private readonly scope: string) {}

  /** The series of an attribute set; `key` identifies the set (callers keep the series, so this is not per value). */
  seriesOf(key: string, attributes: Attributes): HistogramSeries {
    let s = this.series.get(key);
    if (s === undefined) {
      s = new HistogramSeries(attributes, this.description.boundaries);
      this.series.set(key, s);
    }
    return s;
  }

  async collect(): Promise<CollectionResult> {
    const endTime = hrTime();
    const dataPoints: DataPoint<Histogram>[] = [];
    for (const s of this.series.values()) {
      if (s.count === 0) continue;
      dataPoints.push({
        attributes: s.attributes, startTime: this.startTime, endTime,
        value: {
          buckets: { boundaries: [...this.description.boundaries], counts: Array.from(s.counts) },
          count: s.count, sum: s.sum, min: s.min, max: s.max,
        },
      });
    }
    if (dataPoints.length === 0) return { resourceMetrics: { resource: this.resource, scopeMetrics: [] }, errors: [] };
    return {
      resourceMetrics: {
        resource: this.resource,
        scopeMetrics: [{
          scope: { name: this.scope },
          metrics: [{
            descriptor: { name: this.description.name, unit: this.description.unit, description: this.description.description, valueType: ValueType.DOUBLE },
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.HISTOGRAM,
            dataPoints,
          }],
        }],
      },
      errors: [],
    };
  }
}
