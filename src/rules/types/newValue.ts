// `new_value`: a group sees a value of a field it has not seen within its history (e.g. a token from a new
// address). Values are remembered with the time they were last seen; a group never fires during its learning
// period, and values not seen for `history` are forgotten.

import { condition, NOT_HOLDING, type Evaluator } from '../evaluator.js';
import { fieldValue } from '../fields.js';
import type { NewValueRule } from '../model.js';

export interface NewValueState {
  first: number;
  last: number;
  /** value -> newest event time it was seen */
  seen: Record<string, number>;
}

function forget(rule: NewValueRule, state: NewValueState, now: number): void {
  const keys = Object.keys(state.seen);
  for (const k of keys) if (state.seen[k]! < now - rule.history_ms) delete state.seen[k];
  const left = Object.keys(state.seen);
  if (left.length > rule.max_values) {
    left.sort((a, b) => state.seen[a]! - state.seen[b]!);
    for (const k of left.slice(0, left.length - rule.max_values)) delete state.seen[k];
  }
}

export const newValueEvaluator: Evaluator<NewValueState, NewValueRule> = {
  initial: (_rule, at) => ({ first: at, last: at, seen: {} }),
  onEvent(rule, state, ev, ctx) {
    const ts = ev.event.ts;
    const raw = fieldValue(ev, rule.field, ctx.fields);
    state.first = Math.min(state.first, ts);
    state.last = Math.max(state.last, ts);
    if (raw === null) return NOT_HOLDING;
    const value = String(raw);
    const previous = state.seen[value];
    const isNew = previous === undefined || previous < ts - rule.history_ms;
    const learned = ts - state.first >= rule.learning_ms;
    const known = Object.keys(state.seen).length;
    state.seen[value] = Math.max(previous ?? 0, ts);
    if (isNew) forget(rule, state, state.last);
    if (!isNew || !learned) return NOT_HOLDING;
    return condition(true, value, null, null, ts, {
      new_value: value, known_values: known, first_seen_group: new Date(state.first).toISOString(), learning: !learned,
    });
  },
  evaluate: () => NOT_HOLDING,
  expiresAt: (rule, state) => state.last + rule.history_ms,
};
