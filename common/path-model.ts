// The path tracer's result as plain data, shared by the server (which derives it from the kernel)
// and the renderer (which draws it): IP hops as traceroute counts them (one per TTL), each with the
// L2 detail (veth, bridge FDB, VXLAN encapsulation over the underlay) of how the packet reached it.

export type PathProtocol = 'icmp' | 'tcp' | 'udp';

/** What the packet looks like at one point: addresses change at DNAT/SNAT/MASQUERADE. */
export interface PacketHeader {
  src: string;
  dst: string;
  protocol: PathProtocol;
  dport?: number;
}

/** One L2 step between two IP hops: through a veth pair, across a bridge, into/out of a VXLAN tunnel. */
export type L2Step =
  | { kind: 'veth'; namespace: string; dev: string; peerNamespace: string; peerDev: string }
  | {
      kind: 'bridge';
      namespace: string;
      bridge: string;
      /** Destination MAC of the frame; null when no neighbour entry existed yet. */
      mac: string | null;
      /** The port the frame leaves by, or `local` when it is addressed to the bridge itself (routed). */
      port: string | 'local';
      /** What decided: the FDB entry, or how the port was found without one. */
      decidedBy: string;
    }
  | {
      kind: 'vxlan-encap';
      namespace: string;
      dev: string;
      vni: number;
      /** The remote VTEP's MAC (from the neighbour entry flanneld wrote). */
      vtepMac: string;
      outerSrc: string;
      outerDst: string;
      udpPort: number;
      /** The neighbour and FDB entries, as `ip neigh` / `bridge fdb` print them. */
      neighbour: string;
      fdb: string;
    }
  | { kind: 'vxlan-decap'; namespace: string; dev: string; vni: number };

export interface NatStep {
  namespace: string;
  /** nat table hook: OUTPUT/PREROUTING (DNAT) or POSTROUTING (SNAT/MASQUERADE). */
  hook: 'OUTPUT' | 'PREROUTING' | 'POSTROUTING';
  action: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'none';
  /** The rules that matched, chain by chain (`-A KUBE-SERVICES … -j KUBE-SVC-…`). */
  rules: string[];
  before: PacketHeader;
  after: PacketHeader;
  /** For a service: every endpoint the KUBE-SVC chain can pick, with its share. */
  candidates?: { endpoint: string; probability: number; chain: string }[];
  /** How the followed endpoint was chosen (conntrack after a probe, or the first candidate). */
  chosenBy?: string;
}

/** A filter table verdict that stops the packet (kube-proxy's REJECT for a service without endpoints, a DROP policy…). */
export interface FilterStep {
  namespace: string;
  hook: 'OUTPUT' | 'FORWARD' | 'INPUT';
  verdict: 'DROP' | 'REJECT';
  /** The rules that led there, or the chain's policy. */
  rules: string[];
}

export interface PathHop {
  /** The TTL at which this hop answers traceroute (1 = first router). */
  ttl: number;
  namespace: string;
  label: string;
  role: 'router' | 'destination';
  /** The address traceroute shows for this hop (the arrival interface's). */
  address: string;
  inDev: string;
  outDev?: string;
  /** The routing decision (`ip route get` result and the table entry that matched). */
  route: string;
  /** How the packet reached this hop from the previous one (or from the source). */
  arrival: L2Step[];
  nat: NatStep[];
  /** Set when the filter table stops the packet here. */
  filter?: FilterStep;
  packet: PacketHeader;
  /** After a probe: whether traceroute saw this address at this TTL (null: not probed). */
  confirmed: boolean | null;
}

/** Where a capture can listen: a device in a namespace, with the filter that selects the probe. */
export interface CapturePoint {
  namespace: string;
  /** What a person calls the namespace: `node1`, `default/kubia-24hmb`, `underlay`. */
  label: string;
  dev: string;
  /** Why here: `source out`, `hop 2 in`, `underlay (VXLAN)`. */
  role: string;
  /** The packet as it looks on this wire (outer header for VXLAN points). */
  match: { hosts: string[]; udpPort?: number };
}

export interface ProbeResult {
  /** argv of each command run, as a person would type it after `ip netns exec <ns>`. */
  commands: string[][];
  reached: boolean;
  /** One line: `ping: 1/1 received, 0.4 ms`, `curl: HTTP 200 from 192.168.129.10:8080`. */
  summary: string;
  traceroute: { ttl: number; address: string | null; note?: string }[];
  ms: number;
}

export interface PathTrace {
  source: {
    namespace: string;
    label: string;
    address: string;
    outDev: string;
    route: string;
    nat: NatStep[];
    filter?: FilterStep;
  };
  destination: { input: string; ip: string; port?: number; protocol: PathProtocol; resolvedBy?: string };
  hops: PathHop[];
  outcome: 'delivered' | 'local' | 'unreachable' | 'unresolved' | 'filtered';
  /** Why the trace stopped, or what a reader should know (no reply route, ICMP not NATed…). */
  notes: string[];
  capturePoints: CapturePoint[];
  probe?: ProbeResult;
  timing: { deriveMs: number; probeMs?: number; resolveMs?: number };
}

export interface CaptureFile {
  /** Safe file name: `03-node2-flannel.1.pcap`. */
  name: string;
  namespace: string;
  dev: string;
  role: string;
  filter: string;
  packets: number;
  bytes: number;
  /** Path of the download, relative to the server: `/api/pcap/<capture id>/<name>`. */
  url: string;
}

export interface PathCapture {
  id: string;
  trace: PathTrace;
  files: CaptureFile[];
  timing: { startMs: number; probeMs: number; totalMs: number };
}
