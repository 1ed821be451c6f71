// Sliding windows as rings of time buckets, stored as plain JSON in the rule state. A window of length W is
// cut into WINDOW_STEPS buckets of W/WINDOW_STEPS (at least a second), so a count is exact to within one bucket,
// the state stays small whatever the traffic, and a late event still lands in the bucket of its own time.

export const WINDOW_STEPS = 20;

export interface BucketRing {
  /** index (time / size) of the newest bucket */
  head: number;
  /** counts, newest last: counts[counts.length - 1] is bucket `head` */
  counts: number[];
}

export function bucketSize(windowMs: number): number {
  return Math.max(1000, Math.floor(windowMs / WINDOW_STEPS));
}

export function emptyRing(): BucketRing {
  return { head: -1, counts: [] };
}

/** Adds `n` at time `ts`. Buckets older than the window are dropped; returns false if `ts` was already outside. */
export function ringAdd(ring: BucketRing, ts: number, windowMs: number, n = 1): boolean {
  const size = bucketSize(windowMs);
  const index = Math.floor(ts / size);
  const keep = WINDOW_STEPS + 1;
  if (ring.head < 0) {
    ring.head = index;
    ring.counts = [n];
    return true;
  }
  if (index > ring.head) {
    const gap = index - ring.head;
    if (gap >= keep) {
      ring.counts = [n];
    } else {
      for (let i = 1; i < gap; i++) ring.counts.push(0);
      ring.counts.push(n);
      if (ring.counts.length > keep) ring.counts.splice(0, ring.counts.length - keep);
    }
    ring.head = index;
    return true;
  }
  const back = ring.head - index;
  if (back >= ring.counts.length) {
    if (back >= keep) return false;
    while (ring.counts.length <= back) ring.counts.unshift(0);
  }
  ring.counts[ring.counts.length - 1 - back]! += n;
  return true;
}

/** Sum of the buckets inside the window that ends at `now` (the bucket holding `now` and the ones before it). */
export function ringSum(ring: BucketRing, now: number, windowMs: number): number {
  if (ring.head < 0) return 0;
  const size = bucketSize(windowMs);
  const nowIndex = Math.floor(now / size);
  const oldest = nowIndex - WINDOW_STEPS + 1;
  let sum = 0;
  for (let i = 0; i < ring.counts.length; i++) {
    const index = ring.head - (ring.counts.length - 1 - i);
    if (index >= oldest && index <= nowIndex) sum += ring.counts[i]!;
  }
  return sum;
}

/** Start of the window ending at `now`, aligned to the buckets. */
export function windowStart(now: number, windowMs: number): number {
  const size = bucketSize(windowMs);
  return (Math.floor(now / size) - WINDOW_STEPS + 1) * size;
}

/** The time at which every bucket of the ring has left the window. */
export function ringExpiresAt(ring: BucketRing, windowMs: number): number {
  if (ring.head < 0) return 0;
  return (ring.head + WINDOW_STEPS) * bucketSize(windowMs);
}
