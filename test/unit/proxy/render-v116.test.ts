// The article's kube-proxy (1.16) rules, checked against the article's own listings: its six
// kubia endpoints give back its KUBE-SVC/KUBE-SEP names, its probabilities and its comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRulesetAs } from '../../../cluster/proxy/render-formats.js';
import { renderV116 } from '../../../cluster/proxy/legacy/render-v116.js';
import { normalizeNodeConfig } from '../../../cluster/proxy/node-config.js';
import type { ProxyNodeConfig } from '../../../cluster/proxy/proxy-types.js';
import { endpointSlice, service } from '../../support/proxy-objects.js';

const node5: ProxyNodeConfig = { nodeName: 'node5', nodeIP: '10.231.209.117', clusterCIDR: '192.168.128.0/18' };
/** The endpoints the article's SEP chain names hash (default/kubia:tcp<ip>:8080). */
const ARTICLE_EPS = [
  '192.168.131.21',
  '192.168.131.22',
  '192.168.132.72',
  '192.168.132.73',
  '192.168.133.86',
  '192.168.133.87',
];
const kubia = () => service({ name: 'kubia', clusterIP: '192.168.199.234', type: 'NodePort', nodePort: 32681 });
const kubiaSlice = () => endpointSlice({ service: 'kubia', endpoints: ARTICLE_EPS });

