// Parses a token registry export (conduit_token joined with user; see readTable for the formats) into
// registry rows. Raw tokens are fingerprinted as they are read and never kept, and no message ever quotes
// a value that could be one: problems are described (length, prefix, alphabet), not echoed.

import type { TokenType } from '../model/event.js';
import {
  readTable, type RawRecord, type RawTable, type RawValue, type RegistryFormat, type RegistryIssue,
} from './registryFormats.js';
import { fingerprintToken, TOKEN_LENGTH, tokenHint } from './tokenFingerprint.js';
import type { IdentityInfo, TokenInfo } from './types.js';

export type { RegistryFormat, RegistryIssue } from './registryFormats.js';

export interface RegistryFile {
  format: RegistryFormat;
  tokens: TokenInfo[];
  identities: IdentityInfo[];
  /** errors (the row or file was not used) and warnings (it was, with the caveat said) */
  errors: RegistryIssue[];
}

/** The export's columns, as `SELECT t.token, t.tokenType, ... , u.isDisabled` names them. */
const REQUIRED_COLUMNS = [
  'token', 'tokenType', 'expires', 'objectPHID', 'userName', 'isSystemAgent', 'isAdmin', 'isDisabled',
] as const;
const OPTIONAL_COLUMNS = ['tokenName'] as const;
type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];
const KNOWN_COLUMNS: ReadonlySet<string> = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);

// Names people plausibly write for a column, compared after lowercasing and dropping `_`.
const ALIASES: Readonly<Record<string, Column>> = {
  type: 'tokenType', name: 'tokenName', phid: 'objectPHID', userphid: 'objectPHID', ownerphid: 'objectPHID',
  user: 'userName', owner: 'userName', login: 'userName', isbot: 'isSystemAgent', bot: 'isSystemAgent',
  systemagent: 'isSystemAgent', admin: 'isAdmin', disabled: 'isDisabled', expiresat: 'expires', expiry: 'expires',
  apitoken: 'token',
};

const TOKEN_TYPES: ReadonlySet<string> = new Set(['api', 'cli', 'clr']);
const TOKEN_PREFIX = /^(?:api|cli|clr)-/;
const TOKEN_ALPHABET = /^[a-z2-7]*$/;
const INTEGER = /^\d+$/;
/** Echo a bad value only when it is this short: a token's first 8 characters are its public hint anyway. */
const MAX_ECHOED_CHARS = 8;
/** `expires` values beyond now + this, read as seconds, are milliseconds written by mistake. */
const IMPLAUSIBLE_FUTURE_MS = 1000 * 365.25 * 24 * 3600 * 1000;

export function parseRegistryFile(text: string, fileName: string, key: Buffer, nowMs: number): RegistryFile {
  const table = readTable(text, fileName);
  const errors = [...table.issues];
  const result: RegistryFile = { format: table.format, tokens: [], identities: [], errors };
  if (!checkColumns(table, errors)) return result;
  const tokenLines = new Map<string, number>();
  const identities = new Map<string, { info: IdentityInfo; line: number }>();
  for (const record of table.records) {
    const row = readRow(record, nowMs, errors);
    if (row === null) continue;
    const tokenId = fingerprintToken(key, row.token);
    const firstLine = tokenLines.get(tokenId);
    if (firstLine !== undefined) {
      errors.push(warning(record.line, `the same token as line ${firstLine}; this row is ignored`));
      continue;
    }
    tokenLines.set(tokenId, record.line);
    result.tokens.push({
      tokenId, type: row.type, hint: tokenHint(row.token), name: row.name, owner: row.userName,
      ownerPhid: row.objectPHID, expiresAt: row.expiresAt, isBot: row.isBot, isAdmin: row.isAdmin,
      isDisabled: row.isDisabled,
    });
    if (row.userName !== null) addIdentity(identities, row, record.line, errors);
  }
  result.identities = [...identities.values()].map((entry) => entry.info);
  return result;
}

