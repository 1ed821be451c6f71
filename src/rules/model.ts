// The validated shape of a rule file (rules/<id>.yaml). The loader (loader.ts) builds these from YAML; the
// engine (engine.ts) and one evaluator per type (types/*.ts) consume them. Durations are milliseconds.

import type { PhabEvent } from '../model/event.js';
import type { Template } from './templates.js';

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

export type RuleType = 'match' | 'threshold' | 'ratio' | 'spike' | 'new_value' | 'offhours' | 'sequence' | 'absence';
export const RULE_TYPES: readonly RuleType[] = ['match', 'threshold', 'ratio', 'spike', 'new_value', 'offhours', 'sequence', 'absence'];

/** A value of an event field as rules see it (derived fields included). */
export type FieldValue = string | number | boolean | null;

/** The fields a rule may filter and group on: every event column plus derived ones (see fields.ts). */
export type FieldName = string & { readonly __brand: 'FieldName' };

/** A compiled `where`: true when the event matches. Built once per rule; called per event. */
export type EventPredicate = (event: RuleEvent) => boolean;

/** An event as the engine hands it to rules: the stored event, its id, and derived facts computed once. */
export interface RuleEvent {
  id: number;
  event: PhabEvent;
  /** derived fields, computed lazily by fields.ts and cached here (created on first use) */
  derived: Map<string, FieldValue> | null;
}

export interface RuleCommon {
  id: string;
  title: string;
  severity: Severity;
  description: string;
  /** the file it came from (for messages), and whether it is a shipped rule or the user's */
  file: string;
  origin: 'shipped' | 'user';
  where: EventPredicate;
  /** the `where` as written, for `rules lint` and explanations */
  whereText: string;
  /** the event kinds `where` can match at most, or null: any (the engine skips the rule for other kinds) */
  kinds: ReadonlySet<string> | null;
  group_by: FieldName[];
  /** condition must hold this long before the alert fires (pending until then) */
  for_ms: number;
  /** once the condition stops holding, the alert stays firing this long before it resolves */
  keep_firing_for_ms: number;
  /** a firing alert is notified again this often (0: never) */
  renotify_ms: number;
  /** events of bots (registry isSystemAgent, config identities.bots) do not count */
  exempt_bots: boolean;
  labels: Record<string, string>;
  annotations: { summary: string; runbook_url: string | null; [key: string]: string | null };
  /** the annotations compiled (names checked when the rule loaded); render with the alert's values */
  annotationTemplates: Readonly<Record<string, Template>>;
  /** sample events kept as evidence per alert */
  samples: number;
  /** flood guard: at most `max` new alerts of this rule per `per_ms`; beyond, one summary alert */
  flood: { max: number; per_ms: number };
}

export interface MatchRule extends RuleCommon {
  type: 'match';
}

export interface ThresholdRule extends RuleCommon {
  type: 'threshold';
  window_ms: number;
  /** fires when the count (or distinct count) in the window reaches this */
  threshold: number;
  /** count distinct values of this field instead of events */
  distinct: FieldName | null;
}

export interface RatioRule extends RuleCommon {
  type: 'ratio';
  window_ms: number;
  /** the share of `where` events that also match this */
  numerator: EventPredicate;
  numeratorText: string;
  /** fires when numerator/total reaches this (0..1) */
  ratio: number;
  /** and the window holds at least this many events */
  min_events: number;
}

export interface SpikeRule extends RuleCommon {
  type: 'spike';
  /** counting interval; the baseline is a per-group average of past intervals */
  bucket_ms: number;
  /** fires when the current interval's count reaches factor × baseline ... */
  factor: number;
  /** ... and at least this many events (minimum volume) */
  min_events: number;
  /** no firing until the group has been seen this long (learning period) */
  learning_ms: number;
  /** the baseline forgets: older intervals weigh half as much after this long */
  half_life_ms: number;
}

export interface NewValueRule extends RuleCommon {
  type: 'new_value';
  /** the field whose values are remembered per group (e.g. client_ip per token_id) */
  field: FieldName;
  /** values not seen for this long are forgotten (and would be new again) */
  history_ms: number;
  /** no firing until the group has been seen this long */
  learning_ms: number;
  /** remembered values per group at most (the least recently seen go first) */
  max_values: number;
}

export interface OffhoursRule extends RuleCommon {
  type: 'offhours';
}

export interface SequenceStep {
  where: EventPredicate;
  whereText: string;
  /** this step is satisfied after this many matching events within `window_ms` (default 1) */
  count: number;
  window_ms: number;
}

export interface SequenceRule extends RuleCommon {
  type: 'sequence';
  /** two or more steps, in order, for the same group */
  steps: SequenceStep[];
  /** the last step must come within this long of the first being satisfied */
  within_ms: number;
}

export interface AbsenceRule extends RuleCommon {
  type: 'absence';
  /** silence longer than this fires */
  silence_ms: number;
  /** ... only if the group had at least `min_events` in the `lookback_ms` before the silence began */
  min_events: number;
  lookback_ms: number;
}

export type Rule = MatchRule | ThresholdRule | RatioRule | SpikeRule | NewValueRule | OffhoursRule | SequenceRule | AbsenceRule;
