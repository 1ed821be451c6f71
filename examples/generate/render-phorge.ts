// Phorge's HTTP access log line in the default format
// `[%D]\t%p\t%h\t%r\t%u\t%C\t%m\t%U\t%R\t%c\t%T` (reference: phabricator-logs.md sections 1 and 9).

import { phorgeCEscape, phorgeEncodePath } from './escaping.js';
import type { HttpHappening } from './happenings.js';
import { ServerClock } from './timestamps.js';

const UTC_CLOCK = new ServerClock('UTC');

/**
 * Renders one access-log line (without the newline). `%D` is the request start in the server zone,
 * `%U` the re-percent-encoded path without the query string, `%T` microseconds. Throws for a request
 * that never reached Phorge, since Phorge wrote nothing for it.
 */
export function renderPhabricatorAccess(h: HttpHappening, clock: ServerClock = UTC_CLOCK): string {
  if (h.phorgeStatus === null) {
    throw new RangeError(`request ${h.method} ${h.path} never reached Phorge; it has no access-log line`);
  }
  return `[${clock.phpRfc2822(h.startMs)}]\t${h.pid}\t${h.host}\t${h.clientIp}\t` +
    `${h.user === null ? '-' : phorgeCEscape(h.user)}\t${h.controller}\t${h.conduitMethod ?? '-'}\t` +
    `${phorgeEncodePath(h.path)}\t${h.referrer === null ? '-' : phorgeCEscape(h.referrer)}\t` +
    `${h.phorgeStatus}\t${h.durationUs === null ? '-' : h.durationUs}`;
}
