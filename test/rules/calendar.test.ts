import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BusinessHours } from '../../src/config/types.js';
import { BusinessCalendar, UnknownTimeZoneError } from '../../src/rules/calendar.js';

const HOURS: BusinessHours = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start_minute: 8 * 60, end_minute: 19 * 60, holidays: ['2026-12-25'] };

// The org is in New York; some people are elsewhere. bob has no entry: he uses the org's zone.
const calendar = new BusinessCalendar(HOURS, 'America/New_York', {
  priya: 'Asia/Kolkata', lena: 'Europe/Berlin', kai: 'Pacific/Kiritimati', ash: 'Australia/Lord_Howe',
});

const at = (iso: string): number => Date.parse(iso);

function assertBusiness(iso: string, identity: string | null, expected: boolean, why: string): void {
  const local = calendar.localTime(at(iso), identity);
  assert.equal(calendar.isBusinessTime(at(iso), identity), expected, `${why}: ${iso} for ${identity} is ${local.iso} ${local.weekday}`);
}

test('New York, spring forward: Monday 07:30 is off-hours and 08:30 business hours under the new offset', () => {
  // Clocks went from 02:00 EST to 03:00 EDT on Sunday 2026-03-08.
  assertBusiness('2026-03-09T11:30:00Z', 'bob', false, '07:30 EDT');
  assertBusiness('2026-03-09T12:30:00Z', 'bob', true, '08:30 EDT');
  // The same UTC time a week earlier was 07:30 EST: the offset, not the UTC hour, decides.
  assertBusiness('2026-03-02T12:30:00Z', 'bob', false, '07:30 EST');
  // The skipped hour: one minute after 01:59 EST comes 03:00 EDT.
  assert.deepEqual(calendar.localTime(at('2026-03-08T06:59:00Z'), 'bob'), { zone: 'America/New_York', weekday: 'sun', minuteOfDay: 1 * 60 + 59, date: '2026-03-08', iso: '2026-03-08T01:59:00-05:00' });
  assert.deepEqual(calendar.localTime(at('2026-03-08T07:00:00Z'), 'bob'), { zone: 'America/New_York', weekday: 'sun', minuteOfDay: 3 * 60, date: '2026-03-08', iso: '2026-03-08T03:00:00-04:00' });
});

test('New York, fall back: Monday 07:30 is off-hours and 08:30 business hours; the repeated hour is told apart', () => {
  // Clocks went from 02:00 EDT back to 01:00 EST on Sunday 2026-11-01.
  assertBusiness('2026-11-02T12:30:00Z', 'bob', false, '07:30 EST');
  assertBusiness('2026-11-02T13:30:00Z', 'bob', true, '08:30 EST');
  assertBusiness('2026-10-30T12:30:00Z', 'bob', true, '08:30 EDT on the Friday before');
  const first = calendar.localTime(at('2026-11-01T05:30:00Z'), 'bob');
  const second = calendar.localTime(at('2026-11-01T06:30:00Z'), 'bob');
  assert.equal(first.minuteOfDay, 90);
  assert.equal(second.minuteOfDay, 90);
  assert.equal(first.iso, '2026-11-01T01:30:00-04:00');
  assert.equal(second.iso, '2026-11-01T01:30:00-05:00');
});

test('Berlin, spring forward and fall back: Monday 07:30 off, 08:30 on; the skipped and repeated hours', () => {
  // 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
  assertBusiness('2026-03-30T05:30:00Z', 'lena', false, '07:30 CEST');
  assertBusiness('2026-03-30T06:30:00Z', 'lena', true, '08:30 CEST');
  assert.equal(calendar.localTime(at('2026-03-29T00:59:00Z'), 'lena').iso, '2026-03-29T01:59:00+01:00');
  assert.equal(calendar.localTime(at('2026-03-29T01:00:00Z'), 'lena').iso, '2026-03-29T03:00:00+02:00');
  assertBusiness('2026-10-26T06:30:00Z', 'lena', false, '07:30 CET');
  assertBusiness('2026-10-26T07:30:00Z', 'lena', true, '08:30 CET');
  assert.equal(calendar.localTime(at('2026-10-25T00:30:00Z'), 'lena').iso, '2026-10-25T02:30:00+02:00');
  assert.equal(calendar.localTime(at('2026-10-25T01:30:00Z'), 'lena').iso, '2026-10-25T02:30:00+01:00');
});

