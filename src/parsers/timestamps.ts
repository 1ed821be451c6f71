// Readers for every timestamp shape the supported logs use. Each returns ms since the epoch (UTC), or NaN
// when the text is not a valid time. A time written without an offset is read as wall-clock time in
// `zone` (an IANA name). These run only on cache misses (see TimestampCache), so they favour clarity.

import { isKnownTimeZone, localTimeToEpochMs, utcEpochMs } from './timeZone.js';

const MONTHS: ReadonlyMap<string, number> = new Map([
  ['jan', 1], ['feb', 2], ['mar', 3], ['apr', 4], ['may', 5], ['jun', 6],
  ['jul', 7], ['aug', 8], ['sep', 9], ['oct', 10], ['nov', 11], ['dec', 12],
]);

const FULL_MONTHS: ReadonlyMap<string, number> = new Map([
  ['january', 1], ['february', 2], ['march', 3], ['april', 4], ['may', 5], ['june', 6], ['july', 7],
  ['august', 8], ['september', 9], ['october', 10], ['november', 11], ['december', 12],
]);

/** Month number for an English month name, abbreviated or full, any case; 0 if none. */
export function monthNumber(name: string): number {
  const lower = name.toLowerCase();
  return MONTHS.get(lower) ?? FULL_MONTHS.get(lower) ?? 0;
}

/** Fields of a calendar time as read from text; `offsetMs` null when the text had no offset. */
export interface TimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  offsetMs: number | null;
}

export function newTimeFields(): TimeFields {
  return { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, ms: 0, offsetMs: null };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Turns validated fields into an instant; NaN if a field is out of range or the zone is unknown. */
export function fieldsToEpochMs(f: TimeFields, zone: string): number {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth(f.year, f.month)) return Number.NaN;
  if (f.hour < 0 || f.hour > 23 || f.minute < 0 || f.minute > 59 || f.second < 0 || f.second > 60) return Number.NaN;
  // A leap second (:60) is read as the last millisecond of its minute rather than rejected.
  const second = f.second === 60 ? 59 : f.second;
  const ms = f.second === 60 ? 999 : f.ms;
  if (f.offsetMs !== null) return utcEpochMs(f.year, f.month, f.day, f.hour, f.minute, second, ms) - f.offsetMs;
  return localTimeToEpochMs(zone, f.year, f.month, f.day, f.hour, f.minute, second, ms);
}

/** A small cursor over text, used by all readers. */
export class TextCursor {
  pos = 0;
  constructor(readonly text: string) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  /** Consumes `ch` if it is next. */
  eat(ch: string): boolean {
    if (this.text.startsWith(ch, this.pos)) {
      this.pos += ch.length;
      return true;
    }
    return false;
  }

  skipSpaces(): void {
    while (this.pos < this.text.length && this.text.charCodeAt(this.pos) === 32) this.pos++;
  }

  /** Reads between `min` and `max` decimal digits; -1 if fewer than `min`. */
  digits(min: number, max: number): number {
    let value = 0;
    let count = 0;
    while (count < max && this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      this.pos++;
      count++;
    }
    return count >= min ? value : -1;
  }

