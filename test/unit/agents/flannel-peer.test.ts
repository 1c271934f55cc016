import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANN_BACKEND_DATA, ANN_BACKEND_TYPE, ANN_PUBLIC_IP, peerOf } from '../../../cluster/agents/flannel/flanneld.js';
import type { Node } from '../../../common/api-types.js';

const node = (podCIDR: string): Node => ({
  metadata: {
    name: 'node2',
    annotations: {
      [ANN_BACKEND_TYPE]: 'vxlan',
      [ANN_PUBLIC_IP]: '10.231.209.12',
      [ANN_BACKEND_DATA]: JSON.stringify({ VtepMAC: '3E:43:3E:1F:48:A1' }),
    },
  },
  spec: { podCIDR },
});

test("a peer's VTEP is its subnet's network address (.0), as flannel.1 is addressed", () => {
  assert.deepEqual(peerOf(node('192.168.129.0/24')), {
    node: 'node2',
    subnet: '192.168.129.0/24',
    vtep: '192.168.129.0',
    mac: '3e:43:3e:1f:48:a1',
    publicIP: '10.231.209.12',
  });
  assert.equal(peerOf(node('192.168.129.5/24'))?.vtep, '192.168.129.0');
});

test('a Node whose podCIDR is not an IPv4 CIDR is no peer (nothing would be programmed from it)', () => {
  for (const bad of ['garbage', '192.168.129.0', '192.168.129.0/33', 'fd00::/64'])
    assert.equal(peerOf(node(bad)), undefined, bad);
});
