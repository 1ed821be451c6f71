// The evaluator of each rule type.

import type { Evaluator } from '../evaluator.js';
import type { Rule, RuleType } from '../model.js';
import { absenceEvaluator } from './absence.js';
import { matchEvaluator } from './match.js';
import { newValueEvaluator } from './newValue.js';
import { offhoursEvaluator } from './offhours.js';
import { ratioEvaluator } from './ratio.js';
import { sequenceEvaluator } from './sequence.js';
import { spikeEvaluator } from './spike.js';
import { thresholdEvaluator } from './threshold.js';

/** Group state as stored: JSON. Each evaluator knows its own shape. */
export type GroupState = object;

const EVALUATORS: Record<RuleType, Evaluator<never, never>> = {
  match: matchEvaluator as Evaluator<never, never>,
  threshold: thresholdEvaluator as Evaluator<never, never>,
  ratio: ratioEvaluator as Evaluator<never, never>,
  spike: spikeEvaluator as Evaluator<never, never>,
  new_value: newValueEvaluator as Evaluator<never, never>,
  offhours: offhoursEvaluator as Evaluator<never, never>,
  sequence: sequenceEvaluator as Evaluator<never, never>,
  absence: absenceEvaluator as Evaluator<never, never>,
};

/** The evaluator for a rule, typed loosely: the engine only passes each rule its own state back. */
export function evaluatorFor(rule: Rule): Evaluator<GroupState, Rule> {
  return EVALUATORS[rule.type] as unknown as Evaluator<GroupState, Rule>;
}

/** Types whose condition holds only at the instant of an event (not over a window). */
export function isInstantaneous(rule: Rule): boolean {
  return rule.type === 'match' || rule.type === 'offhours' || rule.type === 'new_value' || rule.type === 'sequence';
}
