import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, cidrsOverlap, formatCidr, formatIpv4, parseCidr, parseIpv4 } from '../../../common/net/ipv4.js';

test('IPv4 parse/format round trip and rejects', () => {
  assert.equal(formatIpv4(parseIpv4('192.168.132.73')), '192.168.132.73');
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d']) assert.throws(() => parseIpv4(bad));
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
});
