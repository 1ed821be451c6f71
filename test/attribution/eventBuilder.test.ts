// ParsedRecord -> event, as a table. Records are built the way the parsers build them from real lines
// (reference/phabricator-logs.md section 9 lines are quoted above their records); expectations list the
// fields that matter for each case.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBuilder, type LineLocation, MAX_MESSAGE_CHARS } from '../../src/attribution/eventBuilder.js';
import { fingerprintToken, tokenHint } from '../../src/attribution/tokenFingerprint.js';
import { TokenRegistry } from '../../src/attribution/tokenRegistry.js';
import type { SeenToken } from '../../src/attribution/types.js';
import { EVENT_COLUMNS, type PhabEvent, type TokenType } from '../../src/model/event.js';
import type { ParsedRecord } from '../../src/parsers/types.js';
import { daemon, fakeToken, identityInfo, request, ssh, TEST_KEY, tokenInfo, webhookFailure } from './helpers.js';

const T0 = Date.UTC(2026, 10, 29, 18, 51, 38);
const HOUR = 3600_000;

function registered(type: TokenType, seed: string, owner: string, extra: { expiresAt?: number | null; isDisabled?: boolean; isBot?: boolean } = {}) {
  const raw = fakeToken(type, seed);
  return {
    raw,
    seen: { tokenId: fingerprintToken(TEST_KEY, raw), type, hint: tokenHint(raw) } satisfies SeenToken,
    info: tokenInfo({ tokenId: fingerprintToken(TEST_KEY, raw), type, hint: tokenHint(raw), owner, ...extra }),
  };
}

// alice: one api and one cli token (which one is in use can only be told from the client);
// bob: exactly one live token; carol: her only token expired; dave: disabled account;
// ci-bot: a system agent; erin: a bot by config only.
const ALICE_API = registered('api', 'alice-api', 'alice');
const ALICE_CLI = registered('cli', 'alice-cli', 'alice');
const BOB_API = registered('api', 'bob-api', 'bob');
const CAROL_OLD = registered('api', 'carol-old', 'carol', { expiresAt: T0 - HOUR });
const DAVE_API = registered('api', 'dave-api', 'dave', { isDisabled: true });
const BOT_API = registered('api', 'bot-api', 'ci-bot', { isBot: true });
const ERIN_API = registered('api', 'erin-api', 'erin');
const UNREGISTERED = registered('api', 'nobody', 'nobody');

const REGISTRY = new TokenRegistry(
  [ALICE_API, ALICE_CLI, BOB_API, CAROL_OLD, DAVE_API, BOT_API, ERIN_API].map((t) => t.info),
  [
    identityInfo({ username: 'alice', isAdmin: true }), identityInfo({ username: 'bob' }), identityInfo({ username: 'carol' }),
    identityInfo({ username: 'dave', isDisabled: true }), identityInfo({ username: 'ci-bot', isBot: true }),
  ],
  ['erin'],
);

const LOC: LineLocation = { source: 'phorge-access', sourceHost: 'phab01', fileId: 7, offset: 4096, raw: 'the masked line' };

interface Case {
  name: string;
  record: ParsedRecord;
  tokens?: SeenToken[];
  expect: Partial<PhabEvent>;
}

const CONDUIT = 'PhabricatorConduitAPIController';

