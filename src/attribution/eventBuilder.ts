// Turns a parsed record, the tokens the scrubber saw in its line, and the line's location into one
// attributed event (PRODUCT.md "The event"). Runs per line: no regex is compiled here, routes are memoized.

import type { Attribution, Outcome, PhabEvent, TokenId, TokenType } from '../model/event.js';
import type { DaemonRecord, ParsedRecord, RequestRecord, SshRecord } from '../parsers/types.js';
import { requestAuth, requestKind, requestOutcome, tokenTypeInUse } from './requestClassifier.js';
import { foldRoute, foldSshCommand, repositoryOf } from './routes.js';
import type { TokenRegistry } from './tokenRegistry.js';
import type { SeenToken, TokenInfo } from './types.js';

export interface LineLocation {
  source: string;
  /** the source's configured host, for lines that name none */
  sourceHost: string | null;
  fileId: number;
  offset: number;
  /** the line, already masked */
  raw: string;
}

/** Daemon and webhook messages are kept to this many characters (the raw line has the rest). */
export const MAX_MESSAGE_CHARS = 500;
/** Distinct paths whose folded route is remembered; the memo is dropped when full. */
const ROUTE_MEMO_SIZE = 8192;

interface TokenAttribution {
  tokenId: TokenId | null;
  tokenType: TokenType | null;
  attribution: Attribution;
}

const NO_TOKEN: TokenAttribution = { tokenId: null, tokenType: null, attribution: 'none' };

export class EventBuilder {
  private registry: TokenRegistry;
  private readonly routeMemo = new Map<string, string>();

  constructor(registry: TokenRegistry) {
    this.registry = registry;
  }

  /** Swaps in a new registry (after `tokens import` while running); later lines use it. */
  setRegistry(registry: TokenRegistry): void {
    this.registry = registry;
  }

  build(record: ParsedRecord, tokens: readonly SeenToken[], loc: LineLocation): PhabEvent {
    switch (record.family) {
      case 'ssh':
        return this.buildSsh(record, tokens, loc);
      case 'daemon':
        return this.buildDaemon(record, tokens, loc);
      default:
        return this.buildRequest(record, tokens, loc);
    }
  }

  private buildRequest(r: RequestRecord, tokens: readonly SeenToken[], loc: LineLocation): PhabEvent {
    const kind = requestKind(r);
    const outcome = requestOutcome(r, kind);
    const seen = this.pickSeenToken(tokens);
    const identity = r.user ?? seen?.info?.owner ?? null;
    let token = seen === null ? NO_TOKEN : exact(seen.token);
    // Only Conduit takes API tokens (VCS over HTTP uses VCS passwords or LFS tokens): infer one only there.
    if (seen === null && kind === 'conduit' && identity !== null && outcome !== 'auth_failure') {
      token = inferred(this.registry.inferToken(identity, tokenTypeInUse(r.userAgent), r.ts));
    }
    const path = r.path;
    return {
      ts: r.ts,
      source: loc.source,
      host: r.host ?? loc.sourceHost,
      kind,
      client_ip: r.clientIp,
      identity,
      token_id: token.tokenId,
      token_type: token.tokenType,
      auth: requestAuth(r, kind, outcome, seen !== null),
      attribution: token.attribution,
      method: r.method,
      path,
      route: path === null ? null : this.route(path),
      controller: r.controller,
      conduit_method: r.conduitMethod,
      status: r.status,
      outcome,
      duration_ms: r.durationMs,
      bytes_in: r.bytesIn,
      bytes_out: r.bytesOut,
      user_agent: r.userAgent,
      referrer: r.referrer,
      repository: path === null ? null : repositoryOf(path, kind),
      request_id: null,
      webhook_id: null,
      target: null,
      error_type: null,
      error_code: null,
      message: null,
      file_id: loc.fileId,
      offset: loc.offset,
      raw: loc.raw,
    };
  }

