// Masks every secret in a raw log line before anything else sees it (parsers, store, logs, rejects).
// Masks contain no space, tab or quote, so the masked line still parses with the source's format.
//
// What counts as a secret here, and where Phabricator/Phorge lets it reach a log line
// (reference/phabricator-logs.md sections 4, 5.3 and 9):
// - Conduit API tokens, anywhere: query strings (`?api.token=`), url-encoded `params` JSON, referrers;
// - values of credential-like parameters in query strings, referrers, cookies and encoded JSON;
// - keys carried in paths: one-time login links (`/login/once/<type>/<id>/<key>/`), e-mail verification,
//   invitation and external-account registration/link keys;
// - passwords in `scheme://user:password@host` URLs (webhook targets, referrers).

import type { TokenId, TokenType } from '../model/event.js';
import { fingerprintToken, tokenHint } from './tokenFingerprint.js';
import type { ScrubResult, SeenToken } from './types.js';

/** What replaces a secret that is not a token. */
export const SECRET_MASK = '[masked]';

/** Prefix length of the token id shown in a token mask. */
const MASK_ID_CHARS = 8;

/** Query/form/cookie/JSON names whose values are credentials (matched case-insensitively). */
export const SECRET_PARAMETER_NAMES: readonly string[] = [
  'api.token', 'access_token', 'token', 'password', 'passwd', 'pass', 'secret', 'client_secret', 'code',
  'phsid', 'session', 'sessionKey', 'authToken', 'authSignature', 'signature', 'key',
  // Phabricator's CSRF token is bound to the session; a logged one helps whoever holds the cookie.
  '__csrf__',
];

const TOKEN_BODY_CHARS = 28;
// Escapes whose last character is a word character may sit right before a token: `%22`, double-encoded
// `%2522`, nginx `\x22`, JSON `\u0022`.
const ESCAPE_BEFORE_TOKEN = /(?:%(?:25)*[0-9A-Fa-f]{2}|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4})$/;
const ESCAPE_LOOKBACK = 8;

const SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_PARAMETER_NAMES.map((n) => n.toLowerCase()));
/** Longest `name` looked at before a `=`: the longest secret name, or a cookie prefix plus `_phsid`. */
const MAX_NAME_CHARS = 64;
const COOKIE_PREFIX = /^[a-z0-9]+$/;

const NAMES = [...SECRET_PARAMETER_NAMES]
  .sort((a, b) => b.length - a.length)
  .map((name) => (name === 'phsid' ? String.raw`(?:[A-Za-z0-9]+_)?phsid` : name.replace(/\./g, String.raw`\.`)))
  .join('|');

// A JSON quote as it appears inside a logged value: url-encoded, nginx-escaped or backslash-escaped. Raw `"`
// is left out on purpose: in a log line it delimits the log's own fields (a JSON log format's `"code":"200"`
// is not a secret), and a raw JSON body inside a value is escaped by every webserver.
const QUOTE = String.raw`(?:%22|\\x22|\\")`;

// The rarer shapes of a secret parameter, each ending with the value it masks (the replacement keeps what
// comes before the value): `name=value` inside an url-encoded URL (`%3Fname%3Dvalue`), and an encoded or
// escaped JSON member `"name":"value"` (`params={"__conduit__":{"token":...}}`). Plain `name=value` is scanned
// by hand (maskQueryParameters), which is several times faster than this pattern on every `=`.
const ENCODED_PARAMETER = new RegExp(
  String.raw`(?:%3F|%26)(?:${NAMES})%3D((?:(?!%26|%23)[^&;\s"#\\])*)` +
    String.raw`|${QUOTE}(?:${NAMES})${QUOTE}\s*(?::|%3A)\s*${QUOTE}((?:(?!%22|\\x22|\\")[^"\s&])*)`,
  'gi',
);
const ENCODED_PARAMETER_TRIGGER = /%3D|%22|\\x22|\\"/i;

