import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  legacyServicePortNameString,
  serviceClusterChain,
  serviceEndpointChain,
  serviceExternalChain,
  servicePortNameString,
} from '../../../cluster/proxy/chain-names.js';

test('the article\'s chain names come from kube-proxy\'s hash of the pre-1.10 port name "default/kubia:"', () => {
  // The article's cluster printed KUBE-SVC-L5EAUEZ74VZL5GSC for default/kubia (unnamed port, TCP)
  // and KUBE-SEP-DHEI6HLVRKMGWFA5 for its endpoint 192.168.131.21:8080. Both are
  // base32(sha256(...))[:16] of "default/kubia:" + "tcp" (+ "192.168.131.21:8080"): old kube-proxy
  // always wrote the colon, even for an unnamed port.
  const legacy = legacyServicePortNameString('default', 'kubia', '');
  assert.equal(legacy, 'default/kubia:');
  assert.equal(serviceClusterChain(legacy, 'tcp'), 'KUBE-SVC-L5EAUEZ74VZL5GSC');
  assert.equal(serviceEndpointChain(legacy, 'tcp', '192.168.131.21:8080'), 'KUBE-SEP-DHEI6HLVRKMGWFA5');
});

test('a current kube-proxy drops the colon of an unnamed port, so the same Service hashes differently', () => {
  const current = servicePortNameString('default', 'kubia', '');
  assert.equal(current, 'default/kubia');
  const svc = serviceClusterChain(current, 'tcp');
  assert.equal(svc, 'KUBE-SVC-XCCRWSFD2BRL7CRI');
  assert.notEqual(svc, 'KUBE-SVC-L5EAUEZ74VZL5GSC');
  // The EXT chain shares the SVC chain's hash; SEP names also hash the endpoint.
  assert.equal(serviceExternalChain(current, 'tcp'), 'KUBE-EXT-XCCRWSFD2BRL7CRI');
  assert.equal(serviceEndpointChain(current, 'tcp', '192.168.131.21:8080'), 'KUBE-SEP-QEDP4QZ65FSQESJI');
});

test('a named port is part of the name, and the protocol is hashed in lower case', () => {
  assert.equal(servicePortNameString('default', 'kubia', 'http'), 'default/kubia:http');
  const tcp = serviceClusterChain('default/kubia:http', 'tcp');
  const udp = serviceClusterChain('default/kubia:http', 'udp');
  assert.notEqual(tcp, udp);
  assert.match(tcp, /^KUBE-SVC-[A-Z2-7]{16}$/);
  assert.ok(tcp.length <= 28, 'iptables chain names are at most 28 characters');
});
