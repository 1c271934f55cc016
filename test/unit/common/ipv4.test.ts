import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cidrContains,
  cidrNth,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  ipv4Octets,
  isIpv4,
  isIpv4Cidr,
  parseCidr,
  parseIpv4,
  parseIpv4Prefix,
  prefixContains,
  tryParseIpv4,
} from '../../../common/net/ipv4.js';

test('IPv4 parse/format round trip and rejects', () => {
  assert.equal(formatIpv4(parseIpv4('192.168.132.73')), '192.168.132.73');
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
  assert.equal(formatIpv4(0), '0.0.0.0');
  for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1.2.3.4.5', '', '1..2.3']) {
    assert.throws(() => parseIpv4(bad), /is not an IPv4 address/, bad);
    assert.equal(tryParseIpv4(bad), undefined, bad);
    assert.equal(isIpv4(bad), false, bad);
  }
  assert.deepEqual([...ipv4Octets(parseIpv4('192.168.192.10'))], [192, 168, 192, 10]);
});

test('CIDR containment and overlap', () => {
  const pod = parseCidr('192.168.128.0/18');
  assert.equal(formatCidr(pod), '192.168.128.0/18');
  assert.ok(cidrContains(pod, parseIpv4('192.168.191.255')));
  assert.ok(!cidrContains(pod, parseIpv4('192.168.192.0')));
  assert.ok(cidrsOverlap(pod, parseCidr('192.168.132.0/24')));
  assert.ok(!cidrsOverlap(pod, parseCidr('192.168.192.0/18')));
  assert.throws(() => parseCidr('192.168.132.1/24'), /host bits/);
  assert.equal(parseCidr('192.168.132.1/24', false).network, parseIpv4('192.168.132.0'));
  assert.equal(parseCidr('0.0.0.0/0').network, 0);
  assert.equal(formatIpv4(cidrNth(parseCidr('192.168.132.0/24'), 1)), '192.168.132.1');
  assert.equal(formatCidr(parseCidr('255.255.255.255/32')), '255.255.255.255/32');
});

test('isIpv4Cidr: a.b.c.d/0…32, host bits allowed', () => {
  for (const ok of ['10.0.0.0/8', '10.0.0.1/8', '0.0.0.0/0', '1.2.3.4/32']) assert.ok(isIpv4Cidr(ok), ok);
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0', '/8', '10.0.0.0/8/8', '10.0.0/8', '10.0.0.0/-1'])
    assert.ok(!isIpv4Cidr(bad), bad);
});

test('prefixes of routes and iptables matches: bare address is a /32, malformed never matches', () => {
  assert.equal(prefixContains('192.168.128.0/18', '192.168.191.255'), true);
  assert.equal(prefixContains('192.168.128.0/18', '192.168.192.1'), false);
  assert.equal(prefixContains('0.0.0.0/0', '8.8.8.8'), true);
  assert.equal(prefixContains('10.0.0.1', '10.0.0.1'), true);
  assert.equal(prefixContains('10.0.0.1', '10.0.0.2'), false);
  assert.equal(prefixContains('10.0.0.7/24', '10.0.0.200'), true);
  assert.equal(prefixContains('nonsense', '10.0.0.1'), false);
  assert.equal(prefixContains('10.0.0.0/8', 'fd00::1'), false);
  // An empty length once read as /0, so "10.0.0.0/" matched every address.
  assert.equal(prefixContains('10.0.0.0/', '8.8.8.8'), false);
  assert.equal(prefixContains('10.0.0.0/40', '10.0.0.1'), false);
  assert.deepEqual(parseIpv4Prefix('10.1.2.3'), {
    network: parseIpv4('10.1.2.3'),
    length: 32,
    address: parseIpv4('10.1.2.3'),
  });
  assert.equal(parseIpv4Prefix('10.1.2.3/16')?.network, parseIpv4('10.1.0.0'));
  assert.equal(parseIpv4Prefix('default'), undefined);
});
