// A lab topology as plain data: what `kubewire up` builds. Produced only by parseTopology, so every
// value here has been validated (names are safe for kernel objects, addresses fit their networks).

export const BUILTIN_IMAGES = ['kubia', 'netshoot', 'tools'] as const;
export type BuiltinImage = (typeof BUILTIN_IMAGES)[number];

export interface Topology {
  /** The file it was read from, used in error messages. */
  file: string;
  /** Lab id: names the state folder `/var/lib/kubewire/<name>`. */
  name: string;
  /** Prefix of every namespace and link of the lab (`kw-` by default). */
  prefix: string;
  nodeNetwork: string;
  podNetwork: string;
  serviceNetwork: string;
  flannel: FlannelSpec;
  gateway: GatewaySpec;
  internet: InternetSpec;
  nodes: NodeSpec[];
  /** kube-proxy's backend and rule format on every node (default iptables/current). */
  kubeProxy?: KubeProxySpec;
  /** Kubernetes objects created through the apiserver when the cluster starts (if absent). */
  objects?: ClusterObject[];
  /** How kube-scheduler and kube-controller-manager run (default: inside the cluster process). */
  controlPlane?: ControlPlaneSpec;
}

export interface ControlPlaneSpec {
  /**
   * 0: the scheduler and controller manager run inside the cluster process (one of each);
   * 1–3: each runs as that many processes of its own, electing a leader through its Lease.
   */
  replicas: number;
  /** Where the apiserver keeps its objects (absent: the SQLite revision log in the cluster process). */
  store?: StoreSpec;
}

/**
 * The apiserver's store as an etcd cluster: `members` etcd processes, each in a lab namespace of its
 * own (`<prefix>etcd<i>`) on the node network, peer and client URLs on that address only.
 */
export interface StoreSpec {
  kind: 'etcd';
  members: EtcdMemberSpec[];
}

export interface EtcdMemberSpec {
  /** etcd's --name and the namespace's suffix: etcd0, etcd1, ... */
  name: string;
  /** Its address on the node network (client URL :2379, peer URL :2380). */
  address: string;
}

export interface KubeProxySpec {
  /** `iptables` (iptables-restore) or `nftables` (table ip kube-proxy, `nft -f`). */
  mode: 'iptables' | 'nftables';
  /** iptables only: `current` (today's kube-proxy) or `article` (kube-proxy 1.10's rules, the article's). */
  rules: 'current' | 'article';
}

export interface ClusterObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The object as written. */
  manifest: Record<string, unknown>;
}

export interface FlannelSpec {
  vni: number;
  port: number;
  mtu: number;
  /** `static`: every peer programmed up front; `miss`: answered on L2/L3 miss (later flanneld). */
  mode: 'static' | 'miss';
}

export interface GatewaySpec {
  /** The gateway's address on the node network (every node's default route). */
  address: string;
  /** CIDR of the gateway's side of the link toward the Internet (eth1), e.g. 198.51.100.1/24. */
  uplink: string;
}

export interface InternetSpec {
  /** CIDR of the Internet router's end of the gateway link (its eth0), e.g. 198.51.100.2/24. */
  router: string;
  /** The lab's DNS resolver, answering A records of `hosts`. */
  dns: string;
  hosts: InternetHost[];
}

export interface InternetHost {
  name: string;
  address: string;
}

export interface NodeSpec {
  name: string;
  /** Address on the node network (eth0). */
  address: string;
  /** The node's pod subnet (flannel's lease), e.g. 192.168.132.0/24. */
  subnet: string;
  /** MAC of flannel.1 (flannel's VtepMAC); derived from lab and node names when absent. */
  vtepMAC?: string;
  /** MAC of the node's eth0 (absent: the kernel picks one). */
  eth0MAC?: string;
  /** MAC of cni0: then cni0 is made up front with it (absent: the bridge plugin makes it with the first pod). */
  cniBridgeMAC?: string;
  /** A second bridge with one host behind it, like the article's docker0 and its container. */
  bridge?: BridgeSpec;
  pods: PodSpec[];
}

export interface BridgeSpec {
  name: string;
  /** The bridge's own address, e.g. 172.17.0.1/16. */
  address: string;
  /** Address of the host behind the bridge, e.g. 172.17.0.2. */
  host?: string;
}

export interface PodSpec {
  namespace: string;
  name: string;
  /** Fixed pod IP (annotation `kubewire.io/ip`), else host-local picks one. */
  ip?: string;
  /** Fixed MAC of the pod's eth0 (annotation `kubewire.io/mac`). */
  mac?: string;
  containers: ContainerSpec[];
  /** The Pod object as written (the kubelet of the cluster takes the same objects). */
  manifest: Record<string, unknown>;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
}

export const ANNOTATION_IP = 'kubewire.io/ip';
export const ANNOTATION_MAC = 'kubewire.io/mac';
export const RESERVED_NODE_NAMES = ['underlay', 'gateway', 'internet'] as const;
