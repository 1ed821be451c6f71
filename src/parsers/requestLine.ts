// Splits a logged HTTP request line (`"$request"`, `"%r"`) into method, path, query and protocol.
// Scanners send anything to a web port (`-`, an empty line, `HELP`, TLS bytes to a plain port); such a
// line is still an event, flagged malformed, so it can be counted instead of rejected.

import { decodePercent } from './percentDecode.js';

export interface RequestLineParts {
  method: string | null;
  /** percent-decoded path without the query; the authority for CONNECT */
  path: string | null;
  /** query string without `?`, as sent */
  query: string | null;
  protocol: string | null;
  malformed: boolean;
}

const MAX_METHOD_LENGTH = 32;

/** RFC 9110 token characters: what an HTTP method may be made of. */
const TOKEN_CHARS = (() => {
  const table = new Uint8Array(128);
  const extra = "!#$%&'*+-.^_`|~";
  for (let c = 48; c <= 57; c++) table[c] = 1;
  for (let c = 65; c <= 90; c++) table[c] = 1;
  for (let c = 97; c <= 122; c++) table[c] = 1;
  for (let i = 0; i < extra.length; i++) table[extra.charCodeAt(i)] = 1;
  return table;
})();

function isMethodToken(line: string, end: number): boolean {
  if (end === 0 || end > MAX_METHOD_LENGTH) return false;
  for (let i = 0; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] === 0) return false;
  }
  return true;
}

/** `HTTP/1.1`, `HTTP/2.0`, `HTTP/2`, any case, at line[start, end). Checked in place: this runs per line. */
function isProtocolAt(line: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 6 || length > 10) return false;
  if ((line.charCodeAt(start) | 0x20) !== 104 || (line.charCodeAt(start + 1) | 0x20) !== 116
    || (line.charCodeAt(start + 2) | 0x20) !== 116 || (line.charCodeAt(start + 3) | 0x20) !== 112
    || line.charCodeAt(start + 4) !== 47) return false;
  for (let i = start + 5; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46)) return false;
  }
  return true;
}

/** A fresh parts object, for callers that do not keep one to reuse. */
export function newRequestLineParts(): RequestLineParts {
  return { method: null, path: null, query: null, protocol: null, malformed: false };
}

function setParts(into: RequestLineParts, method: string | null, path: string | null, query: string | null, protocol: string | null, malformed: boolean): RequestLineParts {
  into.method = method;
  into.path = path;
  into.query = query;
  into.protocol = protocol;
  into.malformed = malformed;
  return into;
}

/** Length of `scheme://` at the start of `target`, or 0. */
function schemeLength(target: string): number {
  const sep = target.indexOf('://');
  if (sep <= 0 || sep > 16) return 0;
  for (let i = 0; i < sep; i++) {
    const c = target.charCodeAt(i);
    const lower = c | 0x20;
    const ok = (lower >= 97 && lower <= 122) || (i > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46));
    if (!ok) return 0;
  }
  return sep + 3;
}

/**
 * Parses `METHOD target PROTOCOL` into `into` (reused per line by the parsers) and returns it. A target
 * containing spaces (old Apache logs them raw) is everything between the method and the protocol.
 * `METHOD /path` without a protocol (HTTP/0.9) is accepted when the target is origin-form; anything else
 * that is not a request line comes back with `malformed: true` and every other part null.
 */
export function parseRequestLine(line: string, into: RequestLineParts = newRequestLineParts()): RequestLineParts {
  const firstSpace = line.indexOf(' ');
  if (firstSpace <= 0 || !isMethodToken(line, firstSpace)) return setParts(into, null, null, null, null, true);
  const method = line.slice(0, firstSpace);

  let targetStart = firstSpace + 1;
  while (targetStart < line.length && line.charCodeAt(targetStart) === 32) targetStart++;
  let targetEnd = line.length;
  while (targetEnd > targetStart && line.charCodeAt(targetEnd - 1) === 32) targetEnd--;
  if (targetStart >= targetEnd) return setParts(into, null, null, null, null, true);

  let protocol: string | null = null;
  const lastSpace = line.lastIndexOf(' ', targetEnd - 1);
  if (lastSpace >= targetStart) {
    if (isProtocolAt(line, lastSpace + 1, targetEnd)) {
      protocol = line.slice(lastSpace + 1, targetEnd);
      targetEnd = lastSpace;
      while (targetEnd > targetStart && line.charCodeAt(targetEnd - 1) === 32) targetEnd--;
    }
  }
  let target = line.slice(targetStart, targetEnd);

  if (method === 'CONNECT' || method === 'connect') {
    // authority-form: host:port is what was requested
    return setParts(into, method, target, null, protocol, false);
  }
  const scheme = schemeLength(target);
  if (scheme > 0) {
    const pathStart = target.indexOf('/', scheme);
    const queryStart = target.indexOf('?', scheme);
    if (pathStart === -1 || (queryStart !== -1 && queryStart < pathStart)) {
      target = queryStart === -1 ? '/' : '/' + target.slice(queryStart);
    } else {
      target = target.slice(pathStart);
    }
  } else if (protocol === null && target.charCodeAt(0) !== 47 /* / */) {
    return setParts(into, null, null, null, null, true);
  }

  const question = target.indexOf('?');
  if (question === -1) return setParts(into, method, decodePercent(target), null, protocol, false);
  return setParts(into, method, decodePercent(target.slice(0, question)), target.slice(question + 1), protocol, false);
}
