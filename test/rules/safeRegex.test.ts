import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSafeRegex } from '../../src/rules/safeRegex.js';
import { growingAmbiguity } from './regexOracle.js';

// Patterns a rule author would write; all must be accepted.
const ACCEPTED: [string, string][] = [
  ['^curl/', ''],
  ['^(python-requests|Go-http-client|curl)/', ''],
  ['^Arcanist/', 'i'],
  ['\\.(env|git|svn|DS_Store)(/|$)', ''],
  ['^/api/(diffusion|file)\\.', ''],
  ['[^/]+/[^/]+', ''],
  ['\\S+\\s+\\S+', ''],
  ['^\\d{1,3}(\\.\\d{1,3}){3}$', ''],
  ['^[a-z0-9-]+$', ''],
  ['^[a-z]+(?:-[a-z]+)*$', ''],
  ['(\\.[a-z]+)+$', ''],
  ['^(/[^/]+)+/?$', ''],
  ['([a-z0-9-]+\\.)+[a-z]{2,}', ''],
  ['(ab*)+c', ''],
  ['^(?<method>GET|POST)\\s', ''],
  ['wp-(admin|login|content)', 'i'],
  ['\\x41\\u00e9\\t[\\]\\-\\\\]', ''],
  ['[^]', ''],
  ['\\bphpmyadmin\\b', 'i'],
  ['a{2,5}b', ''],
];

// [pattern, flags, what the message must say]
const REJECTED: [string, string, RegExp][] = [
  ['(a+)+', '', /nested repeat: `a\+` inside `\(a\+\)\+`/],
  ['(a*)*', '', /repeats a part that can match empty text/],
  ['(a|b+)*', '', /nested repeat: `b\+` inside `\(a\|b\+\)\*`/],
  ['(a|a)*', '', /the alternatives `a` and `a` inside `\(a\|a\)\*`/],
  ['(A|a)+', 'i', /the alternatives `A` and `a`/],
  ['(.|\\s)*', '', /the alternatives `\.` and `\\s`/],
  ['(a|)+', '', /repeats a part that can match empty text/],
  ['(a(b?)?c)*', '', /nested repeat: `\(b\?\)\?`/],
  ['.*.*', '', /`\.\*` and `\.\*` can match the same characters .*polynomial time/],
  ['\\d+\\d+', '', /`\\d\+` and `\\d\+` can match the same characters/],
  ['a*a*', '', /`a\*` and `a\*` can match the same characters/],
  ['.*a.*b', '', /`\.\*` and `\.\*` can match the same characters/],
  ['x.*(y|.*)', '', /`\.\*` and `\.\*` can match the same characters/],
  ['\\w+_\\w+', '', /`\\w\+` and `\\w\+`/],
  ['a?a?a?a?a?a?a?a?a?a?a?', '', /the optional or variable parts from `a\?` to `a\?` can share out the same characters in 2048 ways/],
  ['(a)\\1', '', /^at character 4: backreference `\\1` is not allowed/],
  ['(?<x>a)\\k<x>', '', /backreference `\\k<\.\.\.>` is not allowed/],
  ['a(?=b)', '', /^at character 2: lookaround `\(\?=\.\.\.\)` is not allowed/],
  ['a(?!b)', '', /lookaround `\(\?!\.\.\.\)`/],
  ['(?<=a)b', '', /lookaround `\(\?<=\.\.\.\)`/],
  ['(?<!a)b', '', /lookaround `\(\?<!\.\.\.\)`/],
  ['(?i:a)', '', /inline flags are not supported/],
  ['a{', '', /`\{` that is not a repeat count such as \{2,5\}; write `\\\{` for a literal brace/],
  ['a}', '', /unmatched `\}`/],
  ['a]', '', /unmatched `\]`/],
  ['a{3,2}', '', /repeat counts out of order/],
  ['a{1,5000}', '', /repeat count above 1000/],
  ['*a', '', /^at character 1: `\*` has nothing before it to repeat/],
  ['a**', '', /a repeat cannot be repeated again directly/],
  ['^*', '', /`\^` matches a position and cannot be repeated/],
  ['(a', '', /unclosed `\(`/],
  ['a)', '', /^at character 2: unmatched `\)`/],
  ['[a-', '', /unclosed `\[`/],
  ['[z-a]', '', /range out of order: `z-a`/],
  ['[\\w-z]', '', /a range in \[\.\.\.\] must be between two characters/],
  ['\\q', '', /`\\q` is not an escape JavaScript defines; write `q`/],
  ['\\p{L}', '', /`\\p` is not an escape/],
  ['\\07', '', /octal escapes are not allowed/],
  ['\\', '', /pattern ends with a lone `\\`/],
  ['[]', '', /`\[\]` matches nothing/],
  ['x'.repeat(501), '', /pattern is 501 characters long; at most 500 are allowed/],
  ['^curl/', 'g', /flags "g" are not supported; the only flag is i/],
  ['^curl/', 'u', /flags "u" are not supported/],
  ['^curl/', 'is', /flags "is" are not supported/],
];

test('patterns a rule author writes are accepted and compile to the regex written', () => {
  for (const [pattern, flags] of ACCEPTED) {
    const result = checkSafeRegex(pattern, flags);
    assert.ok(result.ok, `${pattern} was refused: ${result.ok ? '' : result.message}`);
    assert.equal(result.regex.source, new RegExp(pattern, flags).source);
    assert.equal(result.regex.flags, flags);
  }
  const check = checkSafeRegex('^arcanist/', 'i');
  assert.ok(check.ok && check.regex.test('Arcanist/1.0 cURL/7.88.1'));
});

