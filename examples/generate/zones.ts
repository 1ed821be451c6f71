// IANA time-zone arithmetic with Node's Intl only: offsets at an instant, and local wall-clock times
// turned into UTC instants. Used to place people's working hours and to render server-zone timestamps.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (error) {
      throw new RangeError(`unknown time zone "${zone}": ${(error as Error).message}`);
    }
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Minutes to add to UTC to get the zone's wall clock at `utcMs` (New York in November: -300). */
export function zoneOffsetMinutes(zone: string, utcMs: number): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const parts = formatterFor(zone).formatToParts(new Date(utcMs));
  const field = (type: Intl.DateTimeFormatPartTypes): number => {
    const part = parts.find((p) => p.type === type);
    if (part === undefined) throw new RangeError(`time zone "${zone}": no ${type} in formatted date`);
    return Number(part.value);
  };
  const wallClockAsUtc = Date.UTC(
    field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'),
  );
  const wholeSecondUtc = utcMs - (((utcMs % 1000) + 1000) % 1000);
  return Math.round((wallClockAsUtc - wholeSecondUtc) / 60000);
}

/** Parses `YYYY-MM-DD` into its numbers, with a clear error for anything else. */
export function parseIsoDate(date: string): { year: number; month: number; day: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) throw new RangeError(`date "${date}" is not YYYY-MM-DD`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`date "${date}" does not exist`);
  }
  return { year, month, day };
}

/** The UTC instant of a local wall-clock time (`minuteOfDay` after local midnight of `date`) in `zone`. */
export function localTimeToUtc(date: string, minuteOfDay: number, zone: string): number {
  const { year, month, day } = parseIsoDate(date);
  const naive = Date.UTC(year, month - 1, day) + minuteOfDay * 60000;
  // Two rounds settle the offset even next to a DST change.
  let guess = naive - zoneOffsetMinutes(zone, naive) * 60000;
  guess = naive - zoneOffsetMinutes(zone, guess) * 60000;
  return guess;
}

/** `YYYY-MM-DD` shifted by `days`. */
export function addDays(date: string, days: number): string {
  const { year, month, day } = parseIsoDate(date);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** Day of week (0 = Sunday) of a `YYYY-MM-DD` date. */
export function weekdayOf(date: string): number {
  const { year, month, day } = parseIsoDate(date);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}
