// The scheduler's cache: every node with the pods on it. Pods arrive from the informer once bound,
// but a pod the scheduler has just decided on is "assumed" onto its node at once, before the
// binding is even sent, so the next cycles see its requests and a burst cannot overpack a node.
// When the informer later shows the pod bound, the assumed entry is confirmed; if binding fails it
// is forgotten.
import type { Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod } from '../../common/api-types.js';
import type { ClusterLister } from './framework.js';
import { NodeInfo, newPodInfo, podKey, type PodInfo } from './node-info.js';

export interface ObjectLookups {
  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined;
  pv(name: string): PersistentVolume | undefined;
  namespace(name: string): Namespace | undefined;
}

const none: ObjectLookups = { pvc: () => undefined, pv: () => undefined, namespace: () => undefined };

export class SchedulerCache implements ClusterLister {
  private readonly nodes = new Map<string, NodeInfo>();
  private list: NodeInfo[] | undefined;
  /** Pod key → node name it is counted on. */
  private readonly podNode = new Map<string, string>();
  private readonly assumed = new Set<string>();
  /** Pods bound to a node the cache does not know yet, by node name. */
  private readonly orphans = new Map<string, Map<string, PodInfo>>();

  constructor(private readonly lookups: ObjectLookups = none) {}

  // ---- ClusterLister

  nodeInfos(): NodeInfo[] {
    this.list ??= [...this.nodes.values()];
    return this.list;
  }
  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }
  pvc(namespace: string, name: string) {
    return this.lookups.pvc(namespace, name);
  }
  pv(name: string) {
    return this.lookups.pv(name);
  }
  namespace(name: string) {
    return this.lookups.namespace(name);
  }

  // ---- nodes

  upsertNode(node: Node): void {
    const name = node.metadata.name!;
    const ni = this.nodes.get(name);
    if (ni) {
      ni.setNode(node);
      return;
    }
    const fresh = new NodeInfo(node);
    for (const pi of this.orphans.get(name)?.values() ?? []) fresh.addPod(pi);
    this.orphans.delete(name);
    this.nodes.set(name, fresh);
    this.list = undefined;
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    // Its pods stay known: if the node comes back (or they are deleted) the books stay right.
    if (ni.pods.size) this.orphans.set(name, new Map(ni.pods));
    this.nodes.delete(name);
    this.list = undefined;
  }

  // ---- pods

  /** A pod the informer shows bound to spec.nodeName (also confirms an assumed pod). */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    this.removeFromNode(key);
    this.assumed.delete(key);
    const node = pod.spec.nodeName;
    if (!node) return;
    this.place(key, node, newPodInfo(pod));
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    this.removeFromNode(key);
    this.assumed.delete(key);
  }

  /** Counts the pod on `nodeName` now, ahead of the binding. */
  assumePod(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    if (this.podNode.has(key))
      throw new Error(`pod ${key} is already in the scheduler cache (on ${this.podNode.get(key)})`);
    const bound: Pod = { ...pod, spec: { ...pod.spec, nodeName } };
    this.place(key, nodeName, newPodInfo(bound));
    this.assumed.add(key);
  }

  /** Binding failed: the assumed pod no longer counts on its node. */
  forgetPod(key: string): void {
    if (!this.assumed.has(key)) return;
    this.removeFromNode(key);
    this.assumed.delete(key);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  /** Pod key → node, for pods the cache counts (bound and assumed). */
  nodeOf(key: string): string | undefined {
    return this.podNode.get(key);
  }

  podCount(): number {
    return this.podNode.size;
  }

  private place(key: string, node: string, pi: PodInfo): void {
    const ni = this.nodes.get(node);
    if (ni) ni.addPod(pi);
    else {
      let m = this.orphans.get(node);
      if (!m) this.orphans.set(node, (m = new Map()));
      m.set(key, pi);
    }
    this.podNode.set(key, node);
  }

  private removeFromNode(key: string): void {
    const node = this.podNode.get(key);
    if (node === undefined) return;
    this.podNode.delete(key);
    const ni = this.nodes.get(node);
    if (ni) ni.removePod(key);
    else this.orphans.get(node)?.delete(key);
  }
}
