// The streaming path the benchmark uses: exact line counts, large-cardinality options, determinism,
// and clear errors for options that cannot work.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { BufferedFileSink } from '../../examples/generate/file-sink.js';
import { generateDay, type LineSink, type TrafficOptions } from '../../examples/generate/traffic.js';

class HashingSink implements LineSink {
  readonly hash = createHash('sha256');
  lines = 0;
  fieldCounts = new Set<number>();
  constructor(private readonly countTabs: boolean) {}
  write(line: string): void {
    this.hash.update(line).update('\n');
    this.lines++;
    if (this.countTabs) this.fieldCounts.add(line.split('\t').length);
  }
}

function run(options: Partial<TrafficOptions>): { summary: ReturnType<typeof generateDay>; phab: HashingSink; nginx: HashingSink; digest: string } {
  const phab = new HashingSink(true);
  const nginx = new HashingSink(false);
  const ssh = new HashingSink(false);
  const daemons = new HashingSink(false);
  const summary = generateDay(options, { phabricatorAccess: phab, nginx, ssh, daemons });
  const digest = [phab, nginx, ssh, daemons].map((s) => s.hash.digest('hex')).join(':');
  return { summary, phab, nginx, digest };
}

const LARGE_CARDINALITY: Partial<TrafficOptions> = {
  seed: 'bench-small', requests: 40000, people: 300, addresses: 6000, tokens: 1200, bots: 8, scenarios: [],
};

describe('streaming generation', () => {
  it('writes exactly the requested number of Phorge lines, with large-cardinality options', () => {
    const { summary, phab, nginx } = run(LARGE_CARDINALITY);
    assert.equal(phab.lines, 40000);
    assert.equal(summary.phabricatorAccessLines, 40000);
    assert.deepEqual([...phab.fieldCounts], [11]);
    assert.equal(nginx.lines, summary.nginxLines);
    assert.ok(summary.nginxLines > summary.phabricatorAccessLines);
    assert.equal(summary.registryTokens, 1200);
    // Anonymous visitors walk the whole pool before repeating an address.
    assert.ok(summary.distinctClientAddresses >= 6000 - 300, `${summary.distinctClientAddresses} distinct addresses`);
    assert.ok(summary.distinctTokensInQueries >= 600, `${summary.distinctTokensInQueries} distinct tokens in queries`);
    assert.deepEqual(summary.scenarios, []);
  });

  it('is deterministic for a seed and changes with it', () => {
    const options: Partial<TrafficOptions> = { seed: 'same', requests: 9000, healthCheckIntervalSeconds: 120 };
    assert.equal(run(options).digest, run(options).digest);
    assert.notEqual(run(options).digest, run({ ...options, seed: 'other' }).digest);
  });

  it('renders timestamps in the configured server zone', () => {
    const lines: string[] = [];
    generateDay({ requests: 5000, serverZone: 'America/New_York', healthCheckIntervalSeconds: 0, scenarios: [] }, {
      phabricatorAccess: { write: (l) => lines.push(l) },
    });
    assert.match(lines[0] as string, /^\[Tue, 24 Nov 2026 00:\d{2}:\d{2} -0500\]\t/);
  });

  it('streams into files through large buffered writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phabwatch-stream-'));
    try {
      const sink = new BufferedFileSink(join(dir, 'access.log'));
      const summary = generateDay({ requests: 12000 }, { phabricatorAccess: sink });
      sink.close();
      const text = readFileSync(join(dir, 'access.log'), 'utf8');
      assert.equal(text.split('\n').length - 1, summary.phabricatorAccessLines);
      assert.ok(statSync(join(dir, 'access.log')).size === Buffer.byteLength(text));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects options that cannot work, naming the option', () => {
    assert.throws(() => generateDay({ requests: 100 }, {}), /option requests \(100\) is below the \d+ access-log lines/);
    assert.throws(() => generateDay({ people: 5 }, {}), /people must be at least 20/);
    assert.throws(() => generateDay({ scenarios: ['no-such' as never] }, {}), /unknown scenario "no-such"/);
    assert.throws(() => generateDay({ date: '2026-02-30' }, {}), /does not exist/);
    assert.throws(() => generateDay({ tokens: 3 }, {}), /tokens must be at least/);
  });
});
