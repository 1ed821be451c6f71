// `sequence`: step A, then step B (then C...), for the same group, the last within `within` of the first step
// being satisfied. A step may need several events in its own window (e.g. 20 login attempts in 10 minutes,
// then a request as an authenticated user from the same address).

import { condition, NOT_HOLDING, type Evaluator } from '../evaluator.js';
import type { SequenceRule } from '../model.js';

export interface SequenceState {
  /** per step: event times of its recent matches (at most its `count`) */
  times: number[][];
  /** per step: event time it was last satisfied, or null */
  satisfied: (number | null)[];
  last: number;
}

function keepRecent(times: number[], count: number, since: number): void {
  let drop = 0;
  while (drop < times.length && times[drop]! < since) drop++;
  if (drop > 0) times.splice(0, drop);
  if (times.length > count) times.splice(0, times.length - count);
}

export const sequenceEvaluator: Evaluator<SequenceState, SequenceRule> = {
  initial: (rule, at) => ({ times: rule.steps.map(() => []), satisfied: rule.steps.map(() => null), last: at }),
  onEvent(rule, state, ev) {
    const ts = ev.event.ts;
    state.last = Math.max(state.last, ts);
    const start = state.satisfied[0];
    if (start !== null && start !== undefined && ts - start > rule.within_ms) {
      // The sequence timed out: only a new first step can start it again.
      state.satisfied = rule.steps.map(() => null);
      for (let i = 1; i < rule.steps.length; i++) state.times[i] = [];
    }
    const last = rule.steps.length - 1;
    let completed = false;
    // From the last step down, so one event never advances two steps at once.
    for (let i = last; i >= 0; i--) {
      const step = rule.steps[i]!;
      if (!step.where(ev)) continue;
      const previous = i === 0 ? null : state.satisfied[i - 1]!;
      if (i > 0 && (previous === null || ts < previous)) continue;
      const times = state.times[i]!;
      times.push(ts);
      times.sort((a, b) => a - b);
      keepRecent(times, step.count, Math.max(ts - step.window_ms, previous ?? -Infinity));
      if (times.length >= step.count) {
        state.satisfied[i] = ts;
        if (i === last) completed = true;
      }
      break;
    }
    if (!completed) return NOT_HOLDING;
    const first = state.times[0]!;
    const details = { first_step_at: state.satisfied[0] === null ? null : new Date(state.satisfied[0]!).toISOString(), first_step_events: first.length };
    return condition(true, first.length, rule.steps[0]!.count, state.satisfied[0] ?? null, ts, details);
  },
  evaluate: () => NOT_HOLDING,
  expiresAt(rule, state) {
    // Called per event: a loop, not Math.max(...map) and its two arrays.
    let longest = 0;
    for (const step of rule.steps) if (step.window_ms > longest) longest = step.window_ms;
    return state.last + rule.within_ms + longest;
  },
};
