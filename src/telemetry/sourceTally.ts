// One source's counts for the batch being written: plain numbers in typed arrays and small maps keyed by label
// indexes (attributeSets.ts), so counting an event allocates nothing. When the batch commits they are handed to
// the SDK once per label set; when it rolls back they are zeroed, so no batch is ever counted twice.

import type { Attributes } from '@opentelemetry/api';
import {
  EVENT_KINDS, HOURS, OUTCOMES, RETRY_VALUES, ROUTE_CLASSES, SSH_WORKFLOWS, STATUS_CLASSES, WEBHOOK_ERROR_TYPES,
} from './attributeSets.js';
import type { HistogramSeries } from './durationHistogram.js';
import type { PhabwatchMetrics } from './metrics.js';

const N_OUTCOMES = OUTCOMES.length;
const N_ROUTE_CLASSES = ROUTE_CLASSES.length;
const N_STATUS = STATUS_CLASSES.length;
const N_HOURS = HOURS.length;

/** One integer per (kind, route_class, status_class, outcome, hours) combination. */
export function requestKey(kind: number, routeClass: number, statusClass: number, outcome: number, hours: number): number {
  return (((kind * N_ROUTE_CLASSES + routeClass) * N_STATUS + statusClass) * N_OUTCOMES + outcome) * N_HOURS + hours;
}

export function durationKey(kind: number, routeClass: number): number {
  return kind * N_ROUTE_CLASSES + routeClass;
}

export function sshKey(workflow: number, outcome: number): number {
  return workflow * N_OUTCOMES + outcome;
}

export function webhookKey(errorType: number, willRetry: boolean): number {
  return errorType * 2 + (willRetry ? 0 : 1);
}

export class SourceTally {
  // ---- this batch ----
  readonly events = new Float64Array(EVENT_KINDS.length);
  readonly requests = new Map<number, number>();
  /** duration values per durationKey; the arrays are kept and emptied between batches */
  readonly durations = new Map<number, number[]>();
  /** Conduit method label -> counts per outcome */
  readonly conduit = new Map<string, Float64Array>();
  readonly logins = new Float64Array(N_OUTCOMES);
  readonly ssh = new Float64Array(SSH_WORKFLOWS.length * N_OUTCOMES);
  readonly webhook = new Float64Array(WEBHOOK_ERROR_TYPES.length * 2);
  daemonErrors = 0;
  batchNewest = -Infinity;
  /** newest event time committed so far (for phabwatch.ingest.lag) */
  newest = -Infinity;

  private readonly attributes = new Map<string, Attributes>();
  private readonly requestAttributes = new Map<number, Attributes>();
  private readonly durationSeries = new Map<number, HistogramSeries>();
  private readonly source: Attributes;

  constructor(readonly name: string) {
    this.source = { source: name };
  }

  /** Forgets the batch (it was rolled back). */
  reset(): void {
    this.events.fill(0);
    this.requests.clear();
    for (const values of this.durations.values()) values.length = 0;
    for (const counts of this.conduit.values()) counts.fill(0);
    this.logins.fill(0);
    this.ssh.fill(0);
    this.webhook.fill(0);
    this.daemonErrors = 0;
    this.batchNewest = -Infinity;
  }

  /** The batch committed: record its counts, then start the next one from zero. */
  flush(m: PhabwatchMetrics): void {
    if (this.batchNewest > this.newest) this.newest = this.batchNewest;
    for (let k = 0; k < this.events.length; k++) {
      const n = this.events[k]!;
      if (n > 0) m.events.add(n, this.cached(`e${k}`, () => ({ source: this.name, kind: EVENT_KINDS[k]! })));
    }
    for (const [key, n] of this.requests) m.requests.add(n, this.requestAttributesOf(key));
    for (const [key, values] of this.durations) {
      if (values.length === 0) continue;
      let series = this.durationSeries.get(key);
      if (series === undefined) {
        const attributes = { source: this.name, kind: EVENT_KINDS[Math.floor(key / N_ROUTE_CLASSES)]!, route_class: ROUTE_CLASSES[key % N_ROUTE_CLASSES]! };
        series = m.durationSeries(`${this.name}\u0000${key}`, attributes);
        this.durationSeries.set(key, series);
      }
      for (let i = 0; i < values.length; i++) series.record(values[i]!);
    }
    for (const [method, counts] of this.conduit) {
      for (let o = 0; o < N_OUTCOMES; o++) {
        const n = counts[o]!;
        if (n > 0) m.conduitCalls.add(n, this.cached(`c${method}\u0000${o}`, () => ({ source: this.name, conduit_method: method, outcome: OUTCOMES[o]! })));
      }
    }
    for (let o = 0; o < N_OUTCOMES; o++) {
      const n = this.logins[o]!;
      if (n > 0) m.logins.add(n, this.cached(`l${o}`, () => ({ source: this.name, outcome: OUTCOMES[o]! })));
    }
    for (let k = 0; k < this.ssh.length; k++) {
      const n = this.ssh[k]!;
      if (n > 0) {
        m.sshSessions.add(n, this.cached(`s${k}`, () => ({
          source: this.name, workflow: SSH_WORKFLOWS[Math.floor(k / N_OUTCOMES)]!, outcome: OUTCOMES[k % N_OUTCOMES]!,
        })));
      }
    }
    for (let k = 0; k < this.webhook.length; k++) {
      const n = this.webhook[k]!;
      if (n > 0) {
        m.webhookFailures.add(n, this.cached(`w${k}`, () => ({
          source: this.name, error_type: WEBHOOK_ERROR_TYPES[Math.floor(k / 2)]!, retry: RETRY_VALUES[k % 2]!,
        })));
      }
    }
    if (this.daemonErrors > 0) m.daemonErrors.add(this.daemonErrors, this.source);
    this.reset();
  }

  private requestAttributesOf(key: number): Attributes {
    let attrs = this.requestAttributes.get(key);
    if (attrs !== undefined) return attrs;
    let rest = key;
    const hours = rest % N_HOURS;
    rest = (rest - hours) / N_HOURS;
    const outcome = rest % N_OUTCOMES;
    rest = (rest - outcome) / N_OUTCOMES;
    const status = rest % N_STATUS;
    rest = (rest - status) / N_STATUS;
    const routeClass = rest % N_ROUTE_CLASSES;
    const kind = (rest - routeClass) / N_ROUTE_CLASSES;
    attrs = {
      source: this.name, kind: EVENT_KINDS[kind]!, route_class: ROUTE_CLASSES[routeClass]!, status_class: STATUS_CLASSES[status]!,
      outcome: OUTCOMES[outcome]!, hours: HOURS[hours]!,
    };
    this.requestAttributes.set(key, attrs);
    return attrs;
  }

  private cached(key: string, make: () => Attributes): Attributes {
    let attrs = this.attributes.get(key);
    if (attrs === undefined) {
      attrs = make();
      this.attributes.set(key, attrs);
    }
    return attrs;
  }
}
