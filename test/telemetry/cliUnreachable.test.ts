// A collector that cannot be reached never stops ingestion: a replay of the example day, exporting (through the
// standard OTEL_* variables) to a port nothing listens on, stores every line, exits 0, and says in its log that
// the export failed.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../support/cli.js';
import { freeLoopbackPort } from '../support/ports.js';
import { EXAMPLE, exampleConfig, phabwatch, readStore } from './cliHarness.js';

const dir = tempDir('telemetry-unreachable');
after(() => dir.remove());

test('replay with an unreachable OTLP endpoint stores every line, exits 0, and logs the failure', async () => {
  const port = await freeLoopbackPort();
  const config = exampleConfig(dir, 'unreachable', {});
  const out = await phabwatch(['replay', '--config', config, '--json', '--no-progress'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
  });
  assert.equal(out.code, 0, out.stderr);
  const summary = JSON.parse(out.stdout) as { lines: number; events: number };
  const lines = readdirSync(join(EXAMPLE, 'logs')).reduce((n, f) => n + readFileSync(join(EXAMPLE, 'logs', f), 'utf8').split('\n').filter((l) => l !== '').length, 0);
  assert.equal(summary.lines, lines);
  const stored = readStore(join(dir.path, 'unreachable.db'), (db) => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n);
  assert.equal(stored, summary.events);
  assert.ok(stored > 40_000);
  const warnings = out.stderr.split('\n').filter((l) => l.includes('"level":40')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const failures = warnings.filter((w) => w.msg === 'telemetry export failed; ingestion goes on and the data of failed exports is dropped (next warning in a minute at most)');
  // One warning per signal that failed (traces and metrics; the example's replay delivers no alert logs).
  assert.deepEqual(failures.map((f) => f.endpoint).sort(), [`http://127.0.0.1:${port}/v1/metrics`, `http://127.0.0.1:${port}/v1/traces`], out.stderr);
  for (const f of failures) assert.match(String(f.error), /ECONNREFUSED|connect/i);
  const stopped = warnings.find((w) => w.msg === 'telemetry stopped; some data could not be exported') as { spans: { failed: number }; metricExports: { failed: number } } | undefined;
  assert.ok(stopped && stopped.spans.failed > 0 && stopped.metricExports.failed > 0, out.stderr);
  // Rate-limited: a handful of warnings, not one per export.
  assert.ok(warnings.length < 10, `${warnings.length} warnings`);
});
