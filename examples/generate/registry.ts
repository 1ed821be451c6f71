// The token registry export phabwatch imports (`identities.registry`): what
//   mysql -B -e 'SELECT t.token, t.tokenType, t.tokenName, t.expires, t.objectPHID, u.userName,
//                u.isSystemAgent, u.isAdmin, u.isDisabled FROM phabricator_conduit.conduit_token t
//                JOIN phabricator_user.user u ON u.phid = t.objectPHID'
// prints: tab-separated with a header row, NULL for no expiry, 0/1 flags. Every token in it is FAKE.

import type { Cast } from './population.js';

export const REGISTRY_HEADER = ['token', 'tokenType', 'tokenName', 'expires', 'objectPHID', 'userName', 'isSystemAgent', 'isAdmin', 'isDisabled'] as const;

export function renderTokenRegistry(cast: Cast): string {
  const owners = new Map<string, { phid: string; isSystemAgent: boolean; isAdmin: boolean; isDisabled: boolean }>();
  for (const p of cast.people) owners.set(p.username, { phid: p.phid, isSystemAgent: false, isAdmin: p.isAdmin, isDisabled: p.isDisabled });
  for (const b of cast.bots) owners.set(b.username, { phid: b.phid, isSystemAgent: b.isSystemAgent, isAdmin: false, isDisabled: false });
  const flag = (value: boolean): string => (value ? '1' : '0');
  const rows = [REGISTRY_HEADER.join('\t')];
  for (const token of cast.tokens) {
    const owner = owners.get(token.owner);
    if (owner === undefined) throw new RangeError(`token ${token.value.slice(0, 8)}... belongs to unknown ${token.owner}`);
    rows.push([
      token.value, token.type, token.name, token.expiresAt === null ? 'NULL' : String(Math.floor(token.expiresAt / 1000)),
      owner.phid, token.owner, flag(owner.isSystemAgent), flag(owner.isAdmin), flag(owner.isDisabled),
    ].join('\t'));
  }
  return `${rows.join('\n')}\n`;
}
