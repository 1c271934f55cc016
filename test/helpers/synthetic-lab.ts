// Synthetic kernel snapshots of a lab of any size, shaped exactly like what the topology reader
// gets from `ip -j` (veth peers through link_netnsid, bridge ports, flannel.1 FDB entries), for
// layout tests and the 20-node/200-pod draw benchmark where building real namespaces is too slow.
import type { LinkRecord, NamespaceSnapshot } from '../../common/topology-model.js';

export interface SyntheticLabSpec {
  nodes: number;
  podsPerNode: number;
  prefix?: string;
  /** Adds one pod named `extra-<node>` on that node (1-based), as a change to redraw. */
  extraPodOn?: number;
}

const hex = (n: number, w = 2): string => n.toString(16).padStart(w, '0');
const mac = (a: number, b: number): string => `02:42:${hex(a >> 8)}:${hex(a & 255)}:${hex(b >> 8)}:${hex(b & 255)}`;

export function syntheticLab(spec: SyntheticLabSpec): NamespaceSnapshot[] {
  const prefix = spec.prefix ?? 'kw-';
  const underlay: NamespaceSnapshot = {
    name: `${prefix}underlay`,
    links: [link(1, 'lo', 'loopback', '')],
    addresses: [],
    routes: [],
    neighbours: [],
    fdb: [],
    peers: [],
  };
  underlay.links.push(link(2, 'br0', 'bridge', mac(0, 1)));
  const snaps: NamespaceSnapshot[] = [underlay];
  const nodeIp = (n: number): string => `10.231.209.${100 + n}`;
  for (let n = 1; n <= spec.nodes; n++) {
    const name = `${prefix}node${n}`;
    const subnet = `192.168.${128 + n - 1}`;
    const node: NamespaceSnapshot = {
      name,
      links: [link(1, 'lo', 'loopback', '')],
      addresses: [],
      routes: [],
      neighbours: [],
      fdb: [],
      peers: [],
    };
    // eth0 ↔ underlay port named after the node.
    const upIdx = 100 + n;
    underlay.peers.push({ nsid: n, name });
    node.peers.push({ nsid: 0, name: underlay.name });
    underlay.links.push({ ...link(upIdx, `node${n}`, 'veth', mac(1, n)), master: 'br0', linkIndex: 2, linkNetnsid: n });
    node.links.push({ ...link(2, 'eth0', 'veth', mac(2, n)), linkIndex: upIdx, linkNetnsid: 0 });
    node.addresses.push(addr('eth0', nodeIp(n), 24));
    node.links.push(link(3, 'cni0', 'bridge', mac(3, n)));
    node.addresses.push(addr('cni0', `${subnet}.1`, 24));
    node.links.push({
      ...link(4, 'flannel.1', 'vxlan', mac(4, n)),
      mtu: 1450,
      vxlan: { vni: 1, local: nodeIp(n), port: 8472, dev: 'eth0' },
    });
    node.addresses.push(addr('flannel.1', `${subnet}.0`, 32));
    for (let o = 1; o <= spec.nodes; o++)
      if (o !== n) node.fdb.push({ mac: mac(4, o), ifname: 'flannel.1', dst: nodeIp(o), state: 'permanent' });
    snaps.push(node);
    const pods = Array.from({ length: spec.podsPerNode }, (_, p) => ({
      pod: `pod-${n}-${p}`,
      ip: `${subnet}.${10 + p}`,
    }));
    if (spec.extraPodOn === n) pods.push({ pod: `extra-${n}`, ip: `${subnet}.250` });
    pods.forEach(({ pod, ip }, p) => {
      const podNs = `${prefix}default_${pod}`;
      const vethIdx = 10 + p;
      const nsid = 1 + p;
      node.peers.push({ nsid, name: podNs });
      node.links.push({
        ...link(vethIdx, `veth${hex(n, 4)}${hex(p, 4)}`, 'veth', mac(5, n * 256 + p)),
        master: 'cni0',
        linkIndex: 2,
        linkNetnsid: nsid,
      });
      snaps.push({
        name: podNs,
        links: [
          link(1, 'lo', 'loopback', ''),
          { ...link(2, 'eth0', 'veth', mac(6, n * 256 + p)), linkIndex: vethIdx, linkNetnsid: 0 },
        ],
        addresses: [addr('eth0', ip, 24)],
        routes: [{ dst: 'default', gateway: `${subnet}.1`, dev: 'eth0' }],
        neighbours: [],
        fdb: [],
        peers: [{ nsid: 0, name }],
      });
    });
  }
  return snaps;
}

function link(ifindex: number, ifname: string, kind: string, macAddr: string): LinkRecord {
  return { ifindex, ifname, kind, mac: macAddr, mtu: 1500, operstate: 'UP', up: true };
}

function addr(ifname: string, local: string, prefixlen: number): NamespaceSnapshot['addresses'][number] {
  return { ifname, family: 'inet', local, prefixlen, scope: 'global' };
}
