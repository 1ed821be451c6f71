// Request spans, rebuilt from stored events: one SERVER span per HTTP request, Conduit call, login and VCS request,
// and per SSH session, with the line's own start time and duration, OpenTelemetry semantic-convention attributes
// and deterministic ids (spanIds.ts). Paths and lines are already masked, so no raw token can get in; client
// addresses and usernames are allowed on spans (never on metrics).

import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type Link, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import { millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { SourceType } from '../config/types.js';
import type { EventKind, PhabEvent } from '../model/event.js';
import type { SpanIdDeriver } from './spanIds.js';

/** The event fields a span is made of (a PhabEvent, or the same columns read back from the store). */
export type SpanEvent = Pick<
  PhabEvent,
  | 'ts' | 'source' | 'host' | 'kind' | 'client_ip' | 'identity' | 'token_id' | 'method' | 'path' | 'route' | 'controller'
  | 'conduit_method' | 'status' | 'outcome' | 'duration_ms' | 'bytes_in' | 'bytes_out' | 'user_agent' | 'repository' | 'offset'
>;

/** The columns of SpanEvent, for reading events back from the store. */
export const SPAN_EVENT_COLUMNS = [
  'ts', 'source', 'host', 'kind', 'client_ip', 'identity', 'token_id', 'method', 'path', 'route', 'controller', 'conduit_method',
  'status', 'outcome', 'duration_ms', 'bytes_in', 'bytes_out', 'user_agent', 'repository', 'offset',
] as const satisfies readonly (keyof SpanEvent)[];

const SPAN_KINDS: ReadonlySet<EventKind> = new Set<EventKind>(['http', 'conduit', 'login', 'vcs', 'ssh']);
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const NOT_FOUND_CONTROLLER = 'PhabricatorPlatform404Controller';
const MAX_ATTRIBUTE_CHARS = 2048;

export function hasSpan(kind: EventKind): boolean {
  return SPAN_KINDS.has(kind);
}

/**
 * Errors for sampling and span status: 5xx, Conduit authentication failures, failed password logins, and SSH
 * sessions whose command failed.
 */
export function isErrorEvent(e: Pick<PhabEvent, 'outcome' | 'kind'>): boolean {
  const o = e.outcome;
  return o === 'server_error' || o === 'auth_failure' || o === 'login_failure' || (o === 'failed' && e.kind === 'ssh');
}

/**
 * Builds each request span as a finished ReadableSpan and hands it to the span processor (the SDK's batch
 * processor, behind the drop counter). Going through Tracer.startSpan would cost several microseconds more per span
 * for checks this code does not need (ids, times and attributes are made here, from validated events); alert
 * spans, which are few, do use the tracer.
 */
export class RequestSpanEmitter {
  private readonly scope: InstrumentationScope;

  constructor(
    private readonly processor: SpanProcessor,
    private readonly resource: Resource,
    scope: string,
    private readonly deriver: SpanIdDeriver,
    /** source name -> type: nginx writes a request's end time, the others its start */
    private readonly sourceTypes: ReadonlyMap<string, SourceType>,
  ) {
    this.scope = { name: scope };
  }

  emit(e: SpanEvent): void {
    const duration = e.duration_ms !== null && e.duration_ms > 0 ? e.duration_ms : 0;
    const start = this.sourceTypes.get(e.source) === 'nginx' ? e.ts - duration : e.ts;
    const ids = this.deriver.requestIds(e);
    this.processor.onEnd(new RequestSpan(
      e.kind === 'ssh' ? sshSpanName(e) : httpSpanName(e),
      { traceId: ids.traceId, spanId: ids.spanId, traceFlags: TraceFlags.SAMPLED },
      start, duration,
      isErrorEvent(e) ? { code: SpanStatusCode.ERROR, message: e.outcome } : UNSET,
      e.kind === 'ssh' ? sshAttributes(e) : httpAttributes(e),
      this.resource, this.scope,
    ));
  }
}

const UNSET: SpanStatus = { code: SpanStatusCode.UNSET };
const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];

