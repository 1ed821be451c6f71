// The agent's own logs: pino JSON on stderr. Secret-looking fields are redacted by name, and as a last line
// of defence every serialized log line passes through a token pattern before it is written.

import { pino } from 'pino';
import type { Logger } from '../model/logger.js';

const TOKEN = /\b(api|cli|clr)-[a-z2-7]{28}\b/g;

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: { name: 'phabwatch', pid: process.pid },
      redact: { paths: ['token', 'password', 'cookie', '*.token', '*.password', '*.cookie', 'headers.authorization'], censor: '[redacted]' },
      hooks: {
        streamWrite: (line: string): string => line.replace(TOKEN, '$1-[redacted]'),
      },
    },
    destination as pino.DestinationStream,
  ) as unknown as Logger;
}
