// The scrubber against annotated fixture lines (test/fixtures/attribution/scrub-lines.txt): each line sits
// under a `# scrub:` expectation. Whatever the line, the masked text must never hold a secret, must keep
// its shape for the parsers (no quotes/spaces/tabs added), and scrubbing it again must change nothing.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SECRET_MASK, SecretScrubber } from '../../src/attribution/secretScrubber.js';
import { fingerprintToken, TOKEN_PATTERN, tokenHint, tokenTypeOf } from '../../src/attribution/tokenFingerprint.js';
import { fakeToken, fixturePath, TEST_KEY } from './helpers.js';

interface Expectation {
  masked: number;
  tokens: string[];
  secrets?: string[];
  present?: string[];
  unchanged?: boolean;
}

interface Case {
  comment: string;
  expect: Expectation;
  line: string;
}

function loadCases(): Case[] {
  const cases: Case[] = [];
  let comment = '';
  let expectation: Expectation | null = null;
  for (const line of readFileSync(fixturePath('scrub-lines.txt'), 'utf8').split('\n')) {
    if (line.startsWith('# scrub: ')) expectation = JSON.parse(line.slice('# scrub: '.length)) as Expectation;
    else if (line.startsWith('# ')) comment = line.slice(2);
    else if (line.length > 0 && expectation !== null) {
      cases.push({ comment, expect: expectation, line });
      expectation = null;
    }
  }
  return cases;
}

// Every fake token used in the fixtures; none may survive in any masked line.
const FIXTURE_TOKENS = [
  'api-ujzdegxdncf32epf3dhodzdocis2', 'api-jhtlgmxgedn73u55xtplpft7v4se', 'cli-h2kvj72ceuvw75efr6edt4sywb5w',
  'clr-kh7dnsipzz7fk4zri3r2wyojfljo', 'api-oa7lqsaj2xuid5zzzzg6zdmen4kh',
];

const count = (text: string, ch: string): number => text.split(ch).length - 1;

describe('SecretScrubber on annotated fixture lines', () => {
  const scrubber = new SecretScrubber(TEST_KEY);
  const cases = loadCases();

  it('has the fixture lines', () => {
    assert.ok(cases.length >= 20, `only ${cases.length} cases read`);
  });

  for (const c of cases) {
    it(c.comment, () => {
      const result = scrubber.scrub(c.line);
      assert.equal(result.masked, c.expect.masked, `masked count for: ${result.line}`);
      assert.deepEqual(result.tokens.map((t) => t.hint), c.expect.tokens);
      for (const secret of [...FIXTURE_TOKENS, ...(c.expect.secrets ?? [])]) {
        assert.ok(!result.line.includes(secret), `secret survived in: ${result.line}`);
      }
      for (const part of c.expect.present ?? []) {
        assert.ok(result.line.includes(part), `expected ${JSON.stringify(part)} in: ${result.line}`);
      }
      if (c.expect.unchanged) assert.equal(result.line, c.line);
      // A mask adds no field separators, so the line still parses with its format.
      for (const ch of [' ', '\t', '"']) assert.equal(count(result.line, ch), count(c.line, ch), `count of ${JSON.stringify(ch)}`);
      // Scrubbing is idempotent: samples of already-masked lines get scrubbed again downstream.
      const again = scrubber.scrub(result.line);
      assert.deepEqual(again, { line: result.line, tokens: [], masked: 0 });
    });
  }
});

