// Walks a dashboard's JSON as Grafana would read it (not as our generator wrote it): every panel, including those
// nested in collapsed rows, every target, and every template variable; and turns a panel query into the PromQL
// Grafana would send, for the end-to-end check against a real Prometheus.

export interface DashboardTarget {
  panelId: number;
  panelTitle: string;
  refId: string;
  expr: string;
  legendFormat: string;
  instant: boolean;
}

/** A panel as found in the JSON: loosely typed, because the point is to check what is really there. */
export interface LoosePanel {
  id?: unknown;
  type?: unknown;
  title?: unknown;
  datasource?: unknown;
  gridPos?: { x?: unknown; y?: unknown; w?: unknown; h?: unknown };
  targets?: unknown;
  panels?: unknown;
  fieldConfig?: { defaults?: { unit?: unknown } };
}

export interface LooseVariable {
  name?: unknown;
  type?: unknown;
  query?: unknown;
  definition?: unknown;
  allValue?: unknown;
  includeAll?: unknown;
  datasource?: unknown;
}

export interface LooseDashboard {
  panels?: unknown;
  templating?: { list?: unknown };
}

/** All panels, rows included, with the panels of collapsed rows after their row. */
export function allPanels(dashboard: LooseDashboard): LoosePanel[] {
  const out: LoosePanel[] = [];
  const visit = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const panel of list as LoosePanel[]) {
      out.push(panel);
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return out;
}

export function isRow(panel: LoosePanel): boolean {
  return panel.type === 'row';
}

export function panelTargets(panel: LoosePanel): DashboardTarget[] {
  if (!Array.isArray(panel.targets)) return [];
  return (panel.targets as Record<string, unknown>[]).map((t) => ({
    panelId: typeof panel.id === 'number' ? panel.id : -1,
    panelTitle: typeof panel.title === 'string' ? panel.title : '(untitled)',
    refId: typeof t.refId === 'string' ? t.refId : '?',
    expr: typeof t.expr === 'string' ? t.expr : '',
    legendFormat: typeof t.legendFormat === 'string' ? t.legendFormat : '',
    instant: t.instant === true,
  }));
}

export function allTargets(dashboard: LooseDashboard): DashboardTarget[] {
  return allPanels(dashboard).flatMap(panelTargets);
}

export function variables(dashboard: LooseDashboard): LooseVariable[] {
  const list = dashboard.templating?.list;
  return Array.isArray(list) ? (list as LooseVariable[]) : [];
}

/** `label_values(selector, label)` of a query variable; null for any other kind of variable query. */
export function labelValuesQuery(variable: LooseVariable): { selector: string; label: string } | null {
  const query = typeof variable.query === 'string' ? variable.query : typeof variable.definition === 'string' ? variable.definition : '';
  const m = /^label_values\(\s*(.+)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(query.trim());
  return m ? { selector: m[1]!, label: m[2]! } : null;
}

/**
 * The values Grafana substitutes for its interval macros when a panel spans a few minutes of 1 s scrapes (as in
 * the end-to-end test); ranges must hold at least two samples for rate() to return anything.
 */
export const MACRO_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: '30s',
  __interval: '5s',
  __range: '5m',
};

/**
 * The PromQL Grafana would send: interval macros replaced, and each query variable replaced by its "All" value
 * (the default selection of the shipped dashboards).
 */
export function expandForPrometheus(expr: string, dashboard: LooseDashboard): string {
  let out = expr;
  for (const [macro, value] of Object.entries(MACRO_VALUES)) out = out.replaceAll(`$${macro}`, value).replaceAll(`\${${macro}}`, value);
  for (const v of variables(dashboard)) {
    if (typeof v.name !== 'string' || v.type !== 'query') continue;
    const all = typeof v.allValue === 'string' ? v.allValue : '.*';
    out = out.replaceAll(`\${${v.name}}`, all).replace(new RegExp(`\\$${v.name}\\b`, 'g'), all);
  }
  return out;
}
