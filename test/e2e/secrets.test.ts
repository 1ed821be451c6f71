// No raw token, password or one-time login key reaches the store, the agent's logs or any command output.
// Lines carry fake tokens in query strings, referrers, url-encoded JSON, garbage and oversized lines; every
// command is run, and everything written (stdout, stderr, the database and its WAL) is searched.

import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, startAgent, tempDir, waitFor, type CliResult } from '../support/cli.js';

const dir = tempDir('secrets');
after(() => dir.remove());

// Fake tokens in Phabricator's exact shape (32 characters, a-z2-7 after the prefix).
const TOKENS = [
  'api-7xq2fhk3mzt5wv4l6yb2nd3rjpe5', 'cli-ab2cd3ef4gh5ij6kl7mn2op3qr4s', 'clr-zz2yy3xx4ww5vv6uu7tt2ss3rr4q',
  'api-qqqqrrrrsssstttt2222333344445',
].map((t) => t.slice(0, 32));
const OTHER_SECRETS = ['hunter2-Secret-Pass', 'Onet1meL0ginKeyABCDEFG', 'S3ssionCookieValueXYZ'];

const clf = (s: number): string => `24/Nov/2026:15:00:${String(s).padStart(2, '0')} +0000`;
const NGINX_LINES = [
  `203.0.113.9 - - [${clf(1)}] "GET /api/user.whoami?api.token=${TOKENS[0]} HTTP/1.1" 200 419 "-" "lab-conduit-client/1.0"`,
  `203.0.113.9 - - [${clf(2)}] "POST /api/differential.query?params=%7B%22__conduit__%22%3A%7B%22token%22%3A%22${TOKENS[1]}%22%7D%7D HTTP/1.1" 200 99 "-" "curl/8"`,
  `203.0.113.9 - - [${clf(3)}] "GET /D123 HTTP/1.1" 200 5120 "https://phab.example.com/api/x?api.token=${TOKENS[2]}" "Mozilla/5.0"`,
  `203.0.113.9 - - [${clf(4)}] "GET /login/once/reset/12/${OTHER_SECRETS[1]}/ HTTP/1.1" 200 10 "-" "Mozilla/5.0"`,
  `203.0.113.9 - - [${clf(5)}] "GET /auth/login/x?password=${OTHER_SECRETS[0]}&phsid=${OTHER_SECRETS[2]} HTTP/1.1" 400 10 "-" "Mozilla/5.0"`,
  // Garbage that carries a token: rejected, with a masked sample.
  `this is not an access line api.token=${TOKENS[3]} at all`,
  // An oversized line whose first bytes hold a token (a cut sample must not leak a token prefix either).
  `203.0.113.9 - - [${clf(6)}] "GET /api/x?api.token=${TOKENS[3]}&pad=${'x'.repeat(70_000)} HTTP/1.1" 200 1 "-" "-"`,
];

function assertClean(where: string, text: string): void {
  for (const token of TOKENS) {
    assert.ok(!text.includes(token), `${where} contains a raw token`);
    assert.ok(!text.includes(token.slice(4, 24)), `${where} contains a large part of a raw token`);
  }
  for (const secret of OTHER_SECRETS) assert.ok(!text.includes(secret), `${where} contains a secret`);
}

test('no raw token or secret reaches the store, logs or output of any command', { timeout: 90_000 }, async () => {
  const log = dir.file('nginx.log', `${NGINX_LINES.join('\n')}\n`);
  const db = join(dir.path, 'store.db');
  const registry = dir.file('tokens.tsv', [
    'token\ttokenType\ttokenName\texpires\tobjectPHID\tuserName\tisSystemAgent\tisAdmin\tisDisabled',
    `${TOKENS[0]}\tapi\tCI\tNULL\tPHID-USER-aaaaaaaaaaaaaaaaaaaa\tci-bot\t1\t0\t0`,
    `${TOKENS[1]}\tcli\tarc\tNULL\tPHID-USER-bbbbbbbbbbbbbbbbbbbb\talice\t0\t0\t0`,
    'api-short\tapi\tbroken\tNULL\tPHID-USER-cccccccccccccccccccc\tbob\t0\t0\t0',
  ].join('\n'));
  const config = dir.file('phabwatch.yaml', [
    `store: { path: ${db} }`,
    'sources:',
    `  - { name: web, type: nginx, path: ${log}, poll_interval: 50ms }`,
    'identities: { registry: ./tokens.tsv }',
    'log: { level: debug }',
  ].join('\n'));

  const outputs: [string, CliResult | { stdout: string; stderr: string }][] = [];
  const imported = runCli(['tokens', 'import', '--config', config, registry]);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stderr, /tokens\.tsv:4: .*token/i, 'a bad registry row is reported by line');
  outputs.push(['tokens import', imported]);
  outputs.push(['replay', runCli(['replay', '--config', config, '--json'])]);

  // Live: the agent tails new lines with tokens too, with debug logging on.
  const agent = startAgent(['run', '--config', config]);
  appendFileSync(log, `203.0.113.10 - - [${clf(9)}] "GET /api/conduit.ping?api.token=${TOKENS[0]} HTTP/1.1" 200 1 "-" "-"\n`);
  const count = (): number => {
    const store = new Database(db, { readonly: true });
    try {
      return (store.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      store.close();
    }
  };
  try {
    await waitFor(() => count() === 6, 20_000, 'the live line');
  } finally {
    agent.child.kill('SIGTERM');
  }
  assert.equal(await agent.exited, 0);
  outputs.push(['run', agent.output()]);
  for (const table of ['events', 'rejects', 'tokens', 'identities', 'checkpoints', 'meta']) {
    outputs.push([`query ${table}`, runCli(['query', '--config', config, '--json', `SELECT * FROM ${table}`])]);
  }
  outputs.push(['doctor', runCli(['doctor', '--config', config])]);

  for (const [name, out] of outputs) {
    assertClean(`${name} stdout`, out.stdout);
    assertClean(`${name} stderr`, out.stderr);
  }
  for (const file of readdirSync(dir.path).filter((f) => f.startsWith('store.db'))) {
    assertClean(`database file ${file}`, readFileSync(join(dir.path, file)).toString('latin1'));
  }

  // The masking is useful, not just destructive: tokens are fingerprinted, attributed and hinted.
  const store = new Database(db, { readonly: true });
  try {
    const first = store.prepare("SELECT e.token_id, e.token_type, e.identity, e.attribution, e.raw, t.hint, t.in_registry FROM events e JOIN tokens t USING (token_id) WHERE e.offset = 0").get() as Record<string, unknown>;
    assert.equal(first.token_type, 'api');
    assert.equal(first.identity, 'ci-bot', 'the registry names the owner of a token seen in the line');
    assert.equal(first.attribution, 'exact');
    assert.equal(first.hint, `${TOKENS[0]!.slice(0, 8)}…`);
    assert.equal(first.in_registry, 1);
    assert.match(String(first.raw), /api\.token=\[api-7xq2…:[0-9a-f]{8}\]/);
    const seen = store.prepare('SELECT count(DISTINCT token_id) AS n FROM events WHERE token_id IS NOT NULL').get() as { n: number };
    assert.equal(seen.n, 3, 'the query-string, url-encoded JSON and referrer tokens are all recognised');
    const rejected = store.prepare('SELECT reason, sample FROM rejects ORDER BY offset').all() as { reason: string; sample: string }[];
    assert.deepEqual(rejected.map((r) => r.reason), ['format_mismatch', 'oversized']);
  } finally {
    store.close();
  }
});
