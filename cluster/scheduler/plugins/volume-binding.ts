// VolumeBinding, kept simple: every PersistentVolumeClaim the pod uses must exist and be bound
// (kubewire's claims bind immediately, by the PersistentVolume controller), and a bound volume's
// node affinity must admit the node. Unbound claims make the pod wait: it is retried when claims change.
import type { PersistentVolume } from '../../../common/api-types.js';
import type { FilterPlugin } from '../framework.js';
import { reject } from '../framework.js';
import { nodeSelectorMatches } from './helpers.js';

export const ErrReasonBindConflict = 'pod has unbound immediate PersistentVolumeClaims';
export const ErrReasonNodeConflict = 'node(s) had volume node affinity conflict';

const STATE = 'VolumeBinding';

export const VolumeBinding: FilterPlugin = {
  name: 'VolumeBinding',
  preFilter(state, pod, cluster) {
    const claims = (pod.pod.spec.volumes ?? [])
      .filter((v) => v.persistentVolumeClaim)
      .map((v) => v.persistentVolumeClaim!.claimName);
    if (claims.length === 0) return 'skip';
    const ns = pod.pod.metadata.namespace ?? 'default';
    const volumes: PersistentVolume[] = [];
    for (const name of claims) {
      const pvc = cluster.pvc(ns, name);
      if (!pvc) return reject('UnschedulableAndUnresolvable', `persistentvolumeclaim "${name}" not found`);
      if (pvc.metadata.deletionTimestamp)
        return reject('UnschedulableAndUnresolvable', `persistentvolumeclaim "${name}" is being deleted`);
      const pvName = pvc.spec.volumeName;
      if (!pvName || pvc.status?.phase === 'Pending')
        return reject('UnschedulableAndUnresolvable', ErrReasonBindConflict);
      const pv = cluster.pv(pvName);
      if (!pv) return reject('UnschedulableAndUnresolvable', `persistentvolume "${pvName}" not found`);
      volumes.push(pv);
    }
    state.write(STATE, volumes);
    return undefined;
  },
  filter(state, _pod, node) {
    for (const pv of state.read<PersistentVolume[]>(STATE) ?? []) {
      const req = pv.spec.nodeAffinity?.required;
      if (req && !nodeSelectorMatches(req, node.node))
        return reject('UnschedulableAndUnresolvable', ErrReasonNodeConflict);
    }
    return undefined;
  },
};
