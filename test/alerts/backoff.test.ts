// The wait after failed attempts: exponential, jittered, bounded at both ends.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/alerts/backoff.js';

test('the wait doubles per failure within [cap/2, cap], starting at 1 s and never beyond 5 min', () => {
  assert.deepEqual(DEFAULT_BACKOFF, { minMs: 1000, maxMs: 300_000 });
  const low = (n: number): number => backoffDelay(n, DEFAULT_BACKOFF, () => 0);
  const high = (n: number): number => backoffDelay(n, DEFAULT_BACKOFF, () => 0.999_999);
  assert.deepEqual([1, 2, 3, 4, 5].map(low), [1000, 1000, 2000, 4000, 8000]);
  assert.deepEqual([1, 2, 3, 4, 5].map(high), [1000, 2000, 4000, 8000, 16_000]);
  assert.deepEqual([low(9), high(9)], [128_000, 256_000]);
  for (const n of [10, 50, 1000, Number.MAX_SAFE_INTEGER]) {
    assert.ok(low(n) >= 150_000 && high(n) <= 300_000, `failure ${n}: ${low(n)}..${high(n)}`);
  }
  assert.equal(backoffDelay(0), 1000, 'a nonsense count is treated as the first failure');
});

test('jitter spreads the waits of destinations that failed together', () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const waits = Array.from({ length: 50 }, () => backoffDelay(6, DEFAULT_BACKOFF, random));
  assert.ok(new Set(waits).size > 40, 'different waits');
  assert.ok(waits.every((w) => w >= 16_000 && w <= 32_000));
});
