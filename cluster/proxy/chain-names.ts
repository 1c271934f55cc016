// kube-proxy's chain names: "KUBE-SVC-" + the first 16 base32 characters of
// sha256(servicePortName + protocol), so the same Service gets the same chain names here as on a
// real cluster (iptables chain names must stay within 28 characters).
import { createHash } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 of the first 10 bytes (= 16 characters, no padding needed), as Go's StdEncoding. */
function base32First16(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    buffer = ((buffer << 8) | bytes[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function hash16(input: string): string {
  return base32First16(createHash('sha256').update(input).digest());
}

/**
 * The service port's name as kube-proxy prints it (ServicePortName.String()): "ns/name" for an
 * unnamed port, "ns/name:port" for a named one. Kubernetes before 1.10 always wrote the colon
 * ("default/kubia:"), which is why the article's chain names differ from a current cluster's.
 */
export function servicePortNameString(namespace: string, name: string, portName: string): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

/** The pre-1.10 form, kept so a lab can reproduce the article's KUBE-SVC-L5EAUEZ74VZL5GSC. */
export function legacyServicePortNameString(namespace: string, name: string, portName: string): string {
  return `${namespace}/${name}:${portName}`;
}

/** Lower-case protocol as it enters the hash ("tcp"). */
export type HashProtocol = 'tcp' | 'udp' | 'sctp';

export function portProtoHash(servicePortName: string, protocol: HashProtocol): string {
  return hash16(servicePortName + protocol);
}

/** KUBE-SVC-*: dispatch to endpoints under the Cluster traffic policy. */
export function serviceClusterChain(servicePortName: string, protocol: HashProtocol): string {
  return `KUBE-SVC-${portProtoHash(servicePortName, protocol)}`;
}

/** KUBE-SVL-*: dispatch to this node's endpoints under the Local traffic policy. */
export function serviceLocalChain(servicePortName: string, protocol: HashProtocol): string {
  return `KUBE-SVL-${portProtoHash(servicePortName, protocol)}`;
}

/** KUBE-EXT-*: entry for NodePort, external IP and load-balancer traffic. */
export function serviceExternalChain(servicePortName: string, protocol: HashProtocol): string {
  return `KUBE-EXT-${portProtoHash(servicePortName, protocol)}`;
}

/** KUBE-FW-*: loadBalancerSourceRanges filtering. */
export function serviceFirewallChain(servicePortName: string, protocol: HashProtocol): string {
  return `KUBE-FW-${portProtoHash(servicePortName, protocol)}`;
}

/** KUBE-SEP-*: one endpoint (endpoint = "ip:port") of one service port. */
export function serviceEndpointChain(servicePortName: string, protocol: HashProtocol, endpoint: string): string {
  return `KUBE-SEP-${hash16(servicePortName + protocol + endpoint)}`;
}

const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-SEP-'];

/** Chains kube-proxy creates per service and may delete when they go stale. */
export function isServiceChainName(chain: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => chain.startsWith(p));
}
