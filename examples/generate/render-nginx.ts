// nginx's built-in `combined` format:
// `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`.

import { browserEncodePath, nginxEscape } from './escaping.js';
import type { HttpHappening } from './happenings.js';
import { ServerClock } from './timestamps.js';

const UTC_CLOCK = new ServerClock('UTC');

/** User agents and referrers repeat endlessly; their escaped form is remembered (up to a bound). */
const escapedHeaders = new Map<string, string>();
const MAX_REMEMBERED_HEADERS = 4096;

function escapedHeader(value: string | null): string {
  if (value === null) return '-';
  let escaped = escapedHeaders.get(value);
  if (escaped === undefined) {
    escaped = nginxEscape(value);
    if (escapedHeaders.size < MAX_REMEMBERED_HEADERS) escapedHeaders.set(value, escaped);
  }
  return escaped;
}

/** The request line as the client sent it: raw path (browser-encoded) and query string, token included. */
export function nginxRequestLine(h: HttpHappening): string {
  if (h.rawRequestLine !== null) return h.rawRequestLine;
  const target = h.query === null ? browserEncodePath(h.path) : `${browserEncodePath(h.path)}?${h.query}`;
  return nginxEscape(`${h.method} ${target} ${h.protocol}`);
}

/** Renders one combined-format line (without the newline); the time is the request's end. */
export function renderNginxCombined(h: HttpHappening, clock: ServerClock = UTC_CLOCK): string {
  return `${h.clientIp} - ${h.remoteUser === null ? '-' : nginxEscape(h.remoteUser)} ` +
    `[${clock.nginxTimeLocal(h.endMs)}] "${nginxRequestLine(h)}" ${h.webStatus} ${h.bytesSent} ` +
    `"${escapedHeader(h.referrer)}" "${escapedHeader(h.userAgent)}"`;
}
