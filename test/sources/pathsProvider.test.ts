import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { PathsProvider } from '../../src/sources/pathsProvider.js';
import { makeTempDir } from './harness.js';

test('a glob expands to the regular files it matches, sorted', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
    for (const f of ['b.log', 'a.log', 'a.log.1', 'a.txt', 'sub/c.log', 'sub/deeper/d.log']) await writeFile(join(dir, f), 'x\n');
    await mkdir(join(dir, 'dir.log'));
    await symlink(join(dir, 'a.log'), join(dir, 'link.log'));
    const flat = new PathsProvider(join(dir, '*.log'));
    assert.equal(flat.isGlob, true);
    assert.deepEqual(await flat.expand(), [join(dir, 'a.log'), join(dir, 'b.log'), join(dir, 'link.log')]);
    assert.equal(flat.matches(join(dir, 'a.log')), true);
    assert.equal(flat.matches(join(dir, 'a.log.1')), false);
    assert.deepEqual(flat.watchDirectories(), [dir]);
    const deep = new PathsProvider(join(dir, '**/*.log'));
    assert.deepEqual(await deep.expand(), [
      join(dir, 'a.log'), join(dir, 'b.log'), join(dir, 'link.log'), join(dir, 'sub/c.log'), join(dir, 'sub/deeper/d.log'),
    ]);
    const one = new PathsProvider(join(dir, 'sub/*.log'));
    assert.deepEqual(await one.expand(), [join(dir, 'sub/c.log')]);
  } finally {
    await cleanup();
  }
});

test('a plain path names one file, present or not yet', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const path = join(dir, 'access.log');
    const p = new PathsProvider(path);
    assert.equal(p.isGlob, false);
    assert.deepEqual(await p.expand(), []);
    await writeFile(path, '');
    assert.deepEqual(await p.expand(), [path]);
    assert.equal(p.matches(path), true);
    assert.equal(p.matches(`${path}.1`), false);
    assert.deepEqual(p.watchDirectories(), [dir]);
    const missingDir = new PathsProvider(join(dir, 'nope', '*.log'));
    assert.deepEqual(await missingDir.expand(), []);
  } finally {
    await cleanup();
  }
});