interface Row {
  token: string;
  type: TokenType;
  name: string | null;
  expiresAt: number | null;
  objectPHID: string | null;
  userName: string | null;
  isBot: boolean;
  isAdmin: boolean;
  isDisabled: boolean;
}

/** Header problems: required columns missing (with the likely intended name), unknown ones ignored. */
function checkColumns(table: RawTable, errors: RegistryIssue[]): boolean {
  // An empty JSON array is an empty registry, not a file without columns.
  if (table.format === 'json' && table.records.length === 0) return true;
  if (table.columns.length === 0) return false;
  if (table.format !== 'json' && table.columns.some((c) => TOKEN_PREFIX.test(c))) {
    errors.push(error(table.columnLines.get(table.columns[0]!) ?? 1,
      'the first line holds data where the column names should be: export with a header line (no mysql -N)'));
    return false;
  }
  const seen = new Set<string>();
  let ok = true;
  for (const name of table.columns) {
    if (seen.has(name) && table.format !== 'json') {
      errors.push(error(table.columnLines.get(name) ?? 1, `column "${name}" appears twice`));
      ok = false;
    }
    seen.add(name);
  }
  const unknown = table.columns.filter((c) => !KNOWN_COLUMNS.has(c));
  const explained = new Set<string>();
  for (const column of REQUIRED_COLUMNS) {
    if (seen.has(column)) continue;
    ok = false;
    const intended = unknown.find((c) => likelyMeans(c, column));
    if (intended !== undefined) explained.add(intended);
    const line = intended !== undefined ? (table.columnLines.get(intended) ?? 1) : 1;
    errors.push(
      error(
        line,
        intended !== undefined
          ? `missing column "${column}"; found "${intended}": did you mean "${column}"? (names are case-sensitive)`
          : `missing column "${column}" (expected columns: ${[...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS].join(', ')})`,
      ),
    );
  }
  for (const column of unknown) {
    if (explained.has(column)) continue;
    const intended = OPTIONAL_COLUMNS.find((c) => likelyMeans(column, c));
    errors.push(
      warning(
        table.columnLines.get(column) ?? 1,
        `unknown column "${printable(column)}" ignored${intended ? `; did you mean "${intended}"?` : ''}`,
      ),
    );
  }
  return ok;
}

function likelyMeans(found: string, column: Column): boolean {
  const a = squash(found);
  const b = squash(column);
  return a === b || ALIASES[a] === column || editDistance(a, b) <= 2;
}

function squash(name: string): string {
  return name.toLowerCase().replace(/_/g, '');
}

function readRow(record: RawRecord, nowMs: number, errors: RegistryIssue[]): Row | null {
  const before = errors.length;
  const at = record.line;
  const get = (column: Column): RawValue => record.values.get(column) ?? null;

  const token = readToken(get('token'));
  if (typeof token !== 'string') errors.push(error(at, token.problem));

  const typeValue = text(get('tokenType'));
  let type: TokenType | null = null;
  if (typeValue === null || !TOKEN_TYPES.has(typeValue)) {
    errors.push(error(at, `tokenType: expected api, cli or clr, got ${describe(get('tokenType'))}`));
  } else {
    type = typeValue as TokenType;
    if (typeof token === 'string' && !token.startsWith(`${type}-`)) {
      errors.push(error(at, `tokenType "${type}" does not match the token's prefix "${token.slice(0, 4)}"`));
    }
  }

  const userName = text(get('userName'));
  const expiresAt = readExpires(get('expires'), at, nowMs, errors);
  // A token whose owner is not a user row (LEFT JOIN gave NULLs) has no flags; that is not an error.
  const flag = (column: 'isSystemAgent' | 'isAdmin' | 'isDisabled'): boolean => {
    const value = get(column);
    if (value === null && userName === null) return false;
    const parsed = readBoolean(value);
    if (parsed === null) errors.push(error(at, `${column}: expected 0 or 1, got ${describe(value)}`));
    return parsed === true;
  };
  const isBot = flag('isSystemAgent');
  const isAdmin = flag('isAdmin');
  const isDisabled = flag('isDisabled');
  const objectPHID = text(get('objectPHID'));
  if (objectPHID !== null && !objectPHID.startsWith('PHID-')) {
    errors.push(warning(at, `objectPHID: expected a PHID (PHID-USER-...), got ${describe(objectPHID)}`));
  }

  if (errors.length > before && errors.slice(before).some((e) => e.severity === 'error')) return null;
  if (typeof token !== 'string' || type === null) return null;
  return { token, type, name: text(get('tokenName')), expiresAt, objectPHID, userName, isBot, isAdmin, isDisabled };
}

