// Cluster DNS records: a ClusterIP Service answers its cluster IP, a headless one its ready
// endpoints, endpoints with a hostname get their own name; resolv.conf as kubelet writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Service } from '../../../common/api-types.js';
import { dnsNames } from '../../../cluster/agents/dns/dns-records.js';
import { clusterDnsIP, clusterDnsResolvConf } from '../../../cluster/agents/dns/cluster-dns-config.js';

const cfg = { serviceNetwork: '192.168.192.0/18', domain: 'cluster.local', upstream: '198.51.100.53' };
const svc = (name: string, clusterIP: string) =>
  ({ metadata: { name, namespace: 'default' }, spec: { clusterIP } }) as unknown as Service;
const slice = (svcName: string, eps: { ip: string; ready: boolean; hostname?: string }[]) =>
  ({
    metadata: { name: `${svcName}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready },
      ...(e.hostname ? { hostname: e.hostname } : {}),
    })),
  }) as EndpointSlice;

test('cluster IP, headless ready endpoints, per-hostname records', () => {
  const names = dnsNames(
    cfg,
    [svc('kubia', '192.168.205.144'), svc('web', 'None')],
    [
      slice('kubia', [{ ip: '192.168.128.2', ready: true }]),
      slice('web', [
        { ip: '192.168.128.7', ready: true, hostname: 'web-0' },
        { ip: '192.168.129.8', ready: false, hostname: 'web-1' },
      ]),
    ],
  );
  assert.deepEqual(names['kubia.default.svc.cluster.local'], ['192.168.205.144']);
  assert.deepEqual(names['web.default.svc.cluster.local'], ['192.168.128.7']);
  assert.deepEqual(names['web-0.web.default.svc.cluster.local'], ['192.168.128.7']);
  assert.equal(names['web-1.web.default.svc.cluster.local'], undefined);
});

test('the DNS server is the tenth address; pods search their namespace first', () => {
  assert.equal(clusterDnsIP(cfg), '192.168.192.10');
  const r = clusterDnsResolvConf(cfg, 'default');
  assert.match(r, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
  assert.match(r, /^nameserver 192\.168\.192\.10$/m);
  assert.match(r, /^options ndots:5$/m);
});
