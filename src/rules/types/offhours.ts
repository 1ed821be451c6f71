// `offhours`: an event falls outside the business calendar in the identity's own time zone.

import { condition, NOT_HOLDING, type Evaluator } from '../evaluator.js';
import type { OffhoursRule } from '../model.js';

export interface OffhoursState {
  last: number;
}

export const offhoursEvaluator: Evaluator<OffhoursState, OffhoursRule> = {
  initial: (_rule, at) => ({ last: at }),
  onEvent(_rule, state, ev, ctx) {
    const ts = ev.event.ts;
    state.last = Math.max(state.last, ts);
    const identity = ev.event.identity;
    if (ctx.calendar.isBusinessTime(ts, identity)) return NOT_HOLDING;
    const local = ctx.calendar.localTime(ts, identity);
    return condition(true, local.iso, null, null, ts, { zone: local.zone, local_time: local.iso, weekday: local.weekday });
  },
  evaluate: () => NOT_HOLDING,
  expiresAt: (rule, state) => state.last + rule.keep_firing_for_ms,
};
