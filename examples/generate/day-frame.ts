// The generated day: one calendar day in the organisation's zone, and org-local clock times on it.

import { addDays, localTimeToUtc } from './zones.js';

export interface DayFrame {
  /** `YYYY-MM-DD`, the organisation's local date */
  date: string;
  orgZone: string;
  /** local midnight at the start and end of the day, ms since epoch */
  startMs: number;
  endMs: number;
}

export function dayFrame(date: string, orgZone: string): DayFrame {
  return {
    date,
    orgZone,
    startMs: localTimeToUtc(date, 0, orgZone),
    endMs: localTimeToUtc(addDays(date, 1), 0, orgZone),
  };
}

/** The instant of an org-local clock time `HH:MM` or `HH:MM:SS` on the frame's day. */
export function orgTime(frame: DayFrame, clock: string): number {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(clock);
  if (match === null) throw new RangeError(`clock time "${clock}" is not HH:MM[:SS]`);
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return localTimeToUtc(frame.date, minutes, frame.orgZone) + Number(match[3] ?? 0) * 1000;
}

/** A window of time, ms since epoch, end exclusive. */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

export function within(window: TimeWindow | null, ms: number): boolean {
  return window !== null && ms >= window.fromMs && ms < window.toMs;
}
