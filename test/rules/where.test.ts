import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue, IssueCollector } from '../../src/config/validation.js';
import { loadYaml } from '../../src/config/yamlDocument.js';
import type { PhabEvent } from '../../src/model/event.js';
import type { FieldContext } from '../../src/rules/fields.js';
import { compileWhere, type CompiledWhere } from '../../src/rules/where.js';
import { ALICE_TOKEN, CI_TOKEN, ev, fieldContext } from './ruleHelpers.js';

interface Compiled extends CompiledWhere {
  errors: string[];
  warnings: string[];
}

/** Compiles the `where:` of a YAML snippet, as the loader does for a file named w.yaml. */
function compile(yaml: string, ctx: FieldContext = fieldContext()): Compiled {
  const loaded = loadYaml(yaml);
  if (!loaded.ok) throw new Error(`bad YAML in test: ${loaded.errors[0]?.message}`);
  const issues = new IssueCollector('w.yaml', loaded.doc);
  const warnings = new IssueCollector('w.yaml', loaded.doc);
  const where = compileWhere((loaded.doc.value as { where?: unknown }).where, ['where'], issues, ctx, warnings);
  return { ...where, errors: issues.issues.map(formatIssue), warnings: warnings.issues.map(formatIssue) };
}

function matches(yaml: string, event: Partial<PhabEvent>, ctx?: FieldContext): boolean {
  const where = compile(yaml, ctx);
  assert.deepEqual(where.errors, [], `unexpected errors for ${yaml}`);
  return where.predicate(ev(event));
}

