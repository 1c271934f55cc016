// A generated lab for size tests and benchmarks: `nodes` nodes with `pods` tools pods each
// (sleeping containers, light), fixed pod IPs, the article's networks.
import { labTopology, pinnedPod } from './lab-topology.js';

export function gridTopology(nodes: number, pods: number): string {
  return labTopology(
    `grid-${nodes}x${pods}`,
    Array.from({ length: nodes }, (_, n) => ({
      name: `node${n + 1}`,
      address: `10.231.209.${10 + n}`,
      subnet: `192.168.${128 + n}.0/24`,
      pods: Array.from({ length: pods }, (_, p) =>
        pinnedPod(`bench-${n + 1}-${p}`, `192.168.${128 + n}.${10 + p}`, { name: 'tools', image: 'tools' }),
      ),
    })),
  );
}
