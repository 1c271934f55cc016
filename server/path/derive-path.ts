// Derives a packet's path from the kernel state, namespace by namespace, the way the kernel would
// move it: nat OUTPUT/PREROUTING (DNAT), `ip route get … iif …`, nat POSTROUTING (SNAT/MASQUERADE),
// then the frame to the next namespace (frame-forwarding.ts). Every namespace that routes the packet
// is one IP hop (it decrements the TTL), so pod → pod across nodes is the article's three hops:
// the source node's cni0 address, the destination node's flannel.1 address, the destination pod.
import { identifyNamespace } from '../../common/lab-names.js';
import type {
  CapturePoint,
  FilterStep,
  L2Step,
  NatStep,
  PacketHeader,
  PathHop,
  PathProtocol,
  PathTrace,
} from '../../common/path-model.js';
import { parseIpv4Prefix, prefixContains } from '../../common/net/ipv4.js';
import { followFrame } from './frame-forwarding.js';
import { evaluateFilter, evaluateNat, parseIptablesTable, parseNatTable, type NatCandidate } from './iptables-walk.js';
import type { PathKernel, PathSnapshot, RouteAnswer } from './kernel-view.js';

export interface DeriveInput {
  prefix: string;
  source: string;
  destination: { input: string; ip: string; port?: number; protocol: PathProtocol; resolvedBy?: string };
  /** Picks a service endpoint (e.g. the one conntrack shows after a probe); default: the first. */
  chooseEndpoint?: (candidates: NatCandidate[]) => number;
  maxHops?: number;
  now: () => number;
}

export async function derivePath(k: PathKernel, input: DeriveInput): Promise<PathTrace> {
  const t0 = input.now();
  const w: Walk = { k, input, label: (ns) => identifyNamespace(input.prefix, ns).label, notes: [], mark: { value: 0 } };
  const d = input.destination;
  const trace: PathTrace = {
    source: { namespace: input.source, label: w.label(input.source), address: '', outDev: '', route: '', nat: [] },
    destination: { ...d },
    hops: [],
    outcome: 'unresolved',
    notes: w.notes,
    capturePoints: [],
    timing: { deriveMs: 0 },
  };
  const finish = (outcome: PathTrace['outcome']): PathTrace => {
    trace.outcome = outcome;
    trace.capturePoints = capturePoints(trace, w.label);
    trace.timing.deriveMs = Math.round((input.now() - t0) * 10) / 10;
    return trace;
  };

  const left = await leaveSource(w, trace, {
    src: '',
    dst: d.ip,
    protocol: d.protocol,
    ...(d.port !== undefined ? { dport: d.port } : {}),
  });
  if (typeof left === 'string') return finish(left);
  let { pkt, ns, outDev, nextHop } = left;
  const seen = new Set<string>();
  for (let ttl = 1; ttl <= (input.maxHops ?? 16); ttl++) {
    const frame = await followFrame(k, ns, outDev, nextHop);
    w.notes.push(...frame.notes);
    if (!frame.arrive) return finish('unresolved');
    const key = `${frame.arrive.namespace}/${frame.arrive.dev}`;
    if (seen.has(key)) {
      w.notes.push(`routing loop: the packet comes back to ${frame.arrive.dev} in ${w.label(frame.arrive.namespace)}`);
      return finish('unreachable');
    }
    seen.add(key);
    const step = await atHop(w, ttl, frame.arrive.namespace, frame.arrive.dev, frame.steps, pkt);
    trace.hops.push(step.hop);
    if (step.outcome) return finish(step.outcome);
    ({ pkt, ns, outDev, nextHop } = step.next!);
  }
  w.notes.push(`more than ${input.maxHops ?? 16} hops: the tracer stopped`);
  return finish('unresolved');
}

interface Walk {
  k: PathKernel;
  input: DeriveInput;
  label: (ns: string) => string;
  notes: string[];
  /** The nat table's mark (KUBE-MARK-MASQ) travels with the packet from OUTPUT/PREROUTING to POSTROUTING. */
  mark: { value: number };
}

interface Onward {
  pkt: PacketHeader;
  ns: string;
  outDev: string;
  nextHop: string;
}

