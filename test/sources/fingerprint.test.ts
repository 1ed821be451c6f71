import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { fingerprintOf, prefixMatches, readGzipPrefix, readPlainPrefix } from '../../src/sources/fingerprint.js';
import { FINGERPRINT_MAX_BYTES } from '../../src/sources/types.js';
import { makeTempDir } from './harness.js';

test('the fingerprint covers at most the first 1024 bytes', () => {
  const small = fingerprintOf(Buffer.from('one line\n'));
  assert.equal(small.length, 9);
  assert.match(small.hash, /^[0-9a-f]{64}$/);
  const big = fingerprintOf(Buffer.alloc(5000, 0x61));
  assert.equal(big.length, FINGERPRINT_MAX_BYTES);
  assert.deepEqual(big, fingerprintOf(Buffer.alloc(FINGERPRINT_MAX_BYTES, 0x61)));
});

test('a grown file still matches its shorter fingerprint; other content does not', () => {
  const fp = fingerprintOf(Buffer.from('first line\n'));
  assert.equal(prefixMatches(Buffer.from('first line\nsecond line\n'), fp), true);
  assert.equal(prefixMatches(Buffer.from('first lime\nsecond line\n'), fp), false);
  assert.equal(prefixMatches(Buffer.from('first'), fp), false, 'shorter than the fingerprint');
  assert.equal(prefixMatches(Buffer.from('x'), { hash: fp.hash, length: 0 }), false, 'an empty fingerprint matches nothing');
});

test('plain and gzip prefixes read the same content bytes', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const content = Buffer.from(Array.from({ length: 200 }, (_, i) => `line ${i} ${'z'.repeat(i % 17)}\n`).join(''));
    await writeFile(join(dir, 'a.log'), content);
    // two gzip members: a reader must see one continuous content
    await writeFile(join(dir, 'a.log.gz'), Buffer.concat([gzipSync(content.subarray(0, 100)), gzipSync(content.subarray(100))]));
    const plain = await open(join(dir, 'a.log'), 'r');
    const gz = await open(join(dir, 'a.log.gz'), 'r');
    try {
      const p = await readPlainPrefix(plain, content.length);
      const g = await readGzipPrefix(gz, join(dir, 'a.log.gz'));
      assert.equal(p.length, FINGERPRINT_MAX_BYTES);
      assert.deepEqual(g, p);
      assert.deepEqual(fingerprintOf(g), fingerprintOf(content));
      // the handle stays usable after the gzip prefix was read
      const again = await readGzipPrefix(gz, join(dir, 'a.log.gz'));
      assert.deepEqual(again, p);
    } finally {
      await plain.close();
      await gz.close();
    }
  } finally {
    await cleanup();
  }
});
