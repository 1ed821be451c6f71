// Entry point of the parsers: a source's type, format string and zone in, a compiled LineParser out
// (compile once, parse many), or a FormatError saying what is wrong with the format and where.

import { compileApacheFormat, resolveApacheFormat } from './apache.js';
import { compileNginxFormat, resolveNginxFormat } from './nginx.js';
import { PhabricatorAccessParser } from './phabricatorAccess.js';
import {
  compilePhabricatorFormat, PHABRICATOR_ACCESS_DEFAULT_FORMAT, PHABRICATOR_SSH_DEFAULT_FORMAT,
} from './phabricatorFormat.js';
import { PhabricatorSshParser } from './phabricatorSsh.js';
import { PhdDaemonParser } from './phdDaemon.js';
import { isKnownTimeZone } from './timeZone.js';
import type { FormatError, LineParser, ParserOptions } from './types.js';
import { WebLineParser } from './webLineParser.js';

export const DEFAULT_FORMATS: {
  'phabricator-access': string;
  'phabricator-ssh': string;
  nginx: 'combined';
  apache: 'combined';
} = {
  'phabricator-access': PHABRICATOR_ACCESS_DEFAULT_FORMAT,
  'phabricator-ssh': PHABRICATOR_SSH_DEFAULT_FORMAT,
  nginx: 'combined',
  apache: 'combined',
};

export function isFormatError(x: LineParser | FormatError): x is FormatError {
  return !('parse' in x);
}

/** A configured format, or null/empty for the type's default (Phabricator also falls back on empty). */
function configured(format: string | null): string | null {
  return format === null || format.length === 0 ? null : format;
}

export function createParser(opts: ParserOptions): LineParser | FormatError {
  if (!isKnownTimeZone(opts.timezone)) {
    return { message: `unknown time zone "${opts.timezone}" (expected an IANA name such as Europe/Zurich)`, position: null };
  }
  switch (opts.type) {
    case 'phabricator-access':
    case 'phabricator-ssh': {
      const isSsh = opts.type === 'phabricator-ssh';
      const format = configured(opts.format) ?? (isSsh ? PHABRICATOR_SSH_DEFAULT_FORMAT : PHABRICATOR_ACCESS_DEFAULT_FORMAT);
      const compiled = compilePhabricatorFormat(format);
      if ('message' in compiled) return compiled;
      return isSsh ? new PhabricatorSshParser(format, compiled, opts.timezone) : new PhabricatorAccessParser(format, compiled, opts.timezone);
    }
    case 'nginx': {
      const format = resolveNginxFormat(opts.format);
      const compiled = compileNginxFormat(format, opts.timezone);
      if ('message' in compiled) return compiled;
      return new WebLineParser('nginx', format, compiled);
    }
    case 'apache': {
      const format = resolveApacheFormat(opts.format);
      const compiled = compileApacheFormat(format, opts.timezone);
      if ('message' in compiled) return compiled;
      return new WebLineParser('apache', format, compiled);
    }
    case 'phd-daemon':
      if (configured(opts.format) !== null) {
        return { message: 'phd-daemon sources have a fixed format; remove the format setting', position: null };
      }
      return new PhdDaemonParser(opts.timezone);
    default: {
      const unknown: never = opts.type;
      return { message: `unknown source type "${String(unknown)}"`, position: null };
    }
  }
}

export type { FormatError, LineParser, ParserOptions, ParseResult, ParsedRecord } from './types.js';
