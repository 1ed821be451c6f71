// Registry exports in the three formats, and the errors a person fixing an export needs: line, field, and
// never the token itself (not in rows, identities, errors or thrown messages).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseRegistryFile, type RegistryFile } from '../../src/attribution/registryFile.js';
import { fingerprintToken, tokenHint } from '../../src/attribution/tokenFingerprint.js';
import { fakeToken, fixturePath, TEST_KEY } from './helpers.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const HEADER = 'token\ttokenType\ttokenName\texpires\tobjectPHID\tuserName\tisSystemAgent\tisAdmin\tisDisabled';

/** Fails when any raw token, or a 12-character run of one's secret part, shows up anywhere in the result. */
function assertNoRawToken(result: RegistryFile, raws: string[]): void {
  const text = JSON.stringify(result);
  for (const raw of raws) {
    assert.ok(!text.includes(raw), 'raw token in the result');
    assert.ok(!text.includes(raw.slice(8, 20)), 'part of a raw token in the result');
  }
}

function parseFixture(name: string): { result: RegistryFile; text: string } {
  const text = readFileSync(fixturePath(name), 'utf8');
  return { result: parseRegistryFile(text, fixturePath(name), TEST_KEY, NOW), text };
}

function rawTokensIn(text: string): string[] {
  return [...text.matchAll(/(?:api|cli|clr)-[a-z2-7]{28}/g)].map((m) => m[0]);
}

describe('parseRegistryFile: mysql -B output', () => {
  const { result, text } = parseFixture('registry.tsv');
  const raws = rawTokensIn(text);

  it('reads every row, fingerprinting each token with the key', () => {
    assert.equal(result.format, 'tsv');
    assert.deepEqual(result.errors, []);
    assert.equal(result.tokens.length, 5);
    assert.deepEqual(result.tokens.map((t) => t.tokenId), raws.map((raw) => fingerprintToken(TEST_KEY, raw)));
    assert.deepEqual(result.tokens.map((t) => t.hint), raws.map(tokenHint));
  });

  it('turns NULL into null, epoch seconds into ms, and 0/1 into booleans', () => {
    const [aliceApi, aliceCli, , cluster, mallory] = result.tokens;
    assert.deepEqual(
      { ...aliceApi, tokenId: undefined, hint: undefined },
      {
        tokenId: undefined, hint: undefined, type: 'api', name: 'Standard API Token', owner: 'alice',
        ownerPhid: 'PHID-USER-aliceaaaaaaaaaaaaaaa', expiresAt: null, isBot: false, isAdmin: true, isDisabled: false,
      },
    );
    assert.equal(aliceCli!.expiresAt, 1764441600 * 1000);
    // A cluster token whose owner is no user: the LEFT JOIN gave NULL flags, which is not an error.
    assert.equal(cluster!.owner, null);
    assert.equal(cluster!.name, null);
    assert.equal(cluster!.isBot, false);
    assert.equal(mallory!.isDisabled, true);
  });

  it('undoes mysql -B escapes (\\t \\\\ \\n) in values', () => {
    assert.equal(result.tokens[2]!.name, 'CI\tbuild\\token\nsecond line');
    assert.equal(result.tokens[2]!.isBot, true);
  });

  it('makes one identity per user', () => {
    assert.deepEqual(result.identities, [
      { username: 'alice', phid: 'PHID-USER-aliceaaaaaaaaaaaaaaa', isBot: false, isAdmin: true, isDisabled: false },
      { username: 'ci-bot', phid: 'PHID-USER-cibotbbbbbbbbbbbbbbb', isBot: true, isAdmin: false, isDisabled: false },
      { username: 'mallory', phid: 'PHID-USER-mallorydddddddddddd', isBot: false, isAdmin: false, isDisabled: true },
    ]);
  });

  it('keeps no raw token', () => assertNoRawToken(result, raws));
});

