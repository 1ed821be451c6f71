// A set of IPv4/IPv6 networks (config `identities.cluster_networks`): is this client address inside?
// IPv4 addresses written as IPv4-mapped IPv6 (`::ffff:10.0.0.1`, as dual-stack servers log them) match
// IPv4 networks.

import { BlockList, isIP } from 'node:net';

/** A network list entry that is not an address or CIDR block. */
export class NetworkListError extends Error {
  constructor(
    readonly entry: string,
    readonly index: number,
    readonly reason: string,
  ) {
    super(`network list entry ${index + 1} ("${entry}") ${reason}`);
    this.name = 'NetworkListError';
  }
}

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Dotted-quad IPv4 to a 32-bit unsigned integer, or -1 when it is not one. */
function ipv4Value(ip: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

export class NetworkSet {
  private readonly list = new BlockList();
  /** IPv4 networks as [first address, last address]: the common case, checked without building socket addresses */
  private readonly ipv4Ranges: [number, number][] = [];
  readonly size: number;

  constructor(cidrs: string[]) {
    cidrs.forEach((entry, index) => this.add(entry.trim(), index));
    this.size = cidrs.length;
  }

  contains(ip: string | null): boolean {
    if (ip === null || this.size === 0) return false;
    const v4 = ipv4Value(ip);
    if (v4 >= 0) {
      for (const [first, last] of this.ipv4Ranges) if (v4 >= first && v4 <= last) return true;
      return false;
    }
    const family = isIP(ip);
    if (family !== 6) return false;
    const mapped = MAPPED_IPV4.exec(ip);
    if (mapped) return this.contains(mapped[1]!);
    return this.list.check(ip, 'ipv6');
  }

  private add(entry: string, index: number): void {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) throw new NetworkListError(entry, index, 'is not an IPv4 or IPv6 address or CIDR block');
    const max = family === 4 ? 32 : 128;
    let prefix = max;
    if (slash !== -1) {
      const text = entry.slice(slash + 1);
      prefix = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
      if (!(prefix >= 0 && prefix <= max)) {
        throw new NetworkListError(entry, index, `has prefix length "${text}", expected 0 to ${max} for IPv${family}`);
      }
    }
    this.list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    if (family === 4) {
      const size = 2 ** (32 - prefix);
      const first = Math.floor(ipv4Value(address) / size) * size;
      this.ipv4Ranges.push([first, first + size - 1]);
    }
  }
}
