// The shipped rule pack: the thirteen rule ids of the product contract, each with a runbook and a test file, and
// every rule's own tests passing through the production code path (runRuleTestFile).

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NetworkSet } from '../../src/attribution/networks.js';
import { TokenRegistry } from '../../src/attribution/tokenRegistry.js';
import { loadRules } from '../../src/rules/loader.js';
import { formatResult, runRuleTestFile } from '../../src/rules/testRunner.js';
import { REPO_ROOT } from '../support/cli.js';

const RULES = join(REPO_ROOT, 'rules');
const CONTRACT_IDS = [
  'offhours-token-use', 'token-new-ip', 'token-rate-spike', 'conduit-auth-failure-burst', 'login-bruteforce',
  'login-after-bruteforce', 'webhook-failure-spike', 'scanner-burst', 'server-error-spike', 'bulk-repository-read',
  'cluster-token-outside-cluster', 'admin-action', 'log-silence',
].sort();

test('the pack ships exactly the contract rule ids, each loading cleanly with a runbook and a test file', () => {
  const loaded = loadRules({
    shippedDir: RULES, userDir: null, disabled: [],
    fields: { sourceTypes: new Map(), registry: () => new TokenRegistry([], [], []), clusterNetworks: new NetworkSet([]) },
  });
  assert.deepEqual(loaded.issues, []);
  assert.deepEqual(loaded.rules.map((r) => r.id).sort(), CONTRACT_IDS);
  for (const rule of loaded.rules) {
    assert.equal(rule.annotations.runbook_url, `docs/runbooks/${rule.id}.md`, `${rule.id}: runbook_url`);
    assert.ok(existsSync(join(REPO_ROOT, 'docs', 'runbooks', `${rule.id}.md`)), `${rule.id}: runbook exists`);
    assert.ok(existsSync(join(RULES, `${rule.id}.test.yaml`)), `${rule.id}: test file exists`);
  }
});

for (const file of readdirSync(RULES).filter((f) => f.endsWith('.test.yaml')).sort()) {
  test(`rule tests: ${file}`, () => {
    const result = runRuleTestFile(join(RULES, file));
    const ok = result.issues.length === 0 && result.cases.length > 0 && result.cases.every((c) => c.passed);
    assert.ok(ok, formatResult(result));
    // A test file that only ever expects silence proves nothing about the rule: each must see it fire.
    assert.ok(result.cases.some((c) => c.expected.some((e) => e.state === 'firing')), `${file}: no case where the rule fires`);
    assert.ok(result.cases.some((c) => c.expected.length === 0), `${file}: no near miss (a case that must not fire)`);
  });
}
