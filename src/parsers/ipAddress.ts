// Syntax checks for IP addresses and the private/public split Filebeat uses to pick a client out of an
// X-Forwarded-For list. Pure character scans: no regex, no allocation, so they are cheap per line.

/** Parses dotted-quad IPv4 in text[start, end); returns the 32-bit value, or -1. */
function ipv4Value(text: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
      if (digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

export function isIpv4(text: string): boolean {
  return ipv4Value(text, 0, text.length) >= 0;
}

/**
 * First 16-bit group of an IPv6 address (0 when it starts with `::`), or -1 when `text` is not IPv6.
 * Accepts `::`, an embedded IPv4 tail and a `%zone` suffix.
 */
function ipv6FirstGroup(text: string): number {
  let end = text.indexOf('%');
  if (end === 0) return -1;
  if (end === -1) end = text.length;
  if (end < 2 || end > 45) return -1;
  let groups = 0;
  let doubleColon = false;
  let first = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return -1;
    doubleColon = true;
    first = 0;
    i = 2;
    if (i === end) return 0;
  }
  while (i < end) {
    let j = i;
    let value = 0;
    while (j < end && j - i < 5) {
      const c = text.charCodeAt(j);
      const lower = c | 0x20;
      if (c >= 48 && c <= 57) value = value * 16 + (c - 48);
      else if (lower >= 97 && lower <= 102) value = value * 16 + (lower - 87);
      else break;
      j++;
    }
    if (j < end && text.charCodeAt(j) === 46) {
      // Embedded IPv4 takes the last two groups.
      if (ipv4Value(text, i, end) < 0) return -1;
      groups += 2;
      if (first === -1) first = 0;
      i = end;
      break;
    }
    if (j === i || j - i > 4) return -1;
    if (first === -1) first = value;
    groups++;
    if (j === end) {
      i = end;
      break;
    }
    if (text.charCodeAt(j) !== 58) return -1;
    if (text.charCodeAt(j + 1) === 58) {
      if (doubleColon) return -1;
      doubleColon = true;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return -1;
    }
  }
  if (doubleColon ? groups > 7 : groups !== 8) return -1;
  return first;
}

export function isIpv6(text: string): boolean {
  return text.indexOf(':') !== -1 && ipv6FirstGroup(text) >= 0;
}

export function isIpAddress(text: string): boolean {
  return isIpv4(text) || isIpv6(text);
}

function isPublicIpv4Value(v: number): boolean {
  const a = Math.floor(v / 16777216);
  const b = Math.floor(v / 65536) % 256;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 169 && b === 254) return false;
  if (a === 100 && b >= 64 && b <= 127) return false; // carrier-grade NAT
  return true;
}

/** True for a routable address: not private, loopback, link-local, unique-local, multicast or unspecified. */
export function isPublicIpAddress(text: string): boolean {
  const v4 = ipv4Value(text, 0, text.length);
  if (v4 >= 0) return isPublicIpv4Value(v4);
  if (text.indexOf(':') === -1) return false;
  const first = ipv6FirstGroup(text);
  if (first < 0) return false;
  if (first === 0) {
    // ::, ::1 and IPv4-mapped ::ffff:a.b.c.d
    const dot = text.lastIndexOf(':');
    const tail = text.slice(dot + 1);
    if (text.toLowerCase().startsWith('::ffff:') && isIpv4(tail)) return isPublicIpv4Value(ipv4Value(tail, 0, tail.length));
    return false;
  }
  if ((first & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return false; // fe80::/10 link local
  if ((first & 0xff00) === 0xff00) return false; // multicast
  return true;
}
