// The client field at the start of a webserver line, with the real-world variants Filebeat accepts:
// a plain address or hostname; an X-Forwarded-For list (`10.0.0.2, 10.0.0.1, 127.0.0.1`, possibly quoted
// and followed by the peer address); a vhost prefix (`example.com:80 1.2.3.4`); `unix:` for a unix socket.

import { isIpAddress, isPublicIpAddress } from './ipAddress.js';

export interface ClientField {
  /** vhost written before the client, without its port */
  host: string | null;
  /** first public address of the list, else its first entry; null for `unix:` or `-` */
  clientIp: string | null;
}

/** Letters, digits, `.`, `-`, `_`: what a hostname (HostnameLookups on) or IPv4 may contain. */
function isHostnameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 95;
}

function isHostname(text: string): boolean {
  if (text.length === 0 || text.length > 253 || text.charCodeAt(0) === 45) return false;
  for (let i = 0; i < text.length; i++) if (!isHostnameChar(text.charCodeAt(i))) return false;
  return true;
}

/** An address or name that can stand for the client. */
function isClientToken(text: string): boolean {
  return text === 'unix:' || isIpAddress(text) || isHostname(text);
}

function clientValue(token: string): string | null {
  return token === 'unix:' || token === '-' ? null : token;
}

/** `name`, `name:port`, `a.b.c.d:port`, `[v6]:port` or a bare IPv6 address; returns the host without its port. */
function vhostName(token: string): string | null {
  if (token.charCodeAt(0) === 91 /* [ */) {
    const close = token.indexOf(']');
    if (close < 0) return null;
    const inner = token.slice(1, close);
    const rest = token.slice(close + 1);
    if (!isIpAddress(inner) || (rest.length > 0 && (rest.charCodeAt(0) !== 58 || !isPort(rest.slice(1))))) return null;
    return inner;
  }
  const colon = token.indexOf(':');
  if (colon === -1) return isHostname(token) ? token : null;
  if (colon === token.lastIndexOf(':')) {
    const name = token.slice(0, colon);
    return isHostname(name) && isPort(token.slice(colon + 1)) ? name : null;
  }
  return isIpAddress(token) ? token : null;
}

function isPort(text: string): boolean {
  if (text.length === 0 || text.length > 5) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** One entry of the field, and whether a comma followed it. */
interface Token {
  text: string;
  quoted: boolean;
  commaAfter: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let c = text.charCodeAt(i);
    while (i < n && (c === 32 || c === 44 || c === 34)) c = text.charCodeAt(++i);
    if (i >= n) break;
    const quoted = i > 0 && text.charCodeAt(i - 1) === 34;
    const start = i;
    while (i < n) {
      c = text.charCodeAt(i);
      if (c === 32 || c === 44 || c === 34) break;
      i++;
    }
    const token: Token = { text: text.slice(start, i), quoted, commaAfter: false };
    let j = i;
    while (j < n && text.charCodeAt(j) === 34) j++;
    if (j < n && text.charCodeAt(j) === 44) token.commaAfter = true;
    tokens.push(token);
  }
  return tokens;
}

function setField(into: ClientField, host: string | null, clientIp: string | null): ClientField {
  into.host = host;
  into.clientIp = clientIp;
  return into;
}

/**
 * Reads the client field into `into` (reused per line by the parsers) and returns it; null when the text
 * cannot be one (it then belongs to another format). A first entry followed by a space (not a comma) and
 * more entries is a vhost, as in Filebeat's grok.
 */
export function parseClientField(text: string, into: ClientField = { host: null, clientIp: null }): ClientField | null {
  if (text === '-') return setField(into, null, null);
  let simple = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 44 || c === 34) {
      simple = false;
      break;
    }
  }
  if (simple) return isClientToken(text) ? setField(into, null, clientValue(text)) : null;

  const tokens = tokenize(text);
  if (tokens.length === 0) return null;
  let host: string | null = null;
  let first = 0;
  const head = tokens[0]!;
  if (tokens.length > 1 && !head.quoted && !head.commaAfter && text.charCodeAt(0) !== 34) {
    host = vhostName(head.text);
    if (host === null) return null;
    first = 1;
  }
  let chosen: string | null = null;
  for (let i = first; i < tokens.length; i++) {
    const token = tokens[i]!.text;
    if (!isClientToken(token)) return null;
    if (chosen === null && isPublicIpAddress(token)) chosen = token;
  }
  return setField(into, host, chosen ?? clientValue(tokens[first]!.text));
}

/** Client address from an X-Forwarded-For header value: the first public entry, else the first. */
export function clientFromForwardedFor(value: string): string | null {
  let first: string | null = null;
  for (const part of value.split(',')) {
    const entry = part.trim();
    if (entry.length === 0 || entry === '-') continue;
    if (isPublicIpAddress(entry)) return entry;
    if (first === null && isIpAddress(entry)) first = entry;
  }
  return first;
}

/** A Host value without its `:port` (`example.com:8080` -> `example.com`); unchanged when it is not host:port. */
export function hostWithoutPort(value: string): string {
  return vhostName(value) ?? value;
}
