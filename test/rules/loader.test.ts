import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatIssue, type ValidationIssue } from '../../src/config/validation.js';
import { loadRuleFile, loadRules, parseRule } from '../../src/rules/loader.js';
import type { Rule } from '../../src/rules/model.js';
import { ev, fieldContext, ruleFixture } from './ruleHelpers.js';

const fields = fieldContext();
const GOOD = ruleFixture('good');
const BAD = ruleFixture('bad');
const USER = ruleFixture('user');

/** Messages with the fixture folder written as its last part, so they read as in a terminal. */
function messages(issues: readonly ValidationIssue[]): string[] {
  return issues.map((i) => formatIssue(i).replace(`${ruleFixture()}/`, ''));
}

function byId(rules: readonly Rule[], id: string): Rule {
  const rule = rules.find((r) => r.id === id);
  assert.ok(rule, `no rule ${id}`);
  return rule;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

test('one valid rule of every type loads, with the documented defaults', () => {
  const result = loadRules({ shippedDir: GOOD, userDir: null, disabled: [], fields });
  assert.deepEqual(messages(result.issues), []);
  assert.deepEqual(messages(result.warnings), []);
  assert.equal(result.files, 8, 'the .test.yaml and README beside the rules are not rule files');
  assert.deepEqual(result.rules.map((r) => `${r.id}:${r.type}`), [
    'admin-page:match', 'after-hours:offhours', 'auth-failure-share:ratio', 'login-then-admin:sequence',
    'new-address:new_value', 'quiet-source:absence', 'scanner:threshold', 'token-burst:spike',
  ]);
  for (const rule of result.rules) {
    assert.equal(rule.origin, 'shipped');
    assert.equal(rule.file, join(GOOD, `${rule.id}.yaml`));
  }

  const match = byId(result.rules, 'admin-page');
  assert.equal(match.severity, 'info');
  assert.deepEqual(match.group_by, ['identity']);
  assert.equal(match.for_ms, 0);
  assert.equal(match.keep_firing_for_ms, 15 * MINUTE, 'match alerts resolve 15m after the last event by default');
  assert.equal(match.renotify_ms, 0);
  assert.equal(match.exempt_bots, true);
  assert.deepEqual(match.labels, {});
  assert.equal(match.samples, 5);
  assert.deepEqual(match.flood, { max: 20, per_ms: HOUR });
  assert.equal(match.annotations.runbook_url, null);

  const threshold = byId(result.rules, 'scanner');
  assert.ok(threshold.type === 'threshold');
  assert.equal(threshold.window_ms, 5 * MINUTE);
  assert.equal(threshold.threshold, 50);
  assert.equal(threshold.distinct, 'path');
  assert.equal(threshold.keep_firing_for_ms, 5 * MINUTE, 'window types resolve after 5m by default');
  assert.deepEqual(threshold.labels, { category: 'security', weight: '3' });
  assert.deepEqual(threshold.annotations, {
    summary: '{{value}} missing paths from {{client_ip}} in {{window}}',
    runbook_url: 'docs/runbooks/scanner.md',
    dashboard: 'https://grafana.example/d/abc?var-ip={{client_ip}}',
  });
  assert.equal(threshold.annotationTemplates.summary!.render({ value: 51, client_ip: '203.0.113.9', window: '5m' }), '51 missing paths from 203.0.113.9 in 5m');
  assert.equal(threshold.annotationTemplates.dashboard!.render({ client_ip: '203.0.113.9' }), 'https://grafana.example/d/abc?var-ip=203.0.113.9');

  const ratio = byId(result.rules, 'auth-failure-share');
  assert.ok(ratio.type === 'ratio');
  assert.deepEqual([ratio.window_ms, ratio.ratio, ratio.min_events, ratio.numeratorText, ratio.whereText], [10 * MINUTE, 0.8, 20, 'outcome = auth_failure', 'kind = conduit']);
  assert.equal(ratio.numerator(ev({ outcome: 'auth_failure' })), true);
  assert.equal(ratio.numerator(ev({ outcome: 'ok' })), false);

  const spike = byId(result.rules, 'token-burst');
  assert.ok(spike.type === 'spike');
  assert.deepEqual([spike.bucket_ms, spike.factor, spike.min_events, spike.learning_ms, spike.half_life_ms], [5 * MINUTE, 5, 20, 7 * DAY, 7 * DAY]);

  const newValue = byId(result.rules, 'new-address');
  assert.ok(newValue.type === 'new_value');
  assert.deepEqual([newValue.field, newValue.history_ms, newValue.learning_ms, newValue.max_values], ['client_ip', 30 * DAY, 3 * DAY, 200]);
  assert.equal(newValue.annotationTemplates.summary!.render({ actor: 'alice', new_value: '203.0.113.9' }), 'alice used from 203.0.113.9');

  const offhours = byId(result.rules, 'after-hours');
  assert.deepEqual(offhours.group_by, ['identity'], 'offhours groups by identity by default');
  assert.equal(offhours.where(ev({ auth: 'token', identity: 'bob' })), true);
  assert.equal(offhours.where(ev({ auth: 'token', identity: 'ci-bot' })), false);

  const sequence = byId(result.rules, 'login-then-admin');
  assert.ok(sequence.type === 'sequence');
  assert.equal(sequence.within_ms, 30 * MINUTE);
  assert.deepEqual(sequence.steps.map((s) => [s.whereText, s.count, s.window_ms]), [
    ['kind = login and outcome = login_failure', 5, 10 * MINUTE],
    ['path prefix /config/', 1, 0],
  ]);
  assert.equal(sequence.steps[1]!.where(ev({ path: '/config/edit/x' })), true);

  const absence = byId(result.rules, 'quiet-source');
  assert.ok(absence.type === 'absence');
  assert.deepEqual(absence.group_by, ['source'], 'absence groups by source by default');
  assert.deepEqual([absence.silence_ms, absence.lookback_ms, absence.min_events], [15 * MINUTE, HOUR, 5]);
  assert.deepEqual([absence.for_ms, absence.keep_firing_for_ms, absence.renotify_ms, absence.samples], [MINUTE, 0, 4 * HOUR, 0]);
  assert.deepEqual(absence.flood, { max: 5, per_ms: 30 * MINUTE });
});

test('broken rule files: every problem is reported with file, line, column and field', () => {
  const result = loadRules({ shippedDir: BAD, userDir: null, disabled: [], fields });
  assert.deepEqual(result.rules, [], 'no rule with an error is loaded');
  assert.equal(result.files, 11);
  assert.deepEqual(messages(result.issues), [
    'bad/bad-duration.yaml:6:1: window: "10 minutes" is not a duration (use e.g. 500ms, 30s, 5m, 1h30m, 30d)',
    'bad/broken-yaml.yaml:3:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
    'bad/foreign-parameter.yaml:6:1: window: `window` is not a parameter of match rules (it belongs to threshold, ratio)',
    'bad/foreign-parameter.yaml:8:3: annotations.summary: `{{new_value}}` is only available in new_value rules',
    'bad/impossible-values.yaml:7:3: where.kind: "conduitt" is not a value of `kind` (http, conduit, login, vcs, ssh, webhook, daemon); did you mean `conduit`?',
    'bad/impossible-values.yaml:8:27: where.outcome[1]: "login_faliure" is not a value of `outcome` (ok, not_found, client_error, denied, rate_limited, server_error, auth_failure, login_attempt, login_success, login_failure, retrying, failed); did you mean `login_failure`?',
    'bad/impossible-values.yaml:9:24: numerator.status.prefix: `prefix` compares text, but `status` is a number',
    'bad/impossible-values.yaml:11:1: ratio: must be at most 1, got 1.5',
    'bad/no-summary.yaml:6:1: annotations: missing required key `summary`',
    'bad/old-extension.yml: rule files end in .yaml; this file would be ignored, rename it',
    'bad/one-step.yaml:6:1: steps: a sequence needs at least 2 steps, got 1',
    'bad/one-step.yaml:7:5: steps[0]: missing required key `window`: a step of 3 events needs the window they fall in',
    'bad/one-step.yaml:11:3: annotations.summary: unknown name `{{clinet_ip}}` (available here: value, bound, window, first, last, rule)',
    'bad/typo-key.yaml:1:1: missing required key `severity`',
    'bad/typo-key.yaml:3:1: severty: unknown key `severty`; did you mean `severity`?',
    'bad/unknown-fields.yaml:7:3: where.paht: unknown field `paht`; did you mean `path`?',
    'bad/unknown-fields.yaml:8:23: where.status.lt: expected a number, got "600"',
    'bad/unknown-fields.yaml:9:12: group_by[0]: unknown field `clientip`; did you mean `client_ip`?',
    'bad/unknown-type.yaml:5:1: type: "treshold" is not one of match, threshold, ratio, spike, new_value, offhours, sequence, absence; did you mean `threshold`?',
    'bad/unsafe-regex.yaml:7:17: where.user_agent.regex: regex rejected: nested repeat: `\\w+` inside `(\\w+\\s?)+` lets the same text be split between the two repeats in exponentially many ways (like `(a+)+`); rewrite it so that no repeated part contains another repeat, or so that each round starts with a character the inner repeat cannot match',
    'bad/wrong-id.yaml:1:1: id: the id "right-id" must equal the file name: rename the file to right-id.yaml or set `id: wrong-id`',
  ]);
});

test('a user rule replaces the shipped rule with its id; disabled ids are dropped; an unknown one is an error', () => {
  const result = loadRules({ shippedDir: GOOD, userDir: USER, disabled: ['token-burst', 'scaner'], fields, configFile: '/etc/phabwatch/phabwatch.yaml' });
  assert.deepEqual(messages(result.issues), ['/etc/phabwatch/phabwatch.yaml: rules.disabled[1]: no rule has the id "scaner"; did you mean "scanner"?']);
  assert.equal(result.files, 10);
  assert.deepEqual(result.rules.map((r) => `${r.id}:${r.origin}`), [
    'admin-page:shipped', 'after-hours:shipped', 'auth-failure-share:shipped', 'login-then-admin:shipped',
    'new-address:shipped', 'quiet-source:shipped', 'scanner:user', 'ssh-key-added:user',
  ]);
  const scanner = byId(result.rules, 'scanner');
  assert.ok(scanner.type === 'threshold');
  assert.equal(scanner.threshold, 10);
  assert.equal(scanner.severity, 'critical');
  assert.equal(scanner.where(ev({ outcome: 'not_found', client_ip: '10.0.0.5' })), false, 'the user\'s where applies');
  const sshKey = byId(result.rules, 'ssh-key-added');
  assert.equal(sshKey.where(ev({ method: 'POST', path: '/Settings/user/alice/page/ssh/' })), true, 'regex with the i flag');
  assert.equal(sshKey.where(ev({ method: 'GET', path: '/settings/user/alice/page/ssh/' })), false);
  // A user rule can be disabled too.
  const without = loadRules({ shippedDir: GOOD, userDir: USER, disabled: ['ssh-key-added'], fields });
  assert.deepEqual(without.issues, []);
  assert.equal(without.rules.some((r) => r.id === 'ssh-key-added'), false);
});

test('a broken user rule is an error and does not silently fall back to the shipped rule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-rules-'));
  try {
    writeFileSync(join(dir, 'scanner.yaml'), 'id: scanner\ntitle: x\nseverity: warning\ndescription: x\ntype: threshold\nwindow: 5m\nannotations: { summary: x }\n');
    const result = loadRules({ shippedDir: GOOD, userDir: dir, disabled: [], fields });
    assert.deepEqual(messages(result.issues).map((m) => m.replace(dir, '<dir>')), ['<dir>/scanner.yaml:1:1: missing required key `threshold` (threshold rules)']);
    assert.equal(result.rules.some((r) => r.id === 'scanner'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing rules folder or file is an error that names it', () => {
  const result = loadRules({ shippedDir: GOOD, userDir: join(GOOD, 'nope'), disabled: [], fields });
  assert.deepEqual(messages(result.issues), ['good/nope: cannot read the rules folder: not found']);
  assert.equal(result.rules.length, 8, 'the shipped rules still load');
  assert.deepEqual(messages(loadRuleFile(join(GOOD, 'nope.yaml'), fields).issues), ['good/nope.yaml: cannot read rule file: not found']);
});

/** Problems of one rule written inline as x.yaml (common keys filled in unless given). */
function problems(body: string): string[] {
  const head = ['id: x', 'title: T', 'severity: info', 'description: D'].filter((line) => !body.includes(`${line.split(':')[0]}:`));
  const result = parseRule([...head, body].join('\n'), '/r/x.yaml', fields, 'user');
  assert.equal(result.rule, null, 'expected the rule to be refused');
  return messages(result.issues);
}

test('type parameters and common keys are checked', () => {
  assert.deepEqual(problems('type: threshold\nwindow: 0\nthreshold: 0\nannotations: { summary: x }'), [
    '/r/x.yaml:6:1: window: must be at least 1s',
    '/r/x.yaml:7:1: threshold: must be at least 1, got 0',
  ]);
  assert.deepEqual(problems('type: threshold\nwindow: 5m\nthreshold: 5\ndistinct: client_ip\ngroup_by: [client_ip]\nannotations: { summary: x }'), [
    '/r/x.yaml:8:1: distinct: `client_ip` is also in group_by, so each group only ever has one distinct value',
  ]);
  assert.deepEqual(problems('type: new_value\ngroup_by: [token_id]\nfield: token_id\nannotations: { summary: x }'), [
    '/r/x.yaml:7:1: field: `token_id` is also in group_by, so each group only ever sees one value',
  ]);
  assert.deepEqual(problems('type: new_value\nannotations: { summary: x }'), ['/r/x.yaml:1:1: missing required key `field` (new_value rules)']);
  assert.deepEqual(problems('type: ratio\nwindow: 5m\nratio: 0\nmin_events: 1\nannotations: { summary: x }'), [
    '/r/x.yaml:1:1: missing required key `numerator` (ratio rules)',
    '/r/x.yaml:7:1: ratio: a ratio of 0 always holds; use a share above 0 (e.g. 0.5)',
  ]);
  assert.deepEqual(problems('type: spike\nfactor: 1\nhalf_life: 1m\nannotations: { summary: x }'), [
    '/r/x.yaml:6:1: factor: a factor of 1 fires whenever a bucket merely equals its baseline; use more than 1 (e.g. 5)',
    '/r/x.yaml:7:1: half_life: must be at least 300000 ms, got 1m',
  ]);
  assert.deepEqual(problems('type: sequence\nsteps:\n  - { count: 2, window: 1m }\n  - where: { kind: login }\n    wehre: { kind: http }\nwithin: 10m\nannotations: { summary: x }'), [
    '/r/x.yaml:7:5: steps[0]: missing required key `where` (which events make this step)',
    '/r/x.yaml:9:5: steps[1].wehre: unknown key `wehre`; did you mean `where`?',
  ]);
  assert.deepEqual(problems('type: absence\nannotations: { summary: x }'), ['/r/x.yaml:1:1: missing required key `silence` (absence rules)']);
  assert.deepEqual(problems('severity: urgent\ntype: match\nannotations: { summary: x }'), [
    '/r/x.yaml:4:1: severity: "urgent" is not one of info, warning, critical',
  ]);
  assert.deepEqual(problems('type: match'), ['/r/x.yaml:1:1: missing required key `annotations` (with at least `summary`)']);
  assert.deepEqual(problems('id: Bad_ID\ntype: match\nannotations: { summary: x }'), [
    '/r/x.yaml:4:1: id: "Bad_ID" is not a rule id: lowercase letters, digits, - and _ (at most 64)',
  ]);
  assert.deepEqual(problems('type: match\ngroup_by: [identity, identity]\nlabels: { identity: x, flood: y, "bad-name": z, team: [a] }\nannotations: { summary: x, "run book": y }\nsamples: 500\nflood: { max: 0, pre: 1h }'), [
    '/r/x.yaml:6:22: group_by[1]: `identity` is listed twice',
    '/r/x.yaml:7:11: labels.identity: `identity` is a group_by field: each alert\'s labels already carry its value',
    '/r/x.yaml:7:24: labels.flood: `flood` is reserved for the flood guard\'s summary alert',
    '/r/x.yaml:7:34: labels.bad-name: "bad-name" is not a label name (letters, digits and _, not starting with a digit)',
    '/r/x.yaml:7:49: labels.team: expected text, got a list',
    '/r/x.yaml:9:1: samples: must be at most 100, got 500',
    '/r/x.yaml:10:10: flood.max: must be at least 1, got 0',
    '/r/x.yaml:10:18: flood.pre: unknown key `pre`; did you mean `per`?',
    '/r/x.yaml:8:28: annotations.run book: "run book" is not an annotation name (letters, digits and _, not starting with a digit)',
  ]);
});

test('advice that does not stop a rule from loading', () => {
  const result = parseRule('id: x\ntitle: T\nseverity: info\ndescription: D\ntype: threshold\nwindow: 1m\nthreshold: 3\ngroup_by: [request_id]\nwhere: { user_agent: { regex: ".*bot" } }\nannotations: { summary: x }', '/r/x.yaml', fields, 'user');
  assert.ok(result.rule);
  assert.deepEqual(messages(result.warnings), [
    '/r/x.yaml:9:24: where.user_agent.regex: regex: `.*` at the start only slows matching: a regex matches anywhere unless it starts with ^, so it is tried from every position; remove it',
    '/r/x.yaml:8:12: group_by[0]: `request_id` differs on nearly every event, so each event would be an alert group of its own',
  ]);
});