const CASES: Case[] = [
  // [Sun, 29 Nov 2026 18:51:38 +0000] 30738 vm 127.0.0.2 alice PhabricatorConduitAPIController user.whoami /api/user.whoami - 200 131113
  {
    name: 'Conduit call with a user: token auth; alice has an api and a cli token and the log has no client, so none is inferred',
    record: request({ user: 'alice', controller: CONDUIT, conduitMethod: 'user.whoami', path: '/api/user.whoami', status: 200, durationMs: 131 }),
    expect: { kind: 'conduit', identity: 'alice', auth: 'token', attribution: 'none', token_id: null, outcome: 'ok', conduit_method: 'user.whoami', route: '/api/user.whoami', status: 200, duration_ms: 131, host: 'vm' },
  },
  {
    name: 'Conduit call by the owner of exactly one live token: inferred',
    record: request({ user: 'bob', controller: CONDUIT, conduitMethod: 'differential.query', path: '/api/differential.query' }),
    expect: { kind: 'conduit', identity: 'bob', auth: 'token', attribution: 'inferred', token_id: BOB_API.info.tokenId, token_type: 'api' },
  },
  {
    name: 'a bot looks like a user: inferred the same way',
    record: request({ user: 'ci-bot', controller: CONDUIT, conduitMethod: 'harbormaster.sendmessage', path: '/api/harbormaster.sendmessage' }),
    expect: { identity: 'ci-bot', attribution: 'inferred', token_id: BOT_API.info.tokenId },
  },
  {
    name: 'an expired token is not inferred',
    record: request({ user: 'carol', controller: CONDUIT, conduitMethod: 'user.whoami', path: '/api/user.whoami' }),
    expect: { identity: 'carol', auth: 'token', attribution: 'none', token_id: null },
  },
  {
    name: 'a disabled owner\'s token is not inferred',
    record: request({ user: 'dave', controller: CONDUIT, conduitMethod: 'user.whoami', path: '/api/user.whoami' }),
    expect: { identity: 'dave', attribution: 'none', token_id: null },
  },
  {
    name: 'Arcanist uses cli tokens: alice\'s cli token is inferred (webserver log with HTTP Basic user)',
    record: request({ family: 'web', user: 'alice', method: 'POST', path: '/api/differential.revision.edit', userAgent: 'Arcanist/1.0 cURL/7.88.1', host: null }),
    expect: { kind: 'conduit', identity: 'alice', attribution: 'inferred', token_id: ALICE_CLI.info.tokenId, token_type: 'cli', host: 'phab01', conduit_method: null },
  },
  // [Sun, 29 Nov 2026 18:55:19 +0000] 30738 vm 127.0.0.5 - PhabricatorConduitAPIController maniphest.search /api/maniphest.search - 200 18897
  {
    name: 'Conduit auth failure: method known, no user, HTTP 200',
    record: request({ clientIp: '127.0.0.5', controller: CONDUIT, conduitMethod: 'maniphest.search', path: '/api/maniphest.search', status: 200 }),
    expect: { kind: 'conduit', identity: null, auth: 'failed', outcome: 'auth_failure', status: 200, client_ip: '127.0.0.5', attribution: 'none' },
  },
  // [Sun, 29 Nov 2026 18:53:29 +0000] 30739 vm 127.0.0.5 - PhabricatorConduitAPIController - /api/no.such.method - 200 34580
  {
    name: 'Conduit call to an unknown method (%m is -): not an auth failure, method left null',
    record: request({ controller: CONDUIT, conduitMethod: null, path: '/api/no.such.method', status: 200 }),
    expect: { kind: 'conduit', outcome: 'ok', auth: 'none', conduit_method: null, route: '/api/no.such.method' },
  },
  {
    name: 'conduit.ping needs no authentication: no user is normal',
    record: request({ controller: CONDUIT, conduitMethod: 'conduit.ping', path: '/api/conduit.ping' }),
    expect: { kind: 'conduit', outcome: 'ok', auth: 'none' },
  },
  {
    name: 'a token seen in the query string: exact, and the identity is its registered owner',
    record: request({ family: 'web', method: 'GET', path: '/api/user.whoami', query: 'api.token=[api-xxxx…:00000000]', status: 200, userAgent: 'lab-conduit-client/1.0', host: null }),
    tokens: [BOB_API.seen],
    expect: { kind: 'conduit', identity: 'bob', auth: 'token', attribution: 'exact', token_id: BOB_API.seen.tokenId, token_type: 'api', outcome: 'ok', user_agent: 'lab-conduit-client/1.0' },
  },
  {
    name: 'an unregistered token seen: exact, but nobody to attribute it to',
    record: request({ family: 'web', method: 'GET', path: '/api/user.whoami', status: 200 }),
    tokens: [UNREGISTERED.seen],
    expect: { identity: null, auth: 'token', attribution: 'exact', token_id: UNREGISTERED.seen.tokenId },
  },
  {
    name: 'several tokens seen: the registered one is the one attributed',
    record: request({ family: 'web', method: 'GET', path: '/api/user.whoami', status: 200 }),
    tokens: [UNREGISTERED.seen, ERIN_API.seen],
    expect: { identity: 'erin', attribution: 'exact', token_id: ERIN_API.seen.tokenId },
  },
  {
    name: 'the logged user stays the identity even when the seen token belongs to someone else',
    record: request({ user: 'alice', controller: CONDUIT, conduitMethod: 'user.whoami', path: '/api/user.whoami' }),
    tokens: [BOB_API.seen],
    expect: { identity: 'alice', attribution: 'exact', token_id: BOB_API.seen.tokenId },
  },
  // [Sun, 29 Nov 2026 18:52:54 +0000] 30738 vm 127.0.0.5 - PhabricatorPlatform404Controller - /.env - 200 21095
  {
    name: 'anonymous request for a missing path: Phorge logs 200 from the 404 controller',
    record: request({ clientIp: '127.0.0.5', controller: 'PhabricatorPlatform404Controller', path: '/.env', status: 200 }),
    expect: { kind: 'http', outcome: 'not_found', auth: 'none', identity: null, route: '/.env', status: 200 },
  },
  // [Sun, 29 Nov 2026 18:53:42 +0000] 30739 vm 127.0.0.2 alice PhabricatorPlatform404Controller - /.env - 404 71629
  {
    name: 'the same path for a logged-in user is a 404',
    record: request({ user: 'alice', controller: 'PhabricatorPlatform404Controller', path: '/.env', status: 404 }),
    expect: { kind: 'http', outcome: 'not_found', auth: 'session', identity: 'alice' },
  },
  {
    name: 'a webserver 404',
    record: request({ family: 'web', method: 'GET', path: '/wp-login.php', status: 404 }),
    expect: { kind: 'http', outcome: 'not_found' },
  },
  // [Sun, 29 Nov 2026 18:53:09 +0000] 30739 vm 127.0.0.1 - PhabricatorAuthLoginController - /auth/login/password%3Aself/ - 200 133152
  {
    name: 'password login POST in Phorge\'s log: an attempt, success or failure cannot be told',
    record: request({ clientIp: '127.0.0.1', controller: 'PhabricatorAuthLoginController', path: '/auth/login/password:self/', status: 200 }),
    expect: { kind: 'login', outcome: 'login_attempt', auth: 'none', identity: null, route: '/auth/login/password:self/' },
  },
  // [Sun, 29 Nov 2026 18:53:09 +0000] 30738 vm 127.0.0.1 admin PhabricatorAuthValidateController - /auth/validate/ - 200 12059
  {
    name: '/auth/validate/ with a user is how a successful login shows in Phorge\'s log',
    record: request({ clientIp: '127.0.0.1', user: 'admin', controller: 'PhabricatorAuthValidateController', path: '/auth/validate/', status: 200 }),
    expect: { kind: 'login', outcome: 'login_success', auth: 'session', identity: 'admin' },
  },
  // [Sun, 29 Nov 2026 18:53:09 +0000] 30739 vm 127.0.0.1 admin PhabricatorAuthFinishController - /auth/finish/ - 200 17214
  {
    name: '/auth/finish/ is part of logging in, but only an ordinary success',
    record: request({ user: 'admin', controller: 'PhabricatorAuthFinishController', path: '/auth/finish/', status: 200 }),
    expect: { kind: 'login', outcome: 'ok', auth: 'session' },
  },
  {
    name: 'nginx: login POST answered with a redirect is a success',
    record: request({ family: 'web', method: 'POST', path: '/auth/login/password:self/', status: 302, bytesOut: 5 }),
    expect: { kind: 'login', outcome: 'login_success', bytes_out: 5, method: 'POST' },
  },
  {
    name: 'nginx: login POST answered with the form again (or "Slow Down!") is a failure',
    record: request({ family: 'web', method: 'POST', path: '/auth/login/password:self/', status: 200, bytesOut: 5912 }),
    expect: { kind: 'login', outcome: 'login_failure' },
  },
  {
    name: 'nginx: a GET of the login route is an ordinary request',
    record: request({ family: 'web', method: 'GET', path: '/auth/login/password:self/', status: 200 }),
    expect: { kind: 'login', outcome: 'ok' },
  },
  {
    name: 'nginx: rate-limited login POST (429 only exists in the webserver log)',
    record: request({ family: 'web', method: 'POST', path: '/auth/login/password:self/', status: 429 }),
    expect: { kind: 'login', outcome: 'rate_limited' },
  },
  {
    name: 'an OAuth provider\'s login route says nothing about a password',
    record: request({ family: 'web', method: 'POST', path: '/auth/login/github:github.com/', status: 302 }),
    expect: { kind: 'login', outcome: 'ok' },
  },
  {
    name: 'one-time login link (key already masked)',
    record: request({ controller: 'PhabricatorAuthOneTimeLoginController', path: '/login/once/welcome/2/[masked]/', status: 200 }),
    expect: { kind: 'login', route: '/login/once/{type}/{id}/{key}/', outcome: 'ok' },
  },
  {
    name: 'logout',
    record: request({ user: 'alice', controller: 'PhabricatorLogoutController', path: '/logout/', status: 200 }),
    expect: { kind: 'login', auth: 'session', outcome: 'ok' },
  },
  {
    name: 'git over HTTP, first round without credentials: 401',
    record: request({ family: 'web', method: 'GET', path: '/source/phorge.git/info/refs', query: 'service=git-upload-pack', status: 401, userAgent: 'git/2.39.5' }),
    expect: { kind: 'vcs', outcome: 'denied', auth: 'failed', repository: 'phorge', route: '/source/{repo}/info/refs' },
  },
  {
    name: 'git over HTTP with credentials: vcs auth; VCS passwords are not Conduit tokens, so nothing is inferred',
    record: request({ family: 'web', user: 'bob', method: 'POST', path: '/source/phorge.git/git-upload-pack', status: 200, userAgent: 'git/2.39.5' }),
    expect: { kind: 'vcs', outcome: 'ok', auth: 'vcs', identity: 'bob', attribution: 'none', token_id: null },
  },
  {
    name: 'Phorge log: VCS request refused to a valid user by policy (403 with %u set)',
    record: request({ user: 'alice', controller: 'DiffusionRepositoryDefaultController', path: '/diffusion/P/info/refs', status: 403 }),
    expect: { kind: 'vcs', outcome: 'denied', auth: 'vcs', repository: 'P' },
  },
  {
    name: 'Phorge log: bad VCS credentials (403, %u is -)',
    record: request({ controller: 'DiffusionRepositoryDefaultController', path: '/diffusion/P/git-receive-pack', status: 403 }),
    expect: { kind: 'vcs', outcome: 'denied', auth: 'failed' },
  },
  {
    name: 'Mercurial over HTTP is told by its cmd= query',
    record: request({ family: 'web', method: 'GET', path: '/diffusion/X/', query: 'cmd=capabilities', status: 200, userAgent: 'mercurial/proto-1.0' }),
    expect: { kind: 'vcs', repository: 'X' },
  },
  {
    name: 'browsing a repository in a browser is an ordinary request that names the repository',
    record: request({ user: 'alice', controller: 'DiffusionBrowseController', path: '/diffusion/P/browse/master/src/index.php', status: 200 }),
    expect: { kind: 'http', auth: 'session', repository: 'P', route: '/diffusion/{repo}/browse/{ref}/{path}', outcome: 'ok' },
  },
  {
    name: 'a session cookie replayed without CSRF: 500 with the cookie\'s user (reference section 9)',
    record: request({ user: 'alice', clientIp: '203.0.113.50', controller: 'ManiphestTaskEditController', path: '/maniphest/task/edit/5/', status: 500 }),
    expect: { kind: 'http', outcome: 'server_error', auth: 'session', identity: 'alice', route: '/maniphest/task/edit/{id}/' },
  },
  {
    name: 'a policy error on a page is 403',
    record: request({ family: 'web', method: 'GET', path: '/T5', status: 403 }),
    expect: { outcome: 'denied', route: '/T{id}', auth: 'none' },
  },
  {
    name: 'other 4xx is a client error',
    record: request({ family: 'web', method: 'GET', path: '/T5', status: 400 }),
    expect: { outcome: 'client_error' },
  },
  {
    name: 'a redirect that is not a login is ok',
    record: request({ family: 'web', method: 'GET', path: '/D12', status: 302 }),
    expect: { outcome: 'ok', kind: 'http' },
  },
  {
    name: 'a request line that was no request (a malformed line sent to the port)',
    record: request({ family: 'web', method: null, path: null, status: 400, malformedRequest: true }),
    expect: { kind: 'http', outcome: 'client_error', route: null, repository: null },
  },
  // [Sun, 29 Nov 2026 18:55:07 +0000] 5604 vm 127.0.0.5 root - alice bash bash -i 1 187039 - -
  {
    name: 'SSH: an interactive login attempt fails with exit 1',
    record: ssh({ systemUser: 'root', user: 'alice', workflow: 'bash', command: 'bash -i', exitCode: 1, durationMs: 187 }),
    expect: { kind: 'ssh', identity: 'alice', auth: 'ssh', outcome: 'failed', status: 1, controller: 'bash', path: 'bash -i', route: 'bash', duration_ms: 187 },
  },
  {
    name: 'SSH clone (exit code empty on success): ok, repository and request id',
    record: ssh({ user: 'alice', workflow: 'git-upload-pack', command: "git-upload-pack '/diffusion/P/'", exitCode: null, requestId: 'abcdefghijk2', bytesIn: 1187, bytesOut: 90321 }),
    expect: { kind: 'ssh', outcome: 'ok', auth: 'ssh', repository: 'P', route: 'git-upload-pack /diffusion/{repo}/', request_id: 'abcdefghijk2', bytes_in: 1187, bytes_out: 90321 },
  },
  {
    name: 'SSH: failure with no user',
    record: ssh({ user: null, workflow: null, command: null, exitCode: 1 }),
    expect: { kind: 'ssh', outcome: 'failed', auth: 'failed', identity: null, route: null },
  },
  // [29-Nov-2026 18:53:30 UTC] [2026-11-29 18:53:30] EXCEPTION: ... Webhook request ("PHID-HWBR-wzi57acnwfoyzjmnyd4j", to "http://127.0.0.1:9/") failed (http / 7). The request will be retried. ...
  {
    name: 'webhook delivery failed and will be retried (connection refused: cURL error 7)',
    record: daemon({
      category: 'webhook', logType: 'EXCEPTION', taskId: '55', exceptionClass: 'Exception',
      message: 'Webhook request ("PHID-HWBR-wzi57acnwfoyzjmnyd4j", to "http://127.0.0.1:9/") failed (http / 7). The request will be retried.',
      webhook: webhookFailure({ requestId: 'PHID-HWBR-wzi57acnwfoyzjmnyd4j', uri: 'http://127.0.0.1:9/', errorType: 'http', errorCode: '7', willRetry: true }),
    }),
    expect: { kind: 'webhook', outcome: 'retrying', request_id: 'PHID-HWBR-wzi57acnwfoyzjmnyd4j', webhook_id: null, target: 'http://127.0.0.1:9/', error_type: 'http', error_code: '7', host: 'phab01', identity: null, auth: 'none' },
  },
  // [29-Nov-2026 18:59:56 UTC] [2026-11-29 18:59:56] EXCEPTION: (Exception) Task "75" encountered a permanent failure ... Associated hook ("PHID-HWBH-nmlhacmsv66mobzmj722") for webhook request ("PHID-HWBR-c77ykymyhvcjst7bfcsz") is disabled. ...
  {
    name: 'webhook permanent failure (hook disabled) names the hook',
    record: daemon({
      category: 'webhook', logType: 'EXCEPTION', taskId: '75', exceptionClass: 'PhabricatorWorkerPermanentFailureException',
      message: 'Associated hook ("PHID-HWBH-nmlhacmsv66mobzmj722") for webhook request ("PHID-HWBR-c77ykymyhvcjst7bfcsz") is disabled.',
      webhook: webhookFailure({ requestId: 'PHID-HWBR-c77ykymyhvcjst7bfcsz', hookId: 'PHID-HWBH-nmlhacmsv66mobzmj722', errorType: 'hook', errorCode: 'disabled', willRetry: false }),
    }),
    expect: { kind: 'webhook', outcome: 'failed', request_id: 'PHID-HWBR-c77ykymyhvcjst7bfcsz', webhook_id: 'PHID-HWBH-nmlhacmsv66mobzmj722', error_type: 'hook', error_code: 'disabled' },
  },
  {
    name: 'another task failure: daemon, failed, exception class and task id',
    record: daemon({ category: 'failure', logType: 'EXCEPTION', taskId: '81', exceptionClass: 'PhabricatorWorkerPermanentFailureException', message: 'Task "81" encountered a permanent failure and was cancelled.' }),
    expect: { kind: 'daemon', outcome: 'failed', error_type: 'PhabricatorWorkerPermanentFailureException', request_id: '81', error_code: null },
  },
  // [29-Nov-2026 18:50:57 UTC] 2026-11-29 6:50:57 PM [OVER] Started new daemon overseer (with PID "32368").
  {
    name: 'overseer message: daemon, ok',
    record: daemon({ category: 'info', logType: 'OVER', message: 'Started new daemon overseer (with PID "32368").' }),
    expect: { kind: 'daemon', outcome: 'ok', message: 'Started new daemon overseer (with PID "32368").', error_type: null },
  },
];

