// The kubelet's port on the node network, and the apiserver's way to it. Nothing listens on a host
// address (DESIGN.md): the kubelet server's listening socket is made inside the node's network
// namespace, bound to <node address>:10250 (netns.node's tcpListen, then handed to the server),
// and the apiserver's connections to it are sockets made inside the same namespace and connected
// to that address — so every apiserver → kubelet connection crosses the node's real port, with no
// relay process copying the bytes on the way (the socat relays that did cost two processes and
// four copies per byte on every exec and port-forward). Other lab addresses (services/proxy to a
// pod, aggregated APIs) are dialled the same way from the first node's namespace.
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { connectIn, tcpListenIn } from '../../../runtime/kernel/netns-enter.js';

export const KUBELET_PORT = 10250;

export interface NodePort {
  name: string;
  netns: string;
  address: string;
}

const netnsPath = (netns: string) => join('/run/netns', netns);

/** The kubelet's listening socket on <node address>:10250 inside the node's namespace (its fd). */
export function kubeletListenFd(n: NodePort): number {
  return tcpListenIn(netnsPath(n.netns), n.address, KUBELET_PORT);
}

/** The apiserver's dialer: a node's kubelet from inside that node's namespace, others via the first node. */
export function labDialer(nodes: () => NodePort[]): (host: string, port: number) => Duplex {
  return (host, port) => {
    const all = nodes();
    const via = all.find((n) => n.address === host) ?? all[0];
    if (!via) throw new Error('no node to dial from');
    return connectIn(netnsPath(via.netns), host, port);
  };
}
