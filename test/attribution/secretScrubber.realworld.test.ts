// The scrubber over every real-world log line in shared/data/realworld (webserver, sshd, application
// logs from public sources). Whatever it masks, a masked line must keep the log format's structure, and
// masking twice must change nothing. Two Nikto probes in the Honeynet logs carry real `password=` values.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SecretScrubber } from '../../src/attribution/secretScrubber.js';
import { repoRoot, TEST_KEY } from './helpers.js';

const REALWORLD = join(repoRoot(), '..', 'shared', 'data', 'realworld');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return name.endsWith('.md') ? [] : [path];
  });
}

const occurrences = (text: string, part: string): number => text.split(part).length - 1;

// The samples are a prerequisite of the suite (../shared beside the clone): missing, the tests fail loudly.
describe('SecretScrubber on real-world logs', () => {
  it('finds the real-world samples', () => {
    assert.ok(existsSync(REALWORLD), `${REALWORLD} is missing: clone the repository with ../shared beside it`);
  });
  const scrubber = new SecretScrubber(TEST_KEY);

  it('keeps every line\'s structure and is idempotent', () => {
    let lines = 0;
    let changed = 0;
    for (const file of filesUnder(REALWORLD)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        lines++;
        const result = scrubber.scrub(line);
        if (result.line !== line) changed++;
        assert.equal(result.line === line, result.masked === 0, `${file}: masked count and change disagree`);
        for (const part of ['"', '\t', ' ', '\\"', '\\x22', '[', ']']) {
          const before = occurrences(line, part);
          // Masks add their own brackets; every other separator count stays.
          if (part === '[' || part === ']') assert.ok(occurrences(result.line, part) >= before, `${file}: ${part}`);
          else assert.equal(occurrences(result.line, part), before, `${file}: count of ${JSON.stringify(part)} in ${result.line}`);
        }
        assert.deepEqual(scrubber.scrub(result.line), { line: result.line, tokens: [], masked: 0 }, `${file}: not idempotent`);
      }
    }
    assert.ok(lines > 10000, `only ${lines} lines read`);
    assert.ok(changed > 0, 'the Honeynet logs hold password= probes that must be masked');
  });

  it('masks the password in a Nikto probe', () => {
    const file = join(REALWORLD, 'honeynet-redhat71', 'access_log.25');
    const probe = readFileSync(file, 'utf8').split('\n').find((l) => l.includes('/admin/login.php?action=insert'));
    assert.ok(probe, 'probe line present');
    const result = scrubber.scrub(probe);
    assert.equal(result.masked, 1);
    assert.ok(result.line.includes('?action=insert&username=test&password=[masked] HTTP/1.0"'), result.line);
  });

  it('masks a password inside Apache-escaped quotes without eating the escape', () => {
    const file = join(REALWORLD, 'honeynet-redhat71', 'access_log.25');
    const probe = readFileSync(file, 'utf8').split('\n').find((l) => l.includes('/proplus/admin/login.php'));
    assert.ok(probe, 'probe line present');
    const result = scrubber.scrub(probe);
    assert.ok(result.line.includes('+-d+\\"password=[masked]\\" HTTP/1.0"'), result.line);
  });
});
