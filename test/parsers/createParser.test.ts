// createParser: defaults, named formats, and format strings that cannot be compiled.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceType } from '../../src/config/types.js';
import { createParser, DEFAULT_FORMATS, isFormatError } from '../../src/parsers/index.js';
import type { FormatError, LineParser } from '../../src/parsers/types.js';

function formatError(type: SourceType, format: string | null, timezone = 'UTC'): FormatError {
  const result = createParser({ type, format, timezone });
  if (!isFormatError(result)) return assert.fail(`format ${JSON.stringify(format)} was accepted for ${type}`);
  return result;
}

function lineParser(type: SourceType, format: string | null): LineParser {
  const result = createParser({ type, format, timezone: 'UTC' });
  if (isFormatError(result)) return assert.fail(`${type} ${JSON.stringify(format)}: ${result.message}`);
  return result;
}

test('defaults: Phabricator formats from the reference, combined for the webservers', () => {
  assert.equal(DEFAULT_FORMATS['phabricator-access'], '[%D]\t%p\t%h\t%r\t%u\t%C\t%m\t%U\t%R\t%c\t%T');
  assert.equal(DEFAULT_FORMATS['phabricator-ssh'], '[%D]\t%p\t%h\t%r\t%s\t%S\t%u\t%C\t%U\t%c\t%T\t%i\t%o');
  assert.equal(DEFAULT_FORMATS.nginx, 'combined');
  assert.equal(DEFAULT_FORMATS.apache, 'combined');
  const access = lineParser('phabricator-access', null);
  assert.equal(access.sourceType, 'phabricator-access');
  assert.equal(access.format, DEFAULT_FORMATS['phabricator-access']);
  // Phabricator also uses its default when the configured format is empty.
  assert.equal(lineParser('phabricator-ssh', '').format, DEFAULT_FORMATS['phabricator-ssh']);
  assert.match(lineParser('nginx', null).format, /^\$remote_addr - \$remote_user \[\$time_local\]/);
  assert.match(lineParser('apache', 'combined').format, /^%h %l %u %t "%r" %>s %b/);
  assert.match(lineParser('apache', 'vhost_combined').format, /^%v:%p %h/);
  assert.match(lineParser('nginx', 'main').format, /"\$http_x_forwarded_for"$/);
  const daemon = lineParser('phd-daemon', null);
  assert.equal(typeof daemon.isContinuation, 'function');
  assert.equal(access.isContinuation, undefined);
});

test('Phabricator formats: adjacent variables, no timestamp, a lone % are errors with a position', () => {
  const adjacent = formatError('phabricator-access', '[%D] %u%C');
  assert.equal(adjacent.position, 7);
  assert.match(adjacent.message, /%u and %C/);
  const noTime = formatError('phabricator-access', '%h %r %u');
  assert.match(noTime.message, /no timestamp/);
  const lone = formatError('phabricator-ssh', '[%D] %u %');
  assert.equal(lone.position, 8);
  // %% is a literal percent sign, so it separates variables.
  assert.equal(isFormatError(createParser({ type: 'phabricator-access', format: '[%e]%u%%%C', timezone: 'UTC' })), false);
});

test('nginx formats: adjacent variables, unterminated ${, no time variable', () => {
  const adjacent = formatError('nginx', '$remote_addr$remote_user [$time_local]');
  assert.equal(adjacent.position, 12);
  assert.equal(formatError('nginx', '[$time_local] ${status').position, 14);
  assert.match(formatError('nginx', '$remote_addr "$request" $status').message, /no time variable/);
  // a `$` that starts no name is text
  assert.equal(isFormatError(createParser({ type: 'nginx', format: '$ [$time_local] $status', timezone: 'UTC' })), false);
});

test('Apache formats: adjacent directives, unterminated %{, unreadable time formats, no time', () => {
  assert.equal(formatError('apache', '%h%u %t').position, 2);
  assert.equal(formatError('apache', '%h %{Referer i %t').position, 3);
  assert.match(formatError('apache', '%h %{%c}t').message, /%c/);
  assert.match(formatError('apache', '%h "%r" %>s').message, /no time directive/);
  // %U%q is Apache's usual idiom and is read as one field
  assert.equal(isFormatError(createParser({ type: 'apache', format: '%t %U%q %>s', timezone: 'UTC' })), false);
});

test('an unknown time zone and a format for the daemon log are refused', () => {
  assert.match(formatError('nginx', null, 'Mars/Olympus').message, /Mars\/Olympus/);
  assert.match(formatError('phd-daemon', '%D').message, /fixed format/);
});

test('%U%q in Apache: the decoded path and the query are split at "?"', () => {
  const p = lineParser('apache', '%t %U%q %>s');
  const result = p.parse('[10/Oct/2000:13:55:36 -0700] /index.php?__path__=/T1 200');
  assert.ok(result.ok);
  if (!result.ok || result.record.family !== 'web') return;
  assert.equal(result.record.path, '/index.php');
  assert.equal(result.record.query, '__path__=/T1');
});
