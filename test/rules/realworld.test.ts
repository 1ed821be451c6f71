// The shipped rules on real traffic from public samples (../shared/data/realworld): normal traffic raises
// nothing, and the 2004 honeypot's worm and scanner traffic is recognised as scanning.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { REALWORLD, runCli, tempDir } from '../support/cli.js';

const dir = tempDir('rules-realworld');
after(() => dir.remove());
const config = dir.file('none.yaml', 'sources: []\nlog: { level: error }\n');

function alertsAfterReplay(name: string, type: string, files: string[]): { rule_id: string; labels: string }[] {
  const store = join(dir.path, `${name}.db`);
  const result = runCli(['replay', '--config', config, '--type', type, '--store', store, '--json', ...files.map((f) => join(REALWORLD, f))]);
  assert.equal(result.status, 0, result.stderr);
  const db = new Database(store, { readonly: true });
  try {
    return db.prepare('SELECT rule_id, labels FROM alerts ORDER BY id').all() as { rule_id: string; labels: string }[];
  } finally {
    db.close();
  }
}

test('ten thousand lines of a real site over four days (Apache combined) raise no alert', () => {
  // Includes crawlers (Googlebot: 482 requests), feed readers, 404s and three 500s.
  assert.deepEqual(alertsAfterReplay('elastic', 'apache', ['elastic-examples/apache_logs']), []);
});

test('real e-commerce traffic with bots at a +0330 offset (nginx) raises no alert', () => {
  assert.deepEqual(alertsAfterReplay('lnav', 'nginx', ['lnav-tests/logfile_shop_access_log.0', 'lnav-tests/logfile_access_log.0']), []);
});

test("Filebeat's nginx and Apache edge cases raise no alert", () => {
  assert.deepEqual(alertsAfterReplay('filebeat-nginx', 'nginx', ['filebeat-module-tests/nginx/access.log', 'filebeat-module-tests/nginx/test.log']), []);
  assert.deepEqual(alertsAfterReplay('filebeat-apache', 'apache', ['filebeat-module-tests/apache/test.log', 'filebeat-module-tests/apache/darwin-2.4.23.log']), []);
});

test('six months of a honeypot (worms, a Nikto scan; 2004) are recognised as scanning, and nothing account-related fires', () => {
  const files = readdirSync(join(REALWORLD, 'honeynet-redhat71')).filter((f) => f.startsWith('access_log')).map((f) => `honeynet-redhat71/${f}`);
  const alerts = alertsAfterReplay('honeynet', 'apache', files);
  const rules = new Set(alerts.map((a) => a.rule_id));
  // The Nikto run of 2004-04-22 (68.49.152.86, dozens of distinct missing CGI paths a minute) is a scan; the worms
  // (Nimda: 13-14 paths per address) stay below the bound, as they should.
  const scans = alerts.filter((a) => a.rule_id === 'scanner-burst').map((a) => JSON.parse(a.labels).client_ip as string);
  assert.deepEqual(scans, ['68.49.152.86'], `scanner-burst fires for the Nikto scan (got: ${[...rules].join(', ') || 'nothing'})`);
  // The honeypot has no Phabricator accounts, tokens or logins: rules about them must stay quiet.
  for (const quiet of ['offhours-token-use', 'token-new-ip', 'token-rate-spike', 'login-bruteforce', 'login-after-bruteforce', 'cluster-token-outside-cluster', 'admin-action', 'bulk-repository-read', 'conduit-auth-failure-burst']) {
    assert.ok(!rules.has(quiet), `${quiet} does not fire on a honeypot with no accounts`);
  }
});
