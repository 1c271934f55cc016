// Whether a helper call of `up` would change nothing, decided from the kernel's state read once over
// rtnetlink (runtime/kernel/) before `up` starts: a second `up` of a built lab then runs no helper
// for what is already there (it used to start ~190 processes to find that out, helper by helper).
// Each predicate mirrors what its script ensures; anything it cannot see (policy rules, sysctls
// other than ip_forward) is "not converged", so the helper runs and the result stays the same.
import { formatIpv4, isIpv4Cidr, parseCidr } from '../../common/net/ipv4.js';
import type { NamespaceSnapshot } from '../../common/topology-model.js';

export type LabKernelState = ReadonlyMap<string, NamespaceSnapshot & { forwarding?: boolean }>;

type Check = (s: LabKernelState, args: readonly string[]) => boolean;

const hasAddr = (snap: NamespaceSnapshot, ifname: string, cidr: string): boolean => {
  if (!isIpv4Cidr(cidr)) return false;
  const c = parseCidr(cidr, false);
  return snap.addresses.some(
    (a) => a.ifname === ifname && a.local === formatIpv4(c.address) && a.prefixlen === c.length,
  );
};
const link = (snap: NamespaceSnapshot | undefined, ifname: string) => snap?.links.find((l) => l.ifname === ifname);
const hasRoute = (snap: NamespaceSnapshot, dst: string, via: string, dev: string): boolean =>
  snap.routes.some(
    (r) => r.dst === (dst.endsWith('/32') ? dst.slice(0, -3) : dst) && r.gateway === via && r.dev === dev,
  );

/** bridge.sh NS BR MTU [CIDR] [--mac MAC] */
const bridge: Check = (s, [ns, br, mtu, ...rest]) => {
  const snap = s.get(ns!);
  const l = link(snap, br!);
  if (!snap || !l || l.kind !== 'bridge' || !l.up || l.mtu !== Number(mtu)) return false;
  let i = 0;
  if (rest[0] && !rest[0].startsWith('--')) {
    if (!hasAddr(snap, br!, rest[0])) return false;
    i = 1;
  }
  return rest[i] !== '--mac' || l.mac === rest[i + 1];
};

/** attach.sh NS IF PEER_NS PEER_IF MTU [--addr C] [--mac M] [--peer-master BR] [--peer-addr C] [--route D V]... */
const attach: Check = (s, [ns, ifname, peerNs, peerIf, mtu, ...opts]) => {
  const a = s.get(ns!);
  const b = s.get(peerNs!);
  const la = link(a, ifname!);
  const lb = link(b, peerIf!);
  if (!a || !b || !la || !lb || la.kind !== 'veth' || lb.kind !== 'veth' || !la.up || !lb.up) return false;
  // The two ends are one pair: each names the other's index, in the other's namespace.
  const peerName = (snap: NamespaceSnapshot, id: number | undefined) => snap.peers.find((p) => p.nsid === id)?.name;
  if (la.linkIndex !== lb.ifindex || lb.linkIndex !== la.ifindex) return false;
  if (peerName(a, la.linkNetnsid) !== peerNs || peerName(b, lb.linkNetnsid) !== ns) return false;
  if (la.mtu !== Number(mtu) || lb.mtu !== Number(mtu)) return false;
  for (let i = 0; i < opts.length;) {
    const o = opts[i]!;
    if (o === '--addr' && !hasAddr(a, ifname!, opts[i + 1]!)) return false;
    if (o === '--mac' && la.mac !== opts[i + 1]) return false;
    if (o === '--peer-master' && lb.master !== opts[i + 1]) return false;
    if (o === '--peer-addr' && !hasAddr(b, peerIf!, opts[i + 1]!)) return false;
    if (o === '--route') {
      if (!hasRoute(a, opts[i + 1]!, opts[i + 2]!, ifname!)) return false;
      i += 3;
      continue;
    }
    i += 2;
  }
  return true;
};

/** vxlan.sh NS DEV VNI LOCAL UNDERLAY PORT MTU MAC CIDR [--miss] (--miss is fixed at creation: not checked) */
const vxlan: Check = (s, [ns, dev, vni, local, underlay, port, mtu, mac, cidr]) => {
  const snap = s.get(ns!);
  const l = link(snap, dev!);
  return (
    !!snap &&
    !!l &&
    l.kind === 'vxlan' &&
    l.up &&
    l.vxlan?.vni === Number(vni) &&
    l.vxlan.local === local &&
    l.vxlan.dev === underlay &&
    l.vxlan.port === Number(port) &&
    l.mtu === Number(mtu) &&
    l.mac === mac &&
    hasAddr(snap, dev!, cidr!)
  );
};

/** vxlan-peers.sh NS DEV [SUBNET VTEP MAC UNDERLAY]... */
const vxlanPeers: Check = (s, [ns, dev, ...peers]) => {
  const snap = s.get(ns!);
  if (!snap) return false;
  for (let i = 0; i < peers.length; i += 4) {
    const [subnet, vtep, mac, underlay] = peers.slice(i, i + 4) as [string, string, string, string];
    const neigh = snap.neighbours.some(
      (n) => n.dst === vtep && n.dev === dev && n.lladdr === mac && n.state.includes('PERMANENT'),
    );
    const fdb = snap.fdb.some(
      (f) => f.ifname === dev && f.mac === mac && f.dst === underlay && f.state === 'permanent',
    );
    if (!neigh || !fdb || !hasRoute(snap, subnet, vtep, dev!)) return false;
  }
  return true;
};

/** addrs.sh NS IF CIDR... */
const addrs: Check = (s, [ns, ifname, ...cidrs]) => {
  const snap = s.get(ns!);
  return !!snap && !!link(snap, ifname!)?.up && cidrs.every((c) => hasAddr(snap, ifname!, c));
};

/** netns-up.sh PREFIX [--forward] NS... (marks are checked by the caller: they are files, not kernel state) */
const netnsUp: Check = (s, [, ...rest]) => {
  const forward = rest[0] === '--forward';
  return (forward ? rest.slice(1) : rest).every((ns) => {
    const snap = s.get(ns);
    return !!snap && !!link(snap, 'lo')?.up && (!forward || snap.forwarding === true);
  });
};

const CHECKS: Record<string, Check> = {
  'bridge.sh': bridge,
  'attach.sh': attach,
  'vxlan.sh': vxlan,
  'vxlan-peers.sh': vxlanPeers,
  'addrs.sh': addrs,
  'netns-up.sh': netnsUp,
};

/** True when running `script args` would change nothing the state shows. */
export function alreadyConverged(state: LabKernelState, script: string, args: readonly string[]): boolean {
  const check = CHECKS[script];
  return check ? check(state, args) : false;
}