/** A finished request span, as the exporters read it (a class, so its methods are shared, not made per span). */
class RequestSpan implements ReadableSpan {
  readonly kind = SpanKind.SERVER;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;

  constructor(
    readonly name: string,
    private readonly context: SpanContext,
    startMs: number,
    durationMs: number,
    readonly status: SpanStatus,
    readonly attributes: Attributes,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
  ) {
    this.startTime = millisToHrTime(startMs);
    this.endTime = millisToHrTime(startMs + durationMs);
    this.duration = millisToHrTime(durationMs);
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

/** Text from log lines, capped so one absurd user agent cannot bloat an export. */
function text(value: string): string {
  return value.length > MAX_ATTRIBUTE_CHARS ? value.slice(0, MAX_ATTRIBUTE_CHARS) : value;
}

function httpRoute(e: SpanEvent): string | null {
  if (e.controller === NOT_FOUND_CONTROLLER || e.outcome === 'not_found') return null;
  if (e.kind === 'conduit') return e.conduit_method !== null ? `/api/${e.conduit_method}` : '/api/{method}';
  return e.route;
}

function httpSpanName(e: SpanEvent): string {
  const method = e.method !== null && KNOWN_METHODS.has(e.method) ? e.method : 'HTTP';
  const route = httpRoute(e);
  return route === null ? method : `${method} ${route}`;
}

function sshSpanName(e: SpanEvent): string {
  return `ssh ${e.controller ?? 'session'}`;
}

function common(e: SpanEvent, a: Attributes): void {
  a['phabwatch.source'] = e.source;
  a['phabwatch.kind'] = e.kind;
  a['phabwatch.outcome'] = e.outcome;
  if (e.host !== null) a['server.address'] = e.host;
  if (e.client_ip !== null) a['client.address'] = e.client_ip;
  if (e.identity !== null) a['enduser.id'] = e.identity;
  // The keyed fingerprint, never the token itself.
  if (e.token_id !== null) a['phabwatch.token_id'] = e.token_id;
  if (e.repository !== null) a['vcs.repository.name'] = e.repository;
  if (isErrorEvent(e)) a['error.type'] = e.outcome === 'server_error' && e.status !== null ? String(e.status) : e.outcome;
}

function httpAttributes(e: SpanEvent): Attributes {
  const a: Attributes = {};
  if (e.method !== null) {
    if (KNOWN_METHODS.has(e.method)) a['http.request.method'] = e.method;
    else {
      a['http.request.method'] = '_OTHER';
      a['http.request.method_original'] = text(e.method);
    }
  }
  const route = httpRoute(e);
  if (route !== null) a['http.route'] = text(route);
  if (e.path !== null) a['url.path'] = text(e.path);
  if (e.status !== null) a['http.response.status_code'] = e.status;
  if (e.user_agent !== null) a['user_agent.original'] = text(e.user_agent);
  if (e.bytes_out !== null) a['http.response.body.size'] = e.bytes_out;
  if (e.bytes_in !== null) a['http.request.body.size'] = e.bytes_in;
  if (e.controller !== null) a['phabwatch.controller'] = e.controller;
  if (e.kind === 'conduit') {
    a['rpc.system'] = 'conduit';
    if (e.conduit_method !== null) a['rpc.method'] = e.conduit_method;
  }
  common(e, a);
  return a;
}

function sshAttributes(e: SpanEvent): Attributes {
  const a: Attributes = {};
  if (e.controller !== null) a['phabwatch.ssh.workflow'] = e.controller;
  if (e.route !== null) a['phabwatch.ssh.command'] = text(e.route);
  if (e.status !== null) a['process.exit.code'] = e.status;
  if (e.bytes_out !== null) a['phabwatch.ssh.bytes_out'] = e.bytes_out;
  if (e.bytes_in !== null) a['phabwatch.ssh.bytes_in'] = e.bytes_in;
  common(e, a);
  return a;
}