// [where, event fields, matches?]
const CASES: [string, Partial<PhabEvent>, boolean][] = [
  ['where:\n  kind: conduit', { kind: 'conduit' }, true],
  ['where:\n  kind: conduit', { kind: 'http' }, false],
  ['where:\n  outcome: [auth_failure, login_failure]', { outcome: 'login_failure' }, true],
  ['where:\n  outcome: [auth_failure, login_failure]', { outcome: 'ok' }, false],
  ['where:\n  controller: null', { controller: null }, true],
  ['where:\n  controller: null', { controller: 'X' }, false],
  ['where:\n  identity: [alice, null]', { identity: null }, true],
  ['where:\n  identity: [alice, null]', { identity: 'bob' }, false],
  ['where:\n  status: 404', { status: 404 }, true],
  ['where:\n  status: [401, 403]', { status: 403 }, true],
  ['where:\n  status: [401, 403]', { status: null }, false],
  // YAML reads 500 as a number; error_code holds text
  ['where:\n  error_code: 500', { error_code: '500' }, true],
  ['where:\n  path: { prefix: /auth/ }', { path: '/auth/login/' }, true],
  ['where:\n  path: { prefix: /auth/ }', { path: '/Auth/login/' }, false],
  ['where:\n  path: { prefix: /auth/ }', { path: null }, false],
  ['where:\n  path: { prefix: [/a/, /b/] }', { path: '/b/x' }, true],
  // Several texts are one alternation: regex characters in them are literal, and the anchor holds.
  ['where:\n  path: { prefix: [/a.b/, "/c(d)/", /e+/] }', { path: '/c(d)/x' }, true],
  ['where:\n  path: { prefix: [/a.b/, "/c(d)/", /e+/] }', { path: '/axb/' }, false],
  ['where:\n  path: { prefix: [/a.b/, "/c(d)/", /e+/] }', { path: '/eee' }, false],
  ['where:\n  path: { prefix: [/a/, /b/] }', { path: '/x/a/' }, false],
  ['where:\n  path: { suffix: [.php, "[x]"] }', { path: '/index.php' }, true],
  ['where:\n  path: { suffix: [.php, "[x]"] }', { path: '/indexXphp' }, false],
  ['where:\n  path: { suffix: [.php, "[x]"] }', { path: '/a[x]' }, true],
  ['where:\n  path: { suffix: [.php, "[x]"] }', { path: '/a.php/' }, false],
  ['where:\n  user_agent: { contains: [sqlmap, "a|b"] }', { user_agent: 'x a|b y' }, true],
  ['where:\n  user_agent: { contains: [sqlmap, "a|b"] }', { user_agent: 'b' }, false],
  ['where:\n  path: { suffix: [.php, .env] }', { path: '/x/.env' }, true],
  ['where:\n  path: { suffix: .php }', { path: '/x/.phpx' }, false],
  ['where:\n  user_agent: { contains: curl }', { user_agent: 'Mozilla curl/8' }, true],
  ['where:\n  user_agent: { contains: curl }', { user_agent: null }, false],
  ['where:\n  client_ip: { cidr: [10.0.0.0/8, fd00::/8] }', { client_ip: '10.2.3.4' }, true],
  ['where:\n  client_ip: { cidr: [10.0.0.0/8, fd00::/8] }', { client_ip: 'fd00::1' }, true],
  ['where:\n  client_ip: { cidr: [10.0.0.0/8, fd00::/8] }', { client_ip: '::ffff:10.0.0.1' }, true],
  ['where:\n  client_ip: { cidr: 10.0.0.0/8 }', { client_ip: '11.0.0.1' }, false],
  ['where:\n  client_ip: { cidr: 10.0.0.0/8 }', { client_ip: null }, false],
  ['where:\n  status: { gte: 500, lt: 600 }', { status: 500 }, true],
  ['where:\n  status: { gte: 500, lt: 600 }', { status: 600 }, false],
  ['where:\n  status: { gte: 500, lt: 600 }', { status: 499 }, false],
  ['where:\n  status: { gt: 0 }', { status: null }, false],
  ['where:\n  duration_ms: { lte: 57.8 }', { duration_ms: 57.8 }, true],
  ['where:\n  bytes_out: { gt: 1000000 }', { bytes_out: 5120 }, false],
  ['where:\n  user_agent: { regex: "^curl/" }', { user_agent: 'curl/8.1' }, true],
  ['where:\n  user_agent: { regex: "^curl/" }', { user_agent: 'CURL/8.1' }, false],
  ['where:\n  user_agent: { regex: "^curl/", flags: i }', { user_agent: 'CURL/8.1' }, true],
  ['where:\n  identity: { not: null }', { identity: 'alice' }, true],
  ['where:\n  identity: { not: null }', { identity: null }, false],
  // not negates: anonymous events are "not alice" too
  ['where:\n  identity: { not: alice }', { identity: null }, true],
  ['where:\n  identity: { not: [alice, bob] }', { identity: 'bob' }, false],
  ['where:\n  repository: { exists: true }', { repository: 'P' }, true],
  ['where:\n  repository: { exists: true }', { repository: null }, false],
  ['where:\n  repository: { exists: false }', { repository: null }, true],
  ['where:\n  method: { equals: POST }', { method: 'POST' }, true],
  ['where:\n  method: { in: [POST, PUT] }', { method: 'GET' }, false],
  ['where:\n  kind: conduit\n  status: 200', { kind: 'conduit', status: 500 }, false],
  ['where:\n  not: { kind: http }', { kind: 'conduit' }, true],
  ['where:\n  not: { kind: http }', { kind: 'http' }, false],
  ['where:\n  any: [ { kind: login }, { path: { prefix: /auth/ } } ]', { kind: 'http', path: '/auth/x' }, true],
  ['where:\n  any: [ { kind: login }, { path: { prefix: /auth/ } } ]', { kind: 'http', path: '/D1' }, false],
  ['where:\n  all: [ { kind: http }, { path: { prefix: /D } } ]', { kind: 'http', path: '/D1' }, true],
  ['where:\n  all: [ { kind: http }, { path: { prefix: /X } } ]', { kind: 'http', path: '/D1' }, false],
  ['where:\n  any:\n    - all: [ { kind: vcs }, { not: { path: { contains: receive } } } ]\n    - kind: ssh', { kind: 'vcs', path: '/git-receive-pack' }, false],
  ['where: {}', { kind: 'daemon' }, true],
  ['where:', { kind: 'daemon' }, true],
];

test('where conditions: every operator, matching and not matching', () => {
  for (const [yaml, event, expected] of CASES) {
    assert.equal(matches(yaml, event), expected, `${yaml.replace(/\n/g, ' ')} on ${JSON.stringify(event)}`);
  }
});

test('derived fields in where: source_type, is_bot, is_admin, token_owner, token_name, from_cluster, actor', () => {
  const derived: [string, Partial<PhabEvent>, boolean][] = [
    ['where:\n  source_type: nginx', { source: 'web' }, true],
    ['where:\n  source_type: nginx', { source: 'phab' }, false],
    ['where:\n  source_type: nginx', { source: 'not-configured' }, false],
    ['where:\n  is_bot: true', { identity: 'ci-bot' }, true],
    ['where:\n  is_bot: true', { identity: 'CI-Bot' }, true],
    ['where:\n  is_bot: true', { identity: 'deploy' }, true], // config identities.bots
    ['where:\n  is_bot: false', { identity: 'alice' }, true],
    ['where:\n  is_bot: true', { identity: null, token_id: CI_TOKEN }, true],
    ['where:\n  is_admin: true', { identity: 'alice' }, true],
    ['where:\n  is_admin: true', { identity: 'bob' }, false],
    ['where:\n  token_owner: alice', { token_id: ALICE_TOKEN }, true],
    ['where:\n  token_owner: null', { token_id: null }, true],
    ['where:\n  token_name: CI', { token_id: CI_TOKEN }, true],
    ['where:\n  from_cluster: true', { client_ip: '10.9.9.9' }, true],
    ['where:\n  from_cluster: false', { client_ip: '203.0.113.9' }, true],
    ['where:\n  from_cluster: false', { client_ip: null }, true],
    ['where:\n  actor: tok-alice', { token_id: ALICE_TOKEN, identity: 'alice' }, true],
    ['where:\n  actor: bob', { token_id: null, identity: 'bob' }, true],
    ['where:\n  actor: null', { token_id: null, identity: null }, true],
  ];
  for (const [yaml, event, expected] of derived) {
    assert.equal(matches(yaml, event), expected, `${yaml.replace(/\n/g, ' ')} on ${JSON.stringify(event)}`);
  }
});

