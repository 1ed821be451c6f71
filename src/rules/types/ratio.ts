// `ratio`: among the window's matching events, the share that also match `numerator` reaches a bound, above a
// minimum volume (so three requests with one error are not "33% errors").

import { condition, NOT_HOLDING, type Condition, type Evaluator } from '../evaluator.js';
import type { RatioRule } from '../model.js';
import { emptyRing, ringAdd, ringExpiresAt, ringSum, windowStart, type BucketRing } from '../windows.js';

export interface RatioState {
  total: BucketRing;
  hits: BucketRing;
  last: number;
}

function evaluateAt(rule: RatioRule, state: RatioState, now: number): Condition {
  const total = ringSum(state.total, now, rule.window_ms);
  if (total < rule.min_events) return NOT_HOLDING;
  const hits = ringSum(state.hits, now, rule.window_ms);
  const share = total === 0 ? 0 : hits / total;
  if (share < rule.ratio) return NOT_HOLDING;
  return condition(true, Math.round(share * 10_000) / 10_000, rule.ratio,
    windowStart(now, rule.window_ms), now, { events: total, matching: hits, min_events: rule.min_events });
}

export const ratioEvaluator: Evaluator<RatioState, RatioRule> = {
  initial: (_rule, at) => ({ total: emptyRing(), hits: emptyRing(), last: at }),
  onEvent(rule, state, ev) {
    const ts = ev.event.ts;
    ringAdd(state.total, ts, rule.window_ms);
    if (rule.numerator(ev)) ringAdd(state.hits, ts, rule.window_ms);
    state.last = Math.max(state.last, ts);
    return evaluateAt(rule, state, state.last);
  },
  evaluate: (rule, state, now) => evaluateAt(rule, state, now),
  expiresAt: (rule, state) => Math.max(ringExpiresAt(state.total, rule.window_ms), state.last + rule.window_ms),
};
