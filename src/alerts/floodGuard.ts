// The flood guard: past `max` new alerts of one rule within `per`, further groups do not get alerts of their
// own; the rule's single summary alert counts them instead (falco #1333, Elastic max_signals: never drop
// silently). Creation times are event times, persisted with the engine state.

import type { Rule } from '../rules/model.js';

export type FloodSnapshot = Record<string, number[]>;

export class FloodGuard {
  private readonly created = new Map<string, number[]>();

  constructor(snapshot: FloodSnapshot = {}) {
    for (const [ruleId, times] of Object.entries(snapshot)) this.created.set(ruleId, [...times]);
  }

  /** True when the rule may open one more alert at `at` (and counts it). */
  admit(rule: Rule, at: number): boolean {
    const times = this.recent(rule, at);
    if (times.length >= rule.flood.max) return false;
    times.push(at);
    return true;
  }

  /** Whether the rule is still over its cap at `at` (the summary alert stays open while it is). */
  saturated(rule: Rule, at: number): boolean {
    return this.recent(rule, at).length >= rule.flood.max;
  }

  snapshot(): FloodSnapshot {
    const out: FloodSnapshot = {};
    for (const [ruleId, times] of this.created) if (times.length > 0) out[ruleId] = times;
    return out;
  }

  private recent(rule: Rule, at: number): number[] {
    let times = this.created.get(rule.id);
    if (!times) {
      times = [];
      this.created.set(rule.id, times);
    }
    const cutoff = at - rule.flood.per_ms;
    let drop = 0;
    while (drop < times.length && times[drop]! <= cutoff) drop++;
    if (drop > 0) times.splice(0, drop);
    return times;
  }
}