// Keys that grant something by themselves and travel in the path (PhabricatorAuthApplication routes):
// `/login/once/<type>/<id>/<key>/`, `/emailverify/<code>/`, `/auth/invite/<code>/`,
// `/auth/confirmlink/<akey>/`, `/auth/register/<akey>/`.
const PATH_KEY =
  /(\/login\/once\/[^/\s?#"]+\/[^/\s?#"]+\/|\/emailverify\/|\/auth\/(?:invite|confirmlink|register)\/)([^/\s?#"]+)/g;

// `scheme%3A%2F%2Fuser%3Apassword%40host`: a URL with credentials, url-encoded inside another URL.
const ENCODED_SCHEME = /%3A%2F%2F/gi;
const ENCODED_AUTHORITY_END = /%(?:2F|3F|23)/i;
const ENCODED_COLON = /%3A/i;
const ENCODED_SCHEME_LENGTH = 9;
const ENCODED_CHAR_LENGTH = 3;

// What makes a line worth the passes below. Lines without any of these (most Phabricator log lines) cost a
// few indexOf calls: a regex scanned over every line costs several times more.
const ENCODED_TRIGGER = /%(?:3D|40|22)/i;
const ESCAPED_QUOTE_TRIGGER = /\\x22|\\"/;
const PATH_KEY_TRIGGER = /\/(?:login\/once|emailverify|auth\/(?:invite|confirmlink|register))\//;
// Measured on real webserver lines: cheaper than a dash-by-dash scan plus three substring searches.
const TOKEN_OR_PATH_KEY_TRIGGER = new RegExp(String.raw`(?:api|cl[ir])-[a-z2-7]{28}|` + PATH_KEY_TRIGGER.source);

function mayHoldSecret(line: string): boolean {
  if (line.includes('=') || line.includes('@')) return true;
  if (line.includes('%') && ENCODED_TRIGGER.test(line)) return true;
  if (line.includes('\\') && ESCAPED_QUOTE_TRIGGER.test(line)) return true;
  return TOKEN_OR_PATH_KEY_TRIGGER.test(line);
}

const ALREADY_MASKED = /^\[(?:masked|(?:api|cli|clr)-[a-z2-7]{4}…:[0-9a-f]{8})\]$/;

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** `api`, `cli` or `clr` at `start`. */
function hasTokenPrefix(line: string, start: number): boolean {
  const a = line.charCodeAt(start);
  const b = line.charCodeAt(start + 1);
  const c = line.charCodeAt(start + 2);
  return (a === 97 && b === 112 && c === 105) || (a === 99 && b === 108 && (c === 105 || c === 114));
}

/** 28 characters of lowercase base32 from `start`. */
function hasTokenBody(line: string, start: number): boolean {
  if (start + TOKEN_BODY_CHARS > line.length) return false;
  for (let i = start; i < start + TOKEN_BODY_CHARS; i++) {
    const code = line.charCodeAt(i);
    if (!((code >= 97 && code <= 122) || (code >= 50 && code <= 55))) return false;
  }
  return true;
}

/** True when a token found at `offset` is not glued to a word before it. */
function standsAlone(line: string, offset: number): boolean {
  if (offset === 0 || !isWordChar(line.charCodeAt(offset - 1))) return true;
  return ESCAPE_BEFORE_TOKEN.test(line.slice(Math.max(0, offset - ESCAPE_LOOKBACK), offset));
}

/** Characters that end a parameter name looking backwards from its `=`. */
function isNameDelimiter(code: number): boolean {
  return code === 63 /* ? */ || code === 38 /* & */ || code === 59 /* ; */ || code === 34 /* " */ ||
    code === 39 /* ' */ || code === 44 /* , */ || isSpace(code);
}

function isValueEnd(code: number): boolean {
  // A backslash ends a value too: it starts an escape (`\"`, `\x22`) that belongs to the log format.
  return code === 38 /* & */ || code === 59 /* ; */ || code === 34 /* " */ || code === 35 /* # */ ||
    code === 92 /* \ */ || isSpace(code);
}

/** Characters that end a URL's authority (`user:password@host`). */
function isAuthorityEnd(code: number): boolean {
  return code === 47 /* / */ || code === 63 /* ? */ || code === 35 /* # */ || code === 34 /* " */ || isSpace(code);
}

function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  if (SECRET_NAMES.has(lower)) return true;
  // Phabricator's session cookie under `phabricator.cookie-prefix`: `<prefix>_phsid`.
  return lower.endsWith('_phsid') && COOKIE_PREFIX.test(lower.slice(0, -6));
}

export class SecretScrubber {
  // State of the scrub in progress, shared with the replacement callbacks (created once, not per line).
  private seen: SeenToken[] = [];
  private count = 0;

  constructor(private readonly key: Buffer) {}

  scrub(line: string): ScrubResult {
    if (!mayHoldSecret(line)) return { line, tokens: [], masked: 0 };
    this.seen = [];
    this.count = 0;
    let out = this.maskTokens(line);
    if (out.includes('=')) out = this.maskQueryParameters(out);
    if (ENCODED_PARAMETER_TRIGGER.test(out)) out = out.replace(ENCODED_PARAMETER, this.maskParameter);
    if (PATH_KEY_TRIGGER.test(out)) out = out.replace(PATH_KEY, this.maskPathKey);
    if (out.includes('://')) out = this.maskUrlCredentials(out);
    if (out.includes('%')) out = this.maskEncodedUrlCredentials(out);
    const result: ScrubResult = { line: out, tokens: this.seen, masked: this.count };
    this.seen = [];
    return result;
  }

  /** Every standalone token-shaped string, found from its `-`. */
  private maskTokens(line: string): string {
    let out = '';
    let copied = 0;
    let dash = line.indexOf('-', 3);
    while (dash !== -1) {
      const start = dash - 3;
      const end = dash + 1 + TOKEN_BODY_CHARS;
      const isToken = hasTokenPrefix(line, start) && hasTokenBody(line, dash + 1) && !isWordChar(line.charCodeAt(end));
      if (isToken && standsAlone(line, start)) {
        out += line.slice(copied, start) + this.tokenMask(line.slice(start, end));
        copied = end;
        dash = line.indexOf('-', end);
      } else {
        dash = line.indexOf('-', dash + 1);
      }
    }
    return copied === 0 ? line : out + line.slice(copied);
  }

  private tokenMask(raw: string): string {
    const tokenId: TokenId = fingerprintToken(this.key, raw);
    const hint = tokenHint(raw);
    if (!this.seen.some((t) => t.tokenId === tokenId)) {
      this.seen.push({ tokenId, type: raw.slice(0, 3) as TokenType, hint });
    }
    this.count++;
    return `[${hint}:${tokenId.slice(0, MASK_ID_CHARS)}]`;
  }

  /** `name=value` after `?`, `&`, `;`, whitespace, a quote or a comma: query strings, referrers, cookies. */
  private maskQueryParameters(line: string): string {
    let out = '';
    let copied = 0;
    let eq = line.indexOf('=');
    while (eq !== -1) {
      let start = eq;
      const floor = Math.max(0, eq - MAX_NAME_CHARS);
      while (start > floor && !isNameDelimiter(line.charCodeAt(start - 1))) start--;
      let next = eq + 1;
      if (start < eq && (start === 0 || isNameDelimiter(line.charCodeAt(start - 1))) && isSecretName(line.slice(start, eq))) {
        let end = eq + 1;
        while (end < line.length && !isValueEnd(line.charCodeAt(end))) end++;
        if (end > eq + 1 && !ALREADY_MASKED.test(line.slice(eq + 1, end))) {
          out += line.slice(copied, eq + 1) + SECRET_MASK;
          copied = end;
          this.count++;
        }
        next = end;
      }
      eq = line.indexOf('=', next);
    }
    return copied === 0 ? line : out + line.slice(copied);
  }

  /** `scheme://user:password@host`; the password may hold `@`, so the last `@` of the authority ends it. */
  private maskUrlCredentials(line: string): string {
    let out = '';
    let copied = 0;
    let scheme = line.indexOf('://');
    while (scheme !== -1) {
      const authority = scheme + 3;
      let end = authority;
      while (end < line.length && !isAuthorityEnd(line.charCodeAt(end))) end++;
      const at = line.lastIndexOf('@', end - 1);
      if (at >= authority) {
        const colon = line.indexOf(':', authority);
        if (colon !== -1 && colon < at - 1 && !ALREADY_MASKED.test(line.slice(colon + 1, at))) {
          out += line.slice(copied, colon + 1) + SECRET_MASK;
          copied = at;
          this.count++;
        }
      }
      scheme = line.indexOf('://', end);
    }
    return copied === 0 ? line : out + line.slice(copied);
  }

  private readonly maskParameter = (match: string, encoded?: string, json?: string): string => {
    const value = encoded ?? json ?? '';
    if (value.length === 0 || ALREADY_MASKED.test(value)) return match;
    this.count++;
    return match.slice(0, match.length - value.length) + SECRET_MASK;
  };

  private readonly maskPathKey = (match: string, prefix: string, key: string): string => {
    if (ALREADY_MASKED.test(key)) return match;
    this.count++;
    return prefix + SECRET_MASK;
  };

  /** The same inside an url-encoded URL: `%3A%2F%2Fuser%3Apassword%40host`. */
  private maskEncodedUrlCredentials(line: string): string {
    ENCODED_SCHEME.lastIndex = 0;
    let out = '';
    let copied = 0;
    for (let scheme = ENCODED_SCHEME.exec(line); scheme !== null; scheme = ENCODED_SCHEME.exec(line)) {
      const authority = scheme.index + ENCODED_SCHEME_LENGTH;
      let end = authority;
      while (end < line.length) {
        const code = line.charCodeAt(end);
        if (isAuthorityEnd(code) || code === 38 /* & */) break;
        if (code === 37 /* % */ && ENCODED_AUTHORITY_END.test(line.slice(end, end + ENCODED_CHAR_LENGTH))) break;
        end++;
      }
      ENCODED_SCHEME.lastIndex = end;
      const at = line.lastIndexOf('%40', end - ENCODED_CHAR_LENGTH);
      if (at < authority) continue;
      const colonMatch = ENCODED_COLON.exec(line.slice(authority, at));
      if (colonMatch === null) continue;
      const passwordStart = authority + colonMatch.index + ENCODED_CHAR_LENGTH;
      if (passwordStart >= at || ALREADY_MASKED.test(line.slice(passwordStart, at))) continue;
      out += line.slice(copied, passwordStart) + SECRET_MASK;
      copied = at;
      this.count++;
    }
    return copied === 0 ? line : out + line.slice(copied);
  }
}
