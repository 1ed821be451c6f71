// Runs every annotated fixture under test/fixtures/parsers/<source type>/*.log through createParser.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SOURCE_TYPES, type SourceType } from '../../src/config/types.js';
import { createParser, isFormatError } from '../../src/parsers/index.js';
import type { LineParser, ParseResult } from '../../src/parsers/types.js';
import { readFixtureCases, type FixtureCase } from './fixtureFile.js';
import { fixturesDir } from './testPaths.js';

function parserFor(type: SourceType, c: FixtureCase, cache: Map<string, LineParser>): LineParser {
  const key = `${c.format ?? ''}\u0000${c.timezone}`;
  let parser = cache.get(key);
  if (parser === undefined) {
    const created = createParser({ type, format: c.format, timezone: c.timezone });
    if (isFormatError(created)) assert.fail(`${c.file}:${c.lineNumber}: format rejected: ${created.message}`);
    parser = created;
    cache.set(key, parser);
  }
  return parser;
}

/** Checks `actual` against the expected subset; `ts` is compared as an instant. */
function checkFields(where: string, actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key];
    if (key === 'ts') {
      assert.equal(typeof want, 'string', `${where}: ts must be written as an ISO 8601 string`);
      assert.equal(got, Date.parse(want as string), `${where}: ts is ${new Date(got as number).toISOString()}, expected ${String(want)}`);
    } else if (want !== null && typeof want === 'object') {
      assert.ok(got !== null && typeof got === 'object', `${where}: ${key} is ${JSON.stringify(got)}, expected an object`);
      checkFields(`${where} ${key}`, got as Record<string, unknown>, want as Record<string, unknown>);
    } else {
      assert.deepEqual(got, want, `${where}: ${key} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  }
}

function checkCase(parser: LineParser, c: FixtureCase): void {
  const where = `${c.file}:${c.lineNumber}`;
  const { continuation, reject, detail, ...fields } = c.expect;
  if (continuation !== undefined) {
    assert.ok(parser.isContinuation !== undefined, `${where}: this parser has no isContinuation`);
    assert.equal(parser.isContinuation(c.line), continuation, `${where}: isContinuation`);
    if (reject === undefined && Object.keys(fields).length === 0) return;
  }
  const result: ParseResult = parser.parse(c.line);
  if (reject !== undefined) {
    assert.equal(result.ok, false, `${where}: expected a ${String(reject)} rejection, the line parsed`);
    if (result.ok) return;
    assert.equal(result.reason, reject, `${where}: rejected as ${result.reason} (${result.detail}), expected ${String(reject)}`);
    if (detail !== undefined) {
      assert.ok(result.detail.includes(detail as string), `${where}: detail ${JSON.stringify(result.detail)} does not contain ${JSON.stringify(detail)}`);
    }
    return;
  }
  assert.ok(result.ok, `${where}: rejected: ${result.ok ? '' : `${result.reason}: ${result.detail}`}`);
  if (!result.ok) return;
  checkFields(where, result.record as unknown as Record<string, unknown>, fields);
}

const root = fixturesDir();
for (const type of SOURCE_TYPES) {
  const files = readdirSync(join(root, type)).filter((f) => f.endsWith('.log')).sort();
  test(`fixtures for ${type} exist`, () => {
    assert.ok(files.length > 0, `no fixture files in test/fixtures/parsers/${type}`);
  });
  for (const file of files) {
    test(`fixtures: ${type}/${file}`, () => {
      const cases = readFixtureCases(join(root, type, file));
      assert.ok(cases.length > 0, 'a fixture file without cases');
      const parsers = new Map<string, LineParser>();
      for (const c of cases) checkCase(parserFor(type, c, parsers), c);
    });
  }
}