  /** Reads a run of ASCII letters (possibly empty). */
  letters(): string {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos) | 0x20;
      if (c < 97 || c > 122) break;
      this.pos++;
    }
    return this.text.slice(start, this.pos);
  }

  /** Optional `.fff…` fraction of a second, returned in ms (0 when absent). */
  fraction(): number {
    if (this.pos >= this.text.length) return 0;
    const c = this.text.charCodeAt(this.pos);
    if (c !== 46 && c !== 44) return 0;
    this.pos++;
    let ms = 0;
    let scale = 100;
    let count = 0;
    while (this.pos < this.text.length) {
      const d = this.text.charCodeAt(this.pos);
      if (d < 48 || d > 57) break;
      ms += (d - 48) * scale;
      scale /= 10;
      this.pos++;
      count++;
    }
    return count === 0 ? Number.NaN : Math.floor(ms);
  }

  /**
   * A numeric offset `+HHMM`, `+HH:MM`, `+HH`, or `Z`/`UTC`/`GMT`; null when there is none at the
   * cursor; NaN when it starts like one but is malformed.
   */
  offset(): number | null {
    if (this.atEnd) return null;
    const c = this.peek();
    if (c === 43 || c === 45) {
      const sign = c === 45 ? -1 : 1;
      this.pos++;
      const hours = this.digits(2, 2);
      if (hours < 0) return Number.NaN;
      this.eat(':');
      let minutes = 0;
      const save = this.pos;
      const m = this.digits(2, 2);
      if (m >= 0) minutes = m;
      else this.pos = save;
      if (hours > 23 || minutes > 59) return Number.NaN;
      return sign * (hours * 60 + minutes) * 60_000;
    }
    if (this.eat('Z')) return 0;
    if (this.eat('UTC') || this.eat('GMT')) {
      return this.atEnd || this.peek() === 32 ? 0 : this.offset();
    }
    if (this.eat('UT')) return 0;
    return null;
  }
}

/** True when only spaces remain. */
function onlySpacesLeft(c: TextCursor): boolean {
  c.skipSpaces();
  return c.atEnd;
}

/** `10/Oct/2000:13:55:36 -0700` (CLF, nginx $time_local, Apache %t without brackets); offset optional. */
export function parseClfTime(text: string, zone: string): number {
  const c = new TextCursor(text);
  const f = newTimeFields();
  f.day = c.digits(1, 2);
  if (f.day < 0 || !c.eat('/')) return Number.NaN;
  f.month = monthNumber(c.letters());
  if (!c.eat('/')) return Number.NaN;
  f.year = c.digits(4, 4);
  if (f.year < 0 || !c.eat(':')) return Number.NaN;
  if (!readClock(c, f)) return Number.NaN;
  c.skipSpaces();
  f.offsetMs = c.offset();
  if (Number.isNaN(f.offsetMs) || !onlySpacesLeft(c)) return Number.NaN;
  return fieldsToEpochMs(f, zone);
}

/** `HH:MM:SS[.fff]` into f. */
function readClock(c: TextCursor, f: TimeFields): boolean {
  f.hour = c.digits(1, 2);
  if (f.hour < 0 || !c.eat(':')) return false;
  f.minute = c.digits(2, 2);
  if (f.minute < 0 || !c.eat(':')) return false;
  f.second = c.digits(2, 2);
  if (f.second < 0) return false;
  f.ms = c.fraction();
  return !Number.isNaN(f.ms);
}

/** RFC 2822 / PHP `date('r')`: `Wed, 08 Aug 2018 17:37:58 +0000` (weekday optional; offset optional). */
export function parseRfc2822Time(text: string, zone: string): number {
  const c = new TextCursor(text);
  c.skipSpaces();
  const save = c.pos;
  const word = c.letters();
  if (word.length > 0) {
    if (!c.eat(',')) return Number.NaN;
    c.skipSpaces();
  } else {
    c.pos = save;
  }
  const f = newTimeFields();
  f.day = c.digits(1, 2);
  if (f.day < 0) return Number.NaN;
  c.skipSpaces();
  f.month = monthNumber(c.letters());
  c.skipSpaces();
  f.year = c.digits(4, 4);
  if (f.year < 0) return Number.NaN;
  c.skipSpaces();
  if (!readClock(c, f)) return Number.NaN;
  c.skipSpaces();
  f.offsetMs = c.offset();
  if (Number.isNaN(f.offsetMs) || !onlySpacesLeft(c)) return Number.NaN;
  return fieldsToEpochMs(f, zone);
}

/** `YYYY-MM-DD` then `T` or space, then the clock; used by ISO 8601 and PHP's `Y-m-d H:i:s`. */
function readIsoDateTime(c: TextCursor, f: TimeFields): boolean {
  f.year = c.digits(4, 4);
  if (f.year < 0 || !c.eat('-')) return false;
  f.month = c.digits(2, 2);
  if (f.month < 0 || !c.eat('-')) return false;
  f.day = c.digits(2, 2);
  if (f.day < 0) return false;
  if (!c.eat('T') && !c.eat('t') && !c.eat(' ')) return false;
  return readClock(c, f);
}