function readToken(value: RawValue): string | { problem: string } {
  if (value === null) return { problem: 'token is empty or NULL' };
  if (typeof value !== 'string') return { problem: `token: expected text, got a ${typeof value}` };
  const token = value.trim();
  if (token.length !== TOKEN_LENGTH) {
    return { problem: `token has ${token.length} characters, expected ${TOKEN_LENGTH}` };
  }
  if (!TOKEN_PREFIX.test(token)) return { problem: 'token does not start with api-, cli- or clr-' };
  if (!TOKEN_ALPHABET.test(token.slice(4))) {
    return { problem: 'token has characters outside a-z and 2-7 after its prefix' };
  }
  return token;
}

function readExpires(value: RawValue, line: number, nowMs: number, errors: RegistryIssue[]): number | null {
  if (value === null || value === '') return null;
  const seconds =
    typeof value === 'number' ? value : typeof value === 'string' && INTEGER.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    errors.push(error(line, `expires: expected epoch seconds or NULL, got ${describe(value)}`));
    return null;
  }
  if (seconds * 1000 > nowMs + IMPLAUSIBLE_FUTURE_MS) {
    errors.push(warning(line, `expires: ${seconds} is more than 1000 years ahead as seconds; read as milliseconds`));
    return seconds;
  }
  return seconds * 1000;
}

function readBoolean(value: RawValue): boolean | null {
  if (value === true || value === 1 || value === '1' || value === 'true') return true;
  if (value === false || value === 0 || value === '0' || value === 'false') return false;
  return null;
}

function text(value: RawValue): string | null {
  if (value === null) return null;
  const s = String(value).trim();
  return s.length > 0 ? s : null;
}

function addIdentity(
  identities: Map<string, { info: IdentityInfo; line: number }>,
  row: Row,
  line: number,
  errors: RegistryIssue[],
): void {
  const username = row.userName!;
  const key = username.toLowerCase();
  const info: IdentityInfo = {
    username, phid: row.objectPHID, isBot: row.isBot, isAdmin: row.isAdmin, isDisabled: row.isDisabled,
  };
  const existing = identities.get(key);
  if (existing === undefined) {
    identities.set(key, { info, line });
    return;
  }
  const prior = existing.info;
  if (prior.isBot !== info.isBot || prior.isAdmin !== info.isAdmin || prior.isDisabled !== info.isDisabled) {
    const first = existing.line;
    errors.push(warning(line, `user "${printable(username)}" has other flags than on line ${first}; line ${first} is kept`));
  }
}

/** A bad value, shown only when short enough to be harmless, else described by its length. */
function describe(value: RawValue): string {
  if (value === null) return 'NULL';
  if (typeof value !== 'string') return String(value);
  if (value.length === 0) return 'an empty value';
  return value.length <= MAX_ECHOED_CHARS ? JSON.stringify(value) : `a value of ${value.length} characters`;
}

/** Column and user names are echoed; a long one that might be a token is cut to its public hint length. */
function printable(name: string): string {
  return TOKEN_PREFIX.test(name) && name.length > MAX_ECHOED_CHARS ? `${name.slice(0, MAX_ECHOED_CHARS)}…` : name;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

function error(line: number, message: string): RegistryIssue {
  return { line, message, severity: 'error' };
}

function warning(line: number, message: string): RegistryIssue {
  return { line, message, severity: 'warning' };
}