/** The source: route first (it picks the source address), then nat OUTPUT, which may DNAT and so re-route. */
async function leaveSource(w: Walk, trace: PathTrace, first: PacketHeader): Promise<Onward | PathTrace['outcome']> {
  const { k, input, label, notes } = w;
  let pkt = first;
  const [srcSnap, firstRoute] = await Promise.all([
    k.snapshot(input.source),
    k.routeGet(input.source, { dst: pkt.dst }),
  ]);
  let route = firstRoute;
  if (route.error) {
    notes.push(`${label(input.source)} has no route to ${pkt.dst}: ${route.error}`);
    return 'unreachable';
  }
  pkt.src = route.prefsrc ?? firstAddress(srcSnap, route.dev) ?? '';
  const out = await nat(w, input.source, 'OUTPUT', pkt, { outDev: route.dev });
  if (out) {
    trace.source.nat.push(out);
    if (out.after.dst !== pkt.dst) route = await k.routeGet(input.source, { dst: out.after.dst });
    pkt = out.after;
  }
  trace.source.address = pkt.src;
  if (route.type === 'local' || route.dev === 'lo') {
    notes.push(`${pkt.dst} is an address of ${label(input.source)} itself: the packet never leaves it`);
    return 'local';
  }
  if (route.error || !route.dev) {
    notes.push(`${label(input.source)} has no route to ${pkt.dst}: ${route.error ?? 'no device'}`);
    return 'unreachable';
  }
  trace.source.outDev = route.dev;
  trace.source.route = describeRoute(srcSnap, route);
  const blocked = await filter(w, input.source, 'OUTPUT', pkt, { outDev: route.dev }, out?.action === 'DNAT');
  if (blocked) {
    trace.source.filter = blocked;
    notes.push(
      `the filter table of ${label(input.source)} ${blocked.verdict === 'REJECT' ? 'rejects' : 'drops'} the packet (OUTPUT)`,
    );
    return 'filtered';
  }
  const post = await nat(w, input.source, 'POSTROUTING', pkt, { outDev: route.dev });
  if (post) {
    trace.source.nat.push(post);
    pkt = post.after;
  }
  trace.source.address = pkt.src;
  return { pkt, ns: input.source, outDev: route.dev, nextHop: route.gateway ?? pkt.dst };
}

/** One namespace the packet entered: nat PREROUTING, the route lookup, filter, nat POSTROUTING. */
async function atHop(
  w: Walk,
  ttl: number,
  here: string,
  inDev: string,
  arrival: L2Step[],
  arrived: PacketHeader,
): Promise<{ hop: PathHop; outcome?: PathTrace['outcome']; next?: Onward }> {
  const { k, label, notes } = w;
  // The route lookup for the packet as it arrived runs alongside the reads; a DNAT redoes it.
  const speculative = k.routeGet(here, { dst: arrived.dst, from: arrived.src, iif: inDev });
  speculative.catch(() => undefined);
  const snap = await k.snapshot(here);
  const hop: PathHop = {
    ttl,
    namespace: here,
    label: label(here),
    role: 'router',
    address: '',
    inDev,
    route: '',
    arrival,
    nat: [],
    packet: { ...arrived },
    confirmed: null,
  };
  w.mark.value = 0; // marks do not cross namespaces
  let pkt = arrived;
  const pre = await nat(w, here, 'PREROUTING', pkt, { inDev });
  if (pre) {
    hop.nat.push(pre);
    pkt = pre.after;
  }
  const dnat = pre?.action === 'DNAT';
  const r = dnat ? await k.routeGet(here, { dst: pkt.dst, from: pkt.src, iif: inDev }) : await speculative;
  hop.route = r.error ? `ip route get: ${r.error}` : describeRoute(snap, r);
  const stop = async (hook: FilterStep['hook'], dev: { inDev?: string; outDev?: string }): Promise<boolean> => {
    const blocked = await filter(w, here, hook, pkt, dev, dnat);
    if (!blocked) return false;
    hop.filter = blocked;
    notes.push(
      `the filter table of ${label(here)} ${blocked.verdict === 'REJECT' ? 'rejects' : 'drops'} the packet (${hook})${blocked.rules.some((x) => /has no endpoints/.test(x)) ? ': the service has no endpoints' : ''}`,
    );
    return true;
  };
  if (r.type === 'local') {
    hop.role = 'destination';
    hop.address = pkt.dst;
    if (await stop('INPUT', { inDev })) return { hop, outcome: 'filtered' };
    await checkReturnRoute(k, here, pkt, notes, label);
    return { hop, outcome: 'delivered' };
  }
  hop.address = firstAddress(snap, inDev) ?? r.prefsrc ?? '?';
  if (r.error || !r.dev || (r.type && r.type !== 'unicast')) {
    notes.push(
      `${label(here)} cannot forward ${pkt.dst}: ${r.error ?? r.type ?? 'no device'}${r.error ? ' (no route there, or net.ipv4.ip_forward is 0 in that namespace)' : ''}`,
    );
    return { hop, outcome: 'unreachable' };
  }
  hop.outDev = r.dev;
  if (await stop('FORWARD', { inDev, outDev: r.dev })) return { hop, outcome: 'filtered' };
  const post = await nat(w, here, 'POSTROUTING', pkt, { inDev, outDev: r.dev });
  if (post) {
    hop.nat.push(post);
    pkt = post.after;
  }
  return { hop, next: { pkt, ns: here, outDev: r.dev, nextHop: r.gateway ?? pkt.dst } };
}