test('regex looks at the first 4096 characters only', () => {
  const where = compile('where:\n  user_agent: { regex: "needle" }');
  assert.equal(where.predicate(ev({ user_agent: `${'x'.repeat(4000)}needle` })), true);
  assert.equal(where.predicate(ev({ user_agent: `${'x'.repeat(4096)}needle` })), false);
});

test('the readable text of a where', () => {
  const where = compile(`where:
  kind: conduit
  outcome: [auth_failure, login_failure]
  controller: null
  path: { prefix: /auth/ }
  client_ip: { cidr: [10.0.0.0/8] }
  status: { gte: 500, lt: 600 }
  user_agent: { regex: "^curl/", flags: i }
  identity: { not: null }
  repository: { exists: true }
  message: "two words"
  not: { source_type: nginx }
  any: [ { kind: login }, { kind: http, path: { prefix: /auth/ } } ]
`);
  assert.deepEqual(where.errors, []);
  assert.equal(
    where.text,
    'kind = conduit and outcome in [auth_failure, login_failure] and controller is null and path prefix /auth/ and ' +
      'client_ip in cidr [10.0.0.0/8] and status >= 500 and status < 600 and user_agent ~ /^curl\\//i and ' +
      'not (identity is null) and repository exists and message = "two words" and not (source_type = nginx) and ' +
      '(kind = login or (kind = http and path prefix /auth/))',
  );
  assert.equal(compile('where:').text, 'every event');
});

// [where, every expected message]
const ERRORS: [string, string[]][] = [
  ['where:\n  paht: /x', ['w.yaml:2:3: where.paht: unknown field `paht`; did you mean `path`?']],
  ['where:\n  nto: { kind: http }', ['w.yaml:2:3: where.nto: unknown field `nto`; did you mean `not`?']],
  ['where:\n  path: { prefx: /x }', ['w.yaml:2:11: where.path.prefx: unknown operator `prefx`; did you mean `prefix`?']],
  ['where:\n  path: { gt: 5 }', ['w.yaml:2:11: where.path.gt: `gt` compares numbers, but `path` is text']],
  ['where:\n  status: { prefix: "5" }', ['w.yaml:2:13: where.status.prefix: `prefix` compares text, but `status` is a number']],
  ['where:\n  status: "500"', ['w.yaml:2:3: where.status: `status` is a number; got "500"']],
  ['where:\n  is_bot: yes', ['w.yaml:2:3: where.is_bot: `is_bot` is true or false; got "yes"']],
  ['where:\n  kind: conduitt', ['w.yaml:2:3: where.kind: "conduitt" is not a value of `kind` (http, conduit, login, vcs, ssh, webhook, daemon); did you mean `conduit`?']],
  ['where:\n  token_type: [api, cln]', ['w.yaml:2:21: where.token_type[1]: "cln" is not a value of `token_type` (api, cli, clr); did you mean `cli`?']],
  ['where:\n  source_type: ngnix', ['w.yaml:2:3: where.source_type: "ngnix" is not a value of `source_type` (phabricator-access, phabricator-ssh, phd-daemon, nginx, apache); did you mean `nginx`?']],
  ['where:\n  client_ip: { cidr: [10.0.0.0/33, nope] }', [
    'w.yaml:2:23: where.client_ip.cidr[0]: "10.0.0.0/33" has prefix length "33", expected 0 to 32 for IPv4 (e.g. 10.0.0.0/8, fd00::/8)',
    'w.yaml:2:36: where.client_ip.cidr[1]: "nope" is not an IPv4 or IPv6 address or CIDR block (e.g. 10.0.0.0/8, fd00::/8)',
  ]],
  ['where:\n  path: { cidr: 10.0.0.0/8 }', ['w.yaml:2:11: where.path.cidr: `cidr` applies to addresses (client_ip), not `path`']],
  ['where:\n  user_agent: { regex: "(a+)+$" }', ['w.yaml:2:17: where.user_agent.regex: regex rejected: nested repeat: `a+` inside `(a+)+` lets the same text be split between the two repeats in exponentially many ways (like `(a+)+`); rewrite it so that no repeated part contains another repeat, or so that each round starts with a character the inner repeat cannot match']],
  ['where:\n  user_agent: { regex: "^curl/", flags: g }', ['w.yaml:2:34: where.user_agent.flags: "g" is not a supported flag; the only flag is i (ignore case)']],
  ['where:\n  user_agent: { flags: i }', ['w.yaml:2:17: where.user_agent.flags: `flags` applies to `regex`; there is no `regex` here']],
  ['where:\n  user_agent: { regex: "" }', ['w.yaml:2:17: where.user_agent.regex: an empty regex matches every value; use `exists: true`']],
  ['where:\n  path: { prefix: "" }', ['w.yaml:2:11: where.path.prefix: empty text matches every value; use `exists: true`']],
  ['where:\n  kind: []', ['w.yaml:2:3: where.kind: an empty list matches nothing']],
  ['where:\n  any: []', ['w.yaml:2:3: where.any: `any` with an empty list matches nothing; remove it or list conditions']],
  ['where:\n  all: { kind: http }', ['w.yaml:2:3: where.all: `all` takes a list of wheres, got a mapping']],
  ['where:\n  repository: { exists: maybe }', ['w.yaml:2:17: where.repository.exists: expected true or false, got "maybe"']],
  ['where:\n  path: { status: 200 }', ['w.yaml:2:11: where.path.status: unknown operator `status` (`status` is a field: conditions on several fields go side by side, not nested)']],
  ['where: [kind]', ['w.yaml:1:1: where: expected a mapping of field: condition, got a list']],
];