test('unsafe or unclear patterns are refused, saying why', () => {
  for (const [pattern, flags, expected] of REJECTED) {
    const result = checkSafeRegex(pattern, flags);
    assert.equal(result.ok, false, `${pattern} /${flags} was accepted`);
    assert.match(result.ok ? '' : result.message, expected, pattern);
  }
});

// Patterns from published ReDoS reports and catalogues; every one must be refused.
const LITERATURE: string[] = [
  // OWASP "Regular expression Denial of Service" examples
  '^(a+)+$', '([a-zA-Z]+)*', '(a|aa)+', '(a|a?)+', '(.*a){12}', '^(([a-z])+.)+[A-Z]([a-z])+$',
  '^[a-zA-Z]+(([\\\'\\,\\.\\-][a-zA-Z ])?[a-zA-Z]*)*$',
  '^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$',
  // Cloudflare outage, 2 July 2019 (the part that backtracked; its literal `{}` escaped, as this checker wants)
  '(?:(?:\\"|\'|\\]|\\}|\\\\|\\d|(?:nan|infinity|true|false|null|undefined|symbol|math)|\\`|\\-|\\+)+[)]*;?((?:\\s|-|~|!|\\{\\}|\\|\\||\\+)*.*(?:.*=.*)))',
  // npm advisories: ms (CVE-2015-8315), moment (CVE-2017-18214), minimatch brace patterns
  '^((?:\\d+)?\\.?\\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|years?|yrs?|y)?$',
  '[0-9]*[\'a-z\\u00A0-\\u05FF\\u0700-\\uD7FF\\uFF07\\uFF10-\\uFFEF]+|[\\u0600-\\u06FF\\/]+(\\s*?[\\u0600-\\u06FF]+){1,2}',
  // classic textbook shapes
  '(x+x+)+y', '(\\w+\\s?)+$', '^(\\d+)*$', '(a|b|ab)*c', '^(a?){25}(a){25}$', '(\\s|.)+x', '^(\\w+\\.?)+@',
  '\\s*#?\\s*$', '(.*)*x', '([^,]*,?)*$', '^(a|a)*$',
];

test('known ReDoS patterns from the literature are all refused', () => {
  for (const pattern of LITERATURE) {
    const result = checkSafeRegex(pattern, '');
    assert.equal(result.ok, false, `accepted a known ReDoS pattern: ${pattern}`);
    // refused for what it does, not for how it is written
    assert.doesNotMatch(result.ok ? '' : result.message, /^at character/, pattern);
  }
});

/** Every pattern of up to three parts over a, b, [ab] and `.`, with groups and repeats. */
function generatedPatterns(): string[] {
  const atoms = ['a', 'b', '[ab]', '.'];
  const repeats = ['', '*', '+', '?', '{2}'];
  const one = atoms.flatMap((a) => repeats.map((r) => a + r));
  const two: string[] = [];
  for (const x of one) for (const y of one) two.push(x + y, `${x}|${y}`);
  const grouped: string[] = [];
  for (const x of two) for (const r of ['*', '+', '{2}', '?']) grouped.push(`(${x})${r}`);
  const three: string[] = [];
  grouped.forEach((g, i) => {
    if (i % 7 === 0) for (const y of ['a', 'b*', '[ab]+', 'a?']) three.push(g + y, y + g);
  });
  return [...one, ...two, ...grouped, ...three];
}

test('every accepted pattern stays boundedly ambiguous (checked by counting parses on growing texts)', () => {
  const patterns = generatedPatterns();
  const unsafe: string[] = [];
  let accepted = 0;
  for (const pattern of patterns) {
    const result = checkSafeRegex(pattern, '');
    if (!result.ok) continue;
    accepted++;
    const growth = growingAmbiguity(pattern);
    if (growth !== null) unsafe.push(`${pattern}: ${growth}`);
  }
  assert.deepEqual(unsafe, []);
  // The check must not be vacuous: a good share of the patterns are accepted...
  assert.ok(accepted > patterns.length / 3, `only ${accepted} of ${patterns.length} accepted`);
  // ...and the parse counter does see the growth of patterns known to be unsafe.
  for (const evil of ['(a|a)*', '(a+)+', 'a*a*', '.*a.*', '(a|b|ab)*', '(a*b*)*', '[ab]*b[ab]*']) {
    assert.notEqual(growingAmbiguity(evil), null, `the oracle misses ${evil}`);
  }
});

test('safe but wasteful patterns load with advice', () => {
  const leading = checkSafeRegex('.*curl', '');
  assert.ok(leading.ok);
  assert.deepEqual(leading.warnings, ['`.*` at the start only slows matching: a regex matches anywhere unless it starts with ^, so it is tried from every position; remove it']);
  const empty = checkSafeRegex('x?', '');
  assert.ok(empty.ok);
  assert.deepEqual(empty.warnings, ['it can match empty text, so it matches every value (did you mean to test for something?)']);
  const fine = checkSafeRegex('^/api/', '');
  assert.ok(fine.ok);
  assert.deepEqual(fine.warnings, []);
});