describe('EventBuilder: records to events', () => {
  const builder = new EventBuilder(REGISTRY);
  for (const c of CASES) {
    it(c.name, () => {
      const event = builder.build(c.record, c.tokens ?? [], LOC);
      const picked = Object.fromEntries(Object.keys(c.expect).map((k) => [k, event[k as keyof PhabEvent]]));
      assert.deepEqual(picked, c.expect);
      // Every event carries its line's location and exactly the store's columns.
      assert.deepEqual(Object.keys(event), [...EVENT_COLUMNS]);
      assert.equal(event.source, 'phorge-access');
      assert.equal(event.file_id, 7);
      assert.equal(event.offset, 4096);
      assert.equal(event.raw, 'the masked line');
      assert.equal(event.ts, c.record.ts);
    });
  }
});

describe('EventBuilder details', () => {
  it('uses a registry swapped in while running', () => {
    const builder = new EventBuilder(new TokenRegistry([], [], []));
    const record = request({ user: 'bob', controller: CONDUIT, conduitMethod: 'user.whoami', path: '/api/user.whoami' });
    assert.equal(builder.build(record, [], LOC).attribution, 'none');
    builder.setRegistry(REGISTRY);
    assert.deepEqual(
      [builder.build(record, [], LOC).attribution, builder.build(record, [], LOC).token_id],
      ['inferred', BOB_API.info.tokenId],
    );
  });

  it('infers by the line\'s own time: a token that expired later was live then', () => {
    const builder = new EventBuilder(REGISTRY);
    const record = request({ ts: T0 - 2 * HOUR, user: 'carol', controller: CONDUIT, conduitMethod: 'user.whoami', path: '/api/user.whoami' });
    assert.equal(builder.build(record, [], LOC).token_id, CAROL_OLD.info.tokenId);
  });

  it('shortens long daemon messages', () => {
    const builder = new EventBuilder(REGISTRY);
    const event = builder.build(daemon({ category: 'failure', message: 'x'.repeat(5000) }), [], LOC);
    assert.equal(event.message!.length, MAX_MESSAGE_CHARS);
    assert.ok(event.message!.endsWith('…'));
  });

  it('gives the same route for the same path every time (memoized)', () => {
    const builder = new EventBuilder(REGISTRY);
    const routes = new Set<string | null>();
    for (let i = 0; i < 3; i++) routes.add(builder.build(request({ path: '/D12' }), [], LOC).route);
    assert.deepEqual([...routes], ['/D{id}']);
  });
});

