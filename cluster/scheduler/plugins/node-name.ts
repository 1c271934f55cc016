// NodeName: a pod that names its node (spec.nodeName) fits only there.
import type { FilterPlugin } from '../framework.js';
import { reject } from '../framework.js';

export const ErrReasonNodeName = "node(s) didn't match the requested node name";

export const NodeName: FilterPlugin = {
  name: 'NodeName',
  preFilter(_s, pod) {
    return pod.pod.spec.nodeName ? undefined : 'skip';
  },
  filter(_s, pod, node) {
    const want = pod.pod.spec.nodeName;
    return want && want !== node.name ? reject('UnschedulableAndUnresolvable', ErrReasonNodeName) : undefined;
  },
};