async function nat(
  w: Walk,
  ns: string,
  hook: NatStep['hook'],
  pkt: PacketHeader,
  dev: { inDev?: string; outDev?: string },
): Promise<NatStep | undefined> {
  const { k, input, mark } = w;
  const text = await k.iptablesSave(ns);
  if (!text.trim()) return undefined;
  const snap = await k.snapshot(ns);
  const table = parseNatTable(text);
  const decision = evaluateNat(
    table,
    hook,
    pkt,
    { ...dev, localAddresses: snap.addresses.map((a) => a.local), choose: input.chooseEndpoint },
    mark.value,
  );
  mark.value = decision.mark;
  if (decision.action !== 'DNAT' && decision.action !== 'SNAT' && decision.action !== 'MASQUERADE') return undefined;
  const after: PacketHeader = { ...pkt };
  if (decision.action === 'DNAT' && decision.to) {
    const [ip, port] = decision.to.split(':');
    after.dst = ip!;
    if (port) after.dport = Number(port);
  } else if (decision.action === 'SNAT' && decision.to) {
    after.src = decision.to.split(':')[0]!;
  } else if (decision.action === 'MASQUERADE') {
    // MASQUERADE takes the address of the outgoing interface.
    after.src = firstAddress(snap, dev.outDev) ?? (await k.routeGet(ns, { dst: pkt.dst })).prefsrc ?? pkt.src;
  }
  const step: NatStep = {
    namespace: ns,
    hook,
    action: decision.action,
    rules: decision.rules,
    before: { ...pkt },
    after,
  };
  if (decision.candidates) {
    step.candidates = decision.candidates;
    step.chosenBy = input.chooseEndpoint
      ? 'the endpoint conntrack recorded for the probe'
      : 'the first candidate (the kernel picks one at random per connection)';
  }
  return step;
}

/** The filter table's verdict for a new connection's first packet; undefined when it passes. */
async function filter(
  w: Walk,
  ns: string,
  hook: FilterStep['hook'],
  pkt: PacketHeader,
  dev: { inDev?: string; outDev?: string },
  dnat: boolean,
): Promise<FilterStep | undefined> {
  const { k } = w;
  const mark = w.mark.value;
  const text = await k.iptablesSave(ns);
  if (!text.includes('*filter')) return undefined;
  const snap = await k.snapshot(ns);
  const d = evaluateFilter(
    parseIptablesTable(text, 'filter'),
    hook,
    pkt,
    { ...dev, localAddresses: snap.addresses.map((a) => a.local), ctstates: dnat ? ['NEW', 'DNAT'] : ['NEW'] },
    mark,
  );
  if (d.action !== 'DROP' && d.action !== 'REJECT') return undefined;
  return {
    namespace: ns,
    hook,
    verdict: d.action,
    rules: d.byPolicy ? [...d.rules, `:${hook} DROP (the chain's policy)`] : d.rules,
  };
}

