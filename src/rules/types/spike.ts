// `spike`: a group's count in the current bucket reaches `factor` times its own baseline, with a minimum volume,
// never during the group's learning period. The baseline is an exponentially weighted average of the group's
// past buckets (quiet buckets count as zero) that forgets with `half_life`, so it follows a token's habits.

import { condition, NOT_HOLDING, type Condition, type Evaluator } from '../evaluator.js';
import type { SpikeRule } from '../model.js';

export interface SpikeState {
  /** index (time / bucket) of the current bucket */
  bucket: number;
  /** events in the current bucket */
  n: number;
  /** weighted average of past bucket counts, and of their squares (not yet bias-corrected) */
  mean: number;
  meanSq: number;
  /** past buckets folded into the average (quiet ones included) */
  buckets: number;
  /** first event time of the group (learning period) */
  first: number;
  last: number;
}

function decayPerBucket(rule: SpikeRule): number {
  return Math.pow(0.5, rule.bucket_ms / rule.half_life_ms);
}

/** Folds the current bucket and `quiet` empty buckets after it into the baseline. */
function closeBuckets(rule: SpikeRule, state: SpikeState, quiet: number): void {
  const d = decayPerBucket(rule);
  state.mean = d * state.mean + (1 - d) * state.n;
  state.meanSq = d * state.meanSq + (1 - d) * state.n * state.n;
  const fade = Math.pow(d, quiet);
  state.mean *= fade;
  state.meanSq *= fade;
  state.buckets += 1 + quiet;
  state.n = 0;
}

/** The baseline per bucket, corrected for the average having started at zero. */
export function spikeBaseline(rule: SpikeRule, state: SpikeState): number {
  if (state.buckets === 0) return 0;
  const weight = 1 - Math.pow(decayPerBucket(rule), state.buckets);
  return weight <= 0 ? 0 : state.mean / weight;
}

function conditionOf(rule: SpikeRule, state: SpikeState, count: number, now: number): Condition {
  if (count < rule.min_events) return NOT_HOLDING;
  const baseline = spikeBaseline(rule, state);
  const bound = Math.max(rule.min_events, Math.ceil(rule.factor * baseline));
  const learned = now - state.first >= rule.learning_ms;
  if (!learned || count < bound) return NOT_HOLDING;
  const start = state.bucket * rule.bucket_ms;
  return condition(true, count, bound, start, now, {
    baseline: Math.round(baseline * 100) / 100, factor: rule.factor, learning: !learned,
  });
}

export const spikeEvaluator: Evaluator<SpikeState, SpikeRule> = {
  initial: (rule, at) => ({ bucket: Math.floor(at / rule.bucket_ms), n: 0, mean: 0, meanSq: 0, buckets: 0, first: at, last: at }),
  onEvent(rule, state, ev) {
    const ts = ev.event.ts;
    const index = Math.floor(ts / rule.bucket_ms);
    if (index > state.bucket) {
      closeBuckets(rule, state, index - state.bucket - 1);
      state.bucket = index;
    }
    // A late event of an already closed bucket still counts, in the current one.
    state.n++;
    state.last = Math.max(state.last, ts);
    state.first = Math.min(state.first, ts);
    return conditionOf(rule, state, state.n, state.last);
  },
  evaluate(rule, state, now) {
    const index = Math.floor(now / rule.bucket_ms);
    return conditionOf(rule, state, index > state.bucket ? 0 : state.n, now);
  },
  expiresAt: (rule, state) => state.last + rule.half_life_ms * 8,
};
