// In-memory index of the token registry (an import of Phabricator's conduit_token + user tables), read on
// every attributed line: token fingerprint -> token, username -> identity and live tokens.
// Usernames are matched case-insensitively, as Phabricator treats them.

import type { TokenId, TokenType } from '../model/event.js';
import type { IdentityInfo, TokenInfo } from './types.js';

export class TokenRegistry {
  private readonly byId = new Map<TokenId, TokenInfo>();
  private readonly identities = new Map<string, IdentityInfo>();
  private readonly tokensByOwner = new Map<string, TokenInfo[]>();
  private readonly bots = new Set<string>();

  constructor(tokens: TokenInfo[], identities: IdentityInfo[], extraBots: Iterable<string>) {
    for (const identity of identities) this.identities.set(normalize(identity.username), identity);
    for (const token of tokens) {
      this.byId.set(token.tokenId, token);
      if (token.owner === null) continue;
      const owner = normalize(token.owner);
      const owned = this.tokensByOwner.get(owner);
      if (owned) owned.push(token);
      else this.tokensByOwner.set(owner, [token]);
    }
    for (const bot of extraBots) this.bots.add(normalize(bot));
  }

  /** Number of registered tokens. */
  get size(): number {
    return this.byId.size;
  }

  lookup(id: TokenId): TokenInfo | undefined {
    return this.byId.get(id);
  }

  identity(username: string): IdentityInfo | undefined {
    return this.identities.get(normalize(username));
  }

  /** A bot: a system agent in the registry, or listed in the config's `identities.bots`. */
  isBot(username: string): boolean {
    const key = normalize(username);
    return this.bots.has(key) || this.identities.get(key)?.isBot === true;
  }

  /**
   * The identity's only live token (not expired at `atMs`, owner not disabled) of `type`, or of any type
   * when `type` is null; null when there are none or several, since then the line cannot say which.
   */
  inferToken(username: string, type: TokenType | null, atMs: number): TokenInfo | null {
    const key = normalize(username);
    const owned = this.tokensByOwner.get(key);
    if (owned === undefined || this.identities.get(key)?.isDisabled === true) return null;
    let found: TokenInfo | null = null;
    for (const token of owned) {
      if (type !== null && token.type !== type) continue;
      if (token.isDisabled || (token.expiresAt !== null && token.expiresAt <= atMs)) continue;
      if (found !== null) return null;
      found = token;
    }
    return found;
  }
}

function normalize(username: string): string {
  return username.toLowerCase();
}
