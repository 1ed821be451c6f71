// Tables `tokens` and `identities`: the imported registry (a snapshot of conduit_token + user) and the
// tokens/identities observed in logs (first and last seen). Raw tokens never get here: only fingerprints.

import type { IdentityInfo, TokenInfo } from '../attribution/types.js';
import type { TokenId, TokenType } from '../model/event.js';
import { writeMeta, readMeta, type Db } from './database.js';

export interface RegistrySnapshot {
  tokens: TokenInfo[];
  identities: IdentityInfo[];
}

export interface ImportSummary {
  tokens: number;
  identities: number;
  /** registry tokens that were in the previous import but not in this one (now unregistered) */
  removedTokens: number;
}

interface TokenRow {
  token_id: string;
  token_type: string | null;
  hint: string | null;
  name: string | null;
  owner: string | null;
  owner_phid: string | null;
  expires_at: number | null;
  is_bot: number;
  is_admin: number;
  is_disabled: number;
}

interface IdentityRow {
  username: string;
  phid: string | null;
  is_bot: number;
  is_admin: number;
  is_disabled: number;
}

/** Replaces the registry with a new snapshot (a full export), in one transaction. */
export function importRegistry(db: Db, snapshot: RegistrySnapshot, now: number = Date.now()): ImportSummary {
  const upsertToken = db.prepare(`INSERT INTO tokens
      (token_id, token_type, hint, name, owner, owner_phid, expires_at, is_bot, is_admin, is_disabled, in_registry, imported_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
    ON CONFLICT(token_id) DO UPDATE SET token_type = excluded.token_type, hint = excluded.hint, name = excluded.name,
      owner = excluded.owner, owner_phid = excluded.owner_phid, expires_at = excluded.expires_at, is_bot = excluded.is_bot,
      is_admin = excluded.is_admin, is_disabled = excluded.is_disabled, in_registry = 1, imported_at = excluded.imported_at`);
  const upsertIdentity = db.prepare(`INSERT INTO identities
      (username, phid, is_bot, is_admin, is_disabled, in_registry, imported_at) VALUES (?, ?, ?, ?, ?, 1, ?)
    ON CONFLICT(username) DO UPDATE SET phid = excluded.phid, is_bot = excluded.is_bot, is_admin = excluded.is_admin,
      is_disabled = excluded.is_disabled, in_registry = 1, imported_at = excluded.imported_at`);
  const flag = (b: boolean): number => (b ? 1 : 0);
  return db.transaction((): ImportSummary => {
    const before = db.prepare('SELECT count(*) AS n FROM tokens WHERE in_registry = 1').get() as { n: number };
    db.prepare('UPDATE tokens SET in_registry = 0 WHERE in_registry = 1').run();
    db.prepare('UPDATE identities SET in_registry = 0 WHERE in_registry = 1').run();
    for (const t of snapshot.tokens) {
      upsertToken.run(t.tokenId, t.type, t.hint, t.name, t.owner, t.ownerPhid, t.expiresAt, flag(t.isBot), flag(t.isAdmin), flag(t.isDisabled), now);
    }
    for (const i of snapshot.identities) {
      upsertIdentity.run(i.username, i.phid, flag(i.isBot), flag(i.isAdmin), flag(i.isDisabled), now);
    }
    const kept = db.prepare('SELECT count(*) AS n FROM tokens WHERE in_registry = 1 AND imported_at = ?').get(now) as { n: number };
    writeMeta(db, 'registry_version', String(now));
    return {
      tokens: snapshot.tokens.length,
      identities: snapshot.identities.length,
      removedTokens: Math.max(0, before.n - Math.min(before.n, kept.n)),
    };
  })();
}

/** The current registry (imported rows only). */
export function loadRegistry(db: Db): RegistrySnapshot {
  const tokens = (db.prepare('SELECT * FROM tokens WHERE in_registry = 1').all() as TokenRow[]).map((r): TokenInfo => ({
    tokenId: r.token_id as TokenId,
    type: (r.token_type ?? 'api') as TokenType,
    hint: r.hint ?? '',
    name: r.name,
    owner: r.owner,
    ownerPhid: r.owner_phid,
    expiresAt: r.expires_at,
    isBot: r.is_bot === 1,
    isAdmin: r.is_admin === 1,
    isDisabled: r.is_disabled === 1,
  }));
  const identities = (db.prepare('SELECT * FROM identities WHERE in_registry = 1').all() as IdentityRow[]).map((r): IdentityInfo => ({
    username: r.username,
    phid: r.phid,
    isBot: r.is_bot === 1,
    isAdmin: r.is_admin === 1,
    isDisabled: r.is_disabled === 1,
  }));
  return { tokens, identities };
}

/** Changes whenever a registry is imported; a running agent polls it to pick up `tokens import`. */
export function registryVersion(db: Db): string | null {
  return readMeta(db, 'registry_version');
}
