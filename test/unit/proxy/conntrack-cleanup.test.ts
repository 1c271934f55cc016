import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConntrackCleaner, ConntrackFilter } from '../../../cluster/proxy/conntrack-cleanup.js';
import type { IptablesRestorer } from '../../../cluster/proxy/iptables-restorer.js';
import { Proxier } from '../../../cluster/proxy/proxier.js';
import { endpointSlice, kubiaService, kubiaSlice, service } from '../../support/proxy-objects.js';

class Restorer implements IptablesRestorer {
  async restore(): Promise<void> {}
  async save(): Promise<string> {
    return '';
  }
}

class RecordingCleaner implements ConntrackCleaner {
  calls: ConntrackFilter[][] = [];
  async deleteFlows(_netns: string, filters: readonly ConntrackFilter[]): Promise<void> {
    this.calls.push([...filters]);
  }
}

const dns = () =>
  service({
    namespace: 'kube-system',
    name: 'kube-dns',
    clusterIP: '192.168.192.10',
    port: 53,
    protocol: 'UDP',
    portName: 'dns',
  });
const dnsSlice = (ips: string[]) =>
  endpointSlice({
    namespace: 'kube-system',
    service: 'kube-dns',
    port: 53,
    portName: 'dns',
    protocol: 'UDP',
    endpoints: ips,
  });

test('UDP flows to a removed endpoint are deleted after the sync; TCP ones are left to TCP', async () => {
  const cleaner = new RecordingCleaner();
  const p = new Proxier({
    netns: 'kw-unit-n',
    restorer: new Restorer(),
    conntrack: cleaner,
    clock: { now: () => 0 },
    config: { nodeName: 'node1' },
  });
  p.onServiceUpsert(dns());
  p.onEndpointSliceUpsert(dnsSlice(['192.168.128.5', '192.168.129.5']));
  p.onServiceUpsert(kubiaService());
  p.onEndpointSliceUpsert(kubiaSlice());
  const first = await p.sync();
  // The DNS service just got endpoints: what was rejected before must not stick around.
  assert.deepEqual(cleaner.calls, [[['-p', 'udp', '--orig-dst', '192.168.192.10']]]);
  assert.equal(first.udpFlowFilters, 1);

  p.onEndpointSliceUpsert(dnsSlice(['192.168.129.5']));
  p.onEndpointSliceUpsert(kubiaSlice(['192.168.128.12']));
  await p.sync();
  assert.deepEqual(cleaner.calls[1], [['-p', 'udp', '--orig-dst', '192.168.192.10', '--dst-nat', '192.168.128.5']]);

  p.onServiceDelete({ metadata: { namespace: 'kube-system', name: 'kube-dns' } });
  await p.sync();
  assert.deepEqual(cleaner.calls[2], [['-p', 'udp', '--orig-dst', '192.168.192.10', '--dst-nat', '192.168.129.5']]);
});

test('a NodePort UDP service also clears flows by node port; a failing cleanup does not fail the sync', async () => {
  const failing: ConntrackCleaner = {
    deleteFlows: async () => Promise.reject(new Error('conntrack: permission denied')),
  };
  const p = new Proxier({
    netns: 'kw-unit-n',
    restorer: new Restorer(),
    conntrack: failing,
    clock: { now: () => 0 },
    config: { nodeName: 'node1' },
  });
  p.onServiceUpsert(
    service({
      name: 'syslog',
      clusterIP: '192.168.192.40',
      port: 514,
      protocol: 'UDP',
      type: 'NodePort',
      nodePort: 30514,
    }),
  );
  p.onEndpointSliceUpsert(
    endpointSlice({ service: 'syslog', port: 514, protocol: 'UDP', endpoints: ['192.168.128.8'] }),
  );
  const r = await p.sync();
  assert.equal(r.udpFlowFilters, 2);
  assert.match(r.conntrackError ?? '', /permission denied/);
});
