// What a lab's steps may count on when step 1 begins, read from its topology: every pod that
// will run (the nodes' static pods and the pods pinned on a Deployment, which its ReplicaSet
// creates) and every Service whose rules kube-proxy must have written, with the endpoints it
// should list, cluster DNS included. The lab start waits until the cluster shows all of it
// (pod-readiness.ts).
import type { Topology } from '../../common/topology/types.js';
import { ANNOTATION_PINNED_PODS, parsePodPins } from '../../common/topology/pod-pins.js';
import { clusterDnsAddress } from '../../common/topology/cluster-dns.js';

export interface ExpectedPod {
  namespace: string;
  name: string;
  node: string;
  /** static: the node's pod (its record in state.json); pinned: a ReplicaSet's (the kubelet's pods.json). */
  source: 'static' | 'pinned';
  containers: number;
  ports: number[];
  labels: Record<string, string>;
}

export interface ExpectedService {
  namespace: string;
  name: string;
  clusterIP: string;
  /** TCP/UDP service ports, each with as many endpoints as pods the selector matches. */
  ports: { port: number; protocol: string }[];
  endpoints: number;
}

type Spec = {
  containers?: { ports?: { containerPort?: unknown; protocol?: unknown }[] }[];
};

/** containerPort (TCP) of every container of a pod spec as written. */
export function declaredPorts(manifest: Record<string, unknown>): number[] {
  return specPorts(manifest['spec'] as Spec | undefined);
}

function specPorts(spec: Spec | undefined): number[] {
  const out: number[] = [];
  for (const c of spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (typeof p.containerPort === 'number' && (p.protocol === undefined || p.protocol === 'TCP'))
        out.push(p.containerPort);
    }
  }
  return out;
}

const labelsOf = (meta: unknown): Record<string, string> =>
  ((meta as { labels?: Record<string, string> } | undefined)?.labels ?? {}) as Record<string, string>;

export function expectedPods(topology: Topology): ExpectedPod[] {
  const pods: ExpectedPod[] = topology.nodes.flatMap((n) =>
    n.pods.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      node: n.name,
      source: 'static' as const,
      containers: p.containers.length,
      ports: declaredPorts(p.manifest),
      labels: labelsOf(p.manifest['metadata']),
    })),
  );
  for (const o of topology.objects ?? []) {
    if (o.kind !== 'Deployment' && o.kind !== 'ReplicaSet') continue;
    const meta = o.manifest['metadata'] as { annotations?: Record<string, string> } | undefined;
    const text = meta?.annotations?.[ANNOTATION_PINNED_PODS];
    if (!text) continue;
    const spec = o.manifest['spec'] as
      { replicas?: number; template?: { metadata?: unknown; spec?: Spec } } | undefined;
    const replicas = typeof spec?.replicas === 'number' ? spec.replicas : 1;
    // A ReplicaSet uses the first pins for its first pods; pods beyond the pins get random names.
    for (const pin of parsePodPins(text).slice(0, replicas)) {
      pods.push({
        namespace: o.namespace ?? 'default',
        name: pin.name,
        node: pin.node,
        source: 'pinned',
        containers: spec?.template?.spec?.containers?.length ?? 1,
        ports: specPorts(spec?.template?.spec),
        labels: labelsOf(spec?.template?.metadata),
      });
    }
  }
  return pods;
}

/** Services with a cluster IP and a selector; endpoints = the expected pods the selector matches. */
export function expectedServices(topology: Topology, pods = expectedPods(topology)): ExpectedService[] {
  const out: ExpectedService[] = [];
  for (const o of topology.objects ?? []) {
    if (o.kind !== 'Service') continue;
    const spec = o.manifest['spec'] as
      | { clusterIP?: string; selector?: Record<string, string>; ports?: { port?: number; protocol?: string }[] }
      | undefined;
    if (!spec?.clusterIP || spec.clusterIP === 'None' || !spec.selector) continue;
    const namespace = o.namespace ?? 'default';
    const selector = Object.entries(spec.selector);
    const endpoints = pods.filter(
      (p) => p.namespace === namespace && selector.every(([k, v]) => p.labels[k] === v),
    ).length;
    out.push({
      namespace,
      name: o.name,
      clusterIP: spec.clusterIP,
      ports: (spec.ports ?? [])
        .filter((p) => typeof p.port === 'number')
        .map((p) => ({ port: p.port!, protocol: (p.protocol ?? 'TCP').toLowerCase() })),
      endpoints,
    });
  }
  // The cluster's own DNS (the kube-dns Service, one CoreDNS pod): a step's `curl google.com`
  // resolves through it, so the lab is not ready until kube-proxy sends it to a ready pod.
  out.push({
    namespace: 'kube-system',
    name: 'kube-dns',
    clusterIP: clusterDnsAddress(topology.serviceNetwork),
    ports: [
      { port: 53, protocol: 'udp' },
      { port: 53, protocol: 'tcp' },
    ],
    endpoints: 1,
  });
  return out;
}
