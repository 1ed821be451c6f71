// The three ways a value gets escaped on its way into a log line: Phorge's C-style escaping of every
// value (addcslashes), Phorge's re-percent-encoding of the request path (%U), and nginx's `\xHH`
// escaping of the request line and headers. Each has a fast path for the common all-plain value.

const NEEDS_C_ESCAPE = /[\x00-\x1f\\\x7f-\uffff]/;
const NEEDS_PATH_ENCODING = /[^A-Za-z0-9\-_.~/]/;
const NEEDS_NGINX_ESCAPE = /[\x00-\x1f"\\\x7f-\uffff]/;
const NEEDS_BROWSER_ENCODING = /[\x00-\x20"<>`{}\x7f-\uffff]/;

const NAMED_C_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

const encoder = new TextEncoder();

function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

/** PHP `addcslashes($value, "\0..\37\\\177..\377")`, byte by byte over UTF-8, as PhutilDeferredLog writes values. */
export function phorgeCEscape(value: string): string {
  if (!NEEDS_C_ESCAPE.test(value)) return value;
  let out = '';
  for (const byte of encoder.encode(value)) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte < 0x20 || byte >= 0x7f) out += NAMED_C_ESCAPES[byte] ?? `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

/** Phorge's `%U`: the decoded path re-encoded with `rawurlencode`, slashes kept (`password:self` -> `password%3Aself`). */
export function phorgeEncodePath(path: string): string {
  if (!NEEDS_PATH_ENCODING.test(path)) return path;
  let out = '';
  for (const byte of encoder.encode(path)) {
    const plain =
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
      byte === 0x2d || byte === 0x5f || byte === 0x2e || byte === 0x7e || byte === 0x2f;
    out += plain ? String.fromCharCode(byte) : `%${hex2(byte)}`;
  }
  return out;
}

/** nginx's default log escaping: `"`, `\`, and bytes outside 0x20..0x7E become `\xHH`. */
export function nginxEscape(value: string): string {
  if (!NEEDS_NGINX_ESCAPE.test(value)) return value;
  let out = '';
  for (const byte of encoder.encode(value)) {
    if (byte === 0x22 || byte === 0x5c || byte < 0x20 || byte > 0x7e) out += `\\x${hex2(byte)}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

/** nginx escaping for raw bytes that are not text (garbage or TLS handshakes sent to the HTTP port). */
export function nginxEscapeBytes(bytes: readonly number[]): string {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c || byte < 0x20 || byte > 0x7e) out += `\\x${hex2(byte)}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

/** The path as a browser or HTTP client puts it on the request line: spaces, quotes and non-ASCII percent-encoded. */
export function browserEncodePath(path: string): string {
  if (!NEEDS_BROWSER_ENCODING.test(path)) return path;
  let out = '';
  for (const byte of encoder.encode(path)) {
    const encode = byte <= 0x20 || byte >= 0x7f || byte === 0x22 || byte === 0x3c || byte === 0x3e ||
      byte === 0x60 || byte === 0x7b || byte === 0x7d;
    out += encode ? `%${hex2(byte)}` : String.fromCharCode(byte);
  }
  return out;
}
