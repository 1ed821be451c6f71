import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketSize, emptyRing, ringAdd, ringExpiresAt, ringSum, windowStart, WINDOW_STEPS } from '../../src/rules/windows.js';

const W = 10 * 60_000; // 10 minutes: 30-second buckets
const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);

test('a window counts the events of its last WINDOW_STEPS buckets', () => {
  assert.equal(bucketSize(W), 30_000);
  const ring = emptyRing();
  for (let i = 0; i < 30; i++) ringAdd(ring, T0 + i * 15_000, W); // one every 15 s for 7.5 minutes
  assert.equal(ringSum(ring, T0 + 29 * 15_000, W), 30);
  // 10 minutes after the first event, the first bucket (2 events) has left the window.
  assert.equal(ringSum(ring, T0 + W, W), 28);
  assert.equal(ringSum(ring, T0 + 29 * 15_000 + W, W), 0, 'everything has slid out');
  assert.equal(windowStart(T0 + W, W), T0 + 30_000);
});

test('a late event lands in the bucket of its own time, not the newest one', () => {
  const ring = emptyRing();
  ringAdd(ring, T0 + 9 * 60_000, W);
  assert.equal(ringAdd(ring, T0 + 60_000, W), true);
  assert.equal(ringSum(ring, T0 + 9 * 60_000, W), 2);
  // At T0 + 11m30s the late event (T0 + 1m) is out of the window, the other one still in.
  assert.equal(ringSum(ring, T0 + 11 * 60_000 + 30_000, W), 1);
  assert.equal(ringAdd(ring, T0 - 60 * 60_000, W), false, 'an event older than the whole ring is not counted');
});

test('gaps longer than the window reset the ring, and the state stays small', () => {
  const ring = emptyRing();
  for (let day = 0; day < 30; day++) for (let i = 0; i < 100; i++) ringAdd(ring, T0 + day * 86_400_000 + i * 1000, W);
  assert.ok(ring.counts.length <= WINDOW_STEPS + 1);
  assert.equal(ringSum(ring, T0 + 29 * 86_400_000 + 99_000, W), 100);
  assert.ok(ringExpiresAt(ring, W) > T0 + 29 * 86_400_000);
});
