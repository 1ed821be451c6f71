// Local wall-clock times in an IANA zone, for log lines written without an offset. Offsets come from
// Intl (the platform's tz database), so DST rules are right for any year the platform knows.
//
// The memo tables below are module-level on purpose: they only cache pure functions of their keys
// (a zone's formatter, a zone's offset in a 15-minute slot), so sharing them cannot change any result.

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Z', 'UCT', 'Etc/UCT', 'Universal', 'Zulu', 'Etc/Zulu']);

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** Real tz offsets only change on 15-minute boundaries of UTC (LMT-era zones aside). */
const OFFSET_SLOT_MS = 15 * 60 * 1000;
const MAX_MEMO_ENTRIES = 20_000;
const offsetMemo = new Map<string, Map<number, number>>();

function formatterFor(zone: string): Intl.DateTimeFormat | null {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
      });
    } catch {
      formatter = null;
    }
    // Zone names come from log lines (PHP's prefix), so bound what unknown names can make us remember.
    if (formatters.size >= MAX_MEMO_ENTRIES) formatters.clear();
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** True when the platform knows this IANA zone name (or it is a UTC alias). */
export function isKnownTimeZone(zone: string): boolean {
  return UTC_NAMES.has(zone) || formatterFor(zone) !== null;
}

/** Date.UTC that also accepts years 0..99 literally instead of as 1900..1999. */
export function utcEpochMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year >= 0 && year < 100) {
    const d = new Date(t);
    d.setUTCFullYear(year);
    return d.getTime();
  }
  return t;
}

function computeOffset(formatter: Intl.DateTimeFormat, utcMs: number): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  let year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  let bc = false;
  for (const part of formatter.formatToParts(whole)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value) % 24; break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
      case 'era': bc = part.value.startsWith('B'); break;
      default: break;
    }
  }
  if (bc) year = 1 - year;
  return utcEpochMs(year, month, day, hour, minute, second, 0) - whole;
}

/** Offset of `zone` from UTC at the instant `utcMs`, in ms (east positive); NaN for an unknown zone. */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  if (UTC_NAMES.has(zone)) return 0;
  if (!Number.isFinite(utcMs)) return Number.NaN;
  const formatter = formatterFor(zone);
  if (formatter === null) return Number.NaN;
  let memo = offsetMemo.get(zone);
  if (memo === undefined) {
    memo = new Map();
    offsetMemo.set(zone, memo);
  }
  const slot = Math.floor(utcMs / OFFSET_SLOT_MS);
  let offset = memo.get(slot);
  if (offset === undefined) {
    offset = computeOffset(formatter, slot * OFFSET_SLOT_MS);
    if (memo.size >= MAX_MEMO_ENTRIES) memo.clear();
    memo.set(slot, offset);
  }
  return offset;
}

const DAY_MS = 86_400_000;

/**
 * The instant at which the wall clock in `zone` shows the given local time; NaN for an unknown zone.
 * Ambiguous times (the repeated hour when clocks go back) resolve to the earlier instant; times that do
 * not exist (skipped when clocks go forward) move forward by the gap, as Temporal's "compatible" does.
 */
export function localTimeToEpochMs(zone: string, year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const wall = utcEpochMs(year, month, day, hour, minute, second, ms);
  if (UTC_NAMES.has(zone)) return wall;
  const before = zoneOffsetMs(zone, wall - DAY_MS);
  const after = zoneOffsetMs(zone, wall + DAY_MS);
  if (Number.isNaN(before) || Number.isNaN(after)) return Number.NaN;
  const earlier = Math.max(before, after);
  const later = Math.min(before, after);
  // Larger offset = earlier instant for the same wall time.
  if (zoneOffsetMs(zone, wall - earlier) === earlier) return wall - earlier;
  if (zoneOffsetMs(zone, wall - later) === later) return wall - later;
  // In a gap: read the wall time with the offset in force before the transition.
  return wall - before;
}
