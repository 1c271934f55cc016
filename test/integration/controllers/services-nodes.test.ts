// Services and nodes: Endpoints and EndpointSlices follow ready and not-ready pods (named ports),
// LoadBalancer Services get addresses from the configured pool, and a node whose heartbeats stop
// becomes NotReady/unreachable, is tainted, and loses its pods after their tolerationSeconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease, Pod } from '../../../common/api-types.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import type { ControllerSettings } from '../../../cluster/controllers/registry.js';
import { microTime } from '../../../cluster/leader/leader-elector.js';
import { NO_KUBECTL, startApiServer } from '../apiserver/harness.js';
import { connect, fakeNode, FakeKubelet, until } from './kwok.js';
import { ValidationError } from '../../../common/errors.js';

async function cluster(
  t: { after(fn: () => Promise<void> | void): void },
  settings: ControllerSettings = {},
  kubeletOpts = {},
) {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  const cm = new ControllerManager({ client, leaderElection: false, settings, onError: () => {} });
  const kubelet = new FakeKubelet(client, kubeletOpts);
  const stopKubelet = kubelet.start();
  const stopCm = cm.start();
  t.after(async () => {
    stopCm();
    stopKubelet();
    client.close();
    await h.stop();
  });
  return { h, client, kubelet };
}

const pod = (name: string, version: string, port: number): Pod => ({
  metadata: { name, namespace: 'default', labels: { app: 'kubia', version } },
  spec: {
    nodeName: 'node1',
    containers: [{ name: 'nodejs', image: 'luksa/kubia', ports: [{ name: 'http', containerPort: port }] }],
  },
});

