import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../common/errors.js';
import { renderRuleset } from '../../../cluster/proxy/render-cluster.js';
import type { ProxyNodeConfig } from '../../../cluster/proxy/proxy-types.js';
import { endpointSlice, kubiaService, kubiaSlice, service } from '../../support/proxy-objects.js';

const node5: ProxyNodeConfig = { nodeName: 'node5', clusterCIDR: '192.168.128.0/18' };

function table(text: string, name: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`*${name}`);
  assert.ok(start >= 0, `no *${name} in restore text`);
  return lines.slice(start + 1, lines.indexOf('COMMIT', start));
}

test('kubia (NodePort 32681, six endpoints): the exact nat table kube-proxy writes', () => {
  const text = renderRuleset({ services: [kubiaService()], endpointSlices: [kubiaSlice()], config: node5 });
  const SVC = 'KUBE-SVC-XCCRWSFD2BRL7CRI';
  const EXT = 'KUBE-EXT-XCCRWSFD2BRL7CRI';
  // Endpoints are sorted by "ip:port" string, as kube-proxy sorts them.
  const eps: [string, string][] = [
    ['192.168.128.12:8080', 'KUBE-SEP-Z5NEOWEYWNGYLOB4'],
    ['192.168.129.7:8080', 'KUBE-SEP-MC6GE4VVO6AX4OAS'],
    ['192.168.130.9:8080', 'KUBE-SEP-PUBWIZXNNG6K4HJT'],
    ['192.168.131.21:8080', 'KUBE-SEP-QEDP4QZ65FSQESJI'],
    ['192.168.132.5:8080', 'KUBE-SEP-CPNMHNL4BCV6WU2E'],
    ['192.168.133.3:8080', 'KUBE-SEP-EJ6GLVI3IHKY2KYH'],
  ];
  const probs = ['0.1666666667', '0.2000000000', '0.2500000000', '0.3333333333', '0.5000000000'];
  const expected = [
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    `:${EXT} - [0:0]`,
    `:${SVC} - [0:0]`,
    ...eps.map(([, sep]) => `:${sep} - [0:0]`),
    '-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000',
    `-A KUBE-SERVICES -m comment --comment "default/kubia cluster IP" -m tcp -p tcp -d 192.168.199.234 --dport 8080 -j ${SVC}`,
    `-A KUBE-NODEPORTS -m comment --comment default/kubia -m tcp -p tcp --dport 32681 -j ${EXT}`,
    `-A ${SVC} -m comment --comment "default/kubia cluster IP" -m tcp -p tcp -d 192.168.199.234 --dport 8080 ! -s 192.168.128.0/18 -j KUBE-MARK-MASQ`,
    `-A ${EXT} -m comment --comment "masquerade traffic for default/kubia external destinations" -j KUBE-MARK-MASQ`,
    `-A ${EXT} -j ${SVC}`,
    ...eps.map(
      ([ep, sep], i) =>
        `-A ${SVC} -m comment --comment "default/kubia -> ${ep}"${i < 5 ? ` -m statistic --mode random --probability ${probs[i]}` : ''} -j ${sep}`,
    ),
    ...eps.flatMap(([ep, sep]) => [
      `-A ${sep} -m comment --comment default/kubia -s ${ep.split(':')[0]} -j KUBE-MARK-MASQ`,
      `-A ${sep} -m comment --comment default/kubia -m tcp -p tcp -j DNAT --to-destination ${ep}`,
    ]),
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  ];
  assert.deepEqual(table(text, 'nat'), expected);
  assert.deepEqual(table(text, 'filter'), [
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-EXTERNAL-SERVICES - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-PROXY-FIREWALL - [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ]);
});

test('a service without endpoints gets no nat chains, only REJECT in filter (cluster IP and NodePort)', () => {
  const svc = service({ name: 'lonely', clusterIP: '192.168.192.50', port: 80, type: 'NodePort', nodePort: 30080 });
  const text = renderRuleset({ services: [svc], endpointSlices: [], config: node5 });
  const nat = table(text, 'nat');
  assert.ok(!nat.some((l) => /KUBE-(SVC|SEP|EXT)-/.test(l)), nat.join('\n'));
  const filter = table(text, 'filter');
  assert.ok(
    filter.includes(
      '-A KUBE-SERVICES -m comment --comment "default/lonely has no endpoints" -m tcp -p tcp -d 192.168.192.50 --dport 80 -j REJECT',
    ),
  );
  assert.ok(
    filter.includes(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/lonely has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT',
    ),
  );
});

test('endpoints that are not ready are left out; serving terminating ones are used only when none is ready', () => {
  const svc = service({ name: 'web', clusterIP: '192.168.192.60', port: 80 });
  const mixed = endpointSlice({
    service: 'web',
    port: 80,
    endpoints: [
      { ip: '192.168.128.2' },
      { ip: '192.168.128.3', ready: false, serving: false },
      { ip: '192.168.128.4', ready: false, serving: true, terminating: true },
    ],
  });
  const nat = table(renderRuleset({ services: [svc], endpointSlices: [mixed], config: node5 }), 'nat');
  const dnat = nat.filter((l) => l.includes('DNAT'));
  assert.deepEqual(
    dnat.map((l) => l.split('--to-destination ')[1]),
    ['192.168.128.2:80'],
  );

  const terminatingOnly = endpointSlice({
    service: 'web',
    port: 80,
    endpoints: [
      { ip: '192.168.128.3', ready: false, serving: false },
      { ip: '192.168.128.4', ready: false, serving: true, terminating: true },
    ],
  });
  const nat2 = table(renderRuleset({ services: [svc], endpointSlices: [terminatingOnly], config: node5 }), 'nat');
  assert.deepEqual(
    nat2.filter((l) => l.includes('DNAT')).map((l) => l.split('--to-destination ')[1]),
    ['192.168.128.4:80'],
  );
});

test('sessionAffinity ClientIP: recent --rcheck in the SVC chain before the random choice, --set in each SEP', () => {
  const svc = service({ name: 'sticky', clusterIP: '192.168.192.70', port: 80, sessionAffinitySeconds: 600 });
  const slice = endpointSlice({ service: 'sticky', port: 80, endpoints: ['192.168.128.5', '192.168.129.5'] });
  const nat = table(renderRuleset({ services: [svc], endpointSlices: [slice], config: node5 }), 'nat');
  const svcChain = nat.find((l) => l.startsWith(':KUBE-SVC-'))!.slice(1, -8);
  const rules = nat.filter((l) => l.startsWith(`-A ${svcChain} `) && !l.includes('KUBE-MARK-MASQ'));
  const seps = nat.filter((l) => l.startsWith(':KUBE-SEP-')).map((l) => l.slice(1, -8));
  assert.deepEqual(rules, [
    `-A ${svcChain} -m comment --comment "default/sticky -> 192.168.128.5:80" -m recent --name ${seps[0]} --rcheck --seconds 600 --reap -j ${seps[0]}`,
    `-A ${svcChain} -m comment --comment "default/sticky -> 192.168.129.5:80" -m recent --name ${seps[1]} --rcheck --seconds 600 --reap -j ${seps[1]}`,
    `-A ${svcChain} -m comment --comment "default/sticky -> 192.168.128.5:80" -m statistic --mode random --probability 0.5000000000 -j ${seps[0]}`,
    `-A ${svcChain} -m comment --comment "default/sticky -> 192.168.129.5:80" -j ${seps[1]}`,
  ]);
  assert.ok(
    nat.includes(
      `-A ${seps[0]} -m comment --comment default/sticky -m recent --name ${seps[0]} --set -m tcp -p tcp -j DNAT --to-destination 192.168.128.5:80`,
    ),
  );
});

test('NodePorts on listed node addresses: one jump per address instead of addrtype LOCAL', () => {
  const text = renderRuleset({
    services: [kubiaService()],
    endpointSlices: [kubiaSlice()],
    config: { ...node5, nodePortAddresses: ['10.231.209.117', '10.231.209.118'] },
  });
  const last = table(text, 'nat').filter((l) => l.includes('KUBE-NODEPORTS') && l.startsWith('-A KUBE-SERVICES'));
  assert.deepEqual(last, [
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 10.231.209.117 -j KUBE-NODEPORTS',
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 10.231.209.118 -j KUBE-NODEPORTS',
  ]);
  // Without loopback among the addresses kube-proxy turns localhost NodePorts off: no KUBE-FIREWALL rule.
  assert.ok(!table(text, 'filter').some((l) => l.startsWith('-A KUBE-FIREWALL')));
});

test("externalTrafficPolicy Local: EXT keeps the source for outside traffic and sends it to this node's endpoints only", () => {
  const svc = service({
    name: 'local',
    clusterIP: '192.168.192.80',
    port: 80,
    type: 'NodePort',
    nodePort: 30081,
    externalTrafficPolicy: 'Local',
  });
  const slice = endpointSlice({
    service: 'local',
    port: 80,
    endpoints: [
      { ip: '192.168.132.7', nodeName: 'node5' },
      { ip: '192.168.128.7', nodeName: 'node1' },
    ],
  });
  const nat = table(renderRuleset({ services: [svc], endpointSlices: [slice], config: node5 }), 'nat');
  const ext = nat.find((l) => l.startsWith(':KUBE-EXT-'))!.slice(1, -8);
  const hash = ext.slice('KUBE-EXT-'.length);
  assert.deepEqual(
    nat.filter((l) => l.startsWith(`-A ${ext} `)),
    [
      `-A ${ext} -m comment --comment "pod traffic for default/local external destinations" -s 192.168.128.0/18 -j KUBE-SVC-${hash}`,
      `-A ${ext} -m comment --comment "masquerade LOCAL traffic for default/local external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${ext} -m comment --comment "route LOCAL traffic for default/local external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-${hash}`,
      `-A ${ext} -j KUBE-SVL-${hash}`,
    ],
  );
  const svl = nat.filter((l) => l.startsWith(`-A KUBE-SVL-${hash} `));
  assert.equal(svl.length, 1);
  assert.match(svl[0]!, /192\.168\.132\.7:80/);
});

test('internalTrafficPolicy Local with no endpoint on this node: DROP in filter, not REJECT', () => {
  const svc = service({ name: 'itp', clusterIP: '192.168.192.90', port: 80, internalTrafficPolicy: 'Local' });
  const slice = endpointSlice({ service: 'itp', port: 80, endpoints: [{ ip: '192.168.128.9', nodeName: 'node1' }] });
  const text = renderRuleset({ services: [svc], endpointSlices: [slice], config: node5 });
  assert.ok(
    table(text, 'filter').includes(
      '-A KUBE-SERVICES -m comment --comment "default/itp has no local endpoints" -m tcp -p tcp -d 192.168.192.90 --dport 80 -j DROP',
    ),
  );
});

test('LoadBalancer ingress and external IPs go through the EXT chain', () => {
  const svc = service({
    name: 'lb',
    clusterIP: '192.168.192.100',
    port: 80,
    type: 'LoadBalancer',
    nodePort: 30082,
    loadBalancerIPs: ['203.0.113.10'],
    externalIPs: ['198.51.100.20'],
  });
  const slice = endpointSlice({ service: 'lb', port: 80, endpoints: ['192.168.128.10'] });
  const nat = table(renderRuleset({ services: [svc], endpointSlices: [slice], config: node5 }), 'nat');
  const ext = nat.find((l) => l.startsWith(':KUBE-EXT-'))!.slice(1, -8);
  assert.ok(
    nat.includes(
      `-A KUBE-SERVICES -m comment --comment "default/lb external IP" -m tcp -p tcp -d 198.51.100.20 --dport 80 -j ${ext}`,
    ),
  );
  assert.ok(
    nat.includes(
      `-A KUBE-SERVICES -m comment --comment "default/lb loadbalancer IP" -m tcp -p tcp -d 203.0.113.10 --dport 80 -j ${ext}`,
    ),
  );
});

test('over 1,000 endpoints kube-proxy leaves out per-endpoint comments', () => {
  const ips = Array.from({ length: 1001 }, (_, i) => `192.168.${128 + Math.floor(i / 250)}.${(i % 250) + 2}`);
  const text = renderRuleset({ services: [kubiaService()], endpointSlices: [kubiaSlice(ips)], config: node5 });
  const nat = table(text, 'nat');
  const sepRules = nat.filter((l) => l.startsWith('-A KUBE-SEP-'));
  assert.equal(sepRules.length, 2002);
  assert.ok(sepRules.every((l) => !l.includes('--comment')));
  assert.ok(
    nat.some((l) => l.includes('"default/kubia cluster IP"')),
    'service-level comments stay',
  );
});

test('bad input is refused with a message naming the field', () => {
  const bad = service({ name: 'bad', clusterIP: '192.168.192.300', port: 80 });
  assert.throws(
    () => renderRuleset({ services: [bad], endpointSlices: [], config: node5 }),
    (e: unknown) => e instanceof ValidationError && /spec\.clusterIP/.test(e.message),
  );
  const inject = service({ name: 'x', clusterIP: '192.168.192.3', port: 80, portName: 'a" -j ACCEPT' });
  assert.throws(
    () => renderRuleset({ services: [inject], endpointSlices: [], config: node5 }),
    (e: unknown) => e instanceof ValidationError && /ports\[0\]\.name/.test(e.message),
  );
  const badSlice = endpointSlice({ service: 'kubia', endpoints: ['10.0.0.1; rm'] });
  assert.throws(
    () => renderRuleset({ services: [kubiaService()], endpointSlices: [badSlice], config: node5 }),
    (e: unknown) => e instanceof ValidationError && /addresses\[0\]/.test(e.message),
  );
  assert.throws(
    () =>
      renderRuleset({
        services: [],
        endpointSlices: [],
        config: { nodeName: 'node5', clusterCIDR: '192.168.128.0/33' },
      }),
    ValidationError,
  );
});

test('headless and ExternalName services get no rules', () => {
  const headless = service({ name: 'hl', clusterIP: 'None', port: 80 });
  const text = renderRuleset({
    services: [headless],
    endpointSlices: [endpointSlice({ service: 'hl', port: 80, endpoints: ['192.168.128.2'] })],
    config: node5,
  });
  assert.ok(!text.includes('default/hl'));
});
