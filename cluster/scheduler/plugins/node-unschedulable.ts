// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate
// node.kubernetes.io/unschedulable:NoSchedule.
import type { FilterPlugin } from '../framework.js';
import { reject } from '../framework.js';
import { toleratesAll } from './helpers.js';

export const ErrReasonUnschedulable = 'node(s) were unschedulable';

export const NodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_s, pod, node) {
    if (!node.node.spec?.unschedulable) return undefined;
    const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' as const };
    if (toleratesAll(pod.pod.spec.tolerations, taint)) return undefined;
    return reject('UnschedulableAndUnresolvable', ErrReasonUnschedulable);
  },
};
