// What flannel would configure on the article's node5, computed from the topology.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseTopology } from '../../../common/topology/parse-topology.js';
import {
  cniBridgeConfig,
  cniDynamicConfig,
  pinnedAddresses,
  forwardRules,
  masqueradeRules,
  subnetEnv,
  vtepMacFor,
  vtepPeers,
} from '../../../runtime/network/flannel-config.js';
import { projectRoot } from '../../../runtime/project-root.js';

const file = join(projectRoot(), 'labs', 'topologies', 'article.yaml');
const topo = parseTopology(readFileSync(file, 'utf8'), file);
const node5 = topo.nodes.find((n) => n.name === 'node5')!;

test("subnet.env of node5 is the article's", () => {
  assert.equal(
    subnetEnv(topo, node5),
    'FLANNEL_NETWORK=192.168.128.0/18\nFLANNEL_SUBNET=192.168.132.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
  );
});

test("peers of node5: every other node, with the article's VtepMACs where it shows them", () => {
  const peers = vtepPeers(topo, node5);
  assert.equal(peers.length, 5);
  assert.deepEqual(peers[0], {
    subnet: '192.168.128.0/24',
    vtep: '192.168.128.0',
    mac: '26:12:3f:ba:e9:f5',
    underlay: '10.231.209.113',
  });
});

test('derived VtepMACs are stable, unicast and locally administered', () => {
  const mac = vtepMacFor(topo, node5);
  assert.equal(mac, vtepMacFor(topo, node5));
  assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  const first = parseInt(mac.slice(0, 2), 16);
  assert.equal(first & 1, 0);
  assert.equal(first & 2, 2);
});

test('CNI config: cbr0 on cni0, gateway, hairpin, no ipMasq, routes default + pod network', () => {
  const c = cniBridgeConfig(topo, node5, '/x/networks') as Record<string, any>;
  assert.equal(c.name, 'cbr0');
  assert.equal(c.bridge, 'cni0');
  assert.equal(c.isGateway, true);
  assert.equal(c.ipMasq, false);
  assert.equal(c.hairpinMode, true);
  assert.equal(c.mtu, 1450);
  assert.deepEqual(c.ipam.ranges, [[{ subnet: '192.168.132.0/24' }]]);
  assert.deepEqual(c.ipam.routes, [{ dst: '0.0.0.0/0' }, { dst: '192.168.128.0/18' }]);
});

test('pods without an address of their own get ranges around the pinned ones (same network, same store)', () => {
  assert.deepEqual(pinnedAddresses(topo, node5).sort(), ['192.168.132.100', '192.168.132.72', '192.168.132.73']);
  const c = cniDynamicConfig(topo, node5, '/x/networks') as Record<string, any>;
  const full = cniBridgeConfig(topo, node5, '/x/networks') as Record<string, any>;
  assert.equal(c.name, full.name);
  assert.equal(c.ipam.dataDir, full.ipam.dataDir);
  assert.deepEqual(c.ipam.routes, full.ipam.routes);
  const r = (start: string, end: string) => ({
    subnet: '192.168.132.0/24',
    rangeStart: `192.168.132.${start}`,
    rangeEnd: `192.168.132.${end}`,
    gateway: '192.168.132.1',
  });
  assert.deepEqual(c.ipam.ranges, [[r('2', '71'), r('74', '99'), r('101', '254')]]);
  const node2 = topo.nodes.find((n) => n.name === 'node2')!;
  assert.deepEqual(pinnedAddresses(topo, node2), []);
  assert.deepEqual((cniDynamicConfig(topo, node2, '/x') as Record<string, any>).ipam.ranges, [
    [
      {
        subnet: '192.168.129.0/24',
        rangeStart: '192.168.129.2',
        rangeEnd: '192.168.129.254',
        gateway: '192.168.129.1',
      },
    ],
  ]);
});

test("masquerade rules are flannel's four", () => {
  assert.deepEqual(masqueradeRules(topo, node5), [
    '-A KW-FLANNEL-POSTRTG -s 192.168.128.0/18 -d 192.168.128.0/18 -j RETURN',
    '-A KW-FLANNEL-POSTRTG -s 192.168.128.0/18 ! -d 224.0.0.0/4 -j MASQUERADE',
    '-A KW-FLANNEL-POSTRTG ! -s 192.168.128.0/18 -d 192.168.132.0/24 -j RETURN',
    '-A KW-FLANNEL-POSTRTG ! -s 192.168.128.0/18 -d 192.168.128.0/18 -j MASQUERADE',
  ]);
});

test("flanneld's forward rules accept the pod network both ways, as the article's FORWARD chain lists them", () => {
  assert.deepEqual(forwardRules(topo), [
    '-A KW-FLANNEL-FWD -s 192.168.128.0/18 -j ACCEPT',
    '-A KW-FLANNEL-FWD -d 192.168.128.0/18 -j ACCEPT',
  ]);
});
