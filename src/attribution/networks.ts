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

export class NetworkSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: string[]) {
    cidrs.forEach((entry, index) => this.add(entry.trim(), index));
    this.size = cidrs.length;
  }

  contains(ip: string | null): boolean {
    if (ip === null || this.size === 0) return false;
    const family = isIP(ip);
    if (family === 4) return this.list.check(ip, 'ipv4');
    if (family !== 6) return false;
    const mapped = MAPPED_IPV4.exec(ip);
    if (mapped) return this.list.check(mapped[1]!, 'ipv4');
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
  }
}
