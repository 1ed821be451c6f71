// `phabwatch doctor`: says what is wrong with an installation and how to fix it: the config, every source
// path, a sample of each source parsed with its configured format (parse rate and the first failing line),
// the token registry, whether the store is writable, and whether alerts and telemetry can get out
// (doctorDestinations.ts). Exit 1 when anything is wrong.

import { closeSync, openSync, readFileSync, readSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseRegistryFile } from '../attribution/registryFile.js';
import { SecretScrubber } from '../attribution/secretScrubber.js';
import type { PhabwatchConfig, SourceConfig } from '../config/types.js';
import { redactSample } from '../pipeline/redact.js';
import { compileParser } from '../pipeline/assemble.js';
import { PathsProvider } from '../sources/pathsProvider.js';
import { describeSqliteError, openStore, readHmacKey, schemaVersion } from '../store/database.js';
import { COMMON_OPTIONS, EXIT, parseCommandArgs, UsageError, type Command } from './command.js';
import { exampleNotice, resolveConfig } from './configResolver.js';
import { checkDeliveryQueue, checkDestinations } from './doctorDestinations.js';
import { toJson } from './output.js';
import { formatBytes } from './progress.js';

type Status = 'ok' | 'warn' | 'fail';

export interface Check {
  status: Status;
  subject: string;
  message: string;
  details: string[];
}

const SAMPLE_BYTES = 256 * 1024;
const SAMPLE_LINES = 200;
const MIN_PARSE_RATE = 0.95;
const LOW_DISK_BYTES = 200 * 1024 * 1024;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the config, the log files, the formats and the store',
  usage: `phabwatch doctor [--config FILE] [--json]

Checks that the config is valid, that every source path names readable files, that a sample of each source
parses with its configured format (shows the parse rate and the first failing line), that the token
registry reads, that the store is writable, that Alertmanager is ready and webhook and OTLP endpoints accept
connections (nothing is sent), that the Prometheus listen address is free, and that no alert delivery is
stuck. Exits 1 when something is wrong.`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...COMMON_OPTIONS, json: { type: 'boolean' } }, false);
    if (values.help) {
      process.stdout.write(`${this.usage}\n`);
      return EXIT.ok;
    }
    const checks: Check[] = [];
    let config: PhabwatchConfig | null = null;
    try {
      const resolved = resolveConfig(values.config);
      config = resolved.config;
      checks.push({
        status: resolved.isExample ? 'warn' : 'ok',
        subject: 'config',
        message: `${config.file}: ${config.sources.length} sources, time zone ${config.timezone}`,
        details: resolved.isExample ? [exampleNotice()] : [],
      });
      if (config.sources.length === 0) checks.push({ status: 'fail', subject: 'config', message: 'no sources configured: nothing to watch', details: [] });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      checks.push({ status: 'fail', subject: 'config', message: 'the configuration is not valid', details: err.message.split('\n') });
    }
    if (config) {
      const scrubber = checkStore(config, checks);
      for (const source of config.sources) await checkSource(source, scrubber, checks);
      checkRegistry(config, checks);
      await checkDestinations(config, checks);
    }
    const failed = checks.some((c) => c.status === 'fail');
    if (values.json) process.stdout.write(`${toJson({ ok: !failed, checks })}\n`);
    else process.stdout.write(`${renderChecks(checks)}\n${failed ? 'problems found' : 'all good'}\n`);
    return failed ? EXIT.failed : EXIT.ok;
  },
};

function renderChecks(checks: readonly Check[]): string {
  const label: Record<Status, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
  return checks.map((c) => [`${label[c.status]}  ${c.subject}: ${c.message}`, ...c.details.map((d) => `        ${d}`)].join('\n')).join('\n');
}

/** Checks the store; returns a scrubber keyed like the store's so samples are masked the same way. */
function checkStore(config: PhabwatchConfig, checks: Check[]): SecretScrubber {
  const path = config.store.path;
  try {
    const db = openStore(path);
    try {
      db.exec('BEGIN IMMEDIATE; ROLLBACK;');
      const events = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
      const details: string[] = [];
      let status: Status = 'ok';
      let free: number | null = null;
      try {
        const fs = statfsSync(dirname(path));
        free = fs.bavail * fs.bsize;
      } catch {
        free = null;
      }
      if (free !== null && free < LOW_DISK_BYTES) {
        status = 'warn';
        details.push(`only ${formatBytes(free)} free on its filesystem; ingestion pauses (without losing lines) when the disk is full`);
      }
      checks.push({
        status, subject: 'store',
        message: `${path}: writable, schema version ${schemaVersion(db)}, ${events.toLocaleString('en-US')} events${free === null ? '' : `, ${formatBytes(free)} free`}`,
        details,
      });
      checkDeliveryQueue(db, checks);
      return new SecretScrubber(readHmacKey(db));
    } finally {
      db.close();
    }
  } catch (err) {
    checks.push({
      status: 'fail', subject: 'store', message: `${path}: not usable: ${err instanceof Error ? err.message : describeSqliteError(err)}`,
      details: ['hint: store.path must be in a folder the agent can create and write (it also writes -wal and -shm files beside it)'],
    });
    return new SecretScrubber(Buffer.alloc(32));
  }
}