  private buildSsh(s: SshRecord, tokens: readonly SeenToken[], loc: LineLocation): PhabEvent {
    const seen = this.pickSeenToken(tokens);
    const outcome: Outcome = s.exitCode === null || s.exitCode === 0 ? 'ok' : 'failed';
    const token = seen === null ? NO_TOKEN : exact(seen.token);
    return {
      ts: s.ts,
      source: loc.source,
      host: s.host ?? loc.sourceHost,
      kind: 'ssh',
      client_ip: s.clientIp,
      identity: s.user,
      token_id: token.tokenId,
      token_type: token.tokenType,
      auth: s.user !== null ? 'ssh' : outcome === 'failed' ? 'failed' : 'none',
      attribution: token.attribution,
      method: null,
      path: s.command,
      route: foldSshCommand(s.command, s.workflow),
      controller: s.workflow,
      conduit_method: null,
      status: s.exitCode,
      outcome,
      duration_ms: s.durationMs,
      bytes_in: s.bytesIn,
      bytes_out: s.bytesOut,
      user_agent: null,
      referrer: null,
      repository: repositoryOf(s.command, 'ssh'),
      request_id: s.requestId,
      webhook_id: null,
      target: null,
      error_type: null,
      error_code: null,
      message: null,
      file_id: loc.fileId,
      offset: loc.offset,
      raw: loc.raw,
    };
  }

  private buildDaemon(d: DaemonRecord, tokens: readonly SeenToken[], loc: LineLocation): PhabEvent {
    const webhook = d.category === 'webhook' ? d.webhook : null;
    const kind = d.category === 'webhook' ? 'webhook' : 'daemon';
    let outcome: Outcome;
    if (d.category === 'webhook') outcome = webhook?.willRetry === true ? 'retrying' : 'failed';
    else outcome = d.category === 'failure' ? 'failed' : 'ok';
    const seen = this.pickSeenToken(tokens);
    const token = seen === null ? NO_TOKEN : exact(seen.token);
    return {
      ts: d.ts,
      source: loc.source,
      host: loc.sourceHost,
      kind,
      client_ip: null,
      identity: null,
      token_id: token.tokenId,
      token_type: token.tokenType,
      auth: 'none',
      attribution: token.attribution,
      method: null,
      path: null,
      route: null,
      controller: null,
      conduit_method: null,
      status: null,
      outcome,
      duration_ms: null,
      bytes_in: null,
      bytes_out: null,
      user_agent: null,
      referrer: null,
      repository: null,
      request_id: webhook?.requestId ?? d.taskId,
      webhook_id: webhook?.hookId ?? null,
      target: webhook?.uri ?? null,
      error_type: webhook !== null ? webhook.errorType : d.exceptionClass,
      error_code: webhook?.errorCode ?? null,
      message: shorten(d.message),
      file_id: loc.fileId,
      offset: loc.offset,
      raw: loc.raw,
    };
  }

  /** The token a line names: the first one the registry knows, else the first one seen. */
  private pickSeenToken(tokens: readonly SeenToken[]): { token: SeenToken; info: TokenInfo | undefined } | null {
    if (tokens.length === 0) return null;
    for (const token of tokens) {
      const info = this.registry.lookup(token.tokenId);
      if (info !== undefined) return { token, info };
    }
    return { token: tokens[0]!, info: undefined };
  }

  private route(path: string): string {
    let route = this.routeMemo.get(path);
    if (route === undefined) {
      route = foldRoute(path);
      if (this.routeMemo.size >= ROUTE_MEMO_SIZE) this.routeMemo.clear();
      this.routeMemo.set(path, route);
    }
    return route;
  }
}

function exact(token: SeenToken): TokenAttribution {
  return { tokenId: token.tokenId, tokenType: token.type, attribution: 'exact' };
}

function inferred(token: TokenInfo | null): TokenAttribution {
  return token === null ? NO_TOKEN : { tokenId: token.tokenId, tokenType: token.type, attribution: 'inferred' };
}

function shorten(message: string): string | null {
  if (message.length === 0) return null;
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  let end = MAX_MESSAGE_CHARS - 1;
  // Do not cut a surrogate pair in half.
  const code = message.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${message.slice(0, end)}…`;
}