/** A reply must find its way back: a private source that nothing translated has no route home. */
async function checkReturnRoute(
  k: PathKernel,
  ns: string,
  pkt: PacketHeader,
  notes: string[],
  label: (ns: string) => string,
): Promise<void> {
  const back = await k.routeGet(ns, { dst: pkt.src, ipproto: pkt.protocol });
  if (back.error || back.type === 'unreachable' || back.type === 'blackhole' || back.type === 'prohibit') {
    notes.push(
      `the reply from ${label(ns)} to ${pkt.src} has no route back (${back.error ?? back.type}): nothing translated the source on the way${pkt.protocol === 'icmp' ? ' (the gateway NATs TCP and UDP only)' : ''}`,
    );
  }
}

function firstAddress(snap: PathSnapshot, dev: string | undefined): string | undefined {
  return snap.addresses.find((a) => a.ifname === dev && a.family === 'inet' && a.scope !== 'host')?.local;
}

/** `ip route get`'s answer plus the table entry that matched it (longest prefix), as `ip route` prints it. */
export function describeRoute(snap: PathSnapshot, r: RouteAnswer): string {
  const got = [
    r.type && r.type !== 'unicast' ? r.type : '',
    r.dst,
    r.gateway ? `via ${r.gateway}` : '',
    r.dev ? `dev ${r.dev}` : '',
    r.prefsrc ? `src ${r.prefsrc}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  let best: Record<string, unknown> | undefined;
  let bestBits = -1;
  for (const row of snap.routes) {
    const dst = row.dst === 'default' ? '0.0.0.0/0' : String(row.dst);
    const bits = parseIpv4Prefix(dst)?.length ?? -1;
    if (row.dev === r.dev && prefixContains(dst, r.dst) && bits > bestBits) {
      best = row;
      bestBits = bits;
    }
  }
  if (!best) return got;
  const flags = Array.isArray(best.flags) ? (best.flags as string[]).join(' ') : '';
  const entry = [
    best.dst,
    best.gateway ? `via ${String(best.gateway)}` : '',
    `dev ${String(best.dev)}`,
    best.protocol ? `proto ${String(best.protocol)}` : '',
    best.scope ? `scope ${String(best.scope)}` : '',
    best.prefsrc ? `src ${String(best.prefsrc)}` : '',
    flags,
  ]
    .filter(Boolean)
    .join(' ');
  return `${got}  ← ${entry}`;
}

/** Where to listen so every hop's copy of the probe is captured, and the underlay's VXLAN packets. */
export function capturePoints(t: PathTrace, label: (ns: string) => string): CapturePoint[] {
  const points: CapturePoint[] = [];
  const add = (q: Omit<CapturePoint, 'label'>): void => {
    const p = { ...q, label: label(q.namespace) };
    if (!points.some((x) => x.namespace === p.namespace && x.dev === p.dev)) points.push(p);
  };
  const first = t.hops[0]?.packet;
  if (t.source.outDev)
    add({
      namespace: t.source.namespace,
      dev: t.source.outDev,
      role: 'source out',
      match: { hosts: first ? [first.src, first.dst] : [t.source.address, t.destination.ip] },
    });
  for (const hop of t.hops) {
    const encap = hop.arrival.find((s) => s.kind === 'vxlan-encap');
    if (encap && encap.kind === 'vxlan-encap') {
      const outer = { hosts: [encap.outerSrc, encap.outerDst], udpPort: encap.udpPort };
      // The first veth the outer packet leaves by (node eth0), and the underlay switch port it enters.
      for (const s of hop.arrival) {
        if (s.kind === 'veth')
          add({ namespace: s.namespace, dev: s.dev, role: `underlay: ${s.dev} (VXLAN)`, match: outer });
        if (s.kind === 'veth') {
          add({
            namespace: s.peerNamespace,
            dev: s.peerDev,
            role: `underlay switch port ${s.peerDev} (VXLAN)`,
            match: outer,
          });
          break;
        }
      }
    }
    add({
      namespace: hop.namespace,
      dev: hop.inDev,
      role: `hop ${hop.ttl} in`,
      match: { hosts: [hop.packet.src, hop.packet.dst] },
    });
  }
  return points;
}