test('a person in Kolkata at 10:00 their time is in business hours while it is night in New York', () => {
  const ts = at('2026-11-24T04:30:00Z'); // Tuesday 10:00 IST = Monday 23:30 EST
  assert.equal(calendar.isBusinessTime(ts, 'priya'), true);
  assert.equal(calendar.isBusinessTime(ts, 'Priya'), true, 'usernames are case-insensitive');
  assert.equal(calendar.isBusinessTime(ts, 'bob'), false);
  assert.equal(calendar.isBusinessTime(ts, null), false, 'an anonymous event uses the org zone');
  assert.deepEqual(calendar.localTime(ts, 'priya'), { zone: 'Asia/Kolkata', weekday: 'tue', minuteOfDay: 600, date: '2026-11-24', iso: '2026-11-24T10:00:00+05:30' });
  assert.equal(calendar.zoneOf('bob'), 'America/New_York');
  assert.equal(calendar.zoneOf(null), 'America/New_York');
});

test('holidays are local dates in the identity\'s own zone', () => {
  assertBusiness('2026-12-25T15:00:00Z', 'bob', false, 'Christmas, 10:00 EST');
  assertBusiness('2026-12-24T15:00:00Z', 'bob', true, 'the day before');
  // 2026-12-24T19:00Z is already Christmas morning (09:00) on Kiritimati, still Christmas Eve in New York.
  assertBusiness('2026-12-24T19:00:00Z', 'kai', false, 'Christmas 09:00 +14');
  assertBusiness('2026-12-24T19:00:00Z', 'bob', true, 'Christmas Eve 14:00 EST');
});

test('weekends and the edges of the working day', () => {
  assertBusiness('2026-11-28T15:00:00Z', 'bob', false, 'Saturday 10:00');
  assert.equal(calendar.localTime(at('2026-11-28T15:00:00Z'), 'bob').weekday, 'sat');
  assertBusiness('2026-11-29T15:00:00Z', 'bob', false, 'Sunday 10:00');
  assertBusiness('2026-11-30T13:00:00Z', 'bob', true, 'Monday 08:00 sharp');
  assertBusiness('2026-11-30T12:59:59Z', 'bob', false, 'Monday 07:59:59');
  assertBusiness('2026-11-30T23:59:00Z', 'bob', true, 'Monday 18:59');
  assertBusiness('2026-12-01T00:00:00Z', 'bob', false, 'Monday 19:00 sharp');
  const weekendShift = new BusinessCalendar({ ...HOURS, days: ['sat', 'sun'] }, 'UTC', {});
  assert.equal(weekendShift.isBusinessTime(at('2026-11-28T10:00:00Z'), 'x'), true);
  assert.equal(weekendShift.isBusinessTime(at('2026-11-30T10:00:00Z'), 'x'), false);
});

test('Lord Howe Island: the half-hour DST change moves business hours by 30 minutes', () => {
  // DST starts 2026-10-04 at 02:00 +10:30 (-> 02:30 +11:00) and ends 2026-04-05 at 02:00 +11:00 (-> 01:30 +10:30).
  assertBusiness('2026-10-04T21:15:00Z', 'ash', true, 'Monday 08:15 +11:00 (07:45 under the old offset)');
  assertBusiness('2026-10-04T20:45:00Z', 'ash', false, 'Monday 07:45 +11:00');
  assert.equal(calendar.localTime(at('2026-09-27T21:45:00Z'), 'ash').iso, '2026-09-28T08:15:00+10:30');
  assertBusiness('2026-09-27T21:45:00Z', 'ash', true, 'Monday 08:15 +10:30 a week before');
  assert.equal(calendar.localTime(at('2026-10-03T15:29:00Z'), 'ash').iso, '2026-10-04T01:59:00+10:30');
  assert.equal(calendar.localTime(at('2026-10-03T15:30:00Z'), 'ash').iso, '2026-10-04T02:30:00+11:00');
  assert.equal(calendar.localTime(at('2026-04-04T14:59:00Z'), 'ash').iso, '2026-04-05T01:59:00+11:00');
  assert.equal(calendar.localTime(at('2026-04-04T15:00:00Z'), 'ash').iso, '2026-04-05T01:30:00+10:30');
});

test('across the date line: Monday 09:00 on Kiritimati (+14) is still Sunday in UTC', () => {
  const ts = at('2026-11-22T19:00:00Z');
  assert.deepEqual(calendar.localTime(ts, 'kai'), { zone: 'Pacific/Kiritimati', weekday: 'mon', minuteOfDay: 540, date: '2026-11-23', iso: '2026-11-23T09:00:00+14:00' });
  assert.equal(calendar.isBusinessTime(ts, 'kai'), true);
  assert.equal(calendar.isBusinessTime(ts, 'bob'), false, 'Sunday 14:00 in New York');
  assertBusiness('2026-11-27T19:00:00Z', 'kai', false, 'Saturday 09:00 +14 (Friday in UTC)');
});

test('an unknown zone is refused when the calendar is built', () => {
  assert.throws(() => new BusinessCalendar(HOURS, 'Mars/Olympus', {}), UnknownTimeZoneError);
  assert.throws(() => new BusinessCalendar(HOURS, 'UTC', { bob: 'Europe/Atlantis' }), /Europe\/Atlantis.*identities\.timezones\.bob/);
});
