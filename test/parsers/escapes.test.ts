// Value unescaping: Phabricator's C escapes, percent-encoding in paths, nginx/Apache log escapes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unescapeC } from '../../src/parsers/cEscape.js';
import { decodePercent } from '../../src/parsers/percentDecode.js';
import { unescapeApache, unescapeNginx } from '../../src/parsers/webEscape.js';

test('unescapeC undoes addcslashes as in PhutilDeferredLog\'s own test case', () => {
  assert.equal(unescapeC('\\000\\001\\002'), '\u0000\u0001\u0002');
  assert.equal(unescapeC('a\\tb'), 'a\tb');
  assert.equal(unescapeC('\\\\'), '\\');
  assert.equal(unescapeC('\\n\\r\\a\\b\\v\\f'), '\n\r\u0007\b\u000b\f');
});

test('unescapeC turns octal UTF-8 bytes into characters and keeps bytes that are not UTF-8 as written', () => {
  assert.equal(unescapeC('caf\\303\\251'), 'café');
  assert.equal(unescapeC('\\360\\237\\230\\200!'), '😀!');
  assert.equal(unescapeC('Latin-1 caf\\351'), 'Latin-1 caf\\351');
  // an overlong encoding of '/' is not UTF-8
  assert.equal(unescapeC('\\300\\257'), '\\300\\257');
  // a valid sequence next to an invalid byte
  assert.equal(unescapeC('\\351\\303\\251'), '\\351é');
});

test('unescapeC: hex escapes, other escaped characters, a lone trailing backslash, plain values', () => {
  assert.equal(unescapeC('\\x41\\x4'), 'A\u0004');
  assert.equal(unescapeC('say \\"hi\\"'), 'say "hi"');
  assert.equal(unescapeC('ends with \\'), 'ends with \\');
  const plain = '/api/user.whoami';
  assert.equal(unescapeC(plain), plain);
  assert.equal(unescapeC(''), '');
});

test('decodePercent decodes UTF-8 escapes and leaves broken ones and controls alone', () => {
  assert.equal(decodePercent('/auth/login/password%3Aself/'), '/auth/login/password:self/');
  assert.equal(decodePercent('/w/%D9%85%DA%AF%D8%A7'), '/w/مگا');
  assert.equal(decodePercent('/a%2fb'), '/a/b');
  assert.equal(decodePercent('/x%u9090%zz%'), '/x%u9090%zz%');
  assert.equal(decodePercent('/..%c0%af..'), '/..%c0%af..');
  assert.equal(decodePercent('/a%0d%0aSet-Cookie'), '/a%0d%0aSet-Cookie');
  assert.equal(decodePercent('/a+b'), '/a+b');
  assert.equal(decodePercent('%E2%82'), '%E2%82');
  assert.equal(decodePercent('%E2%82%AC%'), '€%');
});

test('unescapeNginx decodes \\xXX: quotes, backslashes, UTF-8; controls and invalid bytes stay escaped', () => {
  assert.equal(unescapeNginx('say \\x22hi\\x22 \\x5C'), 'say "hi" \\');
  assert.equal(unescapeNginx('\\xD9\\x85x'), 'مx');
  assert.equal(unescapeNginx('\\x16\\x03\\x01'), '\\x16\\x03\\x01');
  assert.equal(unescapeNginx('a\\xE0b'), 'a\\xE0b');
  assert.equal(unescapeNginx('no escapes'), 'no escapes');
  assert.equal(unescapeNginx('\\x4'), '\\x4');
  assert.equal(unescapeNginx('C:\\path'), 'C:\\path');
});

test('unescapeApache decodes \\" \\\\ and \\xhh; C escapes of controls stay as written', () => {
  assert.equal(unescapeApache('alert(\\"x\\")'), 'alert("x")');
  assert.equal(unescapeApache('a\\\\b'), 'a\\b');
  assert.equal(unescapeApache('\\\\x41'), '\\x41');
  assert.equal(unescapeApache('\\xc3\\xa9'), 'é');
  assert.equal(unescapeApache('line\\nbreak'), 'line\\nbreak');
  assert.equal(unescapeApache('\\xf9h\\xa9'), '\\xf9h\\xa9');
});
