// The detection engine. It sees every stored event (as a participant of the batch transaction), keeps an
// event-time clock (the newest source watermark minus the allowed lateness), updates each matching rule's group
// state, and moves alerts through pending -> firing -> resolved. Decisions that depend on time passing (a pending
// alert's `for`, resolution after `keep_firing_for`, silences, re-notification) are taken at fixed clock ticks,
// so the same lines give the same alerts whether they are replayed at once or tailed in small pieces.
// Everything it learns is written in the transaction of the events that taught it.

import { formatDuration } from '../config/duration.js';
import type { PhabEvent } from '../model/event.js';
import type { Logger } from '../model/logger.js';
import { AlertBook, type Evidence, type OpenAlert } from '../alerts/alertBook.js';
import { FloodGuard, type FloodSnapshot } from '../alerts/floodGuard.js';
import type { Db } from '../store/database.js';
import type { BatchParticipant } from '../store/ingestStore.js';
import type { BusinessCalendar } from './calendar.js';
import type { Condition, EvaluatorContext } from './evaluator.js';
import { fieldAccessor, type FieldAccessor, type FieldContext } from './fields.js';
import type { FieldName, FieldValue, Rule, RuleEvent, SequenceRule } from './model.js';
import { RuleStateStore, type GroupEntry, type GroupRecord } from './stateStore.js';
import { evaluatorFor, isInstantaneous } from './types/index.js';

/** How often (in event time) time-driven decisions are taken. */
export const TICK_MS = 10_000;
/** How often (in event time) expired rule state is deleted. */
const EXPIRE_EVERY_MS = 3_600_000;
/** Held-back groups listed in a flood summary alert's evidence. */
const FLOOD_SAMPLE_GROUPS = 10;
const FLOOD_LABELS = { flood: 'true' } as const;
/** Sequence groups tracked per rule before the engine stops tracking and looks every group up instead. */
const MAX_TRACKED_SEQUENCE_GROUPS = 200_000;
const FLOOD_KEY = '{"flood":"true"}';

export interface EngineOptions {
  rules: readonly Rule[];
  fields: FieldContext;
  calendar: BusinessCalendar;
  allowedLatenessMs: number;
  logger: Logger;
  /** wall clock, for `updated_at` columns and following live logs */
  wallClock?: () => number;
  stateCacheSize?: number;
}

interface PersistedClock {
  clock: number;
  nextTick: number;
  nextExpiry: number;
  watermarks: Record<string, number>;
  flood: FloodSnapshot;
}

export interface EngineStats {
  clock: number;
  openAlerts: number;
  cachedGroups: number;
  lateEvents: number;
}

export class RuleEngine implements BatchParticipant {
  private readonly rules: readonly Rule[];
  private readonly byId: Map<string, Rule>;
  private readonly absenceRules: readonly Rule[];
  /** per rule: the accessors of its group_by fields, looked up once */
  private readonly groupAccessors: Map<string, FieldAccessor[]>;
  private readonly isBot = fieldAccessor('is_bot' as FieldName);
  private readonly ctx: EvaluatorContext;
  private readonly states: RuleStateStore;
  private readonly alerts: AlertBook;
  private readonly wallClock: () => number;
  private readonly loadClockStmt;
  private readonly saveClockStmt;
  private readonly groupKeysStmt;
  private flood!: FloodGuard;
  private clock = -Infinity;
  private nextTick = -Infinity;
  private nextExpiry = -Infinity;
  private watermarks = new Map<string, number>();
  /** per absence rule: its groups (sources), always in memory since silence has no event to wake them */
  private absenceGroups = new Map<string, Map<string, { valueKey: string; labels: Record<string, string> }>>();
  private readonly sequenceRules: readonly SequenceRule[];
  /**
   * per sequence rule: the value keys of its groups that have state (only a first-step event creates one), so an
   * event that can only be a later step is dropped without a store lookup for a group that cannot exist (e.g.
   * login-after-bruteforce sees every signed-in request, and only brute-forcing addresses have groups); null:
   * too many to track, every group is looked up
   */
  private startedGroups = new Map<string, Set<string> | null>();
  private lateEvents = 0;
  /** open alerts whose evidence text lags their last evaluation (rebuilt before they are written) */
  private readonly stale = new Map<OpenAlert, { rule: Rule; labels: Record<string, string>; cond: Condition; record: GroupRecord }>();
  /** rules by the event kind they can match (see Rule.kinds), filled as kinds are seen */
  private readonly rulesByKind = new Map<string, readonly Rule[]>();
  /** flood summary alerts kept open by groups already counted in them: last event time to update at the commit */
  private readonly floodTouched = new Set<OpenAlert>();
  /** wall clock minus event time of the newest event, when events are current (live tailing) */
  private liveLag: number | null = null;
  /**
   * told the sample events of each alert that fires (its evidence: telemetry keeps their spans, which the alert's
   * span links to); null: nobody listens. Only a fired alert's samples, not every event of a condition that keeps
   * holding, nor those of a pending alert that never fires, so the spans kept this way stay bounded by the alerts.
   */
  onAlertSamples: ((eventId: number) => void) | null = null;

