// Topology files for tests, benches and the soak: the article's networks (nodes on 10.231.209.0/24,
// pods in 192.168.128.0/18, Services in 192.168.192.0/18, the emulated Internet behind the gateway)
// around the nodes and pods a test names, so each file states only what it is about.
import { stringify } from 'yaml';

export interface NodeSpec {
  name: string;
  address: string;
  subnet: string;
  [field: string]: unknown;
}

/** The article's nodes by their addresses (node1 .113, node2 .114, node5 .117). */
export const NODE1: NodeSpec = { name: 'node1', address: '10.231.209.113', subnet: '192.168.128.0/24' };
export const NODE2: NodeSpec = { name: 'node2', address: '10.231.209.114', subnet: '192.168.129.0/24' };
export const NODE5: NodeSpec = { name: 'node5', address: '10.231.209.117', subnet: '192.168.132.0/24' };

/** The one Internet host most labs resolve (google.com on 203.0.113.10). */
export const GOOGLE = { name: 'google.com', address: '203.0.113.10' };

/** A static pod of one container pinned to `ip` (the kubewire.io/ip annotation). */
export function pinnedPod(name: string, ip: string, container: { name: string; image: string }) {
  return { metadata: { name, annotations: { 'kubewire.io/ip': ip } }, spec: { containers: [container] } };
}

/** netshoot, named tools, at `ip`: the pod most lab tests curl and ping from. */
export const toolsPod = (ip: string) => pinnedPod('tools', ip, { name: 'netshoot', image: 'netshoot' });

export interface LabTopologyOptions {
  /** The emulated Internet's hosts (default: google.com). */
  hosts?: { name: string; address: string }[];
  /** Other top-level fields (kubeProxy, flannel, controlPlane, objects …). */
  extra?: Record<string, unknown>;
}

/** The YAML text of a lab `name` with `nodes` on the article's networks. */
export function labTopology(name: string, nodes: NodeSpec[], opts: LabTopologyOptions = {}): string {
  return stringify({
    name,
    nodeNetwork: '10.231.209.0/24',
    podNetwork: '192.168.128.0/18',
    serviceNetwork: '192.168.192.0/18',
    ...opts.extra,
    gateway: { address: '10.231.209.1', uplink: '198.51.100.1/24' },
    internet: { router: '198.51.100.2/24', dns: '198.51.100.53', hosts: opts.hosts ?? [GOOGLE] },
    nodes,
  });
}
