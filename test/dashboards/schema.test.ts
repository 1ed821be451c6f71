// The committed dashboards are valid Grafana dashboards (checked against @grafana/schema's types) and are wired
// the way the project promises: every panel on the `datasource` variable, a sane grid, units, and queries that
// only use series, labels and values from docs/metrics.md. Broken copies must fail both checks.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dashboardProblems } from './dashboardLint.js';
import { allPanels, isRow, type LooseDashboard } from './dashboardQueries.js';
import { typeCheckDashboards } from './dashboardTypeCheck.js';
import { loadMetricCatalogue } from './metricCatalogue.js';
import { readCommittedDashboard, REPO_ROOT, SHIPPED_DASHBOARDS } from './shippedDashboards.js';

const catalogue = loadMetricCatalogue(REPO_ROOT);
const committed = SHIPPED_DASHBOARDS.map(({ file }) => ({ file, dashboard: readCommittedDashboard(file) as unknown as LooseDashboard }));

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** The first non-row panel of a dashboard copy, for mutation. */
function firstPanel(dashboard: LooseDashboard): Record<string, unknown> {
  const panel = allPanels(dashboard).find((p) => !isRow(p));
  assert.ok(panel, 'the dashboard has a panel');
  return panel as Record<string, unknown>;
}

describe('dashboards satisfy @grafana/schema Dashboard', () => {
  const operations = committed[0]!.dashboard;
  const broken = {
    gridHeightAsText: (() => {
      const d = copy(operations);
      (firstPanel(d).gridPos as Record<string, unknown>).h = 'tall';
      return d;
    })(),
    refreshAsNumber: (() => {
      const d = copy(operations) as LooseDashboard & { refresh?: unknown };
      d.refresh = 5;
      return d;
    })(),
    unknownThresholdsMode: (() => {
      const d = copy(operations);
      const defaults = (firstPanel(d).fieldConfig as { defaults: { thresholds: { mode: string } } }).defaults;
      defaults.thresholds.mode = 'relative';
      return d;
    })(),
    badRepeatDirection: (() => {
      const d = copy(operations);
      firstPanel(d).repeatDirection = 'sideways';
      return d;
    })(),
  };
  const results = typeCheckDashboards(REPO_ROOT, [
    ...committed.map(({ file, dashboard }) => ({ name: file.replace(/^.*\//, '').replace(/\.json$/, ''), dashboard })),
    ...Object.entries(broken).map(([name, dashboard]) => ({ name: `broken-${name}`, dashboard })),
  ]);

  for (const { file } of committed) {
    test(`${file} type-checks`, () => {
      const name = file.replace(/^.*\//, '').replace(/\.json$/, '');
      assert.deepEqual(results.get(name), [], `${file} does not satisfy Dashboard`);
    });
  }

  test('a panel height given as text fails', () => {
    const errors = results.get('broken-gridHeightAsText')!;
    assert.ok(errors.some((e) => /'string' is not assignable to type 'number'/.test(e)), errors.join('\n'));
  });
  test('a numeric refresh fails', () => {
    const errors = results.get('broken-refreshAsNumber')!;
    assert.ok(errors.some((e) => /'number' is not assignable to type 'string'/.test(e)), errors.join('\n'));
  });
  test('a thresholds mode Grafana does not know fails', () => {
    const errors = results.get('broken-unknownThresholdsMode')!;
    assert.ok(errors.some((e) => /"relative"/.test(e)), errors.join('\n'));
  });
  test('an unknown repeat direction fails', () => {
    const errors = results.get('broken-badRepeatDirection')!;
    assert.ok(errors.some((e) => /"sideways"/.test(e)), errors.join('\n'));
  });
});

describe('dashboard structure and queries', () => {
  for (const { file, dashboard } of committed) {
    test(`${file} has no structural problem`, () => {
      assert.deepEqual(dashboardProblems(dashboard, catalogue), []);
    });
  }

  test('uids differ between the dashboards', () => {
    const uids = committed.map(({ dashboard }) => (dashboard as { uid?: unknown }).uid);
    assert.equal(new Set(uids).size, uids.length);
  });

  test('docs/grafana.md describes every panel', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'grafana.md'), 'utf8');
    // one table row per panel: "| <title> | what it shows |"
    const missing = committed.flatMap(({ file, dashboard }) =>
      allPanels(dashboard)
        .filter((p) => !isRow(p) && !doc.includes(`\n| ${String(p.title)} | `))
        .map((p) => `${file}: "${String(p.title)}"`),
    );
    assert.deepEqual(missing, []);
  });

  describe('a broken copy is caught', () => {
    const base = committed[0]!.dashboard;

    function problemsAfter(mutate: (d: LooseDashboard) => void): string[] {
      const d = copy(base);
      mutate(d);
      return dashboardProblems(d, catalogue);
    }

    function targetOf(d: LooseDashboard): Record<string, unknown> {
      return (firstPanel(d).targets as Record<string, unknown>[])[0]!;
    }

    test('a panel on a fixed data source', () => {
      const problems = problemsAfter((d) => (firstPanel(d).datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' }));
      assert.ok(problems.some((p) => p.includes('data source is not the "datasource" variable')), problems.join('\n'));
    });
    test('a target without expr', () => {
      const problems = problemsAfter((d) => delete targetOf(d).expr);
      assert.ok(problems.some((p) => p.endsWith(': no expr')), problems.join('\n'));
    });
    test('a metric the catalogue does not have', () => {
      const problems = problemsAfter((d) => (targetOf(d).expr = 'sum(rate(phabwatch_request_total[$__rate_interval]))'));
      assert.ok(problems.some((p) => p.includes('phabwatch_request_total is not in docs/metrics.md')), problems.join('\n'));
    });
    test('a label the metric does not have, and a value the catalogue does not list', () => {
      const problems = problemsAfter((d) => {
        const t = targetOf(d);
        t.expr = 'sum by (method) (rate(phabwatch_requests_total{hours="night"}[$__rate_interval]))';
        t.legendFormat = '{{method}}';
      });
      assert.ok(problems.some((p) => p.includes('groups by method')), problems.join('\n'));
      assert.ok(problems.some((p) => p.includes('hours="night" is not a documented value')), problems.join('\n'));
    });
    test('a fixed rate window, a raw counter, a rated gauge, vector()', () => {
      const fixed = problemsAfter((d) => (targetOf(d).expr = 'sum(rate(phabwatch_lines_total[5m]))'));
      assert.ok(fixed.some((p) => p.includes('range [5m] is fixed')), fixed.join('\n'));
      const raw = problemsAfter((d) => (targetOf(d).expr = 'sum(phabwatch_lines_total)'));
      assert.ok(raw.some((p) => p.includes('used without rate()')), raw.join('\n'));
      const gauge = problemsAfter((d) => (targetOf(d).expr = 'sum(rate(phabwatch_ingest_lag[$__rate_interval]))'));
      assert.ok(gauge.some((p) => p.includes('over the gauge')), gauge.join('\n'));
      const padded = problemsAfter((d) => (targetOf(d).expr = 'sum(phabwatch_alerts_firing) or vector(0)'));
      assert.ok(padded.some((p) => p.includes('vector()')), padded.join('\n'));
    });
    test('a legend label the query aggregates away', () => {
      const problems = problemsAfter((d) => {
        const t = targetOf(d);
        t.expr = 'sum by (source) (rate(phabwatch_requests_total[$__rate_interval]))';
        t.legendFormat = '{{route_class}}';
      });
      assert.ok(problems.some((p) => p.includes('legend uses route_class, which the query aggregates away')), problems.join('\n'));
    });
    test('overlapping panels and a duplicated id', () => {
      const problems = problemsAfter((d) => {
        const panels = allPanels(d).filter((p) => !isRow(p));
        panels[1]!.gridPos = { ...(panels[0]!.gridPos as object) };
        panels[1]!.id = panels[0]!.id;
      });
      assert.ok(problems.some((p) => p.includes('overlaps')), problems.join('\n'));
      assert.ok(problems.some((p) => p.includes('is used twice')), problems.join('\n'));
    });
    test('a panel wider than the grid and one without a unit', () => {
      const problems = problemsAfter((d) => {
        const panel = firstPanel(d);
        (panel.gridPos as Record<string, number>).w = 30;
        (panel.fieldConfig as { defaults: Record<string, unknown> }).defaults.unit = undefined;
      });
      assert.ok(problems.some((p) => p.includes('outside the 24-column grid')), problems.join('\n'));
      assert.ok(problems.some((p) => p.endsWith(': no unit')), problems.join('\n'));
    });
  });
});
