// Builders of Service / EndpointSlice objects for kube-proxy tests and benchmarks, shaped like
// what the apiserver returns. The article's kubia: 192.168.199.234:8080, NodePort 32681, 6 pods.
import type { EndpointSliceObject, ServiceObject } from '../../cluster/proxy/proxy-types.js';

export interface ServiceOptions {
  namespace?: string;
  name: string;
  clusterIP: string;
  port?: number;
  portName?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  nodePort?: number;
  sessionAffinitySeconds?: number;
  externalIPs?: string[];
  loadBalancerIPs?: string[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
}

export function service(o: ServiceOptions): ServiceObject {
  return {
    metadata: { namespace: o.namespace ?? 'default', name: o.name },
    spec: {
      type: o.type ?? 'ClusterIP',
      clusterIP: o.clusterIP,
      clusterIPs: [o.clusterIP],
      ports: [
        {
          ...(o.portName ? { name: o.portName } : {}),
          protocol: o.protocol ?? 'TCP',
          port: o.port ?? 8080,
          targetPort: o.port ?? 8080,
          ...(o.nodePort ? { nodePort: o.nodePort } : {}),
        },
      ],
      ...(o.externalIPs ? { externalIPs: o.externalIPs } : {}),
      ...(o.sessionAffinitySeconds
        ? {
            sessionAffinity: 'ClientIP' as const,
            sessionAffinityConfig: { clientIP: { timeoutSeconds: o.sessionAffinitySeconds } },
          }
        : { sessionAffinity: 'None' as const }),
      ...(o.externalTrafficPolicy ? { externalTrafficPolicy: o.externalTrafficPolicy } : {}),
      ...(o.internalTrafficPolicy ? { internalTrafficPolicy: o.internalTrafficPolicy } : {}),
    },
    ...(o.loadBalancerIPs ? { status: { loadBalancer: { ingress: o.loadBalancerIPs.map((ip) => ({ ip })) } } } : {}),
  };
}

export interface EndpointOptions {
  ip: string;
  nodeName?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function endpointSlice(o: {
  namespace?: string;
  service: string;
  sliceName?: string;
  port?: number;
  portName?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  endpoints: (EndpointOptions | string)[];
}): EndpointSliceObject {
  return {
    metadata: {
      namespace: o.namespace ?? 'default',
      name: o.sliceName ?? `${o.service}-abcde`,
      labels: { 'kubernetes.io/service-name': o.service },
    },
    addressType: 'IPv4',
    endpoints: o.endpoints.map((e) => {
      const ep = typeof e === 'string' ? { ip: e } : e;
      return {
        addresses: [ep.ip],
        conditions: {
          ready: ep.ready ?? true,
          serving: ep.serving ?? ep.ready ?? true,
          terminating: ep.terminating ?? false,
        },
        ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
      };
    }),
    ports: [{ name: o.portName ?? '', protocol: o.protocol ?? 'TCP', port: o.port ?? 8080 }],
  };
}

/** The article's six kubia pods (the first is its 192.168.131.21), spread over nodes. */
export const KUBIA_POD_IPS = [
  '192.168.131.21',
  '192.168.128.12',
  '192.168.129.7',
  '192.168.130.9',
  '192.168.132.5',
  '192.168.133.3',
];

export function kubiaService(): ServiceObject {
  return service({ name: 'kubia', clusterIP: '192.168.199.234', port: 8080, type: 'NodePort', nodePort: 32681 });
}

export function kubiaSlice(ips: readonly string[] = KUBIA_POD_IPS): EndpointSliceObject {
  return endpointSlice({
    service: 'kubia',
    port: 8080,
    endpoints: ips.map((ip, i) => ({ ip, nodeName: `node${(i % 6) + 1}` })),
  });
}
