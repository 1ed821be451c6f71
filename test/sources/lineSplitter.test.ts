import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter, OVERSIZED_SAMPLE_BYTES } from '../../src/sources/lineSplitter.js';
import type { Line } from '../../src/sources/types.js';

function feed(splitter: LineSplitter, chunks: Array<string | Buffer>, start = 0): Line[] {
  const out: Line[] = [];
  let offset = start;
  for (const chunk of chunks) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    splitter.push(buf, offset, out);
    offset += buf.length;
  }
  return out;
}

test('a line split across two writes comes out once, whole, with its offset', () => {
  const s = new LineSplitter(1024, 100);
  const lines = feed(s, ['first li', 'ne\nsecond\nthi', 'rd'], 100);
  assert.deepEqual(lines, [
    { offset: 100, length: 11, text: 'first line' },
    { offset: 111, length: 7, text: 'second' },
  ]);
  assert.equal(s.endOffset, 118, 'the checkpoint stops before the partial third line');
  assert.equal(s.pendingBytes, 5);
  const more = feed(s, ['\n'], 123);
  assert.deepEqual(more, [{ offset: 118, length: 6, text: 'third' }]);
  assert.equal(s.endOffset, 124);
});

test('the read buffer can be reused: a carried partial line is copied', () => {
  const s = new LineSplitter(1024, 0);
  const shared = Buffer.from('abc');
  const out: Line[] = [];
  s.push(shared, 0, out);
  shared.write('zzz');
  s.push(Buffer.from('\n'), 3, out);
  assert.equal(out[0]?.text, 'abc');
});

test('CRLF lines lose the \\r in text but keep it in length', () => {
  const s = new LineSplitter(1024, 0);
  const lines = feed(s, ['one\r\ntwo\r', '\nthree\n']);
  assert.deepEqual(lines.map((l) => [l.text, l.offset, l.length]), [['one', 0, 5], ['two', 5, 5], ['three', 10, 6]]);
});

test('a partial last line waits; takeUnterminated hands it out only when asked', () => {
  const s = new LineSplitter(1024, 0);
  assert.deepEqual(feed(s, ['a\nbc']).map((l) => l.text), ['a']);
  assert.equal(s.endOffset, 2);
  const last = s.takeUnterminated();
  assert.deepEqual(last, { offset: 2, length: 2, text: 'bc', unterminated: true });
  assert.equal(s.endOffset, 4);
  assert.equal(s.takeUnterminated(), null);
});

test('an oversized line is sampled, skipped without buffering, and the offset advances past it', () => {
  const max = 300;
  const s = new LineSplitter(max, 0);
  const long = 'L'.repeat(5000);
  const text = `short\n${long}\nafter\n`;
  const buf = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += 97) chunks.push(buf.subarray(i, i + 97));
  const lines: Line[] = [];
  let offset = 0;
  let maxBuffered = 0;
  for (const chunk of chunks) {
    s.push(chunk, offset, lines);
    offset += chunk.length;
    maxBuffered = Math.max(maxBuffered, s.bufferedBytes);
  }
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[0], { offset: 0, length: 6, text: 'short' });
  assert.equal(lines[1]?.oversized, true);
  assert.equal(lines[1]?.offset, 6);
  assert.equal(lines[1]?.length, 5001);
  assert.equal(lines[1]?.text, 'L'.repeat(OVERSIZED_SAMPLE_BYTES));
  assert.deepEqual(lines[2], { offset: 5007, length: 6, text: 'after' });
  assert.equal(s.endOffset, buf.length);
  assert.ok(maxBuffered <= max + 1, `held ${maxBuffered} bytes of one line in memory`);
});

test('an oversized line inside one chunk is sampled too; a line of exactly max bytes is not oversized', () => {
  const s = new LineSplitter(10, 0);
  const lines = feed(s, ['0123456789\n0123456789A\n0123456789\r\n']);
  assert.deepEqual(lines.map((l) => [l.oversized === true, l.length]), [[false, 11], [true, 12], [false, 12]]);
  assert.equal(lines[1]?.text, '0123456789A');
});

test('an oversized sample cut inside a multi-byte character carries no replacement character', () => {
  const s = new LineSplitter(100, 0);
  const line = `${'a'.repeat(OVERSIZED_SAMPLE_BYTES - 1)}é${'b'.repeat(200)}\n`;
  const [only] = feed(s, [line]);
  assert.equal(only?.oversized, true);
  assert.equal(only?.text, 'a'.repeat(OVERSIZED_SAMPLE_BYTES - 1));
  assert.equal(only?.invalidUtf8, undefined);
});

test('invalid UTF-8 is flagged; a real U+FFFD in valid text is not', () => {
  const s = new LineSplitter(1024, 0);
  const bad = Buffer.from([0x61, 0xff, 0x62, 0x0a]);
  const good = Buffer.from('x\uFFFDy\n');
  const lines = feed(s, [bad, good]);
  assert.equal(lines[0]?.invalidUtf8, true);
  assert.equal(lines[0]?.text, 'a\uFFFDb');
  assert.equal(lines[1]?.invalidUtf8, undefined);
  assert.equal(lines[1]?.text, 'x\uFFFDy');
});

test('random chunking never changes the lines or their offsets', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const parts: string[] = [];
  for (let i = 0; i < 2000; i++) parts.push(`${i}:${'é'.repeat(rand(5))}${'x'.repeat(rand(200))}${rand(4) === 0 ? '\r' : ''}\n`);
  const text = parts.join('');
  const buf = Buffer.from(text);
  const expected: Array<[number, number, string]> = [];
  let off = 0;
  for (const p of parts) {
    const len = Buffer.byteLength(p);
    expected.push([off, len, p.replace(/\r?\n$/, '')]);
    off += len;
  }
  for (let round = 0; round < 5; round++) {
    const s = new LineSplitter(4096, 0);
    const out: Line[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const n = 1 + rand(300);
      s.push(buf.subarray(pos, pos + n), pos, out);
      pos += n;
    }
    assert.deepEqual(out.map((l) => [l.offset, l.length, l.text]), expected);
    assert.equal(s.endOffset, buf.length);
  }
});