/** ISO 8601 / RFC 3339: `2024-03-05T02:13:07+00:00`, `…Z`, fractions, space separator; offset optional. */
export function parseIso8601Time(text: string, zone: string): number {
  const c = new TextCursor(text);
  const f = newTimeFields();
  if (!readIsoDateTime(c, f)) return Number.NaN;
  c.skipSpaces();
  f.offsetMs = c.offset();
  if (Number.isNaN(f.offsetMs) || !onlySpacesLeft(c)) return Number.NaN;
  return fieldsToEpochMs(f, zone);
}

/** Reads an unsigned decimal number (digits, optional fraction) or NaN. */
function decimal(text: string): number {
  if (text.length === 0 || text.length > 24) return Number.NaN;
  let dot = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && !dot && i > 0) dot = true;
    else if (c < 48 || c > 57) return Number.NaN;
  }
  return Number(text);
}

/** Epoch seconds, integer or with a fraction (`1533749878`, nginx `$msec` `1533749878.123`). */
export function parseEpochSeconds(text: string): number {
  const s = decimal(text);
  return Number.isNaN(s) ? s : Math.round(s * 1000);
}

/** Epoch milliseconds (Apache `%{msec}t`). */
export function parseEpochMillis(text: string): number {
  const ms = decimal(text);
  return Number.isNaN(ms) ? ms : Math.floor(ms);
}

/** Epoch microseconds (Apache `%{usec}t`). */
export function parseEpochMicros(text: string): number {
  const us = decimal(text);
  return Number.isNaN(us) ? us : Math.floor(us / 1000);
}

/**
 * PHP's error_log prefix without its brackets: `29-Nov-2026 18:53:30 UTC`. The zone is PHP's
 * `date.timezone` identifier (or an offset); an unknown zone falls back to `zone`.
 */
export function parsePhpLogTime(text: string, zone: string): number {
  const c = new TextCursor(text);
  const f = newTimeFields();
  f.day = c.digits(1, 2);
  if (f.day < 0 || !c.eat('-')) return Number.NaN;
  f.month = monthNumber(c.letters());
  if (!c.eat('-')) return Number.NaN;
  f.year = c.digits(4, 4);
  if (f.year < 0 || !c.eat(' ')) return Number.NaN;
  if (!readClock(c, f)) return Number.NaN;
  c.skipSpaces();
  if (c.atEnd) return fieldsToEpochMs(f, zone);
  const offsetStart = c.pos;
  const offset = c.offset();
  if (offset !== null && !Number.isNaN(offset) && onlySpacesLeft(c)) {
    f.offsetMs = offset;
    return fieldsToEpochMs(f, zone);
  }
  const named = text.slice(offsetStart).trim();
  return fieldsToEpochMs(f, named.length > 0 && isKnownTimeZone(named) ? named : zone);
}

/** PHP `Y-m-d H:i:s` (PhutilErrorHandler's inner stamp), always local time in `zone`. */
export function parsePhpDateTime(text: string, zone: string): number {
  const c = new TextCursor(text);
  const f = newTimeFields();
  if (!readIsoDateTime(c, f) || !onlySpacesLeft(c)) return Number.NaN;
  return fieldsToEpochMs(f, zone);
}

/** phd overseer stamp, PHP `Y-m-d g:i:s A`: `2026-11-29 6:50:57 PM`, local time in `zone`. */
export function parseOverseerTime(text: string, zone: string): number {
  const c = new TextCursor(text);
  const f = newTimeFields();
  if (!readIsoDateTime(c, f)) return Number.NaN;
  c.skipSpaces();
  const meridiem = c.letters().toUpperCase();
  if (!onlySpacesLeft(c) || f.hour < 1 || f.hour > 12) return Number.NaN;
  if (meridiem === 'AM') f.hour = f.hour === 12 ? 0 : f.hour;
  else if (meridiem === 'PM') f.hour = f.hour === 12 ? 12 : f.hour + 12;
  else return Number.NaN;
  return fieldsToEpochMs(f, zone);
}
