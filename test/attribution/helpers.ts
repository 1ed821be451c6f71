// Shared test helpers: fixture paths (found from the repository root, whichever build folder the compiled
// tests run from), fake tokens, and ParsedRecord builders shaped like the parsers' output.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenId, TokenType } from '../../src/model/event.js';
import type { DaemonRecord, RequestRecord, SshRecord, WebhookFailure } from '../../src/parsers/types.js';
import type { IdentityInfo, TokenInfo } from '../../src/attribution/types.js';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'phabwatch') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no phabwatch package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function fixturePath(name: string): string {
  return join(repoRoot(), 'test', 'fixtures', 'attribution', name);
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A FAKE token of the right shape, derived from a seed so tests can name them. */
export function fakeToken(type: TokenType, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let body = '';
  for (let i = 0; i < 28; i++) body += BASE32[digest[i]! % 32];
  return `${type}-${body}`;
}

export const TEST_KEY = Buffer.from('phabwatch-test-key-0123456789abcdef');

export function request(fields: Partial<RequestRecord> = {}): RequestRecord {
  return {
    family: 'app', ts: Date.UTC(2026, 10, 29, 18, 51, 38), host: 'vm', clientIp: '127.0.0.2', user: null,
    userPhid: null, method: null, path: '/', query: null, protocol: null, controller: null, conduitMethod: null,
    status: 200, durationMs: 12, bytesIn: null, bytesOut: null, userAgent: null, referrer: null,
    malformedRequest: false, ...fields,
  };
}

export function ssh(fields: Partial<SshRecord> = {}): SshRecord {
  return {
    family: 'ssh', ts: Date.UTC(2026, 10, 29, 18, 55, 7), host: 'vm', clientIp: '127.0.0.5', systemUser: 'vcs-user',
    sudoUser: null, user: null, userPhid: null, workflow: null, command: null, exitCode: 0, durationMs: 187,
    bytesIn: null, bytesOut: null, requestId: null, keyId: null, ...fields,
  };
}

export function daemon(fields: Partial<DaemonRecord> = {}): DaemonRecord {
  return {
    family: 'daemon', ts: Date.UTC(2026, 10, 29, 18, 53, 30), category: 'info', logType: null, taskId: null,
    exceptionClass: null, message: '', webhook: null, ...fields,
  };
}

export function webhookFailure(fields: Partial<WebhookFailure> = {}): WebhookFailure {
  return { requestId: null, hookId: null, uri: null, errorType: null, errorCode: null, willRetry: false, ...fields };
}

export function tokenInfo(fields: Partial<TokenInfo> & { tokenId: TokenId }): TokenInfo {
  return {
    type: 'api', hint: 'api-xxxx…', name: null, owner: null, ownerPhid: null, expiresAt: null, isBot: false,
    isAdmin: false, isDisabled: false, ...fields,
  };
}

export function identityInfo(fields: Partial<IdentityInfo> & { username: string }): IdentityInfo {
  return { phid: null, isBot: false, isAdmin: false, isDisabled: false, ...fields };
}
