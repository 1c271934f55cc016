// How a frame travels from the device a route chose to the namespace that receives it: through a
// veth pair (link-netnsid + peer ifindex), across a bridge (FDB lookup of the destination MAC on
// cni0/br0), or into flannel.1, where the neighbour entry gives the remote VTEP's MAC, its FDB entry
// the outer destination, and the outer UDP packet crosses the underlay to the peer VTEP.
import type { L2Step } from '../../common/path-model.js';
import type { LinkRecord } from '../../common/topology-model.js';
import type { PathKernel, PathSnapshot } from './kernel-view.js';

export interface Arrival {
  namespace: string;
  dev: string;
}

export interface FrameResult {
  steps: L2Step[];
  /** Where the frame enters an IP stack again; undefined when it could not be followed. */
  arrive?: Arrival;
  notes: string[];
}

const DEFAULT_VXLAN_PORT = 8472;

export async function followFrame(
  k: PathKernel,
  ns: string,
  outDev: string,
  nextHop: string,
  depth = 0,
): Promise<FrameResult> {
  const res: FrameResult = { steps: [], notes: [] };
  if (depth > 3) {
    res.notes.push('the frame nests tunnels deeper than the tracer follows');
    return res;
  }
  const snap = await k.snapshot(ns);
  const link = snap.links.find((l) => l.ifname === outDev);
  if (!link) {
    res.notes.push(`${outDev} does not exist in ${ns}`);
    return res;
  }
  const neigh = snap.neighbours.find(
    (n) =>
      n.dst === nextHop &&
      n.dev === outDev &&
      n.lladdr &&
      !n.state.includes('FAILED') &&
      !n.state.includes('INCOMPLETE'),
  );
  const mac = neigh?.lladdr ?? null;
  if (link.kind === 'vxlan') return followVxlan(k, snap, link, nextHop, res, depth);
  if (link.kind === 'bridge') {
    await crossBridge(k, snap, link, null, mac, nextHop, res);
    return res;
  }
  if (link.kind === 'veth') {
    await throughVeth(k, snap, link, mac, nextHop, res);
    return res;
  }
  res.notes.push(`${outDev} in ${ns} is a ${link.kind} device; the tracer follows veth, bridge and vxlan only`);
  return res;
}

async function throughVeth(
  k: PathKernel,
  snap: PathSnapshot,
  link: LinkRecord,
  mac: string | null,
  nextHop: string,
  res: FrameResult,
): Promise<void> {
  const peer = await vethPeer(k, snap, link);
  if (!peer) {
    res.notes.push(
      `the peer of ${link.ifname} in ${snap.name} was not found (link-netnsid ${link.linkNetnsid ?? 'none'}, ifindex ${link.linkIndex ?? '?'})`,
    );
    return;
  }
  res.steps.push({
    kind: 'veth',
    namespace: snap.name,
    dev: link.ifname,
    peerNamespace: peer.snap.name,
    peerDev: peer.link.ifname,
  });
  if (peer.link.master) {
    const bridge = peer.snap.links.find((l) => l.ifname === peer.link.master);
    if (bridge) return crossBridge(k, peer.snap, bridge, peer.link.ifname, mac, nextHop, res);
  }
  res.arrive = { namespace: peer.snap.name, dev: peer.link.ifname };
}

/** A veth's other end: `link_netnsid` names the peer namespace in this one's `ip netns list-id`. */
export async function vethPeer(
  k: PathKernel,
  snap: PathSnapshot,
  link: LinkRecord,
): Promise<{ snap: PathSnapshot; link: LinkRecord } | undefined> {
  if (link.linkIndex === undefined) return undefined;
  let peerSnap = snap;
  if (link.linkNetnsid !== undefined) {
    const name = snap.peers.find((p) => p.nsid === link.linkNetnsid)?.name;
    if (!name) return undefined;
    peerSnap = await k.snapshot(name);
  }
  const peerLink = peerSnap.links.find((l) => l.ifindex === link.linkIndex);
  return peerLink ? { snap: peerSnap, link: peerLink } : undefined;
}

async function crossBridge(
  k: PathKernel,
  snap: PathSnapshot,
  bridge: LinkRecord,
  ingress: string | null,
  mac: string | null,
  nextHop: string,
  res: FrameResult,
): Promise<void> {
  const step = (port: string, decidedBy: string): void => {
    res.steps.push({ kind: 'bridge', namespace: snap.name, bridge: bridge.ifname, mac, port, decidedBy });
  };
  const own = snap.addresses.some((a) => a.ifname === bridge.ifname && a.local === nextHop);
  // A frame for the bridge's own MAC (or, before ARP, for its own address) goes up its IP stack.
  const localEntry = mac
    ? snap.fdb.find(
        (f) => f.mac === mac && (f.master === bridge.ifname || f.ifname === bridge.ifname) && f.state === 'permanent',
      )
    : undefined;
  if ((mac && mac === bridge.mac) || localEntry || (!mac && own && ingress !== null)) {
    step(
      'local',
      mac
        ? `${mac} is ${bridge.ifname}'s own address: the frame goes up to IP`
        : `no neighbour entry yet; ${nextHop} is ${bridge.ifname}'s own address`,
    );
    res.arrive = { namespace: snap.name, dev: bridge.ifname };
    return;
  }
  const ports = snap.links.filter((l) => l.master === bridge.ifname && l.ifname !== ingress);
  const learned = mac
    ? snap.fdb.find((f) => f.mac === mac && f.master === bridge.ifname && f.ifname !== ingress)
    : undefined;
  let port = learned ? ports.find((p) => p.ifname === learned.ifname) : undefined;
  let decidedBy = learned
    ? `bridge fdb: ${mac} dev ${learned.ifname} master ${bridge.ifname}${learned.state ? ` ${learned.state}` : ''}`
    : '';
  if (!port) {
    // Not learned yet: the bridge would flood; name the port that leads to the holder of the address.
    for (const p of ports) {
      const peer = p.kind === 'veth' ? await vethPeer(k, snap, p) : undefined;
      if (peer && (await holdsAddress(k, peer.snap, peer.link, nextHop))) {
        port = p;
        decidedBy = mac
          ? `${mac} not in ${bridge.ifname}'s FDB yet (the bridge floods it); ${p.ifname} leads to ${nextHop} in ${peer.snap.name}`
          : `no neighbour entry for ${nextHop} yet (ARP would ask, the bridge floods); ${p.ifname} leads to it in ${peer.snap.name}`;
        break;
      }
    }
  }
  if (!port) {
    res.notes.push(`no port of ${bridge.ifname} in ${snap.name} leads to ${nextHop}${mac ? ` (${mac})` : ''}`);
    return;
  }
  step(port.ifname, decidedBy);
  if (port.kind !== 'veth') {
    res.notes.push(`${port.ifname} on ${bridge.ifname} is a ${port.kind} device; not followed`);
    return;
  }
  await throughVeth(k, snap, port, mac, nextHop, res);
}