describe('parseRegistryFile: CSV', () => {
  const { result, text } = parseFixture('registry.csv');

  it('handles quoted commas, doubled quotes, newlines in quotes, CRLF and empty/NULL values', () => {
    assert.equal(result.format, 'csv');
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.tokens.map((t) => t.name), ['Deploy, "prod"', 'two\r\nlines', null]);
    assert.deepEqual(result.tokens.map((t) => t.expiresAt), [null, null, 4102444800 * 1000]);
    assert.deepEqual(result.tokens.map((t) => t.owner), ['bob', 'bob', 'carol']);
    assert.deepEqual(result.identities.map((i) => i.username), ['bob', 'carol']);
  });

  it('keeps no raw token', () => assertNoRawToken(result, rawTokensIn(text)));
});

describe('parseRegistryFile: JSON', () => {
  const { result, text } = parseFixture('registry.json');

  it('accepts numbers, strings and booleans for the same fields', () => {
    assert.equal(result.format, 'json');
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.tokens.map((t) => [t.type, t.expiresAt, t.isAdmin, t.isDisabled]), [
      ['api', null, true, false],
      ['cli', 1764441600 * 1000, true, false],
    ]);
    assert.equal(result.identities.length, 1);
  });

  it('keeps no raw token', () => assertNoRawToken(result, rawTokensIn(text)));

  it('an empty array is an empty registry', () => {
    assert.deepEqual(parseRegistryFile('[]', 'r.json', TEST_KEY, NOW), { format: 'json', tokens: [], identities: [], errors: [] });
  });
});

