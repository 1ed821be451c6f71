// `absence`: a group (typically a source) has had no event for `silence`, after steady traffic: at least
// `min_events` in the `lookback` before the silence began, spread over at least half of that lookback (a
// burst of CI calls followed by a quiet night is not "normally has traffic"). Decided as the engine's clock
// moves, since a silent source sends nothing that could trigger it.

import { formatDuration } from '../../config/duration.js';
import { condition, NOT_HOLDING, type Condition, type Evaluator } from '../evaluator.js';
import type { AbsenceRule } from '../model.js';
import { bucketSize, emptyRing, ringAdd, ringSum, WINDOW_STEPS, type BucketRing } from '../windows.js';

/** Share of the lookback's buckets that must have seen traffic for a silence to be unusual. */
export const STEADY_TRAFFIC_SHARE = 0.5;

/** Buckets of the lookback ending at `at` that saw at least one event. */
function activeBuckets(ring: BucketRing, at: number, lookbackMs: number): number {
  if (ring.head < 0) return 0;
  const newest = Math.floor(at / bucketSize(lookbackMs));
  let active = 0;
  for (let i = 0; i < ring.counts.length; i++) {
    const index = ring.head - (ring.counts.length - 1 - i);
    if (index > newest - WINDOW_STEPS && index <= newest && ring.counts[i]! > 0) active++;
  }
  return active;
}

export interface AbsenceState {
  last: number;
  ring: BucketRing;
}

function evaluateAt(rule: AbsenceRule, state: AbsenceState, now: number): Condition {
  const silence = Math.max(0, now - state.last);
  if (silence < rule.silence_ms) return NOT_HOLDING;
  const before = ringSum(state.ring, state.last, rule.lookback_ms);
  const active = activeBuckets(state.ring, state.last, rule.lookback_ms);
  const steady = before >= rule.min_events && active >= Math.ceil(WINDOW_STEPS * STEADY_TRAFFIC_SHARE);
  if (!steady) return NOT_HOLDING;
  return condition(true, Math.floor(silence / 60_000), Math.floor(rule.silence_ms / 60_000),
    state.last, now, { silence: formatDuration(silence), last_event_at: new Date(state.last).toISOString(), events_before: before, active_share: active / WINDOW_STEPS });
}

export const absenceEvaluator: Evaluator<AbsenceState, AbsenceRule> = {
  initial: (_rule, at) => ({ last: at, ring: emptyRing() }),
  onEvent(rule, state, ev) {
    const ts = ev.event.ts;
    ringAdd(state.ring, ts, rule.lookback_ms);
    state.last = Math.max(state.last, ts);
    // An event is the opposite of silence: nothing to evaluate until the clock moves on.
    return NOT_HOLDING;
  },
  evaluate: (rule, state, now) => evaluateAt(rule, state, now),
  // A source that stopped for good must stay alerting: its state never expires.
  expiresAt: () => Number.MAX_SAFE_INTEGER,
};
