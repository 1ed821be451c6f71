// Contracts for attribution: secrets found in a line, the token registry, and the context that turns a
// parsed record into an attributed event.

import type { TokenId, TokenType } from '../model/event.js';

/** A token found (and masked) in a raw line. The raw value is gone by the time this exists. */
export interface SeenToken {
  tokenId: TokenId;
  type: TokenType;
  /** display hint, first 8 characters and an ellipsis, as Phabricator's own UI shows it: `api-abcd…` */
  hint: string;
}

export interface ScrubResult {
  /** the line with every secret replaced by a mask */
  line: string;
  tokens: SeenToken[];
  /** number of secrets masked (tokens, passwords, one-time login keys, ...) */
  masked: number;
}

/** A registry entry (table `tokens`), as imported from a conduit_token + user export. */
export interface TokenInfo {
  tokenId: TokenId;
  type: TokenType;
  hint: string;
  name: string | null;
  owner: string | null;
  ownerPhid: string | null;
  /** ms since epoch, or null for never */
  expiresAt: number | null;
  isBot: boolean;
  isAdmin: boolean;
  isDisabled: boolean;
}

/** A registry identity (table `identities`). */
export interface IdentityInfo {
  username: string;
  phid: string | null;
  isBot: boolean;
  isAdmin: boolean;
  isDisabled: boolean;
}
