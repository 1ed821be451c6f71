import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue, IssueCollector } from '../../src/config/validation.js';
import { loadYaml } from '../../src/config/yamlDocument.js';
import { compileTemplate, type Template } from '../../src/rules/templates.js';

const ALLOWED = ['client_ip', 'value', 'bound', 'window', 'first', 'last', 'rule'];

function compile(text: string, allowed: readonly string[] = ALLOWED): { template: Template | null; errors: string[] } {
  const loaded = loadYaml(`summary: ${JSON.stringify(text)}\n`);
  assert.ok(loaded.ok);
  const issues = new IssueCollector('r.yaml', loaded.doc);
  const template = compileTemplate(text, allowed, ['summary'], issues);
  return { template, errors: issues.issues.map(formatIssue) };
}

test('placeholders are replaced by the alert\'s values; the rest is kept as written', () => {
  const { template, errors } = compile('{{value}} password-login attempts from {{ client_ip }} in {{window}} ({{value}} >= {{bound}})');
  assert.deepEqual(errors, []);
  assert.deepEqual(template!.names, ['value', 'client_ip', 'window', 'bound']);
  assert.equal(template!.render({ value: 30, client_ip: '203.0.113.9', window: '10m', bound: 20 }), '30 password-login attempts from 203.0.113.9 in 10m (30 >= 20)');
});

test('values render plainly: ratios to three decimals, null and missing values as empty text', () => {
  const { template } = compile('[{{value}}] [{{bound}}] [{{client_ip}}] [{{rule}}]');
  assert.equal(template!.render({ value: 0.1 + 0.2, bound: 0.8, client_ip: null }), '[0.3] [0.8] [] []');
  assert.equal(template!.render({ value: 2 / 3, bound: true, client_ip: 'x', rule: 'R' }), '[0.667] [true] [x] [R]');
});

test('single braces and a lone }} are ordinary text; a template without placeholders renders as written', () => {
  const { template, errors } = compile('json {"a": {"b": 1}} and {{value}}}');
  assert.deepEqual(errors, []);
  assert.equal(template!.render({ value: 5 }), 'json {"a": {"b": 1}} and 5}');
  assert.equal(compile('no placeholders').template!.render({}), 'no placeholders');
});

test('an unknown name is an error naming it, with the likely intended one', () => {
  assert.deepEqual(compile('from {{clinet_ip}}').errors, ['r.yaml:1:1: summary: unknown name `{{clinet_ip}}`; did you mean `{{client_ip}}`? (available here: client_ip, value, bound, window, first, last, rule)']);
  assert.deepEqual(compile('{{identity}}').errors, ['r.yaml:1:1: summary: unknown name `{{identity}}` (available here: client_ip, value, bound, window, first, last, rule)']);
  assert.deepEqual(compile('{{zone}} {{new_value}}').errors, [
    'r.yaml:1:1: summary: `{{zone}}` is only available in offhours rules',
    'r.yaml:1:1: summary: `{{new_value}}` is only available in new_value rules',
  ]);
  assert.equal(compile('{{clinet_ip}}').template, null);
});

test('a malformed placeholder is an error, not silently printed', () => {
  assert.deepEqual(compile('{{client ip}}').errors, ['r.yaml:1:1: summary: `{{client ip}}` is not a placeholder: write {{name}} with a name of letters, digits and _']);
  assert.deepEqual(compile('{{value} events').errors, ['r.yaml:1:1: summary: `{{` at character 1 is never closed with `}}`']);
  assert.deepEqual(compile('{{}}').errors, ['r.yaml:1:1: summary: `{{}}` is not a placeholder: write {{name}} with a name of letters, digits and _']);
});
