import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admit, type AdmissionChain } from '../../../cluster/apiserver/admission/admission.js';
import { DefaultsPlugin } from '../../../cluster/apiserver/admission/defaults.js';
import { ServiceAccountAdmission } from '../../../cluster/apiserver/admission/service-account.js';
import { NamespaceLifecycle } from '../../../cluster/apiserver/admission/namespace-lifecycle.js';
import { ServiceAllocation } from '../../../cluster/apiserver/admission/service-allocation.js';
import { ValidationPlugin } from '../../../cluster/apiserver/admission/validation.js';
import { ObjectStore, type KObject } from '../../../cluster/apiserver/registry/object-store.js';
import { ResourceCatalog } from '../../../cluster/apiserver/resources.js';
import { ApiError } from '../../../cluster/apiserver/status.js';
import { MemoryBackend } from '../../../cluster/store/memory-backend.js';

const ADMIN = { name: 'admin', uid: 'admin', groups: ['system:masters'] };

function setup() {
  const catalog = new ResourceCatalog();
  const store = new ObjectStore(new MemoryBackend());
  const ns = catalog.find('', 'v1', 'namespaces')!;
  store.create(ns, '', { metadata: { name: 'default' }, status: { phase: 'Active' } });
  store.create(ns, '', { metadata: { name: 'dying' }, status: { phase: 'Terminating' } });
  let seed = 0;
  const chain: AdmissionChain = {
    mutating: [
      new DefaultsPlugin(),
      new ServiceAccountAdmission({ serviceAccount: () => undefined }),
      new ServiceAllocation(store, catalog, {
        serviceCidr: '192.168.192.0/18',
        nodePortRange: [30000, 30002],
        random: () => (seed++ * 0.37) % 1,
      }),
    ],
    validating: [new NamespaceLifecycle({ get: (n) => store.tryGet(ns, '', n) }), new ValidationPlugin()],
  };
  const svcs = catalog.find('', 'v1', 'services')!;
  const create = (plural: string, namespace: string, object: KObject, group = '') => {
    const r = catalog.all.find((x) => x.plural === plural && x.group === group)!;
    admit(chain, {
      operation: 'CREATE',
      resource: r,
      subresource: '',
      namespace,
      name: object.metadata?.name,
      object,
      user: ADMIN,
    });
    return object;
  };
  const storeSvc = (o: KObject) => store.create(svcs, 'default', o);
  return { create, storeSvc };
}

const svc = (name: string, spec: KObject = {}): KObject => ({
  metadata: { name },
  spec: { ports: [{ port: 80 }], ...spec },
});
const rejects = (fn: () => unknown, code: number, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === code && re.test(e.message));

test('pod defaults and service account', () => {
  const { create } = setup();
  const p = create('pods', 'default', {
    metadata: { name: 'p' },
    spec: {
      containers: [
        { name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] },
        { name: 'd', image: 'busybox' },
      ],
    },
  });
  assert.equal(p.spec.restartPolicy, 'Always');
  assert.equal(p.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(p.spec.serviceAccountName, 'default');
  assert.equal(p.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.equal(p.spec.containers[1].imagePullPolicy, 'Always');
  assert.equal(p.spec.containers[0].ports[0].protocol, 'TCP');
});

test('NamespaceLifecycle: missing namespace 404, terminating namespace 403', () => {
  const { create } = setup();
  const pod = () => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  rejects(() => create('pods', 'nowhere', pod()), 404, /namespaces "nowhere" not found/);
  rejects(
    () => create('pods', 'dying', pod()),
    403,
    /unable to create new content in namespace dying because it is being terminated/,
  );
});

test('ClusterIP: allocated from the service network above the static band, requested IPs checked', () => {
  const { create, storeSvc } = setup();
  const a = create('services', 'default', svc('a'));
  assert.match(a.spec.clusterIP, /^192\.168\.(19[3-9]|2\d\d)\.\d+$/);
  assert.deepEqual(a.spec.clusterIPs, [a.spec.clusterIP]);
  assert.equal(a.spec.ports[0].targetPort, 80);
  storeSvc(a);
  const dns = create('services', 'default', svc('dns', { clusterIP: '192.168.192.10' }));
  assert.equal(dns.spec.clusterIP, '192.168.192.10');
  storeSvc(dns);
  rejects(
    () => create('services', 'default', svc('dup', { clusterIP: '192.168.192.10' })),
    422,
    /failed to allocate IP 192\.168\.192\.10: provided IP is already allocated/,
  );
  rejects(() => create('services', 'default', svc('out', { clusterIP: '10.0.0.1' })), 422, /is not in the valid range/);
  // A leading zero is not another spelling of .10 (it would slip past the "already allocated" check).
  rejects(
    () => create('services', 'default', svc('zero', { clusterIP: '192.168.192.010' })),
    422,
    /must be a valid IP address/,
  );
  rejects(
    () => create('services', 'default', svc('bcast', { clusterIP: '192.168.255.255' })),
    422,
    /is not in the valid range.*192\.168\.192\.0\/18/,
  );
  const headless = create('services', 'default', svc('h', { clusterIP: 'None' }));
  assert.equal(headless.spec.clusterIP, 'None');
});

test('NodePort: allocated in range without collisions; requested ports checked', () => {
  const { create, storeSvc } = setup();
  const used = new Set<number>();
  for (const name of ['n1', 'n2', 'n3']) {
    const s = create('services', 'default', svc(name, { type: 'NodePort' }));
    const port = s.spec.ports[0].nodePort;
    assert.ok(port >= 30000 && port <= 30002, String(port));
    assert.ok(!used.has(port));
    used.add(port);
    storeSvc(s);
  }
  rejects(() => create('services', 'default', svc('n4', { type: 'NodePort' })), 422, /range is full/);
  rejects(
    () => create('services', 'default', svc('n5', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] })),
    422,
    /spec\.ports\[0\]\.nodePort: Invalid value: 30001: provided port is already allocated/,
  );
  rejects(
    () => create('services', 'default', svc('n6', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })),
    422,
    /not in the valid range/,
  );
  const cip = create('services', 'default', svc('c', { ports: [{ port: 80, nodePort: 30001 }] }));
  assert.equal(cip.spec.ports[0].nodePort, undefined);
});

test('validation: field-level causes for pods and workloads', () => {
  const { create } = setup();
  try {
    create('pods', 'default', {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c' }, { name: 'c', image: 'x', ports: [{ containerPort: 0 }] }] },
    });
    assert.fail('should be refused');
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 422);
    assert.deepEqual(
      e.details?.causes?.map((c) => `${c.reason} ${c.field}`),
      [
        'FieldValueRequired spec.containers[0].image',
        'FieldValueDuplicate spec.containers[1].name',
        'FieldValueInvalid spec.containers[1].ports[0].containerPort',
      ],
    );
  }
  rejects(
    () =>
      create(
        'deployments',
        'default',
        { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } },
        'apps',
      ),
    422,
    /spec\.selector: Required value/,
  );
  rejects(
    () => create('configmaps', 'default', { metadata: { name: 'UPPER' } }),
    422,
    /metadata\.name: Invalid value: "UPPER"/,
  );
});