test('Endpoints and EndpointSlices: ready pods as addresses, others not ready, named target ports resolved per pod', async (t) => {
  const holdBack = new Set(['kubia-slow']);
  const { h, client, kubelet } = await cluster(t, {}, { admit: (p: Pod) => !holdBack.has(p.metadata.name!) });
  await client.nodes.create(fakeNode('node1'));
  await client.services.create({
    metadata: { name: 'kubia', namespace: 'default' },
    spec: { selector: { app: 'kubia' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
  });
  await client.pods.create(pod('kubia-a', 'v1', 8080));
  await client.pods.create(pod('kubia-b', 'v2', 9090));
  await client.pods.create(pod('kubia-slow', 'v1', 8080));
  // kubia-slow has an IP but is not Ready yet: what kubelet reports while a readiness probe fails.
  await until('kubia-slow scheduled', () => !!kubelet.pods.store.getByName('kubia-slow', 'default'));
  await client.pods.patch(
    'kubia-slow',
    { status: { phase: 'Running', podIP: '192.168.128.99', conditions: [{ type: 'Ready', status: 'False' }] } },
    'merge',
    { namespace: 'default', subresource: 'status' },
  );
  await until('endpoints', async () => {
    const ep = await client.endpoints.get('kubia', 'default').catch(() => undefined);
    return (
      (ep?.subsets ?? []).flatMap((s) => s.addresses ?? []).length === 2 &&
      (ep?.subsets ?? []).flatMap((s) => s.notReadyAddresses ?? []).length === 1
    );
  });
  const ep = await client.endpoints.get('kubia', 'default');
  assert.equal(ep.metadata.labels?.['endpoints.kubernetes.io/managed-by'], 'endpoint-controller');
  const ports = ep.subsets!.map((s) => s.ports![0]!.port).sort();
  assert.deepEqual(ports, [8080, 9090], 'the named port "http" resolves to each pod\'s own number');
  assert.equal(ep.subsets!.flatMap((s) => s.notReadyAddresses ?? [])[0]!.targetRef!.name, 'kubia-slow');
  await until(
    'slices',
    async () =>
      (
        await client.endpointSlices.list({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=kubia' })
      ).items.flatMap((s) => s.endpoints).length === 3,
  );
  const slices = (
    await client.endpointSlices.list({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=kubia' })
  ).items;
  assert.ok(
    slices.every(
      (s) =>
        s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io' &&
        s.metadata.ownerReferences?.[0]?.kind === 'Service',
    ),
  );
  assert.equal(
    slices.flatMap((s) => s.endpoints).find((e) => e.targetRef?.name === 'kubia-slow')!.conditions!.ready,
    false,
  );
  holdBack.clear();
  kubelet.recheck();
  await until(
    'all ready',
    async () =>
      (await client.endpoints.get('kubia', 'default')).subsets!.flatMap((s) => s.addresses ?? []).length === 3,
  );
  await client.pods.delete('kubia-b', 'default');
  await until(
    'kubia-b gone from endpoints',
    async () =>
      !(await client.endpoints.get('kubia', 'default'))
        .subsets!.flatMap((s) => s.addresses ?? [])
        .some((a) => a.targetRef?.name === 'kubia-b'),
  );
  if (NO_KUBECTL) assert.fail(NO_KUBECTL);
  const r = await h.kubectl('get', 'endpoints', 'kubia');
  assert.match(r.stdout, /kubia\s+192\.168\.128\.\d+:8080,192\.168\.128\.\d+:8080/);
});

test('LoadBalancer Services get addresses from the configured pool; an exhausted pool says so; deletion frees the address', async (t) => {
  const { client } = await cluster(t, { loadBalancerPool: ['203.0.113.10-203.0.113.11'] });
  const lb = (name: string) => ({
    metadata: { name, namespace: 'default' },
    spec: { type: 'LoadBalancer' as const, selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  for (const n of ['a', 'b', 'c']) await client.services.create(lb(n));
  await until(
    'two addresses',
    async () =>
      (await client.services.list({ namespace: 'default' })).items.filter(
        (s) => s.status?.loadBalancer?.ingress?.length,
      ).length === 2,
  );
  const ips = (await client.services.list({ namespace: 'default' })).items
    .flatMap((s) => s.status?.loadBalancer?.ingress ?? [])
    .map((i) => i.ip)
    .sort();
  assert.deepEqual(ips, ['203.0.113.10', '203.0.113.11']);
  await until('exhausted event', async () =>
    (await client.events.list({ namespace: 'default' })).items.some(
      (e) => e.reason === 'SyncLoadBalancerFailed' && /no addresses left/.test(e.message ?? ''),
    ),
  );
  const holder = (await client.services.list({ namespace: 'default' })).items.find(
    (s) => s.status?.loadBalancer?.ingress?.length,
  )!;
  assert.ok(holder.metadata.finalizers?.includes('service.kubernetes.io/load-balancer-cleanup'));
  await client.services.delete(holder.metadata.name!, 'default');
  await until('c gets the freed address', async () => {
    const waiting = (await client.services.list({ namespace: 'default' })).items.filter(
      (s) => s.spec.type === 'LoadBalancer' && s.metadata.name !== holder.metadata.name,
    );
    return waiting.every((s) => s.status?.loadBalancer?.ingress?.length === 1);
  });
  await until(
    'holder gone',
    async () =>
      !(await client.services.list({ namespace: 'default' })).items.some(
        (s) => s.metadata.name === holder.metadata.name,
      ),
  );
  assert.throws(
    () =>
      new ControllerManager({ client, leaderElection: false, settings: { loadBalancerPool: ['203.0.113.300/24'] } }),
    ValidationError,
  );
});

test('a node that stops heartbeating turns Unknown, gets unreachable taints, and its pods are evicted after tolerationSeconds', async (t) => {
  const { client, kubelet } = await cluster(t, { nodeLifecycle: { gracePeriodMs: 1500, monitorPeriodMs: 200 } });
  await client.nodes.create(fakeNode('node1'));
  await client.nodes.create(fakeNode('node2'));
  await client.namespaces.create({ metadata: { name: 'kube-node-lease' } }).catch(() => {});
  const leaseFor = (n: string): Lease => ({
    metadata: { name: n, namespace: 'kube-node-lease' },
    spec: { holderIdentity: n, leaseDurationSeconds: 40, renewTime: microTime(Date.now()) },
  });
  await client.leases.create(leaseFor('node1'));
  await client.leases.create(leaseFor('node2'));
  // node1's kubelet keeps renewing its Lease; node2's has stopped.
  const beat = setInterval(() => {
    void client.leases
      .get('node1', 'kube-node-lease')
      .then((l) => client.leases.update({ ...l, spec: { ...l.spec, renewTime: microTime(Date.now()) } }))
      .catch(() => {});
  }, 300);
  t.after(() => clearInterval(beat));
  const onNode2 = (name: string, tolerationSeconds?: number): Pod => ({
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: 'node2',
      containers: [{ name: 'c', image: 'x' }],
      ...(tolerationSeconds !== undefined
        ? {
            tolerations: [
              { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds },
            ],
          }
        : {}),
    },
  });
  // A pod without tolerations would get DefaultTolerationSeconds' 300 s (as in kube-apiserver); one
  // that tolerates the taint for 0 s is what is evicted as soon as the taint lands.
  await client.pods.create(onNode2('tolerates-0s', 0));
  await client.pods.create(onNode2('no-toleration'));
  const defaulted = (await client.pods.get('no-toleration', 'default')).spec.tolerations ?? [];
  assert.ok(
    defaulted.some(
      (x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute' && x.tolerationSeconds === 300,
    ),
    'DefaultTolerationSeconds gave it 300 s',
  );
  await client.pods.create(onNode2('tolerates-2s', 2));
  await until(
    'node2 Unknown and tainted',
    async () => {
      const n = await client.nodes.get('node2');
      return (
        n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' &&
        (n.spec?.taints ?? []).some((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute')
      );
    },
    8000,
  );
  const n2 = await client.nodes.get('node2');
  assert.equal(n2.status!.conditions!.find((c) => c.type === 'Ready')!.message, 'Kubelet stopped posting node status.');
  const taintedAt = Date.now();
  const n1 = await client.nodes.get('node1');
  assert.equal(
    n1.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    'True',
    'the heartbeating node stays Ready',
  );
  assert.ok(!(n1.spec?.taints ?? []).length);
  await until('pod tolerating for 0 s evicted', () => !kubelet.pods.store.getByName('tolerates-0s', 'default'), 5000);
  assert.ok(kubelet.pods.store.getByName('tolerates-2s', 'default'), 'the tolerating pod is still there');
  await until('tolerating pod evicted', () => !kubelet.pods.store.getByName('tolerates-2s', 'default'), 6000);
  assert.ok(Date.now() - taintedAt >= 1000, 'it waited for its tolerationSeconds');
  assert.ok(kubelet.pods.store.getByName('no-toleration', 'default'), 'the defaulted pod waits its 300 s');
  await until('eviction events', async () =>
    (await client.events.list({ namespace: 'default' })).items.some(
      (e) => e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod default/tolerates-2s',
    ),
  );
  await until('NodeNotReady event', async () =>
    (await client.events.list({ namespace: 'default' })).items.some(
      (e) => e.reason === 'NodeNotReady' && e.involvedObject.name === 'node2',
    ),
  );
});
