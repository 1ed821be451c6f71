// Builds Grafana dashboard JSON (schemaVersion 39) from short panel specs, so the two shipped dashboards share one
// layout engine and one set of defaults. The output is plain JSON; schema.test.ts checks it against @grafana/schema.

export const SCHEMA_VERSION = 39;
const GRID_COLUMNS = 24;

/** Every panel and target points at the dashboard's `datasource` variable, so one import works on any Grafana. */
export const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' } as const;
export type DataSourceRefJson = typeof DATASOURCE_REF;

export interface QuerySpec {
  expr: string;
  /** Grafana legend template, e.g. `{{source}}`; only labels the query groups by */
  legend: string;
}

export type PanelKind = 'timeseries' | 'stat' | 'bargauge' | 'heatmap';

export interface PanelSpec {
  kind: PanelKind;
  title: string;
  description: string;
  /** Grafana unit id (reqps, ms, s, percentunit, cpm, ...) */
  unit: string;
  /** grid columns out of 24 */
  width: number;
  height?: number;
  queries: QuerySpec[];
  /** stack the series (parts of one whole, e.g. requests by status class) */
  stack?: boolean;
  /** draw bars instead of lines (rare events) */
  bars?: boolean;
  /** evaluate once over the dashboard range instead of as a time series (stat and bar gauge panels) */
  instant?: boolean;
  /** colour steps; the first value is null (base) */
  thresholds?: ThresholdStep[];
  min?: number;
  max?: number;
  decimals?: number;
  /** shown instead of "No data": phabwatch exports a series from its first occurrence, so none means zero */
  noValue?: string;
}