describe('parseRegistryFile: errors name the line and field, never the token', () => {
  const good = fakeToken('api', 'good');
  const line = (fields: string[]): string => fields.join('\t');
  const row = (token: string, overrides: Partial<Record<'type' | 'expires' | 'admin', string>> = {}): string =>
    line([token, overrides.type ?? token.slice(0, 3), 'n', overrides.expires ?? 'NULL', 'PHID-USER-x', 'alice', '0', overrides.admin ?? '0', '0']);

  const cases: [string, string, number, RegExp][] = [
    ['a 31-character token', row(fakeToken('api', 'short').slice(0, 31)), 3, /token has 31 characters, expected 32/],
    ['an unknown prefix', row(`xyz-${fakeToken('api', 'prefix').slice(4)}`, { type: 'api' }), 3, /token does not start with api-, cli- or clr-/],
    ['characters outside base32', row(`api-${'0'.repeat(28)}`), 3, /token has characters outside a-z and 2-7/],
    ['a type that contradicts the prefix', row(fakeToken('cli', 'mismatch'), { type: 'api' }), 3, /tokenType "api" does not match the token's prefix "cli-"/],
    ['a bad boolean', row(fakeToken('api', 'bool'), { admin: 'yes' }), 3, /isAdmin: expected 0 or 1, got "yes"/],
    ['a token in the expires column', row(fakeToken('api', 'col'), { expires: fakeToken('api', 'leak') }), 3, /expires: expected epoch seconds or NULL, got a value of 32 characters/],
  ];
  for (const [name, badRow, expectedLine, message] of cases) {
    it(name, () => {
      const text = [HEADER, row(good), badRow, ''].join('\n');
      const result = parseRegistryFile(text, 'export.tsv', TEST_KEY, NOW);
      assert.equal(result.tokens.length, 1, 'the good row is kept, the bad one dropped');
      assert.equal(result.errors.length, 1, JSON.stringify(result.errors));
      assert.equal(result.errors[0]!.line, expectedLine);
      assert.equal(result.errors[0]!.severity, 'error');
      assert.match(result.errors[0]!.message, message);
      assertNoRawToken(result, rawTokensIn(text));
    });
  }

  it('a row with the wrong number of fields', () => {
    const text = [HEADER, row(good), `${good.replace('api-', 'cli-')}\tcli\tonly three`].join('\n');
    const result = parseRegistryFile(text, 'export.tsv', TEST_KEY, NOW);
    assert.deepEqual(result.errors.map((e) => [e.line, e.severity]), [[3, 'error']]);
    assert.match(result.errors[0]!.message, /^3 fields, expected 9/);
    assertNoRawToken(result, rawTokensIn(text));
  });

  it('a missing column names the likely intended one', () => {
    const text = [HEADER.replace('tokenType', 'tokentype'), row(good)].join('\n');
    const result = parseRegistryFile(text, 'export.tsv', TEST_KEY, NOW);
    assert.equal(result.tokens.length, 0);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]!.message, /missing column "tokenType"; found "tokentype": did you mean "tokenType"\?/);
  });

  it('a missing column with nothing like it lists the expected columns', () => {
    const text = [HEADER.replace('\tisDisabled', ''), row(good).replace(/\t0$/, '')].join('\n');
    const result = parseRegistryFile(text, 'export.tsv', TEST_KEY, NOW);
    assert.match(result.errors[0]!.message, /missing column "isDisabled" \(expected columns: token, tokenType/);
  });

  it('an unknown column is ignored with a warning', () => {
    const text = [`${HEADER}\tdateCreated`, `${row(good)}\t1700000000`].join('\n');
    const result = parseRegistryFile(text, 'export.tsv', TEST_KEY, NOW);
    assert.equal(result.tokens.length, 1);
    assert.deepEqual(result.errors, [{ line: 1, severity: 'warning', message: 'unknown column "dateCreated" ignored' }]);
  });

  it('an export without its header line (mysql -N) is refused without quoting the token', () => {
    const text = [row(good), row(fakeToken('api', 'second'))].join('\n');
    const result = parseRegistryFile(text, 'export.tsv', TEST_KEY, NOW);
    assert.equal(result.tokens.length, 0);
    assert.match(result.errors[0]!.message, /first line holds data where the column names should be/);
    assertNoRawToken(result, rawTokensIn(text));
  });

  it('the same token twice is kept once, with a warning pointing at the first', () => {
    const text = [HEADER, row(good), row(good)].join('\n');
    const result = parseRegistryFile(text, 'export.tsv', TEST_KEY, NOW);
    assert.equal(result.tokens.length, 1);
    assert.deepEqual(result.errors, [{ line: 3, severity: 'warning', message: 'the same token as line 2; this row is ignored' }]);
  });

  it('expires written in milliseconds is read as milliseconds, with a warning', () => {
    const ms = Date.UTC(2027, 0, 1);
    const text = [HEADER, row(good, { expires: String(ms) })].join('\n');
    const result = parseRegistryFile(text, 'export.tsv', TEST_KEY, NOW);
    assert.equal(result.tokens[0]!.expiresAt, ms);
    assert.equal(result.errors[0]!.severity, 'warning');
  });

  it('CSV: an unclosed quote reports the line it opened on', () => {
    const csv = `${HEADER.replaceAll('\t', ',')}\n${good},api,"never closed,NULL,PHID-USER-x,alice,0,0,0\n`;
    const result = parseRegistryFile(csv, 'export.csv', TEST_KEY, NOW);
    assert.deepEqual(result.errors.map((e) => [e.line, e.message]), [[2, 'a quoted field is never closed']]);
    assertNoRawToken(result, [good]);
  });

  it('JSON: a syntax error gives line and column and no excerpt of the text', () => {
    const json = `[\n  {"token": "${good}", "tokenType": "api" "expires": null}\n]`;
    const result = parseRegistryFile(json, 'export.json', TEST_KEY, NOW);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]!.message, /^invalid JSON at line 2, column \d+$/);
    assert.equal(result.errors[0]!.line, 2);
    assertNoRawToken(result, [good]);
  });

  it('JSON: errors carry the line of the object', () => {
    const json = `[\n  {"token": "${good}", "tokenType": "api", "tokenName": null, "expires": null, "objectPHID": null,\n   "userName": "a", "isSystemAgent": 0, "isAdmin": 0, "isDisabled": 0},\n  {"token": "short", "tokenType": "api", "tokenName": null, "expires": null, "objectPHID": null, "userName": "a", "isSystemAgent": 0, "isAdmin": 0, "isDisabled": 0}\n]`;
    const result = parseRegistryFile(json, 'export.json', TEST_KEY, NOW);
    assert.equal(result.tokens.length, 1);
    assert.deepEqual(result.errors.map((e) => [e.line, e.message]), [[4, 'token has 5 characters, expected 32']]);
  });

  it('JSON: something other than an array is refused', () => {
    const result = parseRegistryFile('{"tokens": []}', 'export.json', TEST_KEY, NOW);
    assert.match(result.errors[0]!.message, /expected a JSON array of objects/);
  });
});
