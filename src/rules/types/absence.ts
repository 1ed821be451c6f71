// `absence`: a group (typically a source) has had no event for `silence`, after a normal amount of traffic
// (at least `min_events` in the `lookback` before the silence began). Decided as the engine's clock moves,
// since a silent source sends nothing that could trigger it.

import { formatDuration } from '../../config/duration.js';
import { condition, type Evaluator } from '../evaluator.js';
import type { AbsenceRule } from '../model.js';
import { emptyRing, ringAdd, ringSum, type BucketRing } from '../windows.js';

export interface AbsenceState {
  last: number;
  ring: BucketRing;
}

function evaluateAt(rule: AbsenceRule, state: AbsenceState, now: number) {
  const silence = Math.max(0, now - state.last);
  const before = ringSum(state.ring, state.last, rule.lookback_ms);
  return condition(silence >= rule.silence_ms && before >= rule.min_events, Math.floor(silence / 60_000), Math.floor(rule.silence_ms / 60_000),
    state.last, now, { silence: formatDuration(silence), last_event_at: new Date(state.last).toISOString(), events_before: before });
}

export const absenceEvaluator: Evaluator<AbsenceState, AbsenceRule> = {
  initial: (_rule, at) => ({ last: at, ring: emptyRing() }),
  onEvent(rule, state, ev) {
    const ts = ev.event.ts;
    ringAdd(state.ring, ts, rule.lookback_ms);
    state.last = Math.max(state.last, ts);
    return evaluateAt(rule, state, state.last);
  },
  evaluate: (rule, state, now) => evaluateAt(rule, state, now),
  // A source that stopped for good must stay alerting: its state never expires.
  expiresAt: () => Number.MAX_SAFE_INTEGER,
};
