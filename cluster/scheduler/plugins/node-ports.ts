// NodePorts: a pod asking for a hostPort fits only where no other pod holds that port
// (same protocol; addresses collide when equal or when either is 0.0.0.0).
import type { FilterPlugin } from '../framework.js';
import { reject } from '../framework.js';

export const ErrReasonPorts = "node(s) didn't have free ports for the requested pod ports";

export const NodePorts: FilterPlugin = {
  name: 'NodePorts',
  preFilter(_s, pod) {
    return pod.hostPorts.length ? undefined : 'skip';
  },
  filter(_s, pod, node) {
    for (const want of pod.hostPorts) {
      for (const used of node.usedPorts) {
        if (used.port !== want.port || used.protocol !== want.protocol) continue;
        if (used.hostIP === want.hostIP || used.hostIP === '0.0.0.0' || want.hostIP === '0.0.0.0') {
          return reject('Unschedulable', ErrReasonPorts);
        }
      }
    }
    return undefined;
  },
};
