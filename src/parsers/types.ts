// Contracts for the parsers: text in, a typed record (or a typed failure) out. Parsers are pure: they
// never open files or the database, and they only ever see lines whose secrets were already masked.

import type { SourceType } from '../config/types.js';

/** Why a line could not become an event. Stored in `rejects.reason`. */
export const REJECT_REASONS = [
  'format_mismatch', // the line does not have the configured format's shape
  'bad_timestamp', // the timestamp field is missing or unreadable
  'bad_field', // a numeric/IP field holds something else
  'binary', // control bytes: not a text log line
  'invalid_utf8', // bytes that are not UTF-8, and the line did not parse
  'oversized', // longer than max_line_bytes
  'truncated', // the file ended in the middle of this line
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export interface ParseFailure {
  ok: false;
  reason: RejectReason;
  /** what was wrong and where, e.g. "field 10 (%c, status): expected a number, got \"abc\"" */
  detail: string;
}

/** An HTTP request, from Phabricator's access log (`app`) or a webserver log (`web`). */
export interface RequestRecord {
  family: 'app' | 'web';
  /** ms since epoch, UTC */
  ts: number;
  host: string | null;
  clientIp: string | null;
  /** Phabricator %u, or the webserver's remote user (HTTP Basic); null for `-` */
  user: string | null;
  userPhid: string | null;
  method: string | null;
  /** percent-decoded path, no query string */
  path: string | null;
  /** the query string without the `?`, as logged (secrets already masked), or null */
  query: string | null;
  protocol: string | null;
  controller: string | null;
  conduitMethod: string | null;
  status: number | null;
  durationMs: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  userAgent: string | null;
  referrer: string | null;
  /** the request line was not a request (e.g. `-`, empty, binary garbage sent to the port) */
  malformedRequest: boolean;
}

/** One SSH session, from Phabricator's SSH log. */
export interface SshRecord {
  family: 'ssh';
  ts: number;
  host: string | null;
  clientIp: string | null;
  systemUser: string | null;
  sudoUser: string | null;
  user: string | null;
  userPhid: string | null;
  /** %C: first word of the command, e.g. git-upload-pack */
  workflow: string | null;
  /** %U: the whole command */
  command: string | null;
  /** %c: 0 (or empty) on success, 1 on failure; null when unknown */
  exitCode: number | null;
  durationMs: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  requestId: string | null;
  keyId: string | null;
}

/** A line of phd's daemons.log. */
export interface DaemonRecord {
  family: 'daemon';
  ts: number;
  /** webhook: a Herald webhook delivery failure; failure: another exception or task failure; info: overseer/other */
  category: 'webhook' | 'failure' | 'info';
  /** overseer message type (OVER, SGNL, ...) or error kind (EXCEPTION, ERROR, PHLOG) */
  logType: string | null;
  taskId: string | null;
  /** innermost exception class, e.g. PhabricatorWorkerPermanentFailureException */
  exceptionClass: string | null;
  message: string;
  webhook: WebhookFailure | null;
}

export interface WebhookFailure {
  /** PHID-HWBR-... */
  requestId: string | null;
  /** PHID-HWBH-..., only in some permanent-failure sentences */
  hookId: string | null;
  uri: string | null;
  /** http | timeout | hook | ... */
  errorType: string | null;
  /** HTTP status, cURL error number, or the hook reason (disabled, uri, object, silent) */
  errorCode: string | null;
  willRetry: boolean;
}

export type ParsedRecord = RequestRecord | SshRecord | DaemonRecord;

export type ParseResult = { ok: true; record: ParsedRecord } | ParseFailure;

export interface LineParser {
  readonly sourceType: SourceType;
  /** the format string in use (the default when none was configured) */
  readonly format: string;
  parse(line: string): ParseResult;
  /**
   * Multi-line sources only: true when this line continues the record started by an earlier line
   * (stack traces in daemons.log). Continuation lines become part of that record's raw text.
   */
  isContinuation?(line: string): boolean;
}

/** A format string that cannot be compiled, with the position of the problem. */
export interface FormatError {
  message: string;
  /** 0-based character index in the format string, when known */
  position: number | null;
}

export interface ParserOptions {
  type: SourceType;
  format: string | null;
  /** IANA zone for timestamps written without an offset */
  timezone: string;
}
