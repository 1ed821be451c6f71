// Cluster networks: which client addresses count as inside the cluster.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkListError, NetworkSet } from '../../src/attribution/networks.js';

describe('NetworkSet', () => {
  const set = new NetworkSet(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', ' 172.16.0.0/12 ']);

  const cases: [string | null, boolean][] = [
    ['10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true], // a bare address is a /32
    ['192.168.1.8', false],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['2001:db8:1::5', true],
    ['2001:db9::1', false],
    ['::ffff:10.9.9.9', true], // IPv4-mapped, as dual-stack servers log IPv4 clients
    ['::ffff:11.9.9.9', false],
    ['not-an-ip', false],
    ['-', false],
    [null, false],
  ];
  for (const [ip, inside] of cases) {
    it(`${String(ip)} is ${inside ? 'inside' : 'outside'}`, () => assert.equal(set.contains(ip), inside));
  }

  it('an empty list contains nothing', () => {
    assert.equal(new NetworkSet([]).contains('10.0.0.1'), false);
  });

  const bad: [string, RegExp][] = [
    ['10.0.0.0/33', /entry 2 \("10\.0\.0\.0\/33"\) has prefix length "33", expected 0 to 32 for IPv4/],
    ['2001:db8::/129', /expected 0 to 128 for IPv6/],
    ['10.0.0/8', /is not an IPv4 or IPv6 address or CIDR block/],
    ['10.0.0.0/x', /has prefix length "x"/],
    ['example.com', /is not an IPv4 or IPv6 address/],
  ];
  for (const [entry, message] of bad) {
    it(`refuses ${entry} and names it`, () => {
      assert.throws(() => new NetworkSet(['127.0.0.0/8', entry]), (err: unknown) => {
        assert.ok(err instanceof NetworkListError);
        assert.equal(err.entry, entry);
        assert.equal(err.index, 1);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
