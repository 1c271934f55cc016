// kube-proxy's nftables transaction: chain names as its proxier names them (the examples in its
// own source comments), the maps and the numgen dispatch for the article's kubia.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashAndTruncate } from '../../../cluster/proxy/nftables/render-nft.js';
import { parseNftListing } from '../../../cluster/proxy/nftables/nft-applier.js';
import { renderRulesetAs } from '../../../cluster/proxy/render-formats.js';
import { endpointSlice, service } from '../../support/proxy-objects.js';

test('chain name bases match kube-proxy: ULMVA6XW-ns1/svc1/tcp/p80 and 5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80', () => {
  assert.equal(hashAndTruncate('ns1/svc1/tcp/p80'), 'ULMVA6XW-ns1/svc1/tcp/p80');
  assert.equal(hashAndTruncate('ns1/svc1/tcp/p80__10.180.0.1/80'), '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
  assert.equal(hashAndTruncate('x'.repeat(300)).length, 240);
});

test('kubia in nftables mode: service-ips and service-nodeports elements, numgen over six endpoint chains', () => {
  const eps = [
    '192.168.131.21',
    '192.168.131.22',
    '192.168.132.72',
    '192.168.132.73',
    '192.168.133.86',
    '192.168.133.87',
  ];
  const text = renderRulesetAs('nftables', {
    services: [service({ name: 'kubia', clusterIP: '192.168.199.234', type: 'NodePort', nodePort: 32681 })],
    endpointSlices: [endpointSlice({ service: 'kubia', endpoints: eps })],
    config: { nodeName: 'node5', clusterCIDR: '192.168.128.0/18' },
  });
  const base = hashAndTruncate('default/kubia/tcp/');
  assert.ok(text.startsWith('add table ip kube-proxy { comment "rules for kube-proxy" ; }\n'));
  assert.ok(text.includes('add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }'));
  assert.ok(
    text.includes(`add element ip kube-proxy service-ips { 192.168.199.234 . tcp . 8080 : goto service-${base} }`),
  );
  assert.ok(text.includes(`add element ip kube-proxy service-nodeports { tcp . 32681 : goto external-${base} }`));
  assert.ok(
    text.includes(
      `add rule ip kube-proxy service-${base} ip daddr 192.168.199.234 tcp dport 8080 ip saddr != 192.168.128.0/18 jump mark-for-masquerade`,
    ),
  );
  const numgen = text.split('\n').find((l) => l.includes('numgen random mod 6'))!;
  assert.equal((numgen.match(/goto endpoint-/g) ?? []).length, 6);
  assert.ok(
    text.includes(
      `add rule ip kube-proxy endpoint-${hashAndTruncate('default/kubia/tcp/__192.168.131.21/8080')} meta l4proto tcp dnat to 192.168.131.21:8080`,
    ),
  );
  assert.ok(text.includes('add rule ip kube-proxy masquerading masquerade fully-random'));
});

test('a service without endpoints goes to no-endpoint-services with its name as comment', () => {
  const text = renderRulesetAs('nftables', {
    services: [service({ name: 'web', clusterIP: '192.168.200.1', port: 80 })],
    endpointSlices: [],
    config: { nodeName: 'node5' },
  });
  assert.ok(
    text.includes(
      'add element ip kube-proxy no-endpoint-services { 192.168.200.1 . tcp . 80 comment "default/web" : goto reject-chain }',
    ),
    text,
  );
});

test('parseNftListing finds chains and sets', () => {
  const l = parseNftListing(
    'table ip kube-proxy {\n\tset affinity-X {\n\t}\n\tmap service-ips {\n\t}\n\tchain service-AB-default/x/tcp/ {\n\t}\n}\n',
  );
  assert.deepEqual(l, { chains: ['service-AB-default/x/tcp/'], sets: ['affinity-X'] });
});
