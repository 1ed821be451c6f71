// The fields a rule may name in `where`, `group_by`, `distinct` and `field`: every event column plus facts
// derived from configuration and the token registry (docs/rules.md, "Derived fields"). Reading a field is on
// the per-event path, so each field has its own precomputed accessor, and derived values are computed at
// most once per event (cached in RuleEvent.derived).

import type { SourceType } from '../config/types.js';
import { SOURCE_TYPES } from '../config/types.js';
import type { NetworkSet } from '../attribution/networks.js';
import type { TokenRegistry } from '../attribution/tokenRegistry.js';
import { EVENT_COLUMNS, type EventColumn } from '../model/event.js';
import type { FieldName, FieldValue, RuleEvent } from './model.js';

/** What derived fields are computed from. `registry` is a function: `run` re-imports a changed registry file. */
export interface FieldContext {
  /** configured source name -> its type */
  sourceTypes: ReadonlyMap<string, SourceType>;
  registry(): TokenRegistry;
  /** config `identities.cluster_networks` */
  clusterNetworks: NetworkSet;
}

export const DERIVED_FIELDS = ['source_type', 'is_bot', 'is_admin', 'token_owner', 'token_name', 'from_cluster', 'actor', 'has_app_log', 'has_web_log'] as const;
export type DerivedField = (typeof DERIVED_FIELDS)[number];

export const FIELD_NAMES: readonly FieldName[] = [...EVENT_COLUMNS, ...DERIVED_FIELDS] as readonly string[] as readonly FieldName[];

const FIELD_SET: ReadonlySet<string> = new Set(FIELD_NAMES);

export function isFieldName(name: string): name is FieldName {
  return FIELD_SET.has(name);
}

/** What a field holds, for checking that an operator fits it (a `gt` on `path` is a mistake). */
export type FieldKind = 'text' | 'number' | 'boolean';

const NUMBER_FIELDS: ReadonlySet<string> = new Set(['ts', 'status', 'duration_ms', 'bytes_in', 'bytes_out', 'offset', 'file_id']);
const BOOLEAN_FIELDS: ReadonlySet<string> = new Set(['is_bot', 'is_admin', 'from_cluster', 'has_app_log', 'has_web_log']);

export function fieldKind(field: FieldName): FieldKind {
  return NUMBER_FIELDS.has(field) ? 'number' : BOOLEAN_FIELDS.has(field) ? 'boolean' : 'text';
}

/** Fields that always have a value: comparing them with null can never hold. */
const NEVER_NULL: ReadonlySet<string> = new Set(['ts', 'source', 'kind', 'auth', 'attribution', 'outcome', 'file_id', 'offset', 'raw', 'is_bot', 'is_admin', 'from_cluster', 'has_app_log', 'has_web_log']);

export function canBeNull(field: FieldName): boolean {
  return !NEVER_NULL.has(field);
}

/** The closed set of values some text fields take (src/model/event.ts); null for open-ended fields. */
const KNOWN_VALUES: Readonly<Record<string, readonly string[]>> = {
  kind: ['http', 'conduit', 'login', 'vcs', 'ssh', 'webhook', 'daemon'],
  auth: ['session', 'token', 'vcs', 'ssh', 'none', 'failed'],
  attribution: ['exact', 'inferred', 'none'],
  token_type: ['api', 'cli', 'clr'],
  outcome: [
    'ok', 'not_found', 'client_error', 'denied', 'rate_limited', 'server_error', 'auth_failure', 'login_attempt',
    'login_success', 'login_failure', 'retrying', 'failed',
  ],
  source_type: SOURCE_TYPES,
};

export function knownValues(field: FieldName): readonly string[] | null {
  return KNOWN_VALUES[field] ?? null;
}

export type FieldAccessor = (ev: RuleEvent, ctx: FieldContext) => FieldValue;

// One accessor per column, each reading a fixed property, so the engine's property loads stay monomorphic.
const COLUMN_ACCESSORS: Readonly<Record<EventColumn, FieldAccessor>> = {
  ts: (ev) => ev.event.ts,
  source: (ev) => ev.event.source,
  host: (ev) => ev.event.host,
  kind: (ev) => ev.event.kind,
  client_ip: (ev) => ev.event.client_ip,
  identity: (ev) => ev.event.identity,
  token_id: (ev) => ev.event.token_id,
  token_type: (ev) => ev.event.token_type,
  auth: (ev) => ev.event.auth,
  attribution: (ev) => ev.event.attribution,
  method: (ev) => ev.event.method,
  path: (ev) => ev.event.path,
  route: (ev) => ev.event.route,
  controller: (ev) => ev.event.controller,
  conduit_method: (ev) => ev.event.conduit_method,
  status: (ev) => ev.event.status,
  outcome: (ev) => ev.event.outcome,
  duration_ms: (ev) => ev.event.duration_ms,
  bytes_in: (ev) => ev.event.bytes_in,
  bytes_out: (ev) => ev.event.bytes_out,
  user_agent: (ev) => ev.event.user_agent,
  referrer: (ev) => ev.event.referrer,
  repository: (ev) => ev.event.repository,
  request_id: (ev) => ev.event.request_id,
  webhook_id: (ev) => ev.event.webhook_id,
  target: (ev) => ev.event.target,
  error_type: (ev) => ev.event.error_type,
  error_code: (ev) => ev.event.error_code,
  message: (ev) => ev.event.message,
  file_id: (ev) => ev.event.file_id,
  offset: (ev) => ev.event.offset,
  raw: (ev) => ev.event.raw,
};

