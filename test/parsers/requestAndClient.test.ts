// Request lines, client fields and IP address checks shared by the webserver parsers.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientFromForwardedFor, hostWithoutPort, parseClientField } from '../../src/parsers/clientAddress.js';
import { isIpAddress, isPublicIpAddress } from '../../src/parsers/ipAddress.js';
import { parseRequestLine } from '../../src/parsers/requestLine.js';

test('request lines: method, decoded path, raw query, protocol', () => {
  assert.deepEqual(parseRequestLine('GET /api/user.whoami?api.token=x%20y HTTP/1.1'), {
    method: 'GET', path: '/api/user.whoami', query: 'api.token=x%20y', protocol: 'HTTP/1.1', malformed: false,
  });
  assert.deepEqual(parseRequestLine('POST /auth/login/password%3Aself/ HTTP/2.0'), {
    method: 'POST', path: '/auth/login/password:self/', query: null, protocol: 'HTTP/2.0', malformed: false,
  });
  assert.equal(parseRequestLine('GET /x? HTTP/1.1').query, '');
  assert.equal(parseRequestLine('get / HTTP/1.0').method, 'get');
  assert.equal(parseRequestLine('OPTIONS * HTTP/1.1').path, '*');
});

test('request lines: absolute-form, CONNECT, HTTP/0.9, raw spaces in the target', () => {
  assert.equal(parseRequestLine('GET http://host.example/path/x?q=1 HTTP/1.1').path, '/path/x');
  assert.equal(parseRequestLine('GET http://host.example/path/x?q=1 HTTP/1.1').query, 'q=1');
  assert.equal(parseRequestLine('GET https://host.example HTTP/1.1').path, '/');
  assert.equal(parseRequestLine('GET http://host.example?a HTTP/1.1').query, 'a');
  assert.deepEqual(parseRequestLine('CONNECT mail.example:25 HTTP/1.0'), {
    method: 'CONNECT', path: 'mail.example:25', query: null, protocol: 'HTTP/1.0', malformed: false,
  });
  assert.deepEqual(parseRequestLine('GET /'), { method: 'GET', path: '/', query: null, protocol: null, malformed: false });
  assert.equal(parseRequestLine('SEARCH /a b c HTTP/1.1').path, '/a b c');
});

test('request lines that are not requests are malformed, with method and path null', () => {
  const malformed = { method: null, path: null, query: null, protocol: null, malformed: true };
  for (const line of ['', '-', 'HELP', 'batman', 'GET', 'GET ', 'GET foo', '\u0016\u0003\u0001\u0000', '\\x16\\x03\\x01', 'GE T', '"GET" / HTTP/1.0', 'X'.repeat(40) + ' / HTTP/1.1']) {
    assert.deepEqual(parseRequestLine(line), malformed, JSON.stringify(line));
  }
});

test('IP addresses: syntax, and which are public (Filebeat picks the first public one of a list)', () => {
  for (const ip of ['127.0.0.1', '0.0.0.0', '255.255.255.255', '::', '::1', '2001:db8::17', 'fe80::1%eth0', '::ffff:192.0.2.1', '2a03:0000:10ff:f00f:0000:0000:0:8000', '1:2:3:4:5:6:7:8']) {
    assert.ok(isIpAddress(ip), ip);
  }
  for (const bad of ['', '1.2.3', '1.2.3.256', '01234.1.1.1', '1.2.3.4.5', 'a:b', '1:2:3:4:5:6:7:8:9', '1::2::3', 'unix:', 'example.com', ':1', '12345::']) {
    assert.ok(!isIpAddress(bad), bad);
  }
  for (const ip of ['199.96.1.1', '8.8.8.8', '2a03:0000:10ff:f00f:0000:0000:0:8000', '::ffff:8.8.8.8', '192.0.2.1']) assert.ok(isPublicIpAddress(ip), ip);
  for (const ip of ['10.5.102.222', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '0.1.2.3', '224.0.0.1', '::1', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:10.0.0.1', 'localhost']) {
    assert.ok(!isPublicIpAddress(ip), ip);
  }
  assert.ok(isPublicIpAddress('172.32.0.1'));
});

test('client fields: plain, X-Forwarded-For lists, vhost prefixes, unix:', () => {
  assert.deepEqual(parseClientField('192.0.2.1'), { host: null, clientIp: '192.0.2.1' });
  assert.deepEqual(parseClientField('monitoring-server'), { host: null, clientIp: 'monitoring-server' });
  assert.deepEqual(parseClientField('-'), { host: null, clientIp: null });
  assert.deepEqual(parseClientField('unix:'), { host: null, clientIp: null });
  assert.deepEqual(parseClientField('10.0.0.2, 10.0.0.1, 127.0.0.1'), { host: null, clientIp: '10.0.0.2' });
  assert.deepEqual(parseClientField('10.0.0.2, 10.0.0.1, 85.181.35.98'), { host: null, clientIp: '85.181.35.98' });
  assert.deepEqual(parseClientField('"10.5.102.222, 199.96.1.1, 204.246.1.1" 10.2.1.185'), { host: null, clientIp: '199.96.1.1' });
  assert.deepEqual(parseClientField('lessons.example.com 192.168.0.1'), { host: 'lessons.example.com', clientIp: '192.168.0.1' });
  assert.deepEqual(parseClientField('example.com:80 unix:'), { host: 'example.com', clientIp: null });
  assert.deepEqual(parseClientField('[2001:db8::1]:443 198.51.100.2'), { host: '2001:db8::1', clientIp: '198.51.100.2' });
  assert.deepEqual(parseClientField('example.com localhost, localhost'), { host: 'example.com', clientIp: 'localhost' });
  for (const bad of ['[Sat Jun 01', '66.249.66.1 -', 'Nov 14 22:45:27 test', '', 'x/y']) {
    assert.equal(parseClientField(bad), null, bad);
  }
  assert.equal(clientFromForwardedFor('10.0.0.1, 198.51.100.20'), '198.51.100.20');
  assert.equal(clientFromForwardedFor('10.0.0.1, unknown'), '10.0.0.1');
  assert.equal(clientFromForwardedFor('-'), null);
  assert.equal(hostWithoutPort('phab.example.com:8443'), 'phab.example.com');
  assert.equal(hostWithoutPort('phab.example.com'), 'phab.example.com');
});