test('kubia: the article KUBE-SVC/KUBE-SEP chains, probabilities and comments, in 1.16 order', () => {
  const text = renderRulesetAs('article', { services: [kubia()], endpointSlices: [kubiaSlice()], config: node5 });
  const nat = text.slice(text.indexOf('*nat'));
  const seps = [
    'DHEI6HLVRKMGWFA5',
    'U2WLSCWTWVRL43BI',
    'T3I6FPLS4WOL5Q3I',
    'SRYJEUDBHDCQM4KY',
    'VVYACXWHEDETJZUB',
    '5A4LPBRVHCEID4EO',
  ];
  const probs = ['0.16667', '0.20000', '0.25000', '0.33333', '0.50000'];
  const expected = [
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -m mark --mark 0x00004000/0x00004000 -j MASQUERADE',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x00004000/0x00004000',
    '-A KUBE-SERVICES -m comment --comment "default/kubia: cluster IP" -m tcp -p tcp -d 192.168.199.234/32 --dport 8080 ! -s 192.168.128.0/18 -j KUBE-MARK-MASQ',
    '-A KUBE-SERVICES -m comment --comment "default/kubia: cluster IP" -m tcp -p tcp -d 192.168.199.234/32 --dport 8080 -j KUBE-SVC-L5EAUEZ74VZL5GSC',
    '-A KUBE-NODEPORTS -m comment --comment default/kubia: -m tcp -p tcp --dport 32681 -j KUBE-MARK-MASQ',
    '-A KUBE-NODEPORTS -m comment --comment default/kubia: -m tcp -p tcp --dport 32681 -j KUBE-SVC-L5EAUEZ74VZL5GSC',
    ...seps.flatMap((s, i) => [
      `-A KUBE-SVC-L5EAUEZ74VZL5GSC${i < 5 ? ` -m statistic --mode random --probability ${probs[i]}` : ''} -j KUBE-SEP-${s}`,
      `-A KUBE-SEP-${s} -s ${ARTICLE_EPS[i]}/32 -j KUBE-MARK-MASQ`,
      `-A KUBE-SEP-${s} -m tcp -p tcp -j DNAT --to-destination ${ARTICLE_EPS[i]}:8080`,
    ]),
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  ];
  assert.deepEqual(
    nat.split('\n').filter((l) => l.startsWith('-A ')),
    expected,
  );
  for (const s of seps) assert.ok(nat.includes(`:KUBE-SEP-${s} - [0:0]`));
  const filter = text.slice(0, text.indexOf('*nat'));
  assert.deepEqual(
    filter.split('\n').filter((l) => l.startsWith('-A ')),
    [
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT',
      '-A KUBE-FORWARD -s 192.168.128.0/18 -m comment --comment "kubernetes forwarding conntrack pod source rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack pod destination rule" -d 192.168.128.0/18 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ],
  );
});

test('jump rules are inserted at the top in ensure order: INPUT ends with KUBE-SERVICES before KUBE-EXTERNAL-SERVICES', () => {
  const text = renderRulesetAs('article', { services: [], endpointSlices: [], config: node5, withJumps: true });
  const inserts = text.split('\n').filter((l) => l.startsWith('-I '));
  assert.deepEqual(inserts, [
    '-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-I OUTPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-I FORWARD 1 -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-I OUTPUT 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  ]);
});

test('no endpoints: REJECT in filter KUBE-SERVICES and KUBE-EXTERNAL-SERVICES, named ports keep the colon form', () => {
  const svc = service({
    name: 'web',
    clusterIP: '192.168.200.1',
    port: 80,
    portName: 'http',
    type: 'NodePort',
    nodePort: 30080,
  });
  const text = renderRulesetAs('article', { services: [svc], endpointSlices: [], config: node5 });
  assert.ok(
    text.includes(
      '-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 192.168.200.1/32 --dport 80 -j REJECT',
    ),
    text,
  );
  assert.ok(
    text.includes(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT',
    ),
    text,
  );
  assert.ok(!text.includes('KUBE-SVC-'));
});

test('externalTrafficPolicy Local: the XLB chain balances local endpoints and redirects pods to the cluster chain', () => {
  const svc = service({
    name: 'lb',
    clusterIP: '192.168.200.2',
    port: 80,
    type: 'LoadBalancer',
    nodePort: 30081,
    loadBalancerIPs: ['203.0.113.99'],
    externalTrafficPolicy: 'Local',
  });
  const slice = endpointSlice({
    service: 'lb',
    port: 80,
    endpoints: [
      { ip: '192.168.132.10', nodeName: 'node5' },
      { ip: '192.168.128.10', nodeName: 'node1' },
    ],
  });
  const text = renderRulesetAs('article', { services: [svc], endpointSlices: [slice], config: node5 });
  const xlb = text.split('\n').filter((l) => l.startsWith('-A KUBE-XLB-'));
  assert.equal(xlb.length, 2, text);
  assert.match(
    xlb[0]!,
    /"Redirect pods trying to reach external loadbalancer VIP to clusterIP" -s 192\.168\.128\.0\/18 -j KUBE-SVC-/,
  );
  assert.match(xlb[1]!, /"Balancing rule 0 for default\/lb:" -j KUBE-SEP-/);
  assert.ok(
    text.includes(
      '-A KUBE-NODEPORTS -m comment --comment default/lb: -m tcp -p tcp --dport 30081 -s 127.0.0.0/8 -j KUBE-MARK-MASQ',
    ),
  );
  assert.match(text, /-A KUBE-FW-\S+ -m comment --comment "default\/lb: loadbalancer IP" -j KUBE-XLB-\S+/);
  assert.match(text, /-A KUBE-FW-\S+ -m comment --comment "default\/lb: loadbalancer IP" -j KUBE-MARK-DROP/);
  assert.ok(text.includes(':KUBE-MARK-DROP - [0:0]'));
});

test('stale service chains found by iptables-save are flushed and deleted; others are left alone', () => {
  const out = renderV116({
    config: normalizeNodeConfig(node5),
    services: [],
    existingNatChains: new Set(['KUBE-SVC-AAAA', 'KUBE-SEP-BBBB', 'KUBE-EXT-CCCC', 'FLANNEL-POSTRTG', 'KUBE-SERVICES']),
  });
  assert.equal(out.staleChainsDeleted, 3);
  for (const ch of ['KUBE-SVC-AAAA', 'KUBE-SEP-BBBB', 'KUBE-EXT-CCCC']) assert.ok(out.text.includes(`-X ${ch}`));
  assert.ok(!out.text.includes('-X FLANNEL-POSTRTG'));
});
