// The committed dashboard JSON is exactly what the TypeScript in test/dashboards/ builds, so a change made in one
// place and not the other fails here. Regenerate with `node dist/test/dashboards/writeDashboards.js`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { dashboardText } from './grafanaJson.js';
import { REPO_ROOT, SHIPPED_DASHBOARDS } from './shippedDashboards.js';

for (const { file, build } of SHIPPED_DASHBOARDS) {
  test(`${file} is what its generator builds`, () => {
    const committed = readFileSync(join(REPO_ROOT, file), 'utf8');
    assert.ok(committed === dashboardText(build()), `${file} differs from its generator: run node dist/test/dashboards/writeDashboards.js`);
  });
}
