// Structural checks of a dashboard's JSON that the @grafana/schema types cannot express: data source wiring,
// layout, units, and every query measured against the metric catalogue (series names, labels, label values,
// rate() on counters only, Grafana's interval macros instead of fixed windows).

import { allPanels, isRow, labelValuesQuery, panelTargets, variables, type LooseDashboard, type LoosePanel } from './dashboardQueries.js';
import { INFRASTRUCTURE_LABELS, isDocumentedValue, type MetricCatalogue } from './metricCatalogue.js';
import { legendLabels, literalAlternatives, scanQuery } from './promqlScan.js';

export const DATASOURCE_VARIABLE = 'datasource';
const GRID_COLUMNS = 24;
const ALLOWED_WINDOWS = new Set(['$__rate_interval', '$__range', '$__interval']);

function isDatasourceVariableRef(ref: unknown): boolean {
  if (typeof ref !== 'object' || ref === null) return false;
  const { type, uid } = ref as { type?: unknown; uid?: unknown };
  return type === 'prometheus' && (uid === `\${${DATASOURCE_VARIABLE}}` || uid === `$${DATASOURCE_VARIABLE}`);
}

function panelName(panel: LoosePanel): string {
  return `panel ${String(panel.id)} "${String(panel.title)}"`;
}

function checkVariables(dashboard: LooseDashboard, catalogue: MetricCatalogue, problems: string[]): void {
  const list = variables(dashboard);
  const ds = list.find((v) => v.name === DATASOURCE_VARIABLE);
  if (!ds) problems.push(`no template variable named "${DATASOURCE_VARIABLE}"`);
  else if (ds.type !== 'datasource' || ds.query !== 'prometheus') problems.push(`variable "${DATASOURCE_VARIABLE}" must be of type datasource with query "prometheus"`);
  for (const v of list) {
    if (v.type !== 'query') continue;
    const where = `variable "${String(v.name)}"`;
    if (!isDatasourceVariableRef(v.datasource)) problems.push(`${where}: data source is not the "${DATASOURCE_VARIABLE}" variable`);
    const lv = labelValuesQuery(v);
    if (!lv) {
      problems.push(`${where}: query is not label_values(selector, label)`);
      continue;
    }
    const metric = catalogue.bySeriesName.get(lv.selector.replace(/\{.*$/, '').trim());
    if (!metric) problems.push(`${where}: ${lv.selector} is not a series of docs/metrics.md`);
    else if (!metric.attributes.has(lv.label) && !INFRASTRUCTURE_LABELS.has(lv.label)) problems.push(`${where}: ${metric.otelName} has no label ${lv.label}`);
  }
}

function checkLayout(panels: LoosePanel[], problems: string[]): void {
  const ids = new Set<unknown>();
  const boxes: { name: string; x: number; y: number; w: number; h: number }[] = [];
  for (const panel of panels) {
    if (typeof panel.id !== 'number') problems.push(`${panelName(panel)}: id is not a number`);
    else if (ids.has(panel.id)) problems.push(`${panelName(panel)}: id ${panel.id} is used twice`);
    ids.add(panel.id);
    const g = panel.gridPos;
    const nums = g && [g.x, g.y, g.w, g.h].every((n) => Number.isInteger(n));
    if (!g || !nums) {
      problems.push(`${panelName(panel)}: gridPos needs integer x, y, w, h`);
      continue;
    }
    const [x, y, w, h] = [g.x, g.y, g.w, g.h] as number[];
    if (x! < 0 || y! < 0 || w! < 1 || h! < 1 || x! + w! > GRID_COLUMNS) problems.push(`${panelName(panel)}: gridPos ${JSON.stringify(g)} is outside the 24-column grid`);
    // A collapsed row keeps its panels out of the grid, so only top-level boxes may not overlap.
    for (const other of boxes) {
      if (x! < other.x + other.w && other.x < x! + w! && y! < other.y + other.h && other.y < y! + h!) {
        problems.push(`${panelName(panel)} overlaps ${other.name}`);
      }
    }
    boxes.push({ name: panelName(panel), x: x!, y: y!, w: w!, h: h! });
  }
}

function checkQuery(where: string, expr: string, legendFormat: string, catalogue: MetricCatalogue, problems: string[]): void {
  const scan = scanQuery(expr);
  if (/\bvector\s*\(/.test(expr)) problems.push(`${where}: vector() makes a query return data whatever phabwatch exports`);
  const phabwatchSelectors = scan.selectors.filter((s) => s.metric.startsWith('phabwatch_'));
  if (phabwatchSelectors.length === 0) problems.push(`${where}: the query reads no phabwatch series`);
  const attributes = new Set<string>(INFRASTRUCTURE_LABELS);
  for (const selector of scan.selectors) {
    const metric = catalogue.bySeriesName.get(selector.metric);
    if (!metric) {
      problems.push(`${where}: ${selector.metric} is not in docs/metrics.md`);
      continue;
    }
    const labels = new Set<string>([...INFRASTRUCTURE_LABELS, ...metric.attributes.keys()]);
    if (selector.metric.endsWith('_bucket')) labels.add('le');
    for (const l of labels) attributes.add(l);
    for (const matcher of selector.matchers) {
      if (!labels.has(matcher.label)) {
        problems.push(`${where}: ${selector.metric} has no label ${matcher.label}`);
        continue;
      }
      const attribute = metric.attributes.get(matcher.label);
      const literals = literalAlternatives(matcher);
      if (attribute && literals) {
        for (const value of literals) {
          if (!isDocumentedValue(attribute, value)) problems.push(`${where}: ${matcher.label}="${value}" is not a documented value of ${metric.otelName}`);
        }
      }
    }
    const rated = new RegExp(`\\b(?:rate|irate|increase)\\(\\s*${selector.metric}\\b`).test(expr);
    if (metric.instrument === 'gauge' && rated) problems.push(`${where}: rate()/increase() over the gauge ${selector.metric}`);
    if (metric.instrument !== 'gauge' && !rated) problems.push(`${where}: the ${metric.instrument} ${selector.metric} is used without rate()/increase()`);
  }
  for (const window of scan.rangeWindows) {
    if (!ALLOWED_WINDOWS.has(window)) problems.push(`${where}: range [${window}] is fixed; use $__rate_interval (or $__range for totals)`);
  }
  if (/\b(?:rate|irate)\(/.test(expr) && !expr.includes('$__rate_interval')) problems.push(`${where}: rate() without $__rate_interval`);
  for (const label of scan.groupingLabels) {
    if (!attributes.has(label)) problems.push(`${where}: groups by ${label}, a label none of its series has`);
  }
  const grouped = new Set(scan.groupingLabels);
  for (const label of legendLabels(legendFormat)) {
    if (!attributes.has(label)) problems.push(`${where}: legend uses ${label}, a label none of its series has`);
    else if (scan.groupingLabels.length > 0 && !grouped.has(label)) problems.push(`${where}: legend uses ${label}, which the query aggregates away`);
  }
}

/** Everything wrong with a dashboard; empty when it passes. */
export function dashboardProblems(dashboard: LooseDashboard, catalogue: MetricCatalogue): string[] {
  const problems: string[] = [];
  const d = dashboard as LooseDashboard & { schemaVersion?: unknown; uid?: unknown; title?: unknown };
  if (typeof d.schemaVersion !== 'number' || d.schemaVersion < 39) problems.push(`schemaVersion ${String(d.schemaVersion)} is below 39`);
  if (typeof d.uid !== 'string' || d.uid.length < 8 || d.uid.length > 40) problems.push('uid must be a string of 8 to 40 characters');
  if (typeof d.title !== 'string' || d.title === '') problems.push('the dashboard has no title');
  checkVariables(dashboard, catalogue, problems);
  const panels = allPanels(dashboard);
  if (panels.filter((p) => !isRow(p)).length === 0) problems.push('the dashboard has no panels');
  checkLayout(panels, problems);
  for (const panel of panels) {
    if (isRow(panel)) continue;
    const where = panelName(panel);
    if (!isDatasourceVariableRef(panel.datasource)) problems.push(`${where}: data source is not the "${DATASOURCE_VARIABLE}" variable`);
    const unit = panel.fieldConfig?.defaults?.unit;
    if (typeof unit !== 'string' || unit === '') problems.push(`${where}: no unit`);
    const targets = Array.isArray(panel.targets) ? (panel.targets as Record<string, unknown>[]) : [];
    if (targets.length === 0) problems.push(`${where}: no targets`);
    const refIds = new Set<unknown>();
    for (const raw of targets) {
      if (refIds.has(raw.refId)) problems.push(`${where}: refId ${String(raw.refId)} is used twice`);
      refIds.add(raw.refId);
      if (!isDatasourceVariableRef(raw.datasource)) problems.push(`${where} target ${String(raw.refId)}: data source is not the "${DATASOURCE_VARIABLE}" variable`);
    }
    for (const target of panelTargets(panel)) {
      const at = `${where} target ${target.refId}`;
      if (target.expr.trim() === '') problems.push(`${at}: no expr`);
      else checkQuery(at, target.expr, target.legendFormat, catalogue, problems);
    }
  }
  return problems;
}
