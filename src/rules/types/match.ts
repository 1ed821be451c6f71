// `match`: every matching event is the condition holding, at that instant.

import { condition, NOT_HOLDING, type Condition, type Evaluator } from '../evaluator.js';
import type { MatchRule } from '../model.js';

export type MatchState = Record<string, never>;

export const matchEvaluator: Evaluator<MatchState, MatchRule> = {
  initial: () => ({}),
  onEvent: (_rule, _state, ev): Condition => condition(true, 1, null, null, ev.event.ts),
  evaluate: (): Condition => NOT_HOLDING,
  expiresAt: () => 0,
};