export interface ThresholdStep {
  color: string;
  value: number | null;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export interface TargetJson {
  refId: string;
  datasource: DataSourceRefJson;
  editorMode: 'code';
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format: 'time_series' | 'heatmap';
}

export interface GridPosJson {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface PanelJson {
  id: number;
  type: PanelKind;
  title: string;
  description: string;
  datasource: DataSourceRefJson;
  gridPos: GridPosJson;
  fieldConfig: { defaults: Record<string, unknown>; overrides: never[] };
  options: Record<string, unknown>;
  targets: TargetJson[];
}

export interface RowJson {
  id: number;
  type: 'row';
  title: string;
  collapsed: boolean;
  gridPos: GridPosJson;
  panels: never[];
}

export interface VariableJson {
  name: string;
  label: string;
  type: 'datasource' | 'query';
  description: string;
  query: string;
  hide: 0;
  refresh: 1 | 2;
  includeAll: boolean;
  multi: boolean;
  options: never[];
  current?: { selected: boolean; text: string[]; value: string[] };
  skipUrlSync: boolean;
  regex?: string;
  datasource?: DataSourceRefJson;
  allValue?: string;
  sort?: 1;
}

export interface DashboardJson {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  editable: boolean;
  graphTooltip: 1;
  fiscalYearStartMonth: 0;
  liveNow: boolean;
  refresh: string;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  timepicker: Record<string, never>;
  timezone: string;
  weekStart: string;
  links: DashboardLinkJson[];
  annotations: { list: Record<string, unknown>[] };
  templating: { list: VariableJson[] };
  panels: (RowJson | PanelJson)[];
}

export interface DashboardLinkJson {
  title: string;
  type: 'dashboards';
  tags: string[];
  asDropdown: boolean;
  icon: string;
  includeVars: boolean;
  keepTime: boolean;
  targetBlank: boolean;
  tooltip: string;
  url: string;
}

export function datasourceVariable(): VariableJson {
  return {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    description: 'The Prometheus that scrapes phabwatch (directly or through the OpenTelemetry Collector)',
    query: 'prometheus',
    hide: 0,
    refresh: 1,
    includeAll: false,
    multi: false,
    options: [],
    regex: '',
    skipUrlSync: false,
  };
}

/** A multi-value variable filled from a label of a series that every phabwatch agent exports. */
export function labelVariable(name: string, label: string, description: string, definition: string): VariableJson {
  return {
    name,
    label,
    type: 'query',
    description,
    datasource: DATASOURCE_REF,
    query: definition,
    hide: 0,
    // Refresh on time-range change: sources come and go with the configuration.
    refresh: 2,
    includeAll: true,
    multi: true,
    // `.+` rather than a list of every value: the query stays short and matches sources added later.
    allValue: '.+',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    regex: '',
    sort: 1,
    skipUrlSync: false,
  };
}

function fieldDefaults(spec: PanelSpec): Record<string, unknown> {
  const defaults: Record<string, unknown> = { unit: spec.unit };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.decimals !== undefined) defaults.decimals = spec.decimals;
  if (spec.noValue !== undefined) defaults.noValue = spec.noValue;
  // Without explicit steps Grafana turns anything above 80 red, which is wrong for counts.
  defaults.thresholds = { mode: 'absolute', steps: spec.thresholds ?? [{ color: 'green', value: null }] };
  if (spec.kind === 'timeseries') {
    defaults.color = { mode: 'palette-classic' };
    defaults.custom = {
      drawStyle: spec.bars ? 'bars' : 'line',
      lineWidth: 1,
      fillOpacity: spec.stack || spec.bars ? 60 : 10,
      gradientMode: 'none',
      showPoints: 'never',
      spanNulls: false,
      axisSoftMin: 0,
      stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' },
    };
  } else if (spec.kind === 'heatmap') {
    defaults.custom = { hideFrom: { legend: false, tooltip: false, viz: false }, scaleDistribution: { type: 'linear' } };
  } else {
    defaults.color = { mode: 'thresholds' };
  }
  return defaults;
}

function panelOptions(spec: PanelSpec): Record<string, unknown> {
  const reduceOptions = { calcs: ['lastNotNull'], fields: '', values: false };
  switch (spec.kind) {
    case 'timeseries':
      return {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'stat':
      return {
        reduceOptions,
        colorMode: 'value',
        graphMode: spec.instant ? 'none' : 'area',
        justifyMode: 'auto',
        orientation: 'auto',
        textMode: 'auto',
        wideLayout: true,
        showPercentChange: false,
      };
    case 'bargauge':
      return { reduceOptions, displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true, valueMode: 'color', minVizHeight: 16, maxVizHeight: 300, namePlacement: 'auto', sizing: 'auto' };
    case 'heatmap':
      return {
        calculate: false,
        cellGap: 1,
        color: { mode: 'scheme', scheme: 'Oranges', fill: 'dark', scale: 'exponential', exponent: 0.5, steps: 64, reverse: false },
        yAxis: { axisPlacement: 'left', unit: spec.unit, reverse: false },
        rowsFrame: { layout: 'auto' },
        filterValues: { le: 1e-9 },
        legend: { show: true },
        tooltip: { mode: 'single', yHistogram: false, showColorScale: false },
        exemplars: { color: 'rgba(255,0,255,0.7)' },
      };
  }
}

function targets(spec: PanelSpec): TargetJson[] {
  return spec.queries.map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE_REF,
    editorMode: 'code',
    expr: q.expr,
    legendFormat: q.legend,
    range: !spec.instant,
    instant: spec.instant === true,
    format: spec.kind === 'heatmap' ? 'heatmap' : 'time_series',
  }));
}

export interface DashboardMeta {
  uid: string;
  title: string;
  description: string;
  tags: string[];
}

/** Lays the rows out top to bottom, each row's panels left to right, wrapping at 24 columns. */
export function buildDashboard(meta: DashboardMeta, variables: VariableJson[], rows: RowSpec[]): DashboardJson {
  const panels: (RowJson | PanelJson)[] = [];
  let nextId = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ id: nextId++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: GRID_COLUMNS, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const spec of row.panels) {
      const h = spec.height ?? 8;
      if (x + spec.width > GRID_COLUMNS) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push({
        id: nextId++,
        type: spec.kind,
        title: spec.title,
        description: spec.description,
        datasource: DATASOURCE_REF,
        gridPos: { h, w: spec.width, x, y },
        fieldConfig: { defaults: fieldDefaults(spec), overrides: [] },
        options: panelOptions(spec),
        targets: targets(spec),
      });
      x += spec.width;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return {
    uid: meta.uid,
    title: meta.title,
    description: meta.description,
    tags: meta.tags,
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: '1m',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: { from: 'now-24h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    weekStart: '',
    links: [
      {
        title: 'phabwatch dashboards',
        type: 'dashboards',
        tags: ['phabwatch'],
        asDropdown: true,
        icon: 'external link',
        includeVars: true,
        keepTime: true,
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: { list: variables },
    panels,
  };
}

/** Stable, diff-friendly text for the committed files. */
export function dashboardText(dashboard: DashboardJson): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
