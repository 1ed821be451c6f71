// Samples of rejected lines go into `rejects` and into log messages. A sample is a cut line, and a cut can
// leave the first part of a token that the scrubber's full-token pattern would no longer recognise, so
// samples get a second, stricter pass for token fragments before they are shortened.

import type { SecretScrubber } from '../attribution/secretScrubber.js';

const TOKEN_FRAGMENT = /\b(api|cli|clr)-[a-z2-7]{4,}/g;
export const SAMPLE_MAX_CHARS = 200;

export function redactSample(scrubber: SecretScrubber, text: string): string {
  const scrubbed = scrubber.scrub(text).line.replace(TOKEN_FRAGMENT, '$1-[masked]');
  // Control characters would garble terminals and logs; show them escaped.
  // eslint-disable-next-line no-control-regex
  const printable = scrubbed.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return printable.length > SAMPLE_MAX_CHARS ? `${printable.slice(0, SAMPLE_MAX_CHARS)}…` : printable;
}
