// `threshold`: the number of matching events, or of distinct values of a field, in a sliding window per group
// reaches a bound.

import { condition, NOT_HOLDING, type Condition, type Evaluator } from '../evaluator.js';
import { fieldValue } from '../fields.js';
import type { ThresholdRule } from '../model.js';
import { emptyRing, ringAdd, ringExpiresAt, ringSum, windowStart, type BucketRing } from '../windows.js';

/** Distinct values remembered per group at most; the least recently seen are dropped first. */
export const MAX_DISTINCT_VALUES = 5000;

export interface ThresholdState {
  ring: BucketRing;
  /** distinct value -> newest event time it was seen */
  values: Record<string, number> | null;
  /** newest event time seen */
  last: number;
  /** distinct values held (absent in state saved by older versions: counted on the next prune) */
  size?: number;
  /** the horizon of the last prune: values are pruned again once it has moved a quarter window */
  prunedTo?: number;
}

function distinctIn(values: Record<string, number>, from: number, to: number): number {
  let n = 0;
  for (const key in values) {
    const ts = values[key]!;
    if (ts > from && ts <= to) n++;
  }
  return n;
}

/** Drops values older than the window, then the least recently seen beyond the cap; returns how many are left. */
function prune(values: Record<string, number>, olderThan: number): number {
  const keys = Object.keys(values);
  for (const k of keys) if (values[k]! <= olderThan) delete values[k];
  const left = Object.keys(values);
  if (left.length > MAX_DISTINCT_VALUES) {
    left.sort((a, b) => values[a]! - values[b]!);
    for (const k of left.slice(0, left.length - MAX_DISTINCT_VALUES)) delete values[k];
    return MAX_DISTINCT_VALUES;
  }
  return left.length;
}

function evaluateAt(rule: ThresholdRule, state: ThresholdState, now: number): Condition {
  const value = state.values !== null ? distinctIn(state.values, now - rule.window_ms, now) : ringSum(state.ring, now, rule.window_ms);
  if (value < rule.threshold) return NOT_HOLDING;
  const start = state.values !== null ? now - rule.window_ms : windowStart(now, rule.window_ms);
  return condition(true, value, rule.threshold, start, now);
}

export const thresholdEvaluator: Evaluator<ThresholdState, ThresholdRule> = {
  initial: (rule, at) => ({ ring: emptyRing(), values: rule.distinct === null ? null : {}, last: at }),
  onEvent(rule, state, ev, ctx) {
    const ts = ev.event.ts;
    if (state.values !== null && rule.distinct !== null) {
      const v = fieldValue(ev, rule.distinct, ctx.fields);
      if (v !== null) {
        const key = String(v);
        const seen = state.values[key];
        if (seen === undefined) {
          state.values[key] = ts;
          if (state.size !== undefined) state.size++;
        } else if (ts > seen) {
          state.values[key] = ts;
        }
      }
      // Values that left the window are not counted (distinctIn looks at times), so pruning them is only about
      // memory: done when the window has moved a quarter since the last time, or the cap is passed, not per event.
      const horizon = Math.max(ts, state.last) - rule.window_ms;
      if (state.size === undefined || state.size > MAX_DISTINCT_VALUES || horizon - (state.prunedTo ?? -Infinity) >= rule.window_ms / 4) {
        state.size = prune(state.values, horizon);
        state.prunedTo = horizon;
      }
    } else {
      ringAdd(state.ring, ts, rule.window_ms);
    }
    state.last = Math.max(state.last, ts);
    return evaluateAt(rule, state, state.last);
  },
  evaluate: (rule, state, now) => evaluateAt(rule, state, now),
  expiresAt: (rule, state) => (state.values !== null ? state.last + rule.window_ms : Math.max(ringExpiresAt(state.ring, rule.window_ms), state.last + rule.window_ms)),
};
