// Timestamp readers and zone handling.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileStrftime } from '../../src/parsers/strftime.js';
import {
  parseClfTime, parseEpochMicros, parseEpochMillis, parseEpochSeconds, parseIso8601Time, parseOverseerTime,
  parsePhpDateTime, parsePhpLogTime, parseRfc2822Time,
} from '../../src/parsers/timestamps.js';
import { TimestampCache } from '../../src/parsers/timestampCache.js';
import { isKnownTimeZone, localTimeToEpochMs } from '../../src/parsers/timeZone.js';

const iso = (ms: number): string => new Date(ms).toISOString();

test('CLF times with any offset, and without one in the given zone', () => {
  assert.equal(iso(parseClfTime('10/Oct/2000:13:55:36 -0700', 'UTC')), '2000-10-10T20:55:36.000Z');
  assert.equal(iso(parseClfTime('22/Jan/2019:03:56:14 +0330', 'UTC')), '2019-01-22T00:26:14.000Z');
  assert.equal(iso(parseClfTime('27/Jun/2013:11:55:44', 'Europe/Zurich')), '2013-06-27T09:55:44.000Z');
  assert.equal(iso(parseClfTime('31/Jan/2015:14:29:44 ', 'Europe/Zurich')), '2015-01-31T13:29:44.000Z');
  assert.equal(iso(parseClfTime('14/Nov/2015:22:45:25.439 +0000', 'UTC')), '2015-11-14T22:45:25.439Z');
  for (const bad of ['32/Oct/2000:13:55:36 -0700', '10/Foo/2000:13:55:36 -0700', '10/Oct/2000 13:55:36', '29/Feb/2019:00:00:00 +0000', '10/Oct/2000:24:00:00 +0000', '']) {
    assert.ok(Number.isNaN(parseClfTime(bad, 'UTC')), bad);
  }
  assert.equal(iso(parseClfTime('29/Feb/2020:00:00:00 +0000', 'UTC')), '2020-02-29T00:00:00.000Z');
});

test('RFC 2822 (PHP date(\'r\')) with its own offset', () => {
  assert.equal(parseRfc2822Time('Wed, 08 Aug 2018 17:37:58 +0000', 'UTC'), 1533749878000);
  assert.equal(iso(parseRfc2822Time('Thu, 21 Dec 2000 16:01:07 +0200', 'UTC')), '2000-12-21T14:01:07.000Z');
  assert.equal(iso(parseRfc2822Time('Sun, 01 Mar 2026 09:15:00 +0530', 'UTC')), '2026-03-01T03:45:00.000Z');
  assert.equal(iso(parseRfc2822Time('1 Mar 2026 09:15:00 GMT', 'UTC')), '2026-03-01T09:15:00.000Z');
  assert.ok(Number.isNaN(parseRfc2822Time('Wed 08 Aug 2018 17:37:58 +0000', 'UTC')));
  assert.ok(Number.isNaN(parseRfc2822Time('Wed, 08 Aug 2018 17:37 +0000', 'UTC')));
});

test('ISO 8601 and epoch forms', () => {
  assert.equal(iso(parseIso8601Time('2024-03-05T03:13:07+01:00', 'UTC')), '2024-03-05T02:13:07.000Z');
  assert.equal(iso(parseIso8601Time('2024-03-05T02:13:07.5Z', 'UTC')), '2024-03-05T02:13:07.500Z');
  assert.equal(iso(parseIso8601Time('2024-03-05 02:13:07', 'America/New_York')), '2024-03-05T07:13:07.000Z');
  assert.equal(iso(parseIso8601Time('2024-03-05T02:13:07-0330', 'UTC')), '2024-03-05T05:43:07.000Z');
  assert.equal(parseEpochSeconds('1533749878'), 1533749878000);
  assert.equal(parseEpochSeconds('1709604787.123'), 1709604787123);
  assert.equal(parseEpochMillis('1709604787123'), 1709604787123);
  assert.equal(parseEpochMicros('1709604787123456'), 1709604787123);
  for (const bad of ['', '-', '12a', '.5', '1.2.3']) assert.ok(Number.isNaN(parseEpochSeconds(bad)), bad);
});

test('PHP error_log prefix: named zone, UTC, offset; an unknown zone falls back to the source zone', () => {
  assert.equal(iso(parsePhpLogTime('29-Nov-2026 18:53:30 UTC', 'Asia/Tokyo')), '2026-11-29T18:53:30.000Z');
  assert.equal(iso(parsePhpLogTime('29-Nov-2026 19:53:30 Europe/Berlin', 'UTC')), '2026-11-29T18:53:30.000Z');
  assert.equal(iso(parsePhpLogTime('01-Jul-2026 12:00:00 +05:30', 'UTC')), '2026-07-01T06:30:00.000Z');
  assert.equal(iso(parsePhpLogTime('01-Jul-2026 12:00:00 Mars/Olympus', 'America/New_York')), '2026-07-01T16:00:00.000Z');
  assert.equal(iso(parsePhpDateTime('2026-11-29 18:53:30', 'UTC')), '2026-11-29T18:53:30.000Z');
  assert.equal(iso(parseOverseerTime('2026-11-29 6:50:57 PM', 'UTC')), '2026-11-29T18:50:57.000Z');
  assert.equal(iso(parseOverseerTime('2026-11-29 12:05:00 AM', 'UTC')), '2026-11-29T00:05:00.000Z');
  assert.equal(iso(parseOverseerTime('2026-11-29 12:05:00 PM', 'UTC')), '2026-11-29T12:05:00.000Z');
  assert.ok(Number.isNaN(parseOverseerTime('2026-11-29 13:05:00 PM', 'UTC')));
});

