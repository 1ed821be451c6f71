// What every rule type implements: how an event changes a group's state, and whether the rule's condition
// holds, for one group, at a given event time. Evaluators are pure over plain JSON state, so the engine can keep
// state in SQLite, and the same code runs in `run`, `replay` and `rules test`.

import type { FieldContext } from './fields.js';
import type { BusinessCalendar } from './calendar.js';
import type { Rule, RuleEvent } from './model.js';

/** The outcome of evaluating one group. */
export interface Condition {
  holds: boolean;
  /** the observed value: a count, a distinct count, a ratio, a rate, a new value, a local time */
  value: number | string | null;
  /** what it is compared with: the threshold, the ratio, factor × baseline */
  bound: number | string | null;
  /** the window the value covers (event time, ms), when the type has one */
  windowStart: number | null;
  windowEnd: number | null;
  /** type-specific evidence (e.g. baseline, zone, local_time, new_value, steps) */
  details: Record<string, string | number | boolean | null>;
}

export interface EvaluatorContext {
  fields: FieldContext;
  calendar: BusinessCalendar;
}

export interface Evaluator<S, R extends Rule = Rule> {
  /** state of a group never seen before */
  initial(rule: R, at: number): S;
  /** applies a matching event (already filtered by `where`) and says whether the condition holds right after */
  onEvent(rule: R, state: S, ev: RuleEvent, ctx: EvaluatorContext): Condition;
  /** the condition at `now` with no new event (windows slide, buckets close, silences grow) */
  evaluate(rule: R, state: S, now: number): Condition;
  /** the event time after which the state holds nothing worth keeping (its windows and history are empty) */
  expiresAt(rule: R, state: S): number;
}

export function condition(holds: boolean, value: Condition['value'], bound: Condition['bound'], windowStart: number | null = null, windowEnd: number | null = null, details: Condition['details'] = {}): Condition {
  return { holds, value, bound, windowStart, windowEnd, details };
}

export const NOT_HOLDING: Condition = Object.freeze({ holds: false, value: null, bound: null, windowStart: null, windowEnd: null, details: {} }) as Condition;
