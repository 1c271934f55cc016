// A generated lab for size tests and benchmarks: `nodes` nodes with `pods` tools pods each
// (sleeping containers, light), fixed pod IPs, the article's networks.
import { stringify } from 'yaml';

export function gridTopology(nodes: number, pods: number): string {
  return stringify({
    name: `grid-${nodes}x${pods}`,
    nodeNetwork: '10.231.209.0/24',
    podNetwork: '192.168.128.0/18',
    serviceNetwork: '192.168.192.0/18',
    gateway: { address: '10.231.209.1', uplink: '198.51.100.1/24' },
    internet: {
      router: '198.51.100.2/24',
      dns: '198.51.100.53',
      hosts: [{ name: 'google.com', address: '203.0.113.10' }],
    },
    nodes: Array.from({ length: nodes }, (_, n) => ({
      name: `node${n + 1}`,
      address: `10.231.209.${10 + n}`,
      subnet: `192.168.${128 + n}.0/24`,
      pods: Array.from({ length: pods }, (_, p) => ({
        metadata: { name: `bench-${n + 1}-${p}`, annotations: { 'kubewire.io/ip': `192.168.${128 + n}.${10 + p}` } },
        spec: { containers: [{ name: 'tools', image: 'tools' }] },
      })),
    })),
  });
}