/** Whether `ip` sits on `link` or, through it, on a bridge the link is a port of (one level). */
async function holdsAddress(k: PathKernel, snap: PathSnapshot, link: LinkRecord, ip: string): Promise<boolean> {
  if (snap.addresses.some((a) => a.ifname === link.ifname && a.local === ip)) return true;
  if (link.master) {
    if (snap.addresses.some((a) => a.ifname === link.master && a.local === ip)) return true;
    // A further bridge port (e.g. the underlay's br0 toward another node's eth0).
    for (const p of snap.links.filter(
      (l) => l.master === link.master && l.ifname !== link.ifname && l.kind === 'veth',
    )) {
      const peer = await vethPeer(k, snap, p);
      if (peer && peer.snap.addresses.some((a) => a.ifname === peer.link.ifname && a.local === ip)) return true;
    }
  }
  return false;
}

async function followVxlan(
  k: PathKernel,
  snap: PathSnapshot,
  link: LinkRecord,
  nextHop: string,
  res: FrameResult,
  depth: number,
): Promise<FrameResult> {
  const vni = link.vxlan?.vni ?? -1;
  const neigh = snap.neighbours.find((n) => n.dst === nextHop && n.dev === link.ifname && n.lladdr);
  if (!neigh?.lladdr) {
    res.notes.push(
      `no neighbour entry for ${nextHop} on ${link.ifname} in ${snap.name}: the kernel raises an L2 miss that flanneld must answer`,
    );
    return res;
  }
  const vtepMac = neigh.lladdr;
  const fdb =
    snap.fdb.find((f) => f.ifname === link.ifname && f.mac === vtepMac && f.dst) ??
    snap.fdb.find((f) => f.ifname === link.ifname && f.mac === '00:00:00:00:00:00' && f.dst);
  if (!fdb?.dst) {
    res.notes.push(
      `no FDB entry for ${vtepMac} on ${link.ifname} in ${snap.name}: the kernel raises an L3 miss; the outer destination is unknown`,
    );
    return res;
  }
  const outerDst = fdb.dst;
  const outerRoute = await k.routeGet(snap.name, { dst: outerDst });
  if (outerRoute.error || !outerRoute.dev) {
    res.notes.push(`${snap.name} has no route to the VTEP ${outerDst}: ${outerRoute.error ?? 'no device'}`);
    return res;
  }
  const outerSrc = link.vxlan?.local ?? outerRoute.prefsrc ?? '?';
  const udpPort = link.vxlan?.port || DEFAULT_VXLAN_PORT;
  res.steps.push({
    kind: 'vxlan-encap',
    namespace: snap.name,
    dev: link.ifname,
    vni,
    vtepMac,
    outerSrc,
    outerDst,
    udpPort,
    neighbour: `${neigh.dst} dev ${neigh.dev} lladdr ${vtepMac} ${neigh.state.join(' ')}`.trim(),
    fdb: `${fdb.mac} dev ${fdb.ifname} dst ${fdb.dst} self ${fdb.state}`.trim(),
  });
  if (outerRoute.gateway)
    res.notes.push(
      `the outer packet to ${outerDst} is routed via ${outerRoute.gateway}; the tracer follows the underlay as one L2 segment`,
    );
  const outer = await followFrame(k, snap.name, outerRoute.dev, outerRoute.gateway ?? outerDst, depth + 1);
  res.steps.push(...outer.steps);
  res.notes.push(...outer.notes);
  if (!outer.arrive) return res;
  const far = await k.snapshot(outer.arrive.namespace);
  const vtep = far.links.find(
    (l) =>
      l.kind === 'vxlan' &&
      l.vxlan?.vni === vni &&
      (l.vxlan.port || DEFAULT_VXLAN_PORT) === udpPort &&
      (!l.vxlan.local || l.vxlan.local === outerDst),
  );
  if (!vtep || !far.addresses.some((a) => a.local === outerDst)) {
    res.notes.push(`${far.name} receives UDP ${udpPort} for ${outerDst} but has no VXLAN device with VNI ${vni} there`);
    return res;
  }
  res.steps.push({ kind: 'vxlan-decap', namespace: far.name, dev: vtep.ifname, vni });
  res.arrive = { namespace: far.name, dev: vtep.ifname };
  return res;
}