test('local times across DST: the skipped hour moves forward, the repeated hour takes its first occurrence', () => {
  const at = (zone: string, y: number, mo: number, d: number, h: number, mi: number): string => iso(localTimeToEpochMs(zone, y, mo, d, h, mi, 0, 0));
  // Europe/Zurich: CET->CEST on 2026-03-29 at 02:00, CEST->CET on 2026-10-25 at 03:00.
  assert.equal(at('Europe/Zurich', 2026, 3, 29, 1, 59), '2026-03-29T00:59:00.000Z');
  assert.equal(at('Europe/Zurich', 2026, 3, 29, 2, 30), '2026-03-29T01:30:00.000Z');
  assert.equal(at('Europe/Zurich', 2026, 3, 29, 3, 0), '2026-03-29T01:00:00.000Z');
  assert.equal(at('Europe/Zurich', 2026, 10, 25, 2, 30), '2026-10-25T00:30:00.000Z');
  assert.equal(at('Europe/Zurich', 2026, 10, 25, 3, 30), '2026-10-25T02:30:00.000Z');
  // Southern hemisphere: Sydney leaves DST on 2026-04-05 at 03:00 (back to 02:00).
  assert.equal(at('Australia/Sydney', 2026, 1, 15, 12, 0), '2026-01-15T01:00:00.000Z');
  assert.equal(at('Australia/Sydney', 2026, 4, 5, 2, 30), '2026-04-04T15:30:00.000Z');
  assert.equal(at('Australia/Sydney', 2026, 7, 1, 12, 0), '2026-07-01T02:00:00.000Z');
  // Quarter-hour offset, and a zone that has not changed rules in decades.
  assert.equal(at('Asia/Kathmandu', 2026, 1, 1, 0, 0), '2025-12-31T18:15:00.000Z');
  assert.equal(at('UTC', 2026, 1, 1, 0, 0), '2026-01-01T00:00:00.000Z');
  assert.ok(Number.isNaN(localTimeToEpochMs('Not/AZone', 2026, 1, 1, 0, 0, 0, 0)));
  assert.equal(isKnownTimeZone('Europe/Zurich'), true);
  assert.equal(isKnownTimeZone('Not/AZone'), false);
});

test('strftime patterns (Apache %{format}t) compile once and read back', () => {
  const clf = compileStrftime('%d/%b/%Y:%H:%M:%S %z', 'UTC');
  assert.equal(typeof clf, 'function');
  if (typeof clf !== 'function') return;
  assert.equal(iso(clf('10/Oct/2000:13:55:36 -0700')), '2000-10-10T20:55:36.000Z');
  assert.ok(Number.isNaN(clf('10/Oct/2000:13:55:36')));
  const local = compileStrftime('%Y-%m-%d %T', 'Europe/Zurich');
  if (typeof local !== 'function') return assert.fail(local);
  assert.equal(iso(local('2026-07-01 10:00:00')), '2026-07-01T08:00:00.000Z');
  const us = compileStrftime('%m/%d/%y %I:%M:%S %p', 'UTC');
  if (typeof us !== 'function') return assert.fail(us);
  assert.equal(iso(us('07/01/26 01:02:03 PM')), '2026-07-01T13:02:03.000Z');
  const epoch = compileStrftime('%s', 'UTC');
  if (typeof epoch !== 'function') return assert.fail(epoch);
  assert.equal(epoch('1533749878'), 1533749878000);
  assert.match(String(compileStrftime('%H:%M:%S', 'UTC')), /no full date/);
  assert.match(String(compileStrftime('%c', 'UTC')), /%c/);
  assert.match(String(compileStrftime('%Y-%m-%d %I:%M', 'UTC')), /%I without %p/);
});

test('TimestampCache gives each distinct text its own instant and reuses recent ones', () => {
  let reads = 0;
  const cache = new TimestampCache((text) => {
    reads++;
    return parseClfTime(text, 'UTC');
  });
  const line = (t: string): string => `1.2.3.4 - - [${t}] "GET / HTTP/1.1" 200 1`;
  const a = line('10/Oct/2000:13:55:36 +0000');
  const b = line('10/Oct/2000:13:55:37 +0000');
  const start = a.indexOf('[') + 1;
  const end = a.indexOf(']');
  assert.equal(cache.at(a, start, end), Date.UTC(2000, 9, 10, 13, 55, 36));
  assert.equal(cache.at(b, start, end), Date.UTC(2000, 9, 10, 13, 55, 37));
  assert.equal(cache.at(a, start, end), Date.UTC(2000, 9, 10, 13, 55, 36));
  assert.equal(cache.at(b, start, end), Date.UTC(2000, 9, 10, 13, 55, 37));
  assert.equal(reads, 2);
  for (let s = 0; s < 10; s++) cache.at(line(`10/Oct/2000:13:56:0${s} +0000`), start, end);
  assert.equal(cache.at(a, start, end), Date.UTC(2000, 9, 10, 13, 55, 36));
  assert.equal(reads, 13);
});