describe('TokenRegistry', () => {
  it('looks tokens up by fingerprint', () => {
    assert.equal(REGISTRY.lookup(BOB_API.seen.tokenId)?.owner, 'bob');
    assert.equal(REGISTRY.lookup(UNREGISTERED.seen.tokenId), undefined);
    assert.equal(REGISTRY.size, 7);
  });

  it('knows bots from the registry and from the config, case-insensitively', () => {
    assert.equal(REGISTRY.isBot('ci-bot'), true);
    assert.equal(REGISTRY.isBot('erin'), true);
    assert.equal(REGISTRY.isBot('Erin'), true);
    assert.equal(REGISTRY.isBot('alice'), false);
    assert.equal(REGISTRY.identity('ALICE')?.isAdmin, true);
  });

  it('infers only when exactly one live token fits', () => {
    assert.equal(REGISTRY.inferToken('alice', null, T0), null, 'two live tokens');
    assert.equal(REGISTRY.inferToken('alice', 'api', T0)?.tokenId, ALICE_API.info.tokenId);
    assert.equal(REGISTRY.inferToken('alice', 'cli', T0)?.tokenId, ALICE_CLI.info.tokenId);
    assert.equal(REGISTRY.inferToken('alice', 'clr', T0), null);
    assert.equal(REGISTRY.inferToken('carol', null, T0), null, 'expired');
    assert.equal(REGISTRY.inferToken('carol', null, T0 - HOUR - 1)?.tokenId, CAROL_OLD.info.tokenId, 'live just before expiry');
    assert.equal(REGISTRY.inferToken('carol', null, T0 - HOUR), null, 'expired at the exact expiry time');
    assert.equal(REGISTRY.inferToken('dave', null, T0), null, 'disabled');
    assert.equal(REGISTRY.inferToken('nobody', null, T0), null);
  });

  it('an identity marked disabled hides tokens whose own row says otherwise', () => {
    const token = registered('api', 'frank', 'frank');
    const registry = new TokenRegistry([token.info], [identityInfo({ username: 'frank', isDisabled: true })], []);
    assert.equal(registry.inferToken('frank', null, T0), null);
  });
});
