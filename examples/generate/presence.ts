// Who is at the keyboard when. For every quarter hour of the day, the people active then, weighted by
// how busy they are and in which mode: working (any activity), evening (a little browsing) or night
// (rarely a glance at a notification). Drawing a person is a binary search in that quarter's table.

import type { DayFrame } from './day-frame.js';
import type { Person } from './population.js';
import type { Prng } from './prng.js';
import { zoneOffsetMinutes } from './zones.js';

export type PresenceMode = 'work' | 'evening' | 'night';

const BUCKET_MS = 900000;
const LUNCH_FROM = 12 * 60;
const LUNCH_TO = 13 * 60;
const EVENING_FROM = 20 * 60;
const EVENING_TO = 23 * 60;

interface Bucket {
  people: Person[];
  modes: PresenceMode[];
  cumulative: Float64Array;
  total: number;
}

export class PresenceTable {
  private readonly buckets: Bucket[];
  /** the local minute-of-day offset of each zone per bucket, reused for "is it working time now?" */
  private readonly offsets = new Map<string, Int16Array>();
  private readonly count: number;

  constructor(private readonly frame: DayFrame, people: readonly Person[]) {
    const count = Math.ceil((frame.endMs - frame.startMs) / BUCKET_MS);
    this.count = count;
    const building = Array.from({ length: count }, () => ({ people: [] as Person[], modes: [] as PresenceMode[], weights: [] as number[] }));
    for (const person of people) {
      if (person.isDisabled) continue;
      for (let b = 0; b < count; b++) {
        const mid = frame.startMs + b * BUCKET_MS + BUCKET_MS / 2;
        const [weight, mode] = presence(person, this.localMinute(person.zone, mid), this.localWeekday(person.zone, mid));
        const bucket = building[b] as (typeof building)[number];
        bucket.people.push(person);
        bucket.modes.push(mode);
        bucket.weights.push(weight);
      }
    }
    this.buckets = building.map((b) => {
      const cumulative = new Float64Array(b.weights.length);
      let sum = 0;
      b.weights.forEach((w, i) => {
        sum += w;
        cumulative[i] = sum;
      });
      return { people: b.people, modes: b.modes, cumulative, total: sum };
    });
  }

  get bucketCount(): number {
    return this.buckets.length;
  }

  bucketOf(ms: number): number {
    return Math.min(this.buckets.length - 1, Math.max(0, Math.floor((ms - this.frame.startMs) / BUCKET_MS)));
  }

  /** total presence weight in the quarter hour containing `ms` */
  weightAt(ms: number): number {
    return (this.buckets[this.bucketOf(ms)] as Bucket).total;
  }

  draw(rng: Prng, ms: number): { person: Person; mode: PresenceMode } | null {
    const bucket = this.buckets[this.bucketOf(ms)] as Bucket;
    if (bucket.total <= 0) return null;
    const target = rng.next() * bucket.total;
    let lo = 0;
    let hi = bucket.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((bucket.cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return { person: bucket.people[lo] as Person, mode: bucket.modes[lo] as PresenceMode };
  }

  /** Minutes to add to UTC for `zone` at `ms` (looked up once per zone and quarter hour). */
  private offsetMinutes(zone: string, ms: number): number {
    let offsets = this.offsets.get(zone);
    if (offsets === undefined) {
      offsets = new Int16Array(this.count).fill(-32768);
      this.offsets.set(zone, offsets);
    }
    const b = Math.floor((ms - this.frame.startMs) / BUCKET_MS);
    if (b < 0 || b >= offsets.length) return zoneOffsetMinutes(zone, ms);
    if (offsets[b] === -32768) offsets[b] = zoneOffsetMinutes(zone, this.frame.startMs + b * BUCKET_MS);
    return offsets[b] as number;
  }

  /** Local minute of the day (0-1439) of an instant in a zone. */
  localMinute(zone: string, ms: number): number {
    const localMs = ms + this.offsetMinutes(zone, ms) * 60000;
    return Math.floor((((localMs % 86400000) + 86400000) % 86400000) / 60000);
  }

  /** Local day of week (0 = Sunday) of an instant in a zone. */
  localWeekday(zone: string, ms: number): number {
    return new Date(ms + this.offsetMinutes(zone, ms) * 60000).getUTCDay();
  }

  /** May this person use a token now? Only inside their own working hours, which lie within 08:00-19:00. */
  isTokenTime(person: Person, ms: number): boolean {
    const weekday = this.localWeekday(person.zone, ms);
    if (weekday === 0 || weekday === 6) return false;
    const minute = this.localMinute(person.zone, ms);
    return minute >= person.workStartMinute && minute < person.workEndMinute - 10;
  }
}

function presence(person: Person, minute: number, weekday: number): [number, PresenceMode] {
  const weekend = weekday === 0 || weekday === 6;
  if (!weekend && minute >= person.workStartMinute && minute < person.workEndMinute) {
    const lunch = minute >= LUNCH_FROM && minute < LUNCH_TO ? 0.5 : 1;
    return [person.intensity * lunch, 'work'];
  }
  if (person.lateEvening && minute >= EVENING_FROM && minute < EVENING_TO) return [person.intensity * 0.25, 'evening'];
  return [person.intensity * 0.01, 'night'];
}
