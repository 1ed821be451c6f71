// Compiles an nginx `log_format` string (`$name` / `${name}` variables, everything else literal) into a
// WebFormat. Known variables map to record fields; unknown ones are accepted and skipped.

import { CHECK_DECIMAL, CHECK_INTEGER, CHECK_NONE } from './fieldScanner.js';
import { parseClfTime, parseEpochSeconds, parseIso8601Time } from './timestamps.js';
import type { FormatError } from './types.js';
import { WebField, type WebFieldKind, type WebFormat, type WebVariable } from './webFormat.js';

/** nginx's built-in format (ngx_http_log_module.c, `ngx_http_combined_fmt`). */
export const NGINX_COMBINED_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

/** The `main` format from the nginx.conf shipped with nginx and most distributions. */
export const NGINX_MAIN_FORMAT = NGINX_COMBINED_FORMAT + ' "$http_x_forwarded_for"';

const NAMED_FORMATS: Readonly<Record<string, string>> = { combined: NGINX_COMBINED_FORMAT, main: NGINX_MAIN_FORMAT };

interface KnownVariable {
  kind: WebFieldKind;
  check: number;
  time?: 'clf' | 'iso' | 'epoch';
}

const KNOWN: Readonly<Record<string, KnownVariable>> = {
  remote_addr: { kind: WebField.client, check: CHECK_NONE },
  realip_remote_addr: { kind: WebField.peerIp, check: CHECK_NONE },
  http_x_forwarded_for: { kind: WebField.forwardedFor, check: CHECK_NONE },
  proxy_add_x_forwarded_for: { kind: WebField.forwardedFor, check: CHECK_NONE },
  http_x_real_ip: { kind: WebField.forwardedFor, check: CHECK_NONE },
  remote_user: { kind: WebField.remoteUser, check: CHECK_NONE },
  time_local: { kind: WebField.time, check: CHECK_NONE, time: 'clf' },
  time_iso8601: { kind: WebField.time, check: CHECK_NONE, time: 'iso' },
  msec: { kind: WebField.time, check: CHECK_DECIMAL, time: 'epoch' },
  request: { kind: WebField.request, check: CHECK_NONE },
  request_method: { kind: WebField.method, check: CHECK_NONE },
  request_uri: { kind: WebField.uri, check: CHECK_NONE },
  uri: { kind: WebField.decodedPath, check: CHECK_NONE },
  document_uri: { kind: WebField.decodedPath, check: CHECK_NONE },
  args: { kind: WebField.query, check: CHECK_NONE },
  query_string: { kind: WebField.query, check: CHECK_NONE },
  server_protocol: { kind: WebField.protocol, check: CHECK_NONE },
  status: { kind: WebField.status, check: CHECK_INTEGER },
  body_bytes_sent: { kind: WebField.bodyBytes, check: CHECK_INTEGER },
  bytes_sent: { kind: WebField.bytesOut, check: CHECK_INTEGER },
  request_length: { kind: WebField.bytesIn, check: CHECK_INTEGER },
  request_time: { kind: WebField.durationSeconds, check: CHECK_DECIMAL },
  upstream_response_time: { kind: WebField.upstreamSeconds, check: CHECK_NONE },
  http_referer: { kind: WebField.referrer, check: CHECK_NONE },
  http_user_agent: { kind: WebField.userAgent, check: CHECK_NONE },
  host: { kind: WebField.hostHeader, check: CHECK_NONE },
  http_host: { kind: WebField.hostHeader, check: CHECK_NONE },
  server_name: { kind: WebField.serverName, check: CHECK_NONE },
};

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function variableFor(name: string, timezone: string): WebVariable {
  const known = KNOWN[name.toLowerCase()];
  if (known === undefined) return { kind: WebField.ignore, name: '$' + name, check: CHECK_NONE, readTime: null };
  let readTime: ((text: string) => number) | null = null;
  if (known.time === 'clf') readTime = (text) => parseClfTime(text, timezone);
  else if (known.time === 'iso') readTime = (text) => parseIso8601Time(text, timezone);
  else if (known.time === 'epoch') readTime = parseEpochSeconds;
  return { kind: known.kind, name: '$' + name, check: known.check, readTime };
}

/** The format string for a configured value: a named format (`combined`, `main`) or the string itself. */
export function resolveNginxFormat(format: string | null): string {
  if (format === null || format.trim() === '') return NGINX_COMBINED_FORMAT;
  return NAMED_FORMATS[format.trim()] ?? format;
}

export function compileNginxFormat(format: string, timezone: string): WebFormat | FormatError {
  const literals: string[] = [];
  const variables: WebVariable[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '$') {
      literal += ch;
      continue;
    }
    let name: string;
    let end: number;
    if (format[i + 1] === '{') {
      end = format.indexOf('}', i + 2);
      if (end === -1) return { message: "'${' without a closing '}'", position: i };
      name = format.slice(i + 2, end);
      for (let j = 0; j < name.length; j++) {
        if (!isNameChar(name.charCodeAt(j))) return { message: `invalid variable name "${name}"`, position: i };
      }
      end += 1;
    } else {
      end = i + 1;
      while (end < format.length && isNameChar(format.charCodeAt(end))) end++;
      name = format.slice(i + 1, end);
    }
    if (name.length === 0) {
      // nginx treats a `$` that starts no variable name as text.
      literal += '$';
      continue;
    }
    if (variables.length > 0 && literal.length === 0) {
      return {
        message: `${variables[variables.length - 1]!.name} and $${name} have no text between them, so a line cannot be split into the two values`,
        position: i,
      };
    }
    literals.push(literal);
    literal = '';
    variables.push(variableFor(name, timezone));
    i = end - 1;
  }
  literals.push(literal);
  if (!variables.some((v) => v.kind === WebField.time)) {
    return { message: 'the format has no time variable ($time_local, $time_iso8601 or $msec)', position: null };
  }
  return { literals, variables, escaping: 'nginx' };
}
