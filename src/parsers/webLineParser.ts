// Webserver access log lines (nginx or Apache, any format string) -> RequestRecord, family 'web'.
// Which variable supplies which record field is decided once, when the parser is built; per line only
// the chosen variables are cut out of the line.

import { clientFromForwardedFor, hostWithoutPort, parseClientField, type ClientField } from './clientAddress.js';
import { failure, showValue } from './failures.js';
import { FieldScanner, type ScanLayout } from './fieldScanner.js';
import { newRequestLineParts, parseRequestLine, type RequestLineParts } from './requestLine.js';
import { TimestampCache } from './timestampCache.js';
import type { LineParser, ParseResult, RequestRecord } from './types.js';
import { decodePercent } from './percentDecode.js';
import { unescapeApache, unescapeNginx } from './webEscape.js';
import { isClientKind, WebField, type WebFieldKind, type WebFormat, type WebVariable } from './webFormat.js';

/** Index of the first variable of the first kind present, in order of preference; -1 if none. */
function firstOf(variables: readonly WebVariable[], kinds: readonly WebFieldKind[]): number {
  for (const kind of kinds) {
    const i = variables.findIndex((v) => v.kind === kind);
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * When the line starts with the client field, the fields up to the first literal holding `[` or `"` are
 * split from the right (see FieldScanner), so that the client field may hold spaces. Returns that
 * literal's index, or -1.
 */
function headAnchorOf(format: WebFormat): number {
  const first = format.variables[0];
  if (first === undefined || !isClientKind(first.kind) || format.literals[0] !== '') return -1;
  for (let k = 1; k < format.literals.length - 1; k++) {
    const literal = format.literals[k]!;
    if (literal.includes('[') || literal.includes('"')) return k;
    const v = format.variables[k]!;
    if (v.kind === WebField.time || v.kind === WebField.request) return -1;
  }
  return -1;
}

/** Trailing fields may be absent once the timestamp, request and status have been read. */
function missingTailFrom(variables: readonly WebVariable[]): number {
  let last = -1;
  variables.forEach((v, i) => {
    if (v.kind === WebField.time || v.kind === WebField.request || v.kind === WebField.status || v.kind === WebField.originalStatus) last = i;
  });
  return last + 1;
}

function layoutOf(format: WebFormat): ScanLayout {
  return {
    literals: format.literals,
    checks: Uint8Array.from(format.variables, (v) => v.check),
    names: format.variables.map((v) => v.name),
    headAnchor: headAnchorOf(format),
    backslashEscapedQuotes: format.escaping === 'apache',
    missingTail: 'any',
    missingTailFrom: missingTailFrom(format.variables),
    extraTail: true,
    backtrack: true,
    lastFieldForbids: null,
  };
}

/** First number of an `$upstream_response_time` value (`0.004, 0.120 : 0.001` when retried), in seconds. */
const LIST_SEPARATOR = /[ ,:]/;

function firstSeconds(value: string): number | null {
  const end = value.search(LIST_SEPARATOR);
  const seconds = Number(end === -1 ? value : value.slice(0, end));
  return Number.isFinite(seconds) ? seconds : null;
}

/** Seconds with a decimal fraction to ms, without binary noise (0.007 s is 7 ms, not 7.000000000000001). */
function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1e6) / 1000;
}

export class WebLineParser implements LineParser {
  private readonly scanner: FieldScanner;
  private readonly variables: readonly WebVariable[];
  private readonly unescape: (value: string) => string;
  private readonly headMode: boolean;
  private readonly timestamps: TimestampCache;
  /** scratch objects filled per line, so the per-line helpers allocate nothing of their own */
  private readonly clientField: ClientField = { host: null, clientIp: null };
  private readonly requestParts: RequestLineParts = newRequestLineParts();
  private readonly at: {
    time: number; fraction: number; client: number; user: number; request: number; method: number;
    decodedPath: number; decodedPathAndQuery: number; uri: number; query: number; queryWithMark: number; protocol: number;
    status: number; bytesOut: number; bytesIn: number; duration: number; referrer: number;
    userAgent: number; host: number;
  };

  constructor(readonly sourceType: 'nginx' | 'apache', readonly format: string, web: WebFormat) {
    const layout = layoutOf(web);
    this.scanner = new FieldScanner(layout);
    this.variables = web.variables;
    this.unescape = web.escaping === 'apache' ? unescapeApache : unescapeNginx;
    this.headMode = layout.headAnchor > 0;
    const v = web.variables;
    const W = WebField;
    this.at = {
      time: firstOf(v, [W.time]),
      fraction: firstOf(v, [W.timeFraction]),
      client: firstOf(v, [W.clientIp, W.client, W.peerIp, W.forwardedFor]),
      user: firstOf(v, [W.remoteUser]),
      request: firstOf(v, [W.request]),
      method: firstOf(v, [W.method]),
      decodedPath: firstOf(v, [W.decodedPath]),
      decodedPathAndQuery: firstOf(v, [W.decodedPathAndQuery]),
      uri: firstOf(v, [W.uri]),
      query: firstOf(v, [W.query]),
      queryWithMark: firstOf(v, [W.queryWithMark]),
      protocol: firstOf(v, [W.protocol]),
      status: firstOf(v, [W.status, W.originalStatus]),
      bytesOut: firstOf(v, [W.bodyBytes, W.bytesOut]),
      bytesIn: firstOf(v, [W.bytesIn]),
      duration: firstOf(v, [W.durationMicros, W.durationMillis, W.durationSeconds, W.upstreamSeconds]),
      referrer: firstOf(v, [W.referrer]),
      userAgent: firstOf(v, [W.userAgent]),
      host: firstOf(v, [W.hostHeader, W.serverName]),
    };
    const read = this.at.time >= 0 ? web.variables[this.at.time]!.readTime : null;
    if (read === null) throw new Error('web format without a timestamp variable (the compilers reject these)');
    this.timestamps = new TimestampCache(read);
  }

