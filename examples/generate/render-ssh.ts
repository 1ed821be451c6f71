// Phabricator's SSH log line in the default format
// `[%D]\t%p\t%h\t%r\t%s\t%S\t%u\t%C\t%U\t%c\t%T\t%i\t%o` (reference: section 2 and 9: `%c` is empty on
// success and `1` on failure, `%U` is cut to 128 code points).

import { phorgeCEscape } from './escaping.js';
import type { SshHappening } from './happenings.js';
import { ServerClock } from './timestamps.js';

const UTC_CLOCK = new ServerClock('UTC');

const MAX_COMMAND_CODE_POINTS = 128;

function truncateCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join('');
}

/** Renders one SSH-log line (without the newline). */
export function renderSshLine(s: SshHappening, clock: ServerClock = UTC_CLOCK): string {
  const command = s.command === null ? '-' : phorgeCEscape(truncateCodePoints(s.command, MAX_COMMAND_CODE_POINTS));
  const line = `[${clock.phpRfc2822(s.startMs)}]\t${s.pid}\t${s.host}\t${s.clientIp}\t${s.systemUser}\t` +
    `${s.sudoUser ?? '-'}\t${s.user ?? '-'}\t${s.workflow ?? '-'}\t${command}\t${s.failed ? '1' : ''}\t` +
    `${s.durationUs}\t${s.bytesIn ?? '-'}\t${s.bytesOut ?? '-'}`;
  // PhutilDeferredLog right-trims the whole line.
  return line.trimEnd();
}