/** How each derived field is computed from the event and the context (uncached). */
const DERIVATIONS: Readonly<Record<DerivedField, FieldAccessor>> = {
  source_type: (ev, ctx) => ctx.sourceTypes.get(ev.event.source) ?? null,
  // A line with a token but no user (rare: Conduit logs the owner as %u) still belongs to the token's owner.
  is_bot: (ev, ctx) => {
    const identity = ev.event.identity;
    if (identity !== null) return ctx.registry().isBot(identity);
    const token = ev.event.token_id === null ? undefined : ctx.registry().lookup(ev.event.token_id);
    return token?.isBot === true;
  },
  is_admin: (ev, ctx) => {
    const identity = ev.event.identity;
    if (identity !== null) return ctx.registry().identity(identity)?.isAdmin === true;
    const token = ev.event.token_id === null ? undefined : ctx.registry().lookup(ev.event.token_id);
    return token?.isAdmin === true;
  },
  token_owner: (ev, ctx) => (ev.event.token_id === null ? null : ctx.registry().lookup(ev.event.token_id)?.owner ?? null),
  token_name: (ev, ctx) => (ev.event.token_id === null ? null : ctx.registry().lookup(ev.event.token_id)?.name ?? null),
  from_cluster: (ev, ctx) => ctx.clusterNetworks.contains(ev.event.client_ip),
  actor: (ev) => ev.event.token_id ?? ev.event.identity,
  // What else phabwatch reads, so a rule can prefer the most telling log and still work when only one is there.
  has_app_log: (_ev, ctx) => hasType(ctx, APP_TYPES),
  has_web_log: (_ev, ctx) => hasType(ctx, WEB_TYPES),
};

const APP_TYPES: ReadonlySet<SourceType> = new Set(['phabricator-access']);
const WEB_TYPES: ReadonlySet<SourceType> = new Set(['nginx', 'apache']);
const typeMemo = new WeakMap<ReadonlyMap<string, SourceType>, Map<ReadonlySet<SourceType>, boolean>>();

/** Whether any configured source has one of `types` (memoized per source map: it is fixed while running). */
function hasType(ctx: FieldContext, types: ReadonlySet<SourceType>): boolean {
  let memo = typeMemo.get(ctx.sourceTypes);
  if (!memo) {
    memo = new Map();
    typeMemo.set(ctx.sourceTypes, memo);
  }
  let known = memo.get(types);
  if (known === undefined) {
    known = [...ctx.sourceTypes.values()].some((t) => types.has(t));
    memo.set(types, known);
  }
  return known;
}

function cachedDerivation(field: DerivedField): FieldAccessor {
  const derive = DERIVATIONS[field];
  return (ev, ctx) => {
    const cached = ev.derived?.get(field);
    if (cached !== undefined) return cached;
    const value = derive(ev, ctx);
    (ev.derived ??= new Map()).set(field, value);
    return value;
  };
}

const ACCESSORS: ReadonlyMap<string, FieldAccessor> = new Map<string, FieldAccessor>([
  ...(Object.entries(COLUMN_ACCESSORS) as [string, FieldAccessor][]),
  ...DERIVED_FIELDS.map((f): [string, FieldAccessor] => [f, cachedDerivation(f)]),
]);

/** The accessor of a field, to look up once (when a rule compiles) and call per event. */
export function fieldAccessor(field: FieldName): FieldAccessor {
  const accessor = ACCESSORS.get(field);
  if (accessor === undefined) throw new Error(`unknown rule field "${field}" (check names with isFieldName first)`);
  return accessor;
}

/** The value of one field of an event, derived fields included. */
export function fieldValue(ev: RuleEvent, field: FieldName, ctx: FieldContext): FieldValue {
  return fieldAccessor(field)(ev, ctx);
}

/** A RuleEvent for an event, with an empty cache of derived values. */
export function ruleEvent(id: number, event: RuleEvent['event']): RuleEvent {
  return { id, event, derived: null };
}
