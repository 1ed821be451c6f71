// The business calendar (config `business_hours`, `timezone`, `identities.timezones`): is this event time
// inside business hours for this person, in their own zone? Everything is decided on the event's timestamp,
// never the clock of the machine evaluating it, and in the identity's zone, so 10:00 in Kolkata is a working
// hour even while it is night at the head office. Offsets come from the platform's tz database (Intl) through
// src/parsers/timeZone.ts, which caches them per zone and quarter hour, so DST changes, half-hour zones and
// +14:00 need no special cases here.

import type { BusinessHours, Weekday } from '../config/types.js';
import { isKnownTimeZone, zoneOffsetMs } from '../parsers/timeZone.js';

export interface LocalTime {
  zone: string;
  weekday: Weekday;
  /** minutes after local midnight, 0..1439 */
  minuteOfDay: number;
  /** local date, YYYY-MM-DD */
  date: string;
  /** local time with its UTC offset, e.g. 2026-11-24T10:00:00+05:30 */
  iso: string;
}

/** A zone name the platform does not know; config validation should have caught it. */
export class UnknownTimeZoneError extends Error {
  constructor(readonly zone: string, readonly where: string) {
    super(`unknown time zone "${zone}" (${where})`);
    this.name = 'UnknownTimeZoneError';
  }
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Monday first, as weekdayIndex() counts. */
const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** Identities remembered with their zone; beyond this the memo starts over (names come from log lines). */
const MAX_REMEMBERED_IDENTITIES = 50_000;

export class BusinessCalendar {
  private readonly zonesByUser = new Map<string, string>();
  /** identity as logged -> zone, so the per-event path does not lowercase every name */
  private readonly zoneMemo = new Map<string, string>();
  private readonly workingDay: readonly boolean[];
  /** holidays as days since 1970-01-01 (local dates, compared with the local date of each event) */
  private readonly holidays: ReadonlySet<number>;
  private readonly startMinute: number;
  private readonly endMinute: number;
  /** the last local date formatted, by day number (localTime is called per off-hours event) */
  private lastDay = Number.NaN;
  private lastDate = '';

  constructor(hours: BusinessHours, private readonly defaultZone: string, zones: Readonly<Record<string, string>>) {
    if (!isKnownTimeZone(defaultZone)) throw new UnknownTimeZoneError(defaultZone, 'timezone');
    for (const [user, zone] of Object.entries(zones)) {
      if (!isKnownTimeZone(zone)) throw new UnknownTimeZoneError(zone, `identities.timezones.${user}`);
      // Phabricator usernames are case-insensitive.
      this.zonesByUser.set(user.toLowerCase(), zone);
    }
    this.workingDay = WEEKDAYS.map((day) => hours.days.includes(day));
    this.holidays = new Set(hours.holidays.map(dayNumberOf));
    this.startMinute = hours.start_minute;
    this.endMinute = hours.end_minute;
  }

  /** The identity's zone (`identities.timezones`), else the default `timezone`; anonymous events use the default. */
  zoneOf(identity: string | null): string {
    if (identity === null || this.zonesByUser.size === 0) return this.defaultZone;
    let zone = this.zoneMemo.get(identity);
    if (zone === undefined) {
      zone = this.zonesByUser.get(identity.toLowerCase()) ?? this.defaultZone;
      if (this.zoneMemo.size >= MAX_REMEMBERED_IDENTITIES) this.zoneMemo.clear();
      this.zoneMemo.set(identity, zone);
    }
    return zone;
  }

  /** A working day (listed in `days`, not a holiday), and start <= local time of day < end. */
  isBusinessTime(ts: number, identity: string | null): boolean {
    const local = ts + zoneOffsetMs(this.zoneOf(identity), ts);
    const day = Math.floor(local / DAY_MS);
    const minute = Math.floor((local - day * DAY_MS) / MINUTE_MS);
    return minute >= this.startMinute && minute < this.endMinute && this.workingDay[weekdayIndex(day)] === true && !this.holidays.has(day);
  }

  localTime(ts: number, identity: string | null): LocalTime {
    const zone = this.zoneOf(identity);
    const offset = zoneOffsetMs(zone, ts);
    const local = ts + offset;
    const day = Math.floor(local / DAY_MS);
    const msOfDay = local - day * DAY_MS;
    // Events come in time order: the local date rarely changes from one to the next.
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.lastDate = new Date(day * DAY_MS).toISOString().slice(0, 10);
    }
    const date = this.lastDate;
    const hh = Math.floor(msOfDay / 3_600_000);
    const mm = Math.floor((msOfDay % 3_600_000) / MINUTE_MS);
    const ss = Math.floor((msOfDay % MINUTE_MS) / 1000);
    return {
      zone,
      weekday: WEEKDAYS[weekdayIndex(day)]!,
      minuteOfDay: hh * 60 + mm,
      date,
      iso: `${date}T${pad(hh)}:${pad(mm)}:${pad(ss)}${formatOffset(offset)}`,
    };
  }
}

/** 1970-01-01 was a Thursday (index 3 counting Monday as 0). */
function weekdayIndex(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

function dayNumberOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Math.floor(Date.UTC(y!, m! - 1, d!) / DAY_MS);
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const OFFSET_TEXT = new Map<number, string>();

function formatOffset(offsetMs: number): string {
  let text = OFFSET_TEXT.get(offsetMs);
  if (text === undefined) {
    text = offsetText(offsetMs);
    // Offsets are a few dozen values at most (zones x DST); the bound is only a guard.
    if (OFFSET_TEXT.size < 1024) OFFSET_TEXT.set(offsetMs, text);
  }
  return text;
}

function offsetText(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offsetMs) / MINUTE_MS);
  return `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}
