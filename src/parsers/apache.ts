// Compiles an Apache `LogFormat` string (mod_log_config `%` directives, everything else literal) into a
// WebFormat. Named formats: common, combined (upstream `%b` and Debian's `%O` lines have the same shape,
// so one parser reads both), combinedio, vhost_common, vhost_combined.

import { CHECK_DECIMAL, CHECK_INTEGER, CHECK_NONE } from './fieldScanner.js';
import { compileStrftime } from './strftime.js';
import { parseClfTime, parseEpochMicros, parseEpochMillis, parseEpochSeconds } from './timestamps.js';
import type { FormatError } from './types.js';
import { WebField, type WebFieldKind, type WebFormat, type WebVariable } from './webFormat.js';

export const APACHE_COMMON_FORMAT = '%h %l %u %t "%r" %>s %b';
export const APACHE_COMBINED_FORMAT = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"';

const NAMED_FORMATS: Readonly<Record<string, string>> = {
  common: APACHE_COMMON_FORMAT,
  combined: APACHE_COMBINED_FORMAT,
  combinedio: APACHE_COMBINED_FORMAT + ' %I %O',
  vhost_common: '%v %h %l %u %t "%r" %>s %b',
  vhost_combined: '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
};

/** The format string for a configured value: a named format or the string itself. */
export function resolveApacheFormat(format: string | null): string {
  if (format === null || format.trim() === '') return APACHE_COMBINED_FORMAT;
  const trimmed = format.trim();
  const named = NAMED_FORMATS[trimmed];
  if (named !== undefined) return named;
  // Copied with the quotes of the config line (`"%h %l ... \"%r\" ..."`): drop the outer pair.
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.slice(1, -1).includes('\\"')) {
    return trimmed.slice(1, -1);
  }
  return format;
}

function simple(kind: WebFieldKind, name: string, check = CHECK_NONE): WebVariable {
  return { kind, name, check, readTime: null };
}

/** The variable for `%{arg}t`: strftime patterns and Apache's sec/msec/usec/msec_frac/usec_frac. */
function timeVariable(name: string, arg: string, timezone: string): WebVariable | string {
  let pattern = arg;
  if (pattern.startsWith('begin:')) pattern = pattern.slice(6);
  else if (pattern.startsWith('end:')) pattern = pattern.slice(4);
  switch (pattern) {
    case 'sec': return { kind: WebField.time, name, check: CHECK_INTEGER, readTime: parseEpochSeconds };
    case 'msec': return { kind: WebField.time, name, check: CHECK_INTEGER, readTime: parseEpochMillis };
    case 'usec': return { kind: WebField.time, name, check: CHECK_INTEGER, readTime: parseEpochMicros };
    case 'msec_frac': return { kind: WebField.timeFraction, name, check: CHECK_INTEGER, readTime: Number };
    case 'usec_frac': return { kind: WebField.timeFraction, name, check: CHECK_INTEGER, readTime: (t) => Math.floor(Number(t) / 1000) };
    default: break;
  }
  const read = compileStrftime(pattern, timezone);
  if (typeof read === 'string') return read;
  return { kind: WebField.time, name, check: CHECK_NONE, readTime: read };
}

/** The variable for one directive, or an error message. */
function directive(letter: string, arg: string | null, modifier: string, name: string, timezone: string): WebVariable | string {
  switch (letter) {
    case 'h': return simple(WebField.client, name);
    case 'a': return simple(arg === 'c' ? WebField.peerIp : WebField.clientIp, name);
    case 'u': return simple(WebField.remoteUser, name);
    case 't':
      if (arg === null) return { kind: WebField.time, name, check: CHECK_NONE, readTime: (text) => parseClfTime(text, timezone) };
      return timeVariable(name, arg, timezone);
    case 'r': return simple(WebField.request, name);
    case 'm': return simple(WebField.method, name);
    case 'U': return simple(WebField.decodedPath, name);
    case 'q': return simple(WebField.queryWithMark, name);
    case 'H': return simple(WebField.protocol, name);
    case 's': return simple(modifier === '>' ? WebField.status : WebField.originalStatus, name, CHECK_INTEGER);
    case 'b': case 'B': return simple(WebField.bodyBytes, name, CHECK_INTEGER);
    case 'O': return simple(WebField.bytesOut, name, CHECK_INTEGER);
    case 'I': return simple(WebField.bytesIn, name, CHECK_INTEGER);
    case 'S': case 'k': case 'P': case 'p': return simple(WebField.ignore, name, CHECK_NONE);
    case 'D': return simple(WebField.durationMicros, name, CHECK_INTEGER);
    case 'T':
      if (arg === 'ms') return simple(WebField.durationMillis, name, CHECK_INTEGER);
      if (arg === 'us') return simple(WebField.durationMicros, name, CHECK_INTEGER);
      return simple(WebField.durationSeconds, name, CHECK_DECIMAL);
    case 'v': return simple(WebField.serverName, name);
    case 'V': return simple(WebField.hostHeader, name);
    case 'i': {
      switch ((arg ?? '').toLowerCase()) {
        case 'referer': return simple(WebField.referrer, name);
        case 'user-agent': return simple(WebField.userAgent, name);
        case 'host': return simple(WebField.hostHeader, name);
        case 'x-forwarded-for': return simple(WebField.forwardedFor, name);
        default: return simple(WebField.ignore, name);
      }
    }
    default:
      return simple(WebField.ignore, name);
  }
}

