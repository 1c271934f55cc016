// Static pods as kubelet runs them: a manifest (the topology's or the manifest folder's) becomes a
// Pod whose uid is the hash of the manifest (a change = a new pod), bound to the node, shown in
// the apiserver by a mirror pod that the Node owns.
import { createHash } from 'node:crypto';
import type { Node, Pod } from '../../../common/api-types.js';
import type { PodRecord } from '../../../runtime/lab/lab-state.js';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';

/** A static pod's uid: the hash of its manifest, as kubelet derives it (a change = a new pod). */
export function staticUid(pod: Pod): string {
  return createHash('sha256').update(JSON.stringify(pod)).digest('hex').slice(0, 32);
}

export interface StaticPod {
  /** The Pod object as written in the topology or the manifest folder. */
  pod: Pod;
  /** Set for the topology's pods: their record lives in the lab's state.json. */
  record?: PodRecord;
}

/** The Pod the kubelet runs for a static manifest on node `nodeName`. */
export function staticPodObject(manifest: Pod, nodeName: string): Pod {
  const m = manifest.metadata;
  const hash = staticUid(manifest);
  return {
    ...manifest,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...m,
      namespace: m.namespace ?? 'default',
      uid: hash,
      annotations: { ...(m.annotations ?? {}), [MIRROR_ANNOTATION]: hash, [CONFIG_SOURCE_ANNOTATION]: 'file' },
    },
    spec: { ...manifest.spec, nodeName, restartPolicy: manifest.spec?.restartPolicy ?? 'Always' },
  };
}

/** The mirror pod of a static pod: its object without uid or resourceVersion, owned by the Node. */
export function mirrorPodOf(pod: Pod, node: Node): Pod {
  const { uid: _uid, resourceVersion: _rv, ...meta } = pod.metadata;
  const owner = {
    apiVersion: 'v1',
    kind: 'Node',
    name: node.metadata.name!,
    uid: node.metadata.uid!,
    controller: true,
  };
  return { ...pod, metadata: { ...meta, ownerReferences: [owner] }, status: undefined } as Pod;
}