async function checkSource(source: SourceConfig, scrubber: SecretScrubber, checks: Check[]): Promise<void> {
  const subject = `source ${source.name} (${source.type})`;
  const files = await new PathsProvider(source.path).expand();
  if (files.length === 0) {
    checks.push({
      status: 'fail', subject, message: `no file matches ${source.path}`,
      details: [hintForMissing(source)],
    });
    return;
  }
  const unreadable: string[] = [];
  let newest: { path: string; mtime: number; size: number } | null = null;
  for (const file of files) {
    try {
      closeSync(openSync(file, 'r'));
      const st = statSync(file);
      if (!file.endsWith('.gz') && (newest === null || st.mtimeMs > newest.mtime)) newest = { path: file, mtime: st.mtimeMs, size: st.size };
    } catch (err) {
      unreadable.push(`${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (unreadable.length > 0) {
    checks.push({ status: 'fail', subject, message: `${unreadable.length} of ${files.length} files cannot be read`, details: [...unreadable, 'hint: run phabwatch as a user in the log files\' group, or adjust their permissions'] });
  } else {
    checks.push({ status: 'ok', subject, message: `${files.length} file${files.length === 1 ? ' matches' : 's match'} ${source.path}`, details: [] });
  }
  if (newest === null) return;
  checks.push(sampleParse(source, newest.path, newest.size, scrubber));
}

function hintForMissing(source: SourceConfig): string {
  switch (source.type) {
    case 'phabricator-access':
      return 'hint: Phabricator writes no access log unless log.access.path is set (bin/config set log.access.path /var/log/phabricator/access.log)';
    case 'phabricator-ssh':
      return 'hint: Phabricator writes no SSH log unless log.ssh.path is set';
    case 'phd-daemon':
      return 'hint: daemons.log is in phd.log-directory (default /var/tmp/phd/log)';
    default:
      return 'hint: check the path and the webserver\'s access_log / CustomLog directive';
  }
}

/** Parses the last lines of the newest file with the source's format. */
function sampleParse(source: SourceConfig, path: string, size: number, scrubber: SecretScrubber): Check {
  const subject = `source ${source.name} (${source.type})`;
  const parser = compileParser(source);
  const start = Math.max(0, size - SAMPLE_BYTES);
  const buffer = Buffer.alloc(Math.min(size, SAMPLE_BYTES));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  let text = buffer.toString('utf8');
  if (start > 0) text = text.slice(text.indexOf('\n') + 1); // the first line may be cut
  const lastNewline = text.lastIndexOf('\n');
  const lines = (lastNewline < 0 ? '' : text.slice(0, lastNewline)).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '').slice(-SAMPLE_LINES);
  if (lines.length === 0) return { status: 'warn', subject, message: `${path} has no complete line yet; nothing to check`, details: [] };
  let parsed = 0;
  let considered = 0;
  let firstFailure: string[] | null = null;
  for (const line of lines) {
    if (parser.isContinuation?.(line)) continue;
    considered++;
    const result = parser.parse(scrubber.scrub(line).line);
    if (result.ok) parsed++;
    else if (firstFailure === null) firstFailure = [`first failing line: ${result.reason}: ${result.detail}`, `  ${redactSample(scrubber, line)}`];
  }
  const rate = considered === 0 ? 1 : parsed / considered;
  const message = `${parsed} of ${considered} sample lines of ${path} parse with ${source.format === null ? 'the default format' : 'the configured format'} (${(rate * 100).toFixed(1)}%)`;
  const details = firstFailure ?? [];
  if (rate < MIN_PARSE_RATE) {
    details.push(source.type === 'nginx' || source.type === 'apache'
      ? 'hint: set `format:` to the log_format / LogFormat string your webserver uses'
      : source.type === 'phd-daemon' ? 'hint: is this really phd\'s daemons.log?' : 'hint: set `format:` to the value of log.access.format / log.ssh.format (bin/config get)');
    return { status: 'fail', subject, message, details };
  }
  return { status: parsed === considered ? 'ok' : 'warn', subject, message, details };
}

function checkRegistry(config: PhabwatchConfig, checks: Check[]): void {
  const file = config.identities.registry;
  if (file === null) return;
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    checks.push({ status: 'fail', subject: 'token registry', message: `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, details: [] });
    return;
  }
  const parsed = parseRegistryFile(text, file, Buffer.alloc(32), Date.now());
  const status: Status = parsed.tokens.length === 0 ? 'fail' : parsed.errors.length > 0 ? 'warn' : 'ok';
  checks.push({
    status, subject: 'token registry',
    message: `${file}: ${parsed.tokens.length} tokens, ${parsed.identities.length} identities${parsed.errors.length ? `, ${parsed.errors.length} problems` : ''}`,
    details: parsed.errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`),
  });
}
