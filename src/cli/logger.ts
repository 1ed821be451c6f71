// The agent's own logs: pino JSON on stderr (for log shippers), or one readable line per message when stderr is
// a terminal (for the person running it). Secret-looking fields are redacted by name, and as a last line of
// defence every serialized log line passes through a token pattern before it is written.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../model/logger.js';

const TOKEN = /\b(api|cli|clr)-[a-z2-7]{28}\b/g;
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

/** Turns pino's JSON lines into `HH:MM:SS LEVEL message key=value ...` for a terminal. */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 19) : '';
  const fields = Object.entries(record)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${time} ${LEVELS[record.level as number] ?? String(record.level)} ${String(record.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
}

function prettyStream(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') target.write(prettyLine(line));
      done();
    },
  });
}

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  const pretty = destination === process.stderr && process.stderr.isTTY === true && process.env.PHABWATCH_LOG_FORMAT !== 'json';
  return pino(
    {
      level,
      base: { name: 'phabwatch', pid: process.pid },
      redact: { paths: ['token', 'password', 'cookie', '*.token', '*.password', '*.cookie', 'headers.authorization'], censor: '[redacted]' },
      hooks: {
        streamWrite: (line: string): string => line.replace(TOKEN, '$1-[redacted]'),
      },
    },
    (pretty ? prettyStream(destination) : destination) as pino.DestinationStream,
  ) as unknown as Logger;
}
