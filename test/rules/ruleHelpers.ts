// Shared by the rule-loading tests: fixture folders (found from the repository root, whichever build folder the
// compiled tests run from), a field context with a small token registry, and events as rules see them.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetworkSet } from '../../src/attribution/networks.js';
import { TokenRegistry } from '../../src/attribution/tokenRegistry.js';
import type { IdentityInfo, TokenInfo } from '../../src/attribution/types.js';
import type { SourceType } from '../../src/config/types.js';
import type { PhabEvent, TokenId } from '../../src/model/event.js';
import { ruleEvent, type FieldContext } from '../../src/rules/fields.js';
import type { RuleEvent } from '../../src/rules/model.js';
import { makeEvent } from '../support/events.js';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'phabwatch') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no phabwatch package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function ruleFixture(...parts: string[]): string {
  return join(repoRoot(), 'test', 'fixtures', 'rules', ...parts);
}

export const CI_TOKEN = 'tok-ci' as TokenId;
export const ALICE_TOKEN = 'tok-alice' as TokenId;

function token(tokenId: TokenId, owner: string, name: string, flags: Partial<TokenInfo> = {}): TokenInfo {
  return { tokenId, type: 'api', hint: 'api-xxxx…', name, owner, ownerPhid: null, expiresAt: null, isBot: false, isAdmin: false, isDisabled: false, ...flags };
}

function identity(username: string, flags: Partial<IdentityInfo> = {}): IdentityInfo {
  return { username, phid: null, isBot: false, isAdmin: false, isDisabled: false, ...flags };
}

/** Registry: ci-bot (a system agent), alice (an administrator), bob; `extraBots` as config `identities.bots`. */
export function testRegistry(extraBots: string[] = ['deploy']): TokenRegistry {
  return new TokenRegistry(
    [token(CI_TOKEN, 'ci-bot', 'CI', { isBot: true }), token(ALICE_TOKEN, 'alice', 'laptop', { isAdmin: true })],
    [identity('ci-bot', { isBot: true }), identity('alice', { isAdmin: true }), identity('bob')],
    extraBots,
  );
}

export interface CountingContext extends FieldContext {
  /** how many times registry() was asked for */
  registryCalls: number;
}

export function fieldContext(options: { registry?: TokenRegistry; cluster?: string[]; sources?: [string, SourceType][] } = {}): CountingContext {
  const registry = options.registry ?? testRegistry();
  const ctx: CountingContext = {
    sourceTypes: new Map<string, SourceType>(options.sources ?? [['phab', 'phabricator-access'], ['web', 'nginx'], ['ssh', 'phabricator-ssh']]),
    clusterNetworks: new NetworkSet(options.cluster ?? ['10.0.0.0/8', 'fd00::/8']),
    registryCalls: 0,
    registry() {
      ctx.registryCalls++;
      return registry;
    },
  };
  return ctx;
}

let nextId = 1;

export function ev(overrides: Partial<PhabEvent> = {}): RuleEvent {
  return ruleEvent(nextId++, makeEvent(overrides));
}
