// Every pod of a lab, whoever asked for it: the topology's static pods (state.json) and each
// node kubelet's own records (nodes/<node>/kubelet/pods.json: Deployment pods, kubectl run …),
// so `kubewire status`, `exec` and the UI see the same set the kubelets run.
import { readFileSync } from 'node:fs';
import type { LabPaths } from './lab-paths.js';
import type { LabState, PodRecord } from './lab-state.js';

export function allPodRecords(paths: LabPaths, state: LabState): Record<string, PodRecord> {
  const out: Record<string, PodRecord> = { ...state.pods };
  for (const n of state.topology.nodes) {
    let saved: Record<string, { record?: PodRecord }> = {};
    try {
      saved = JSON.parse(readFileSync(paths.kubeletPods(n.name), 'utf8')) as typeof saved;
    } catch {
      continue;
    }
    for (const [key, s] of Object.entries(saved)) if (s.record && !out[key]) out[key] = s.record;
  }
  return out;
}
