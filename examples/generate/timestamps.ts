// The timestamp shapes each log writes, rendered for the server's zone. Lines arrive in (almost) time
// order, so each formatter remembers the last second it rendered: most calls are a comparison.

import { zoneOffsetMinutes } from './zones.js';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const SECONDS: readonly string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `+0000`, `-0500`, `+0530` */
function offsetText(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

/** Wall-clock fields of an instant in a fixed offset. */
interface WallClock {
  year: number;
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(utcMs: number, offsetMinutes: number): WallClock {
  const d = new Date(utcMs + offsetMinutes * 60000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * Renders instants in one server zone. The offset is looked up once per quarter hour; the per-request
 * formats are built from a per-minute prefix, the rarer ones cached per second.
 */
export class ServerClock {
  private offsetBlock = Number.NaN;
  private offset = 0;
  private readonly cache = new Map<string, { second: number; text: string }>();

  constructor(readonly zone: string) {}

  offsetAt(utcMs: number): number {
    const block = Math.floor(utcMs / 900000);
    if (block !== this.offsetBlock) {
      this.offsetBlock = block;
      this.offset = zoneOffsetMinutes(this.zone, block * 900000);
    }
    return this.offset;
  }

  private cached(kind: string, utcMs: number, render: (w: WallClock, offset: number) => string): string {
    const second = Math.floor(utcMs / 1000);
    let entry = this.cache.get(kind);
    if (entry === undefined) {
      entry = { second: Number.NaN, text: '' };
      this.cache.set(kind, entry);
    }
    if (entry.second !== second) {
      const offset = this.offsetAt(second * 1000);
      entry.second = second;
      entry.text = render(wallClock(second * 1000, offset), offset);
    }
    return entry.text;
  }

  // The two formats written for every request are built from a per-minute prefix plus the seconds,
  // because requests are written by end time and their start times wander back and forth a little.
  private rfcMinute = Number.NaN;
  private rfcPrefix = '';
  private rfcSuffix = '';
  private nginxMinute = Number.NaN;
  private nginxPrefix = '';
  private nginxSuffix = '';

  /** PHP `date('r')`, Phabricator's `%D`: `Tue, 24 Nov 2026 14:03:05 +0000` */
  phpRfc2822(utcMs: number): string {
    const minute = Math.floor(utcMs / 60000);
    if (minute !== this.rfcMinute) {
      const offset = this.offsetAt(minute * 60000);
      const w = wallClock(minute * 60000, offset);
      this.rfcMinute = minute;
      this.rfcPrefix = `${DAY_NAMES[w.weekday]}, ${pad2(w.day)} ${MONTH_NAMES[w.month]} ${w.year} ${pad2(w.hour)}:${pad2(w.minute)}:`;
      this.rfcSuffix = ` ${offsetText(offset)}`;
    }
    return this.rfcPrefix + (SECONDS[Math.floor(utcMs / 1000) - minute * 60] as string) + this.rfcSuffix;
  }

  /** nginx `$time_local`: `24/Nov/2026:14:03:05 +0000` */
  nginxTimeLocal(utcMs: number): string {
    const minute = Math.floor(utcMs / 60000);
    if (minute !== this.nginxMinute) {
      const offset = this.offsetAt(minute * 60000);
      const w = wallClock(minute * 60000, offset);
      this.nginxMinute = minute;
      this.nginxPrefix = `${pad2(w.day)}/${MONTH_NAMES[w.month]}/${w.year}:${pad2(w.hour)}:${pad2(w.minute)}:`;
      this.nginxSuffix = ` ${offsetText(offset)}`;
    }
    return this.nginxPrefix + (SECONDS[Math.floor(utcMs / 1000) - minute * 60] as string) + this.nginxSuffix;
  }

  /** PHP's `error_log` file prefix, `[d-M-Y H:i:s e]`: `[24-Nov-2026 14:03:05 UTC]` */
  phpErrorLogPrefix(utcMs: number): string {
    return this.cached('errorlog', utcMs, (w) =>
      `[${pad2(w.day)}-${MONTH_NAMES[w.month]}-${w.year} ${pad2(w.hour)}:${pad2(w.minute)}:${pad2(w.second)} ` +
      `${this.zone}]`);
  }

  /** PhutilErrorHandler's own stamp, `date('Y-m-d H:i:s')`: `2026-11-24 14:03:05` */
  phutilTimestamp(utcMs: number): string {
    return this.cached('phutil', utcMs, (w) =>
      `${w.year}-${pad2(w.month + 1)}-${pad2(w.day)} ${pad2(w.hour)}:${pad2(w.minute)}:${pad2(w.second)}`);
  }

  /** The daemon overseer's stamp, `date('Y-m-d g:i:s A')`: `2026-11-24 2:03:05 PM` */
  overseerTimestamp(utcMs: number): string {
    return this.cached('overseer', utcMs, (w) => {
      const hour12 = w.hour % 12 === 0 ? 12 : w.hour % 12;
      return `${w.year}-${pad2(w.month + 1)}-${pad2(w.day)} ${hour12}:${pad2(w.minute)}:${pad2(w.second)} ` +
        (w.hour < 12 ? 'AM' : 'PM');
    });
  }
}
