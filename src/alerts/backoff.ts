// How long a destination rests after failed attempts: exponential, with jitter so that many agents (or many
// destinations) that failed together do not all come back at the same instant, and bounded at both ends.

export interface BackoffPolicy {
  /** the wait after the first failure */
  minMs: number;
  /** the longest wait, however many failures */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { minMs: 1000, maxMs: 5 * 60_000 };

/**
 * The wait after `failures` consecutive failed attempts (1 = the first): a random value in the upper half of
 * min x 2^(failures-1), capped at max, and never below min. 1s, 1-2s, 2-4s, ... 2.5-5 min.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const cap = Math.min(policy.maxMs, policy.minMs * 2 ** exponent);
  return Math.max(policy.minMs, Math.round(cap / 2 + random() * (cap / 2)));
}