  parse(line: string): ParseResult {
    const scanner = this.scanner;
    const problem = scanner.scan(line);
    if (problem !== null) return problem;
    const at = this.at;
    // Values only need unescaping when the line has a backslash at all (rare).
    const escaped = line.indexOf('\\') !== -1;

    let ts = this.timestamps.at(line, scanner.starts[at.time]!, scanner.ends[at.time]!);
    if (Number.isNaN(ts)) {
      const shown = showValue(line.slice(scanner.starts[at.time]!, scanner.ends[at.time]!));
      return failure('bad_timestamp', `field ${at.time + 1} (${this.variables[at.time]!.name}): cannot read ${shown} as a date`);
    }
    if (at.fraction >= 0) {
      const fraction = scanner.raw(line, at.fraction);
      const ms = fraction === null ? Number.NaN : this.variables[at.fraction]!.readTime!(fraction);
      if (!Number.isNaN(ms)) ts += ms;
    }

    let host: string | null = null;
    let clientIp: string | null = null;
    if (this.headMode) {
      const head = scanner.raw(line, 0);
      if (head !== null) {
        const field = parseClientField(head, this.clientField);
        if (field === null) {
          return failure('format_mismatch', `field 1 (${this.variables[0]!.name}): expected a client address, got ${showValue(head)}`);
        }
        host = field.host;
        if (at.client === 0) clientIp = field.clientIp;
      }
    }
    if (at.client >= 0 && !(this.headMode && at.client === 0)) {
      const value = this.text(line, at.client, escaped);
      if (value !== null) {
        if (this.variables[at.client]!.kind === WebField.forwardedFor) clientIp = clientFromForwardedFor(value);
        else clientIp = parseClientField(value, this.clientField)?.clientIp ?? value;
      }
    }
    const hostValue = this.text(line, at.host, escaped);
    if (hostValue !== null) host = hostWithoutPort(hostValue);

    let method: string | null = null;
    let path: string | null = null;
    let query: string | null = null;
    let protocol: string | null = null;
    let malformedRequest = false;
    if (at.request >= 0) {
      const requestLine = this.text(line, at.request, escaped);
      if (requestLine === null) {
        malformedRequest = true;
      } else {
        const parts = parseRequestLine(requestLine, this.requestParts);
        method = parts.method;
        path = parts.path;
        query = parts.query;
        protocol = parts.protocol;
        malformedRequest = parts.malformed;
      }
    }
    if (at.method >= 0) method = this.text(line, at.method, escaped) ?? method;
    if (at.uri >= 0) {
      const uri = this.text(line, at.uri, escaped);
      if (uri !== null) {
        const question = uri.indexOf('?');
        path = decodePercent(question === -1 ? uri : uri.slice(0, question));
        if (question !== -1) query = uri.slice(question + 1);
      }
    }
    if (at.decodedPath >= 0) path = this.text(line, at.decodedPath, escaped) ?? path;
    if (at.decodedPathAndQuery >= 0) {
      const both = this.text(line, at.decodedPathAndQuery, escaped);
      if (both !== null) {
        const question = both.indexOf('?');
        path = question === -1 ? both : both.slice(0, question);
        if (question !== -1) query = both.slice(question + 1);
      }
    }
    if (at.query >= 0) query = this.text(line, at.query, escaped) ?? query;
    if (at.queryWithMark >= 0) {
      const withMark = this.text(line, at.queryWithMark, escaped);
      if (withMark !== null) query = withMark.charCodeAt(0) === 63 ? withMark.slice(1) : withMark;
    }
    if (at.protocol >= 0) protocol = this.text(line, at.protocol, escaped) ?? protocol;

    const record: RequestRecord = {
      family: 'web',
      ts,
      host,
      clientIp,
      user: this.text(line, at.user, escaped),
      userPhid: null,
      method,
      path,
      query,
      protocol,
      controller: null,
      conduitMethod: null,
      status: scanner.number(line, at.status),
      durationMs: this.durationMs(line),
      bytesIn: scanner.number(line, at.bytesIn),
      bytesOut: scanner.number(line, at.bytesOut),
      userAgent: this.text(line, at.userAgent, escaped),
      referrer: this.text(line, at.referrer, escaped),
      malformedRequest,
    };
    return { ok: true, record };
  }

  /** Unescaped value of variable i; null when absent, empty or `-`. */
  private text(line: string, i: number, escaped: boolean): string | null {
    const raw = this.scanner.raw(line, i);
    return raw === null || !escaped ? raw : this.unescape(raw);
  }

  private durationMs(line: string): number | null {
    const i = this.at.duration;
    if (i < 0) return null;
    switch (this.variables[i]!.kind) {
      case WebField.durationMicros: {
        const us = this.scanner.number(line, i);
        return us === null ? null : us / 1000;
      }
      case WebField.durationMillis:
        return this.scanner.number(line, i);
      case WebField.durationSeconds: {
        const s = this.scanner.number(line, i);
        return s === null ? null : secondsToMs(s);
      }
      default: {
        const raw = this.scanner.raw(line, i);
        const s = raw === null ? null : firstSeconds(raw);
        return s === null ? null : secondsToMs(s);
      }
    }
  }
}