test('mistakes in a where are errors that say where and what', () => {
  for (const [yaml, expected] of ERRORS) {
    assert.deepEqual(compile(yaml).errors, expected, yaml);
  }
});

test('conditions that can never hold are warnings', () => {
  assert.deepEqual(compile('where:\n  kind: null').warnings, ['w.yaml:2:3: where.kind: `kind` always has a value, so this condition never holds']);
  // Only nginx and phabricator-* sources are configured in the test context.
  assert.deepEqual(compile('where:\n  source_type: apache').warnings, ['w.yaml:2:3: where.source_type: no configured source has type apache, so this condition never holds with this configuration']);
  assert.deepEqual(compile('where:\n  user_agent: { regex: ".*curl" }').warnings, ['w.yaml:2:17: where.user_agent.regex: regex: `.*` at the start only slows matching: a regex matches anywhere unless it starts with ^, so it is tried from every position; remove it']);
  assert.deepEqual(compile('where:\n  kind: conduit\n  status: { gte: 500 }').warnings, []);
});

test('derived values are computed once per event and reused by every condition', () => {
  const ctx = fieldContext();
  const where = compile('where:\n  token_owner: alice\n  any: [ { token_owner: { prefix: al } }, { token_name: x } ]\n  not: { token_owner: bob }', ctx);
  assert.deepEqual(where.errors, []);
  const event = ev({ token_id: ALICE_TOKEN });
  assert.equal(where.predicate(event), true);
  assert.equal(where.predicate(event), true);
  assert.equal(ctx.registryCalls, 1, 'token_owner read three times, the registry asked once');
});

test('a where knows which event kinds it can match at most, so the engine can skip it for the others', () => {
  const kinds = (yaml: string): string[] | null => {
    const w = compile(yaml);
    assert.deepEqual(w.errors, []);
    return w.kinds === null ? null : [...w.kinds].sort();
  };
  assert.deepEqual(kinds('where:\n  kind: conduit\n  outcome: auth_failure'), ['conduit']);
  assert.deepEqual(kinds('where:\n  kind: [http, login]'), ['http', 'login']);
  assert.equal(kinds('where:\n  outcome: not_found'), null);
  assert.equal(kinds('where:\n  not: { kind: conduit }'), null, 'a negation allows any kind');
  assert.equal(kinds('where:\n  kind: { not: conduit }'), null);
  assert.deepEqual(kinds('where:\n  any: [ { kind: login }, { kind: [http, vcs] } ]'), ['http', 'login', 'vcs']);
  assert.equal(kinds('where:\n  any: [ { kind: login }, { path: { prefix: /auth/ } } ]'), null, 'one alternative of any kind');
  assert.deepEqual(kinds('where:\n  kind: [http, conduit]\n  all: [ { kind: [conduit, ssh] } ]'), ['conduit']);
  assert.deepEqual(kinds('where:\n  kind: http\n  any: [ { kind: conduit } ]'), [], 'contradictory: no kind at all');
  assert.equal(kinds('where: null'), null);
});
