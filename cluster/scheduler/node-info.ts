// The scheduler's view of one node: the Node object, the pods on it (bound or assumed), and the
// sums the filters need (requested resources, used host ports) kept up to date as pods come and go.
import type { Node, Pod } from '../../common/api-types.js';
import {
  addInto,
  computePodRequests,
  emptyResources,
  parseResourceList,
  type PodRequests,
  type Resources,
} from './pod-resources.js';

export interface HostPort {
  protocol: string;
  hostIP: string;
  port: number;
}

/** A pod with what is derived from it once, not per node per cycle. */
export interface PodInfo {
  pod: Pod;
  key: string;
  req: PodRequests;
  hostPorts: HostPort[];
  /** Has required or preferred (anti-)affinity terms: only those pods matter to InterPodAffinity. */
  hasAffinity: boolean;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

export function newPodInfo(pod: Pod): PodInfo {
  const hostPorts: HostPort[] = [];
  for (const c of pod.spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort)
        hostPorts.push({ protocol: p.protocol ?? 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  const a = pod.spec.affinity;
  return {
    pod,
    key: podKey(pod),
    req: computePodRequests(pod),
    hostPorts,
    hasAffinity: !!(a?.podAffinity || a?.podAntiAffinity),
  };
}

export class NodeInfo {
  node: Node;
  name: string;
  allocatable: Resources;
  allowedPodNumber: number;
  readonly pods = new Map<string, PodInfo>();
  readonly requested: Resources = emptyResources();
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  readonly usedPorts: HostPort[] = [];
  /** Pods on this node that carry (anti-)affinity terms. */
  podsWithAffinity = 0;
  /** Bumped on every change: lets per-cycle caches know they are stale. */
  generation = 0;

  constructor(node: Node) {
    this.node = node;
    this.name = node.metadata.name!;
    this.allocatable = emptyResources();
    this.allowedPodNumber = 0;
    this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    const alloc = node.status?.allocatable ?? node.status?.capacity;
    this.allocatable = parseResourceList(alloc, `node ${this.name}: status.allocatable`);
    // A node that reports no pod capacity (a bare kwok-like Node) gets kubelet's default of 110.
    this.allowedPodNumber = alloc?.pods !== undefined ? Number.parseInt(alloc.pods, 10) : 110;
    this.generation++;
  }

  addPod(pi: PodInfo): void {
    if (this.pods.has(pi.key)) this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    addInto(this.requested, pi.req.requests);
    this.nonZeroMilliCPU += pi.req.nonZeroMilliCPU;
    this.nonZeroMemory += pi.req.nonZeroMemory;
    this.usedPorts.push(...pi.hostPorts);
    if (pi.hasAffinity) this.podsWithAffinity++;
    this.generation++;
  }

  removePod(key: string): PodInfo | undefined {
    const pi = this.pods.get(key);
    if (!pi) return undefined;
    this.pods.delete(key);
    addInto(this.requested, pi.req.requests, -1);
    this.nonZeroMilliCPU -= pi.req.nonZeroMilliCPU;
    this.nonZeroMemory -= pi.req.nonZeroMemory;
    for (const hp of pi.hostPorts) {
      const i = this.usedPorts.indexOf(hp);
      if (i >= 0) this.usedPorts.splice(i, 1);
    }
    if (pi.hasAffinity) this.podsWithAffinity--;
    this.generation++;
    return pi;
  }

  labels(): Record<string, string> {
    return this.node.metadata.labels ?? {};
  }
}
