// Regenerates the committed dashboard JSON: `node dist/test/dashboards/writeDashboards.js` after editing a
// dashboard's TypeScript. generator.test.ts fails while the committed files and the code disagree.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardText } from './grafanaJson.js';
import { REPO_ROOT, SHIPPED_DASHBOARDS } from './shippedDashboards.js';

// `node --test dist/test/` runs every file under test/ as a test file; writing there is not a test's business.
if (process.env.NODE_TEST_CONTEXT === undefined) {
  for (const { file, build } of SHIPPED_DASHBOARDS) {
    writeFileSync(join(REPO_ROOT, file), dashboardText(build()));
    process.stdout.write(`wrote ${file}\n`);
  }
}
