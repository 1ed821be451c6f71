import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetworkSet } from '../../src/attribution/networks.js';
import { EVENT_COLUMNS } from '../../src/model/event.js';
import { DERIVED_FIELDS, FIELD_NAMES, fieldKind, fieldValue, isFieldName, knownValues, ruleEvent, type FieldContext } from '../../src/rules/fields.js';
import type { FieldName } from '../../src/rules/model.js';
import { makeEvent } from '../support/events.js';
import { ALICE_TOKEN, CI_TOKEN, ev, fieldContext, testRegistry } from './ruleHelpers.js';

const f = (name: string): FieldName => {
  assert.ok(isFieldName(name), name);
  return name;
};

test('the field names are every event column plus the derived fields, and nothing else', () => {
  assert.deepEqual([...FIELD_NAMES].sort(), [...EVENT_COLUMNS, ...DERIVED_FIELDS].sort());
  for (const name of ['source_type', 'is_bot', 'is_admin', 'token_owner', 'token_name', 'from_cluster', 'actor']) assert.ok(isFieldName(name), name);
  for (const name of ['Path', 'clientip', 'derived', '__proto__', 'constructor', '']) assert.equal(isFieldName(name), false, name);
});

test('every column reads the event\'s own value', () => {
  const event = makeEvent({ status: 503, path: '/x', token_id: ALICE_TOKEN, bytes_in: 7 });
  const re = ruleEvent(1, event);
  for (const column of EVENT_COLUMNS) assert.equal(fieldValue(re, f(column), fieldContext()), event[column], column);
});

test('derived fields', () => {
  const ctx = fieldContext();
  const value = (name: string, overrides: Parameters<typeof ev>[0]): unknown => fieldValue(ev(overrides), f(name), ctx);
  assert.equal(value('source_type', { source: 'web' }), 'nginx');
  assert.equal(value('source_type', { source: 'gone' }), null);
  assert.equal(value('is_bot', { identity: 'ci-bot' }), true);
  assert.equal(value('is_bot', { identity: 'Deploy' }), true, 'config identities.bots, case-insensitive');
  assert.equal(value('is_bot', { identity: 'alice' }), false);
  assert.equal(value('is_bot', { identity: 'stranger' }), false);
  assert.equal(value('is_bot', { identity: null, token_id: CI_TOKEN }), true, 'no user on the line: the token\'s owner decides');
  assert.equal(value('is_bot', { identity: null, token_id: null }), false);
  assert.equal(value('is_admin', { identity: 'alice' }), true);
  assert.equal(value('is_admin', { identity: 'bob' }), false);
  assert.equal(value('is_admin', { identity: null, token_id: ALICE_TOKEN }), true);
  assert.equal(value('token_owner', { token_id: CI_TOKEN }), 'ci-bot');
  assert.equal(value('token_owner', { token_id: 'unknown' as typeof CI_TOKEN }), null);
  assert.equal(value('token_name', { token_id: ALICE_TOKEN }), 'laptop');
  assert.equal(value('token_name', { token_id: null }), null);
  assert.equal(value('from_cluster', { client_ip: '10.1.2.3' }), true);
  assert.equal(value('from_cluster', { client_ip: 'fd00::5' }), true);
  assert.equal(value('from_cluster', { client_ip: '198.51.100.7' }), false);
  assert.equal(value('from_cluster', { client_ip: null }), false);
  assert.equal(value('actor', { token_id: ALICE_TOKEN, identity: 'alice' }), ALICE_TOKEN);
  assert.equal(value('actor', { token_id: null, identity: 'bob' }), 'bob');
  assert.equal(value('actor', { token_id: null, identity: null }), null);
});

test('a derived value is computed once per event, and a new registry applies to new events', () => {
  let registry = testRegistry();
  let calls = 0;
  const ctx: FieldContext = { sourceTypes: new Map(), clusterNetworks: new NetworkSet([]), registry: () => (calls++, registry) };
  const first = ev({ identity: 'bob' });
  assert.equal(fieldValue(first, f('is_bot'), ctx), false);
  assert.equal(fieldValue(first, f('is_bot'), ctx), false);
  assert.equal(calls, 1);
  // `run` re-imports a changed registry file: bob became a bot.
  registry = testRegistry(['bob']);
  assert.equal(fieldValue(first, f('is_bot'), ctx), false, 'an event keeps what it was evaluated with');
  assert.equal(fieldValue(ev({ identity: 'bob' }), f('is_bot'), ctx), true);
});

test('field kinds and the closed sets of values', () => {
  for (const name of ['ts', 'status', 'duration_ms', 'bytes_in', 'bytes_out', 'offset', 'file_id']) assert.equal(fieldKind(f(name)), 'number', name);
  for (const name of ['is_bot', 'is_admin', 'from_cluster']) assert.equal(fieldKind(f(name)), 'boolean', name);
  for (const name of ['path', 'error_code', 'actor', 'source_type']) assert.equal(fieldKind(f(name)), 'text', name);
  assert.deepEqual(knownValues(f('token_type')), ['api', 'cli', 'clr']);
  assert.ok(knownValues(f('outcome'))!.includes('login_failure'));
  assert.equal(knownValues(f('path')), null);
});