describe('SecretScrubber details', () => {
  const scrubber = new SecretScrubber(TEST_KEY);

  it('reports each token once with its fingerprint, type and hint, and shows the fingerprint in the mask', () => {
    const api = fakeToken('api', 'one');
    const cli = fakeToken('cli', 'two');
    const result = scrubber.scrub(`GET /api/x?api.token=${api}&b=${cli}&c=${api} HTTP/1.1`);
    const apiId = fingerprintToken(TEST_KEY, api);
    assert.deepEqual(result.tokens, [
      { tokenId: apiId, type: 'api', hint: tokenHint(api) },
      { tokenId: fingerprintToken(TEST_KEY, cli), type: 'cli', hint: tokenHint(cli) },
    ]);
    assert.equal(result.masked, 3);
    assert.ok(result.line.includes(`api.token=[${api.slice(0, 8)}…:${apiId.slice(0, 8)}]&b=`), result.line);
  });

  it('finds a token at the very start and end of a line', () => {
    const api = fakeToken('api', 'edges');
    const result = scrubber.scrub(`${api} ${api}`);
    assert.equal(result.masked, 2);
    assert.ok(!result.line.includes(api));
  });

  it('masks one-time login keys whatever the link type', () => {
    const result = scrubber.scrub('GET /login/once/recover/15/abc/ HTTP/1.1');
    assert.equal(result.line, `GET /login/once/recover/15/${SECRET_MASK}/ HTTP/1.1`);
  });

  it('leaves empty secret parameters alone (nothing to hide, nothing counted)', () => {
    const result = scrubber.scrub('GET /x?token=&password= HTTP/1.1');
    assert.equal(result.masked, 0);
    assert.equal(result.line, 'GET /x?token=&password= HTTP/1.1');
  });

  it('does not mistake a word ending in a secret name for the parameter', () => {
    const line = 'GET /x?mytoken=visible&bypass=visible2 HTTP/1.1';
    assert.deepEqual(scrubber.scrub(line), { line, tokens: [], masked: 0 });
  });

  it('returns a line without any trigger as it is', () => {
    const line = '[Sun, 29 Nov 2026 18:52:54 +0000]\t30738\tvm\t127.0.0.5\t-\tPhabricatorPlatform404Controller\t-\t/.env\t-\t200\t21095';
    const result = scrubber.scrub(line);
    assert.equal(result.line, line);
    assert.equal(result.masked, 0);
    assert.deepEqual(result.tokens, []);
  });
});

describe('token fingerprints', () => {
  const raw = fakeToken('api', 'fingerprint');

  it('are 16 hex characters, stable for one key and different across keys', () => {
    const id = fingerprintToken(TEST_KEY, raw);
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.equal(fingerprintToken(Buffer.from(TEST_KEY), raw), id);
    assert.notEqual(fingerprintToken(Buffer.from('another installation key'), raw), id);
    assert.notEqual(fingerprintToken(TEST_KEY, fakeToken('api', 'other')), id);
  });

  it('scrubbers with different keys give different ids for the same token', () => {
    const a = new SecretScrubber(TEST_KEY).scrub(`?api.token=${raw}`).tokens[0]!;
    const b = new SecretScrubber(Buffer.from('k2')).scrub(`?api.token=${raw}`).tokens[0]!;
    assert.notEqual(a.tokenId, b.tokenId);
    assert.equal(a.hint, b.hint);
  });

  it('hint is the first 8 characters and an ellipsis, as Phabricator shows tokens', () => {
    assert.equal(tokenHint(raw), `${raw.slice(0, 8)}…`);
    assert.equal(tokenHint('api-abcdefghijklmnopqrstuvwxyz23'), 'api-abcd…');
  });

  it('tokenTypeOf knows the three types and rejects look-alikes', () => {
    assert.equal(tokenTypeOf(fakeToken('api', 'a')), 'api');
    assert.equal(tokenTypeOf(fakeToken('cli', 'a')), 'cli');
    assert.equal(tokenTypeOf(fakeToken('clr', 'a')), 'clr');
    assert.equal(tokenTypeOf(`${fakeToken('api', 'a')}x`), null);
    assert.equal(tokenTypeOf(fakeToken('api', 'a').slice(0, 31)), null);
    assert.equal(tokenTypeOf('xyz-abcdefghijklmnopqrstuvwxyz23'), null);
    assert.equal(tokenTypeOf('api-abcdefghijklmnopqrstuvwxy019'), null);
  });

  it('TOKEN_PATTERN matches a token standing alone in text and nothing longer', () => {
    assert.ok(TOKEN_PATTERN.test(`token ${raw} here`));
    assert.ok(!TOKEN_PATTERN.test(`token ${raw}a here`));
    assert.ok(!TOKEN_PATTERN.test(`token x${raw} here`));
  });
});
