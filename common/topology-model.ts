// The topology as plain data: what the kernel says each lab namespace holds (snapshots, filled by
// the server's reader from `ip -j`), and the graph built from them that the renderer draws.
import type { NamespaceKind } from './lab-names.js';

export interface LinkRecord {
  ifindex: number;
  ifname: string;
  /** linkinfo kind: veth, bridge, vxlan, dummy…; `loopback`/`ether` when the kernel gives none. */
  kind: string;
  mac: string;
  mtu: number;
  operstate: string;
  up: boolean;
  /** Bridge (by name, same namespace) this device is a port of. */
  master?: string;
  /** For veth: the peer's ifindex, in the namespace `linkNetnsid` names (same namespace if absent). */
  linkIndex?: number;
  linkNetnsid?: number;
  vxlan?: { vni: number; local?: string; port?: number; dev?: string };
}

export interface AddressRecord {
  ifname: string;
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope: string;
}

export interface RouteRecord {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
}

export interface NeighbourRecord {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

export interface FdbRecord {
  mac: string;
  ifname: string;
  /** VXLAN remote (outer destination IP): the other node's underlay address. */
  dst?: string;
  master?: string;
  state: string;
}

export interface NamespaceSnapshot {
  name: string;
  links: LinkRecord[];
  addresses: AddressRecord[];
  routes: RouteRecord[];
  neighbours: NeighbourRecord[];
  fdb: FdbRecord[];
  /** This namespace's ids for its peers (`ip netns list-id`), to resolve veth `link_netnsid`. */
  peers: { nsid: number; name: string }[];
}

export interface DeviceModel {
  /** `<namespace>/<ifname>` */
  id: string;
  namespace: string;
  ifindex: number;
  ifname: string;
  kind: string;
  mac: string;
  mtu: number;
  up: boolean;
  master?: string;
  /** IPv4 first, then global IPv6: `192.168.128.2/24`. Link-local IPv6 is left out. */
  addresses: string[];
  vxlan?: { vni: number; local?: string; port?: number };
  /** The other end of a veth pair, as a device id. */
  peer?: string;
}

export interface NamespaceModel {
  name: string;
  kind: NamespaceKind;
  label: string;
  node?: string;
  k8sNamespace?: string;
  pod?: string;
  /** Device ids, in ifindex order. */
  devices: string[];
}

export type EdgeKind = 'veth' | 'bridge-port' | 'vxlan';

export interface EdgeModel {
  id: string;
  kind: EdgeKind;
  /** Device ids. veth/vxlan are symmetric; bridge-port goes port → bridge. */
  source: string;
  target: string;
  label?: string;
}

export interface TopologyGraph {
  prefix: string;
  namespaces: NamespaceModel[];
  devices: DeviceModel[];
  edges: EdgeModel[];
}