  constructor(db: Db, private readonly options: EngineOptions) {
    this.rules = [...options.rules].sort((a, b) => a.id.localeCompare(b.id));
    this.byId = new Map(this.rules.map((r) => [r.id, r]));
    this.absenceRules = this.rules.filter((r) => r.type === 'absence');
    this.sequenceRules = this.rules.filter((r): r is SequenceRule => r.type === 'sequence');
    this.groupAccessors = new Map(this.rules.map((r) => [r.id, r.group_by.map((f) => fieldAccessor(f))]));
    this.ctx = { fields: options.fields, calendar: options.calendar };
    this.wallClock = options.wallClock ?? Date.now;
    this.states = new RuleStateStore(db, options.stateCacheSize);
    this.alerts = new AlertBook(db, this.wallClock);
    this.loadClockStmt = db.prepare("SELECT value FROM engine_state WHERE key = 'clock'");
    this.saveClockStmt = db.prepare("INSERT INTO engine_state (key, value) VALUES ('clock', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    this.groupKeysStmt = db.prepare('SELECT group_key FROM rule_state WHERE rule_id = ?');
    this.loadClock();
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  stats(): EngineStats {
    return { clock: this.clock, openAlerts: this.alerts.count, cachedGroups: this.states.size, lateEvents: this.lateEvents };
  }

  // ---- BatchParticipant --------------------------------------------------------------------------------------

  onEvent(event: PhabEvent, id: number): void {
    const late = event.ts < this.clock;
    if (late) this.lateEvents++;
    const wall = this.wallClock();
    this.liveLag = wall - event.ts < 5 * 60_000 && wall >= event.ts - 60_000 ? wall - event.ts : null;
    const previous = this.watermarks.get(event.source);
    if (previous === undefined || event.ts > previous) {
      this.watermarks.set(event.source, event.ts);
      this.catchUp();
    }
    const ev: RuleEvent = { id, event, derived: null };
    for (const rule of this.rulesFor(event.kind)) {
      if (!rule.where(ev)) continue;
      if (rule.exempt_bots && this.isBot(ev, this.ctx.fields) === true) continue;
      const entry = this.groupOf(rule, ev);
      if (entry === null) continue;
      this.apply(rule, entry, ev, late);
    }
  }

  /** The rules whose `where` can match an event of this kind (in id order, like `rules`). */
  private rulesFor(kind: string): readonly Rule[] {
    let rules = this.rulesByKind.get(kind);
    if (rules === undefined) {
      rules = this.rules.filter((r) => r.kinds === null || r.kinds.has(kind));
      this.rulesByKind.set(kind, rules);
    }
    return rules;
  }

  beforeCommit(): void {
    for (const alert of [...this.stale.keys()]) this.refresh(alert);
    for (const summary of this.floodTouched) {
      const last = iso(summary.lastHeldAt);
      if (summary.evidence.last_event_at !== last) summary.evidence = { ...summary.evidence, last_event_at: last };
      this.alerts.touch(summary);
    }
    this.floodTouched.clear();
    this.states.flush();
    this.alerts.flush();
    this.saveClock();
  }

  onRollback(): void {
    this.stale.clear();
    this.floodTouched.clear();
    this.states.clear();
    this.alerts.reload();
    this.loadClock();
  }

  /**
   * Moves the clock as far as the sources allow: the newest watermark minus the allowed lateness. (The pipeline
   * feeds sources in event-time order, so one source read ahead of another cannot push the clock past it.)
   */
  catchUp(): void {
    let newest = -Infinity;
    for (const w of this.watermarks.values()) if (w > newest) newest = w;
    if (Number.isFinite(newest)) this.advanceTo(newest - this.options.allowedLatenessMs);
  }

  /**
   * Moves the clock forward to `to` (event time), taking every time-driven decision on the way. Used by the
   * event stream itself, by `rules test` (`at:`), and by followWallClock.
   */
  advanceTo(to: number): void {
    if (!(to > this.clock)) return;
    if (this.nextTick === -Infinity) this.nextTick = Math.floor(to / TICK_MS) * TICK_MS;
    if (this.nextExpiry === -Infinity) this.nextExpiry = to + EXPIRE_EVERY_MS;
    while (this.nextTick <= to) {
      this.clock = Math.max(this.clock, this.nextTick);
      this.tick(this.nextTick);
      this.nextTick += TICK_MS;
    }
    if (this.nextExpiry <= to) {
      const removed = this.states.expire(to);
      if (removed > 0) this.options.logger.debug({ removed }, 'expired rule state removed');
      this.nextExpiry = to + EXPIRE_EVERY_MS;
    }
    this.clock = to;
  }

  /**
   * While logs are being tailed live and every source is quiet, nothing moves event time: the clock should then
   * follow the wall clock (minus the lag seen on the newest event and the allowed lateness) so alerts resolve and
   * silences are noticed. Returns where to advance to (call advanceTo inside a batch), or null: not live (old
   * logs being replayed), or not yet a tick further.
   */
  wallClockTarget(): number | null {
    if (this.liveLag === null) return null;
    const target = this.wallClock() - this.liveLag - this.options.allowedLatenessMs;
    return target >= this.clock + TICK_MS ? target : null;
  }

  // ---- events ------------------------------------------------------------------------------------------------

  /**
   * The group an event belongs to for a rule (created on first sight), or null when the event cannot be put in a
   * group (e.g. no identity for a per-identity rule): it then does not count.
   */
  private groupOf(rule: Rule, ev: RuleEvent): GroupEntry | null {
    const accessors = this.groupAccessors.get(rule.id)!;
    let valueKey = '';
    for (let i = 0; i < accessors.length; i++) {
      const value: FieldValue = accessors[i]!(ev, this.ctx.fields);
      if (value === null || value === '') return null;
      valueKey = i === 0 ? String(value) : `${valueKey}\u0000${String(value)}`;
    }
    const hit = this.states.cached(rule.id, valueKey);
    if (hit) return hit;
    if (rule.type === 'sequence') {
      const started = this.startedGroups.get(rule.id);
      if (started !== null && started !== undefined && !started.has(valueKey) && !rule.steps[0]!.where(ev)) return null;
    }
    const labels: Record<string, string> = {};
    const values = accessors.length === 1 ? [valueKey] : valueKey.split('\u0000');
    rule.group_by.forEach((field, i) => (labels[field] = values[i]!));
    const key = groupKeyOf(labels);
    const stored = this.states.find(rule.id, valueKey, key, labels);
    if (stored) return stored;
    const record: GroupRecord = { state: evaluatorFor(rule).initial(rule, ev.event.ts), samples: [], late: 0, expiresAt: 0 };
    if (rule.type === 'absence') this.rememberAbsenceGroup(rule, key, valueKey, labels);
    if (rule.type === 'sequence') this.rememberStartedGroup(rule.id, valueKey);
    return this.states.create(rule.id, valueKey, key, labels, record);
  }

  private apply(rule: Rule, entry: GroupEntry, ev: RuleEvent, late: boolean): void {
    const evaluator = evaluatorFor(rule);
    const record = entry.record;
    const cond = evaluator.onEvent(rule, record.state, ev, this.ctx);
    const samples = record.samples;
    samples.push(ev.id, ev.event.ts);
    if (samples.length > rule.samples * 2) samples.splice(0, samples.length - rule.samples * 2);
    if (late) record.late++;
    record.expiresAt = Math.max(evaluator.expiresAt(rule, record.state), ev.event.ts + rule.keep_firing_for_ms);
    this.states.touch(rule.id, entry);
    this.observe(rule, entry.key, entry.labels, cond, Math.max(ev.event.ts, this.clock), record, ev);
  }

  /** The entry of an open alert's group (from the cache or the store). */
  private entryOf(rule: Rule, key: string, labels: Record<string, string>): GroupEntry | undefined {
    const valueKey = rule.group_by.map((f) => labels[f] ?? '').join('\u0000');
    return this.states.find(rule.id, valueKey, key, labels);
  }

  /** Feeds one evaluation into the alert lifecycle. `at` is the event time of the evaluation. */
  private observe(rule: Rule, key: string, labels: Record<string, string>, cond: Condition, at: number, record: GroupRecord, ev: RuleEvent | null): void {
    const open = this.alerts.get(rule.id, key);
    if (!cond.holds) {
      if (open && ev) {
        open.evidence.matched_events++;
        this.alerts.touch(open);
      }
      return;
    }
    if (!open) {
      this.openAlert(rule, key, labels, cond, at, record);
      return;
    }
    open.lastHeldAt = Math.max(open.lastHeldAt, at);
    open.value = cond.value;
    if (ev) open.evidence.matched_events++;
    // Evidence and summary text are rebuilt once per batch (or at a transition), not for every event.
    this.stale.set(open, { rule, labels, cond, record });
    if (open.state === 'pending' && at - open.startedAt >= rule.for_ms) {
      this.refresh(open);
      this.alerts.fire(open, at);
      this.tellSamples(open);
    } else {
      this.alerts.touch(open);
    }
  }

  private tellSamples(alert: OpenAlert): void {
    if (this.onAlertSamples === null) return;
    for (const id of this.alerts.sampleEventIds(alert)) this.onAlertSamples(id);
  }

  /** Brings an open alert's evidence and summary up to date with its last evaluation. */
  private refresh(alert: OpenAlert): void {
    const update = this.stale.get(alert);
    if (!update) return;
    this.stale.delete(alert);
    const { rule, labels, cond, record } = update;
    alert.evidence = this.evidenceOf(rule, cond, record, alert.evidence.matched_events, alert.evidence.first_event_at);
    alert.summary = this.summaryOf(rule, labels, cond, alert.evidence);
  }

  private openAlert(rule: Rule, key: string, labels: Record<string, string>, cond: Condition, at: number, record: GroupRecord): void {
    if (!this.flood.admit(rule, at)) {
      this.holdBack(rule, labels, at, record);
      return;
    }
    const evidence = this.evidenceOf(rule, cond, record, record.samples.length, null);
    const sampleEventIds = record.samples.filter((_, i) => i % 2 === 0);
    this.alerts.create({
      ruleId: rule.id, severity: rule.severity, groupKey: key, labels: { ...labels, ...rule.labels },
      state: rule.for_ms > 0 ? 'pending' : 'firing', at, value: cond.value,
      summary: this.summaryOf(rule, labels, cond, evidence), annotations: this.annotationsOf(rule, labels, cond, evidence), evidence,
      sampleEventIds,
    });
    if (this.onAlertSamples !== null && rule.for_ms <= 0) for (const id of sampleEventIds) this.onAlertSamples(id);
  }

  /**
   * The rule is over its flood cap: count this group in the rule's single summary alert instead, once per group
   * (a held-back group whose condition keeps holding only keeps the summary open).
   */
  private holdBack(rule: Rule, labels: Record<string, string>, at: number, record: GroupRecord): void {
    const summary = this.alerts.get(rule.id, FLOOD_KEY);
    if (summary) {
      summary.lastHeldAt = Math.max(summary.lastHeldAt, at);
      if (record.heldBackBy === summary.id) {
        // Its evidence's last event time is brought up to date at the commit, not rebuilt per event.
        this.floodTouched.add(summary);
        return;
      }
      record.heldBackBy = summary.id;
      const held = Number(summary.value ?? 0) + 1;
      summary.value = held;
      const groups = (summary.evidence.details.groups as Record<string, string>[] | undefined) ?? [];
      if (groups.length < FLOOD_SAMPLE_GROUPS) groups.push(labels);
      summary.evidence = { ...summary.evidence, value: held, last_event_at: iso(summary.lastHeldAt), details: { ...summary.evidence.details, held_back: held, groups } };
      summary.summary = floodSummary(rule, held);
      this.alerts.touch(summary);
      return;
    }
    const evidence: Evidence = {
      window: { start: iso(at - rule.flood.per_ms), end: iso(at) }, value: 1, bound: rule.flood.max, first_event_at: iso(at), last_event_at: iso(at),
      late_events: 0, matched_events: 1, details: { held_back: 1, groups: [labels], per: formatDuration(rule.flood.per_ms) },
    };
    record.heldBackBy = this.alerts.create({
      ruleId: rule.id, severity: rule.severity, groupKey: FLOOD_KEY, labels: { ...FLOOD_LABELS, ...rule.labels }, state: 'firing', at, value: 1,
      summary: floodSummary(rule, 1), annotations: { summary: floodSummary(rule, 1), runbook_url: rule.annotations.runbook_url, description: rule.description },
      evidence, sampleEventIds: [],
    }).id;
  }

  // ---- time --------------------------------------------------------------------------------------------------

  private tick(now: number): void {
    for (const rule of this.absenceRules) {
      const groups = this.absenceGroups.get(rule.id);
      if (!groups) continue;
      for (const [key, group] of groups) {
        const entry = this.states.find(rule.id, group.valueKey, key, group.labels);
        if (!entry) continue;
        const cond = evaluatorFor(rule).evaluate(rule, entry.record.state, now);
        if (cond.holds) this.observe(rule, key, group.labels, cond, now, entry.record, null);
      }
    }
    for (const alert of this.alerts.all()) {
      const rule = this.byId.get(alert.ruleId);
      if (!rule) {
        // The rule was removed or disabled: nothing watches this any more, so say so rather than leave it open.
        alert.evidence = { ...alert.evidence, details: { ...alert.evidence.details, resolved_because: 'rule removed or disabled' } };
        this.alerts.resolve(alert, now);
        continue;
      }
      if (alert.groupKey === FLOOD_KEY) {
        if (!this.flood.saturated(rule, now) && now - alert.lastHeldAt >= rule.flood.per_ms) this.alerts.resolve(alert, now);
        continue;
      }
      this.reconsider(rule, alert, now);
    }
  }

  /** Re-evaluates an open alert as time passes: fire a pending one, resolve a firing one, or notify again. */
  private reconsider(rule: Rule, alert: OpenAlert, now: number): void {
    const record = isInstantaneous(rule) ? undefined : this.entryOf(rule, alert.groupKey, alert.labels)?.record;
    const cond = record ? evaluatorFor(rule).evaluate(rule, record.state, now) : null;
    if (cond?.holds && record) {
      this.observe(rule, alert.groupKey, alert.labels, cond, now, record, null);
      if (alert.state === 'firing') this.maybeRenotify(rule, alert, now);
      return;
    }
    // Instantaneous conditions (a match, an off-hours event) count as holding until keep_firing_for passes.
    const holdsUntil = alert.lastHeldAt + (isInstantaneous(rule) ? rule.keep_firing_for_ms : 0);
    if (alert.state === 'pending') {
      if (now > holdsUntil) {
        this.stale.delete(alert);
        this.alerts.drop(alert);
      }
      else if (now - alert.startedAt >= rule.for_ms) {
        this.refresh(alert);
        this.alerts.fire(alert, now);
        this.tellSamples(alert);
      }
      return;
    }
    if (now - alert.lastHeldAt >= rule.keep_firing_for_ms && now > holdsUntil) {
      // The evidence keeps the last value that held, not the quiet value at resolution.
      this.refresh(alert);
      this.alerts.resolve(alert, now);
      return;
    }
    this.maybeRenotify(rule, alert, now);
  }

  private maybeRenotify(rule: Rule, alert: OpenAlert, now: number): void {
    if (rule.renotify_ms > 0 && alert.state === 'firing' && alert.lastNotifiedAt !== null && now - alert.lastNotifiedAt >= rule.renotify_ms) {
      this.refresh(alert);
      this.alerts.renotify(alert, now);
    }
  }

  // ---- evidence and text -------------------------------------------------------------------------------------

  private evidenceOf(rule: Rule, cond: Condition, record: GroupRecord, matched: number, firstEventAt: string | null): Evidence {
    const first = record.samples[1];
    const last = record.samples[record.samples.length - 1];
    return {
      window: cond.windowStart !== null && cond.windowEnd !== null ? { start: iso(cond.windowStart), end: iso(cond.windowEnd) } : null,
      value: cond.value,
      bound: cond.bound,
      first_event_at: firstEventAt ?? (first === undefined ? null : iso(first)),
      last_event_at: last === undefined ? null : iso(last),
      late_events: record.late,
      matched_events: matched,
      details: { ...cond.details, ...(rule.type === 'threshold' || rule.type === 'ratio' ? { window: formatDuration(rule.window_ms) } : {}) },
    };
  }

  private templateValues(rule: Rule, labels: Record<string, string>, cond: Condition, evidence: Evidence): Record<string, string> {
    const values: Record<string, string> = { ...labels };
    values.value = cond.value === null ? '' : String(cond.value);
    values.bound = cond.bound === null ? '' : String(cond.bound);
    values.window = 'window_ms' in rule ? formatDuration(rule.window_ms) : rule.type === 'spike' ? formatDuration(rule.bucket_ms) : rule.type === 'absence' ? formatDuration(rule.silence_ms) : '';
    values.first = evidence.first_event_at ?? '';
    values.last = evidence.last_event_at ?? '';
    values.rule = rule.title;
    for (const [k, v] of Object.entries(cond.details)) if (v !== null && values[k] === undefined) values[k] = String(v);
    return values;
  }

  private summaryOf(rule: Rule, labels: Record<string, string>, cond: Condition, evidence: Evidence): string {
    const template = rule.annotationTemplates.summary;
    return template ? template.render(this.templateValues(rule, labels, cond, evidence)) : rule.annotations.summary;
  }

  private annotationsOf(rule: Rule, labels: Record<string, string>, cond: Condition, evidence: Evidence): Record<string, string | null> {
    const values = this.templateValues(rule, labels, cond, evidence);
    const out: Record<string, string | null> = { description: rule.description };
    for (const [k, v] of Object.entries(rule.annotations)) out[k] = v === null ? null : (rule.annotationTemplates[k]?.render(values) ?? v);
    return out;
  }

  // ---- persistence of the clock ------------------------------------------------------------------------------

  private rememberAbsenceGroup(rule: Rule, key: string, valueKey: string, labels: Record<string, string>): void {
    let groups = this.absenceGroups.get(rule.id);
    if (!groups) {
      groups = new Map();
      this.absenceGroups.set(rule.id, groups);
    }
    groups.set(key, { valueKey, labels });
  }

  private rememberStartedGroup(ruleId: string, valueKey: string): void {
    const started = this.startedGroups.get(ruleId);
    if (started === null || started === undefined) return;
    started.add(valueKey);
    if (started.size > MAX_TRACKED_SEQUENCE_GROUPS) this.startedGroups.set(ruleId, null);
  }

  private loadClock(): void {
    const row = this.loadClockStmt.get() as { value: string } | undefined;
    const saved: PersistedClock | null = row ? (JSON.parse(row.value) as PersistedClock) : null;
    this.clock = saved?.clock ?? -Infinity;
    this.nextTick = saved?.nextTick ?? -Infinity;
    this.nextExpiry = saved?.nextExpiry ?? -Infinity;
    this.watermarks = new Map(Object.entries(saved?.watermarks ?? {}));
    this.flood = new FloodGuard(saved?.flood ?? {});
    this.absenceGroups = new Map();
    for (const rule of this.absenceRules) {
      for (const row of this.groupKeysStmt.all(rule.id) as { group_key: string }[]) {
        const labels = JSON.parse(row.group_key) as Record<string, string>;
        this.rememberAbsenceGroup(rule, row.group_key, rule.group_by.map((f) => labels[f] ?? '').join('\u0000'), labels);
      }
    }
    // Groups in the store (a rolled-back batch's are not there: reloading after a rollback forgets them too).
    this.startedGroups = new Map();
    for (const rule of this.sequenceRules) {
      this.startedGroups.set(rule.id, new Set());
      for (const row of this.groupKeysStmt.iterate(rule.id) as Iterable<{ group_key: string }>) {
        const labels = JSON.parse(row.group_key) as Record<string, string>;
        this.rememberStartedGroup(rule.id, rule.group_by.map((f) => labels[f] ?? '').join('\u0000'));
      }
    }
  }

  private saveClock(): void {
    const saved: PersistedClock = {
      clock: this.clock, nextTick: this.nextTick, nextExpiry: this.nextExpiry,
      watermarks: Object.fromEntries(this.watermarks), flood: this.flood.snapshot(),
    };
    this.saveClockStmt.run(JSON.stringify(saved, (_k, v: unknown) => (v === -Infinity ? null : v)));
  }
}

/** The canonical group key: the JSON of the labels object, in group_by order. */
function groupKeyOf(labels: Record<string, string>): string {
  return JSON.stringify(labels);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function floodSummary(rule: Rule, held: number): string {
  return `${rule.id}: ${held} more alert${held === 1 ? '' : 's'} held back (more than ${rule.flood.max} in ${formatDuration(rule.flood.per_ms)})`;
}
