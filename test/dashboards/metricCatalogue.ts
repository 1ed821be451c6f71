// Reads docs/metrics.md (the metric catalogue) into the Prometheus series names and labels it promises, so the
// dashboards are checked against the document that the telemetry code follows.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Instrument = 'counter' | 'histogram' | 'gauge';

export interface CatalogueAttribute {
  name: string;
  /** documented values, or null when the set is open ("...") or not listed */
  values: ReadonlySet<string> | null;
}

export interface CatalogueMetric {
  /** OpenTelemetry name, e.g. `phabwatch.request.duration` */
  otelName: string;
  instrument: Instrument;
  attributes: ReadonlyMap<string, CatalogueAttribute>;
}

export interface MetricCatalogue {
  metrics: readonly CatalogueMetric[];
  /** Prometheus series name (`phabwatch_requests_total`, `phabwatch_request_duration_bucket`, ...) -> metric */
  bySeriesName: ReadonlyMap<string, CatalogueMetric>;
}

/** Labels every scraped series may carry besides its attributes: Prometheus target labels and the scope. */
export const INFRASTRUCTURE_LABELS: ReadonlySet<string> = new Set(['job', 'instance', 'otel_scope_name']);

const ROW = /^\|\s*`(phabwatch\.[a-z_.]+)`\s*\|\s*(counter|histogram|gauge)\s*\|[^|]*\|([^|]*)\|/;
const ROUTE_CLASS_SENTENCE = /`route_class` is one of:([^.]+)\./;
const OUTCOME_UNION = /export type Outcome =([^;]+);/;

/** A documented value list; `1xx..5xx` stands for each class in between. */
function valueSet(list: string): ReadonlySet<string> | null {
  const values = list.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (values.includes('...')) return null;
  const out = new Set<string>();
  for (const value of values) {
    const classes = /^(\d)xx\.\.(\d)xx$/.exec(value);
    if (classes) for (let c = Number(classes[1]); c <= Number(classes[2]); c++) out.add(`${c}xx`);
    else out.add(value);
  }
  return out;
}

function parseAttributes(cell: string): Map<string, CatalogueAttribute> {
  const attributes = new Map<string, CatalogueAttribute>();
  // `name` optionally followed by "(v1, v2, ...)"; commas inside the parentheses belong to the value list.
  const item = /`([a-z_]+)`\s*(?:\(([^)]*)\))?/g;
  for (const m of cell.matchAll(item)) {
    attributes.set(m[1]!, { name: m[1]!, values: m[2] === undefined ? null : valueSet(m[2]) });
  }
  return attributes;
}

export function seriesNames(otelName: string, instrument: Instrument): string[] {
  const base = otelName.replaceAll('.', '_');
  switch (instrument) {
    case 'counter':
      return [`${base}_total`];
    case 'histogram':
      return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
    case 'gauge':
      return [base];
  }
}

/**
 * The catalogue as documented, with two value sets filled in from where the catalogue points: `route_class` from
 * the sentence under the table, and `outcome` (when the table lists none) from the Outcome union of the event model.
 */
export function loadMetricCatalogue(repoRoot: string): MetricCatalogue {
  const doc = readFileSync(join(repoRoot, 'docs', 'metrics.md'), 'utf8');
  const eventModel = readFileSync(join(repoRoot, 'src', 'model', 'event.ts'), 'utf8');
  const routeClasses = ROUTE_CLASS_SENTENCE.exec(doc);
  if (!routeClasses) throw new Error('docs/metrics.md: the "`route_class` is one of:" sentence is missing');
  const outcomeUnion = OUTCOME_UNION.exec(eventModel);
  if (!outcomeUnion) throw new Error('src/model/event.ts: `export type Outcome =` not found');
  const outcomes = new Set([...outcomeUnion[1]!.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!));

  const metrics: CatalogueMetric[] = [];
  for (const line of doc.split('\n')) {
    const row = ROW.exec(line);
    if (!row) continue;
    const attributes = parseAttributes(row[3]!);
    const routeClass = attributes.get('route_class');
    if (routeClass && routeClass.values === null) attributes.set('route_class', { name: 'route_class', values: valueSet(routeClasses[1]!) });
    const outcome = attributes.get('outcome');
    if (outcome && outcome.values === null) attributes.set('outcome', { name: 'outcome', values: outcomes });
    metrics.push({ otelName: row[1]!, instrument: row[2] as Instrument, attributes });
  }
  if (metrics.length === 0) throw new Error('docs/metrics.md: no metric rows found in the catalogue table');
  const bySeriesName = new Map<string, CatalogueMetric>();
  for (const metric of metrics) for (const name of seriesNames(metric.otelName, metric.instrument)) bySeriesName.set(name, metric);
  return { metrics, bySeriesName };
}

/** Does `value` belong to the attribute's documented set? (`webhook:N` in the catalogue matches `webhook:3`.) */
export function isDocumentedValue(attribute: CatalogueAttribute, value: string): boolean {
  if (attribute.values === null) return true;
  if (attribute.values.has(value)) return true;
  for (const documented of attribute.values) {
    if (documented.endsWith(':N') && new RegExp(`^${documented.slice(0, -1)}\\d+$`).test(value)) return true;
  }
  return false;
}