/** Format-string escapes Apache's config parser resolves (`\"` in a quoted LogFormat, `\t`, `\n`). */
function escapedChar(next: string | undefined): string | null {
  switch (next) {
    case '"': return '"';
    case '\\': return '\\';
    case 't': return '\t';
    case 'n': return '\n';
    default: return null;
  }
}

export function compileApacheFormat(format: string, timezone: string): WebFormat | FormatError {
  const literals: string[] = [];
  const variables: WebVariable[] = [];
  let literal = '';
  const addVariable = (variable: WebVariable, position: number): FormatError | null => {
    const previous = variables[variables.length - 1];
    if (previous !== undefined && literal.length === 0 && previous.kind === WebField.decodedPath && variable.kind === WebField.queryWithMark) {
      // `%U%q` cannot be split by a separator, but %q always starts with `?` (or is empty): read them as one.
      variables[variables.length - 1] = { ...previous, kind: WebField.decodedPathAndQuery, name: previous.name + variable.name };
      return null;
    }
    if (variables.length > 0 && literal.length === 0) {
      return {
        message: `${variables[variables.length - 1]!.name} and ${variable.name} have no text between them, so a line cannot be split into the two values`,
        position,
      };
    }
    literals.push(literal);
    literal = '';
    variables.push(variable);
    return null;
  };

  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch === '\\') {
      const unescaped = escapedChar(format[i + 1]);
      if (unescaped !== null) {
        literal += unescaped;
        i++;
        continue;
      }
    }
    if (ch !== '%') {
      literal += ch;
      continue;
    }
    const start = i;
    let j = i + 1;
    if (format[j] === '%') {
      literal += '%';
      i = j;
      continue;
    }
    // Conditions (`%400,501{User-agent}i`, `%!200{Referer}i`) and `<`/`>` come before the optional {arg}.
    let modifier = '';
    while (j < format.length && '!0123456789,<>'.includes(format[j]!)) {
      if (format[j] === '<' || format[j] === '>') modifier = format[j]!;
      j++;
    }
    let arg: string | null = null;
    if (format[j] === '{') {
      const close = format.indexOf('}', j + 1);
      if (close === -1) return { message: "'%{' without a closing '}'", position: start };
      arg = format.slice(j + 1, close);
      j = close + 1;
    }
    let letter = format[j];
    if (letter === undefined) return { message: "the format ends inside a '%' directive", position: start };
    if (letter === '^') {
      letter = format.slice(j, j + 3);
      j += 2;
    }
    const name = format.slice(start, j + 1);
    i = j;
    if (letter === 't' && arg === null) {
      // Plain %t writes its own brackets: `[10/Oct/2000:13:55:36 -0700]`.
      literal += '[';
      const problem = addVariable(directive('t', null, modifier, name, timezone) as WebVariable, start);
      if (problem !== null) return problem;
      literal = ']';
      continue;
    }
    const variable = directive(letter, arg, modifier, name, timezone);
    if (typeof variable === 'string') return { message: `${name}: ${variable}`, position: start };
    const problem = addVariable(variable, start);
    if (problem !== null) return problem;
  }
  literals.push(literal);
  if (!variables.some((v) => v.kind === WebField.time)) {
    return { message: 'the format has no time directive (%t or %{...}t)', position: null };
  }
  return { literals, variables, escaping: 'apache' };
}
