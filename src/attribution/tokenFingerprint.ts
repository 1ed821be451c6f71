// Turns a raw Conduit API token into what phabwatch keeps instead: a keyed fingerprint (TokenId) and the
// short hint Phabricator's own UI shows. The raw value is never stored; only these two leave this module.

import { createHmac } from 'node:crypto';
import type { TokenId, TokenType } from '../model/event.js';

/**
 * A Conduit API token as Phabricator/Phorge mint it: a type prefix and 28 characters of lowercase base32
 * (PhabricatorConduitToken; 32 characters in all). Not global, so it is safe to share; scanners that need
 * every match build their own global copy.
 */
export const TOKEN_PATTERN = /\b(api|cli|clr)-[a-z2-7]{28}\b/;

const WHOLE_TOKEN = /^(?:api|cli|clr)-[a-z2-7]{28}$/;

/** Length of a Phabricator token: 4-character prefix plus 28 random characters. */
export const TOKEN_LENGTH = 32;
const FINGERPRINT_HEX_CHARS = 16;
const HINT_CHARS = 8;

/** HMAC-SHA256 of the raw token under the installation's key, first 16 hex characters. */
export function fingerprintToken(key: Buffer, raw: string): TokenId {
  return createHmac('sha256', key).update(raw, 'utf8').digest('hex').slice(0, FINGERPRINT_HEX_CHARS) as TokenId;
}

/** The display hint, as Phabricator shows tokens: first 8 characters and an ellipsis (`api-abcd…`). */
export function tokenHint(raw: string): string {
  return `${raw.slice(0, HINT_CHARS)}…`;
}

/** The type of a well-formed token, or null when `raw` is not a token at all. */
export function tokenTypeOf(raw: string): TokenType | null {
  if (!WHOLE_TOKEN.test(raw)) return null;
  return raw.slice(0, 3) as TokenType;
}
