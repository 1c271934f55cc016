// Builds the graph the topology view draws from per-namespace kernel snapshots: devices, veth pairs
// (matched through ifindex + link_netnsid, which is how the kernel names a peer in another
// namespace), bridge ports, and VXLAN tunnels (a flannel.1 FDB entry's `dst` is the remote node's
// underlay address; the tunnel ends at that node's VTEP).
import { identifyNamespace } from './lab-names.js';
import type { DeviceModel, EdgeModel, NamespaceModel, NamespaceSnapshot, TopologyGraph } from './topology-model.js';

export function buildTopologyGraph(prefix: string, snapshots: readonly NamespaceSnapshot[]): TopologyGraph {
  const sorted = [...snapshots].sort((a, b) => a.name.localeCompare(b.name));
  const byName = new Map(sorted.map((s) => [s.name, s]));
  const devices: DeviceModel[] = [];
  const namespaces: NamespaceModel[] = [];
  const deviceById = new Map<string, DeviceModel>();

  for (const snap of sorted) {
    const ident = identifyNamespace(prefix, snap.name);
    const ns: NamespaceModel = { ...ident, devices: [] };
    for (const link of [...snap.links].sort((a, b) => a.ifindex - b.ifindex)) {
      if (link.kind === 'loopback') continue;
      const id = `${snap.name}/${link.ifname}`;
      const dev: DeviceModel = {
        id,
        namespace: snap.name,
        ifindex: link.ifindex,
        ifname: link.ifname,
        kind: link.kind,
        mac: link.mac,
        mtu: link.mtu,
        up: link.up,
        addresses: addressesOf(snap, link.ifname),
      };
      if (link.master) dev.master = link.master;
      if (link.vxlan) dev.vxlan = { vni: link.vxlan.vni, local: link.vxlan.local, port: link.vxlan.port };
      devices.push(dev);
      deviceById.set(id, dev);
      ns.devices.push(id);
    }
    namespaces.push(ns);
  }

  const edges: EdgeModel[] = [];
  const seen = new Set<string>();
  const addEdge = (e: EdgeModel): void => {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    edges.push(e);
  };

  for (const snap of sorted) {
    for (const link of snap.links) {
      const id = `${snap.name}/${link.ifname}`;
      const dev = deviceById.get(id);
      if (!dev) continue;
      if (link.kind === 'veth' && link.linkIndex !== undefined) {
        const peerNs =
          link.linkNetnsid === undefined ? snap.name : snap.peers.find((p) => p.nsid === link.linkNetnsid)?.name;
        const peerSnap = peerNs ? byName.get(peerNs) : undefined;
        const peerLink = peerSnap?.links.find((l) => l.ifindex === link.linkIndex);
        if (peerSnap && peerLink) {
          const peerId = `${peerSnap.name}/${peerLink.ifname}`;
          dev.peer = peerId;
          const [a, b] = [id, peerId].sort();
          addEdge({
            id: `veth:${a}|${b}`,
            kind: 'veth',
            source: a!,
            target: b!,
            label: `${link.ifname} ⇄ ${peerLink.ifname}`,
          });
        }
      }
      if (link.master && deviceById.has(`${snap.name}/${link.master}`)) {
        addEdge({ id: `port:${id}`, kind: 'bridge-port', source: id, target: `${snap.name}/${link.master}` });
      }
    }
    for (const vtep of snap.links.filter((l) => l.kind === 'vxlan')) {
      const from = `${snap.name}/${vtep.ifname}`;
      const remotes = new Set(snap.fdb.filter((f) => f.ifname === vtep.ifname && f.dst).map((f) => f.dst!));
      for (const dst of remotes) {
        const to = vtepAt(sorted, dst, vtep.vxlan?.vni, snap.name);
        if (!to) continue;
        const [a, b] = [from, to].sort();
        addEdge({
          id: `vxlan:${a}|${b}`,
          kind: 'vxlan',
          source: a!,
          target: b!,
          label: `VXLAN VNI ${vtep.vxlan?.vni ?? '?'} → ${dst}`,
        });
      }
    }
  }

  return { prefix, namespaces, devices, edges };
}

function addressesOf(snap: NamespaceSnapshot, ifname: string): string[] {
  const mine = snap.addresses.filter((a) => a.ifname === ifname && !(a.family === 'inet6' && a.scope === 'link'));
  mine.sort((a, b) => (a.family === b.family ? 0 : a.family === 'inet' ? -1 : 1));
  return mine.map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * The device a tunnel to underlay address `dst` ends at: the VXLAN device (same VNI) of the
 * namespace that owns `dst` (its VTEP local address, or any of its addresses, e.g. eth0).
 */
function vtepAt(
  snaps: readonly NamespaceSnapshot[],
  dst: string,
  vni: number | undefined,
  self: string,
): string | undefined {
  for (const s of snaps) {
    if (s.name === self) continue;
    const vteps = s.links.filter((l) => l.kind === 'vxlan' && (vni === undefined || l.vxlan?.vni === vni));
    const byLocal = vteps.find((l) => l.vxlan?.local === dst);
    if (byLocal) return `${s.name}/${byLocal.ifname}`;
    const owner = s.addresses.find((a) => a.local === dst);
    if (owner) return vteps[0] ? `${s.name}/${vteps[0].ifname}` : `${s.name}/${owner.ifname}`;
  }
  return undefined;
}
