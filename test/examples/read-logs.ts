// Small, independent readers for the generated logs, so the example tests check the files themselves
// rather than trusting the generator's own bookkeeping.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file holding package.json (works from any build dir). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the test file');
    dir = parent;
  }
  return dir;
}

export function readLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) throw new Error(`${path} does not end with a newline`);
  return text.length === 0 ? [] : text.slice(0, -1).split('\n');
}

export interface PhabLine {
  startMs: number;
  pid: number;
  host: string;
  ip: string;
  user: string | null;
  controller: string;
  conduitMethod: string | null;
  /** %U as written (percent-encoded) */
  encodedPath: string;
  referrer: string | null;
  status: number;
  durationUs: number | null;
}

export function parsePhab(line: string): PhabLine {
  const f = line.split('\t');
  if (f.length !== 11) throw new Error(`expected 11 tab-separated fields, got ${f.length}: ${line}`);
  const date = f[0] as string;
  if (!date.startsWith('[') || !date.endsWith(']')) throw new Error(`bad %D field: ${date}`);
  const startMs = Date.parse(date.slice(1, -1));
  if (Number.isNaN(startMs)) throw new Error(`unreadable %D: ${date}`);
  const dash = (v: string): string | null => (v === '-' ? null : v);
  return {
    startMs, pid: Number(f[1]), host: f[2] as string, ip: f[3] as string, user: dash(f[4] as string),
    controller: f[5] as string, conduitMethod: dash(f[6] as string), encodedPath: f[7] as string,
    referrer: dash(f[8] as string), status: Number(f[9]), durationUs: f[10] === '-' ? null : Number(f[10]),
  };
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const NGINX_LINE = /^(\S+) - (\S+) \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;

export interface NginxLine {
  ip: string;
  remoteUser: string | null;
  endMs: number;
  request: string;
  method: string | null;
  /** raw path (as on the request line), without the query */
  path: string | null;
  query: string | null;
  status: number;
  bytes: number;
  referrer: string;
  userAgent: string;
}

export function parseNginx(line: string): NginxLine {
  const m = NGINX_LINE.exec(line);
  if (m === null) throw new Error(`not an nginx combined line: ${line}`);
  const offset = m[9] as string;
  const offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const endMs = Date.UTC(Number(m[5]), MONTHS[m[4] as string] as number, Number(m[3]), Number(m[6]), Number(m[7]), Number(m[8])) -
    offsetMinutes * 60000;
  const request = m[10] as string;
  const parts = /^([A-Z]+) (\S+) HTTP\/[\d.]+$/.exec(request);
  const target = parts?.[2] ?? null;
  const q = target === null ? -1 : target.indexOf('?');
  return {
    ip: m[1] as string, remoteUser: m[2] === '-' ? null : (m[2] as string), endMs, request,
    method: parts?.[1] ?? null, path: target === null ? null : q < 0 ? target : target.slice(0, q),
    query: target === null || q < 0 ? null : target.slice(q + 1), status: Number(m[11]), bytes: Number(m[12]),
    referrer: m[13] as string, userAgent: m[14] as string,
  };
}

export interface SshLine {
  startMs: number;
  ip: string;
  user: string | null;
  workflow: string | null;
  command: string | null;
  exit: string;
}

export function parseSsh(line: string): SshLine {
  const f = line.split('\t');
  if (f.length !== 13) throw new Error(`expected 13 tab-separated SSH fields, got ${f.length}: ${line}`);
  const dash = (v: string): string | null => (v === '-' ? null : v);
  return {
    startMs: Date.parse((f[0] as string).slice(1, -1)), ip: f[3] as string, user: dash(f[6] as string),
    workflow: dash(f[7] as string), command: dash(f[8] as string), exit: f[9] as string,
  };
}

export interface RegistryRow {
  token: string;
  tokenType: string;
  tokenName: string;
  expires: number | null;
  userName: string;
  isSystemAgent: boolean;
  isAdmin: boolean;
  isDisabled: boolean;
}

export function parseRegistry(path: string): RegistryRow[] {
  const [header, ...rows] = readLines(path);
  if (header !== 'token\ttokenType\ttokenName\texpires\tobjectPHID\tuserName\tisSystemAgent\tisAdmin\tisDisabled') {
    throw new Error(`unexpected registry header: ${header}`);
  }
  return rows.map((row) => {
    const f = row.split('\t');
    if (f.length !== 9) throw new Error(`registry row has ${f.length} fields: ${row}`);
    return {
      token: f[0] as string, tokenType: f[1] as string, tokenName: f[2] as string,
      expires: f[3] === 'NULL' ? null : Number(f[3]), userName: f[5] as string,
      isSystemAgent: f[6] === '1', isAdmin: f[7] === '1', isDisabled: f[8] === '1',
    };
  });
}

/** Local minute of day and hour for an instant in an IANA zone. */
export function localClock(ms: number, zone: string): { hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' })
    .formatToParts(new Date(ms));
  return {
    hour: Number(parts.find((p) => p.type === 'hour')?.value),
    minute: Number(parts.find((p) => p.type === 'minute')?.value),
  };
}

/** Largest number of items whose times fall within any window of `spanMs`. */
export function maxInWindow(times: readonly number[], spanMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= spanMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
