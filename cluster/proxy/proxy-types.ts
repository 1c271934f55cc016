// What kube-proxy reads: the parts of v1 Service and discovery/v1 EndpointSlice that shape the
// iptables rules, in the API's own JSON shape so that informer objects can be passed as they are.

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePortSpec {
  name?: string;
  protocol?: ServiceProtocol;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceObject {
  metadata: { namespace?: string; name?: string };
  spec: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePortSpec[];
    externalIPs?: string[];
    sessionAffinity?: 'None' | 'ClientIP';
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: 'Cluster' | 'Local';
    internalTrafficPolicy?: 'Cluster' | 'Local';
    loadBalancerSourceRanges?: string[];
    healthCheckNodePort?: number;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointSliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  nodeName?: string;
}

export interface EndpointSlicePort {
  name?: string | null;
  protocol?: ServiceProtocol;
  port?: number | null;
}

export interface EndpointSliceObject {
  metadata: { namespace?: string; name?: string; labels?: Record<string, string> };
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: EndpointSliceEndpoint[] | null;
  ports?: EndpointSlicePort[] | null;
}

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The node-side settings of kube-proxy (its flags / KubeProxyConfiguration). */
export interface ProxyNodeConfig {
  /** This node's name: endpoints whose nodeName matches are "local". */
  nodeName: string;
  /** The node's primary address (its InternalIP). */
  nodeIP?: string;
  /** The pod network (--cluster-cidr), used to tell pod traffic from off-cluster traffic. */
  clusterCIDR?: string;
  /**
   * --nodeport-addresses resolved to this node's addresses. Absent: NodePorts answer on every
   * local address (`-m addrtype --dst-type LOCAL`), kube-proxy's default.
   */
  nodePortAddresses?: string[];
  /** --iptables-masquerade-bit (default 14, mark 0x4000). */
  masqueradeBit?: number;
  /** --masquerade-all: SNAT every packet sent to a cluster IP. */
  masqueradeAll?: boolean;
  /** iptables.localhostNodePorts (default true): NodePorts also answer on 127.0.0.1. */
  localhostNodePorts?: boolean;
  /** The node's nf_conntrack_tcp_be_liberal is set: then no DROP of INVALID packets. */
  conntrackTCPLiberal?: boolean;
  /** iptables supports MASQUERADE --random-fully (every iptables since 1.6.2). */
  randomFully?: boolean;
}
