// The normalized event: one row of table `events` per parsed log line (PRODUCT.md, "The event").
// Every stage after the parsers speaks this shape; the store maps it 1:1 onto columns.

export type EventKind = 'http' | 'conduit' | 'login' | 'vcs' | 'ssh' | 'webhook' | 'daemon';

/** How the request proved who it was. */
export type AuthKind = 'session' | 'token' | 'vcs' | 'ssh' | 'none' | 'failed';

/** How `token_id` was learnt: seen in the line, inferred from the registry, or not known. */
export type Attribution = 'exact' | 'inferred' | 'none';

export type TokenType = 'api' | 'cli' | 'clr';

export type Outcome =
  | 'ok' // 2xx, and 3xx other than login success
  | 'not_found' // 404, or Phorge's anonymous 404 page (PhabricatorPlatform404Controller, logged as 200)
  | 'client_error' // other 4xx
  | 'denied' // 401/403 (VCS bad credentials, policy)
  | 'rate_limited' // 429 from the webserver
  | 'server_error' // 5xx
  | 'auth_failure' // Conduit call on a method that needs authentication, with no user (always HTTP 200)
  | 'login_attempt' // password-login POST seen in Phabricator's log: success or failure cannot be told from the line
  | 'login_success' // webserver 302 on the login POST, or the /auth/validate/ request that follows a successful login
  | 'login_failure' // webserver 200 on the login POST (the form shown again)
  | 'retrying' // webhook delivery failed and will be retried
  | 'failed'; // webhook/task permanent failure, daemon exception, SSH command with a non-zero exit

/** Keyed HMAC fingerprint of a raw API token (hex). The raw token never leaves the scrubber. */
export type TokenId = string & { readonly __brand: 'TokenId' };

/** A normalized, attributed event, ready for the store. Nullable fields are NULL in SQLite. */
export interface PhabEvent {
  /** ms since epoch (UTC), from the line's own timestamp */
  ts: number;
  /** configured source name */
  source: string;
  /** server host name (Phabricator %h, webserver vhost when logged, else the source's configured host) */
  host: string | null;
  kind: EventKind;
  client_ip: string | null;
  /** Phabricator username, NULL when anonymous or unknown */
  identity: string | null;
  token_id: TokenId | null;
  token_type: TokenType | null;
  auth: AuthKind;
  attribution: Attribution;
  method: string | null;
  /** percent-decoded request path without the query string (SSH: the command) */
  path: string | null;
  /** path with object ids folded: /D123 -> /D{id} */
  route: string | null;
  /** Phabricator controller class, or SSH workflow */
  controller: string | null;
  conduit_method: string | null;
  /** HTTP status, or SSH exit code */
  status: number | null;
  outcome: Outcome;
  duration_ms: number | null;
  bytes_in: number | null;
  bytes_out: number | null;
  user_agent: string | null;
  referrer: string | null;
  /** repository callsign/short name/id when the request reads or writes one */
  repository: string | null;
  /** webhook request PHID, daemon task id, or SSH request id (%Q) */
  request_id: string | null;
  /** webhook (hook) PHID when the line names it */
  webhook_id: string | null;
  /** webhook target URI */
  target: string | null;
  /** webhook error type (http, timeout, hook) or daemon exception class */
  error_type: string | null;
  /** webhook error code (HTTP status or cURL error number, or hook reason) */
  error_code: string | null;
  /** daemon/webhook message, shortened */
  message: string | null;
  /** checkpoints.id of the file the line came from */
  file_id: number;
  /** byte offset of the line's first byte in that file */
  offset: number;
  /** the original line with every secret masked */
  raw: string;
}

/** Column order used by the store; kept next to the type so the two cannot drift apart silently. */
export const EVENT_COLUMNS = [
  'ts', 'source', 'host', 'kind', 'client_ip', 'identity', 'token_id', 'token_type', 'auth', 'attribution',
  'method', 'path', 'route', 'controller', 'conduit_method', 'status', 'outcome', 'duration_ms', 'bytes_in',
  'bytes_out', 'user_agent', 'referrer', 'repository', 'request_id', 'webhook_id', 'target', 'error_type',
  'error_code', 'message', 'file_id', 'offset', 'raw',
] as const satisfies readonly (keyof PhabEvent)[];

export type EventColumn = (typeof EVENT_COLUMNS)[number];
