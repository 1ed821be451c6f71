// What the traffic model produces: one record per thing that ends up in a log ("happening"). The
// renderers turn them into the exact lines Phorge, nginx, sshd's ssh-exec and phd write.

/** One HTTP request as Phorge and nginx saw it. Every field is always present so V8 keeps one shape. */
export interface HttpHappening {
  type: 'http';
  /** request start, ms since epoch (Phorge's %D) */
  startMs: number;
  /** request end as the webserver logs it (nginx `$time_local`); also when both logs write the line */
  endMs: number;
  /** Phorge's %T in microseconds; null when PHP's fatal path wrote the line (logged as `-`) */
  durationUs: number | null;
  clientIp: string;
  /** php-fpm worker PID (%p) */
  pid: number;
  /** server host name (%h) */
  host: string;
  method: string;
  /** decoded request path, no query string */
  path: string;
  /** query string without `?`, as sent, or null */
  query: string | null;
  protocol: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2.0';
  /** when not null, nginx's `$request` text verbatim (already escaped): garbage or TLS bytes sent to the port */
  rawRequestLine: string | null;
  /** Phorge's %u: the session user, the Conduit caller, or the VCS user; null for `-` */
  user: string | null;
  /** Phorge's %C (the routed controller); empty for requests that never reach Phorge */
  controller: string;
  /** Phorge's %m; null for `-` (not Conduit, or an unknown method) */
  conduitMethod: string | null;
  referrer: string | null;
  userAgent: string | null;
  /** nginx `$remote_user` (HTTP Basic user, VCS over HTTP) */
  remoteUser: string | null;
  /** Phorge's %c; null when the request never reached Phorge's log (static files, 429, 400 garbage, /index.php) */
  phorgeStatus: number | null;
  /** nginx `$status` (302 where Phorge logs a redirect as 200) */
  webStatus: number;
  /** nginx `$body_bytes_sent` */
  bytesSent: number;
}

/** One `ssh-exec` session, as Phabricator's SSH log records it. */
export interface SshHappening {
  type: 'ssh';
  startMs: number;
  endMs: number;
  durationUs: number;
  pid: number;
  host: string;
  clientIp: string;
  /** %s: the Unix user sshd runs ssh-exec as */
  systemUser: string;
  /** %S: `phd.user`, or null for `-` */
  sudoUser: string | null;
  /** %u; null for `-` (unknown key) */
  user: string | null;
  /** %C, e.g. git-upload-pack; null for `-` (no command given) */
  workflow: string | null;
  /** %U, the whole command; null for `-` */
  command: string | null;
  failed: boolean;
  /** %i / %o; null for `-` when the workflow never got that far */
  bytesIn: number | null;
  bytesOut: number | null;
}

export type DaemonEvent =
  | { kind: 'overseer'; logType: 'OVER' | 'SGNL' | 'PIDF'; message: string }
  /** a delivery failed and the task will be retried (`Error while executing Task ID N.`) */
  | { kind: 'webhook-retry'; taskId: number; requestPhid: string; uri: string; errorType: 'http' | 'timeout'; errorCode: number }
  /** a delivery failed for good (test requests, `retryMode` never) */
  | { kind: 'webhook-not-retried'; taskId: number; requestPhid: string; uri: string; errorType: 'http' | 'timeout'; errorCode: number }
  /** the request's hook was disabled: permanent failure naming the hook */
  | { kind: 'webhook-hook-disabled'; taskId: number; requestPhid: string; hookPhid: string };

/** Something phd wrote to daemons.log (one event may be several lines: message and stack trace). */
export interface DaemonHappening {
  type: 'daemon';
  atMs: number;
  event: DaemonEvent;
}

export type Happening = HttpHappening | SshHappening | DaemonHappening;

/** When the happening's line(s) are appended to its file: files are in this order. */
export function writeTimeOf(happening: Happening): number {
  return happening.type === 'daemon' ? happening.atMs : happening.endMs;
}
