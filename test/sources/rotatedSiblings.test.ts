import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import {
  compareGenerations, generationOf, lineageBase, listRotatedSiblings, parseGeneration,
} from '../../src/sources/rotatedSiblings.js';
import { makeTempDir } from './harness.js';

test('rotation suffixes are recognized; other names are not', () => {
  assert.deepEqual(parseGeneration('.3'), { kind: 'numbered', number: 3, stamp: '', compressed: false });
  assert.deepEqual(parseGeneration('.12.gz'), { kind: 'numbered', number: 12, stamp: '', compressed: true });
  assert.deepEqual(parseGeneration('-20240131'), { kind: 'dated', number: 0, stamp: '20240131', compressed: false });
  assert.deepEqual(parseGeneration('-2024013112.gz'), { kind: 'dated', number: 0, stamp: '2024013112', compressed: true });
  assert.equal(parseGeneration('.old')?.kind, 'other');
  assert.equal(parseGeneration('.gz')?.compressed, true);
  for (const bad of ['.bak', '.1.tmp', '-2024', 'x', '.1.gz.tmp', '.gz.1']) assert.equal(parseGeneration(bad), null, bad);
});

test('lineageBase strips one rotation suffix', () => {
  assert.equal(lineageBase('/l/access.log.2.gz'), '/l/access.log');
  assert.equal(lineageBase('/l/access.log-20240101'), '/l/access.log');
  assert.equal(lineageBase('/l/access.log.old'), '/l/access.log');
  assert.equal(lineageBase('/l/access.log'), '/l/access.log');
  assert.equal(lineageBase('/l/.1'), '/l/.1');
});

test('siblings are found by name in the same directory only', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const names = [
      'access.log', 'access.log.1', 'access.log.2.gz', 'access.log-20240101', 'access.log-2024010212.gz',
      'access.log.old', 'access.log.gz', 'access.log.bak', 'access.log.1.tmp', 'access.logx', 'other.log.1',
    ];
    for (const n of names) await writeFile(join(dir, n), 'x\n');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'access.log.1'), 'x\n');
    const found = (await listRotatedSiblings(join(dir, 'access.log'))).map((p) => basename(p)).sort();
    assert.deepEqual(found, [
      'access.log-20240101', 'access.log-2024010212.gz', 'access.log.1', 'access.log.2.gz', 'access.log.gz', 'access.log.old',
    ]);
  } finally {
    await cleanup();
  }
});

test('generations sort oldest first by rotation name, mtime only as a fallback', () => {
  const base = '/l/a.log';
  const at = (name: string, mtimeMs: number) => ({ name, generation: generationOf(`/l/${name}`, base)!, mtimeMs });
  // a late writer makes .1 newer by mtime than the live file: the name still decides
  const files = [at('a.log', 10), at('a.log.1', 50), at('a.log.3.gz', 5), at('a.log.2', 1)];
  assert.deepEqual(files.sort(compareGenerations).map((f) => f.name), ['a.log.3.gz', 'a.log.2', 'a.log.1', 'a.log']);
  const dated = [at('a.log-20240103', 1), at('a.log-20240101', 3), at('a.log-2024010212', 2)];
  assert.deepEqual(dated.sort(compareGenerations).map((f) => f.name), ['a.log-20240101', 'a.log-2024010212', 'a.log-20240103']);
  assert.equal(compareGenerations(at('a.log.2', 1), at('a.log.2.gz', 9)), 0, 'one generation, compressed or not');
  assert.ok(compareGenerations(at('a.log.old', 1), at('a.log.gz', 2)) < 0, 'unordered names fall back to mtime');
});
