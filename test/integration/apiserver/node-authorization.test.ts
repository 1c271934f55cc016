// A node's token against the real apiserver: the Node authorizer (Secrets/ConfigMaps only through
// pods bound to the node, its own Node and Lease only) and NodeRestriction admission (mirror pods
// only, pods bound to it only), with kube-apiserver's messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type Harness } from './harness.js';

let h: Harness;
let n1: string;
let n2: string;
const json = (o: unknown) => JSON.stringify(o);

before(async () => {
  h = await startApiServer({ memory: true });
  n1 = h.server.issueNodeToken('n1');
  n2 = h.server.issueNodeToken('n2');
  for (const name of ['n1', 'n2']) {
    const r = await h.request('POST', '/api/v1/nodes', {
      body: json({ apiVersion: 'v1', kind: 'Node', metadata: { name } }),
      token: name === 'n1' ? n1 : n2,
    });
    assert.equal(r.status, 201, r.text);
  }
  for (const name of ['mine', 'theirs', 'loose']) {
    assert.equal(
      (
        await h.request('POST', '/api/v1/namespaces/default/secrets', {
          body: json({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { pw: name } }),
        })
      ).status,
      201,
    );
  }
  assert.equal(
    (
      await h.request('POST', '/api/v1/namespaces/default/configmaps', {
        body: json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'b' } }),
      })
    ).status,
    201,
  );
  const pod = (name: string, node: string, secret: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'c',
          image: 'busybox',
          env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: secret, key: 'pw' } } }],
          envFrom: [{ configMapRef: { name: 'cfg' } }],
        },
      ],
    },
  });
  assert.equal(
    (await h.request('POST', '/api/v1/namespaces/default/pods', { body: json(pod('p1', 'n1', 'mine')) })).status,
    201,
  );
  assert.equal(
    (await h.request('POST', '/api/v1/namespaces/default/pods', { body: json(pod('p2', 'n2', 'theirs')) })).status,
    201,
  );
});

after(async () => {
  await h?.stop();
});

test('a node reads only the Secrets and ConfigMaps of pods bound to it', async () => {
  assert.equal((await h.request('GET', '/api/v1/namespaces/default/secrets/mine', { token: n1 })).status, 200);
  assert.equal((await h.request('GET', '/api/v1/namespaces/default/configmaps/cfg', { token: n1 })).status, 200);
  // The kubelet's way: a watch of one object by field selector.
  assert.equal(
    (await h.request('GET', '/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Dmine', { token: n1 }))
      .status,
    200,
  );
  const other = await h.request('GET', '/api/v1/namespaces/default/secrets/theirs', { token: n1 });
  assert.equal(other.status, 403);
  assert.equal(
    other.json.message,
    `secrets "theirs" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`,
  );
  assert.equal((await h.request('GET', '/api/v1/namespaces/default/secrets/loose', { token: n1 })).status, 403);
  const all = await h.request('GET', '/api/v1/secrets', { token: n1 });
  assert.equal(all.status, 403);
  assert.match(
    all.json.message,
    /cannot list resource "secrets" in API group "" at the cluster scope: can only read namespaced object of this type$/,
  );
  assert.equal((await h.request('GET', '/api/v1/namespaces/default/secrets', { token: n1 })).status, 403);
  const write = await h.request('DELETE', '/api/v1/namespaces/default/secrets/mine', { token: n1 });
  assert.equal(write.status, 403);
  assert.match(write.json.message, /can only read resources of this type$/);
});

test('a node lists pods only with its own spec.nodeName selector and gets only its own Node', async () => {
  const mine = await h.request('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1', { token: n1 });
  assert.equal(mine.status, 200);
  assert.deepEqual(
    mine.json.items.map((p: { metadata: { name: string } }) => p.metadata.name),
    ['p1'],
  );
  const every = await h.request('GET', '/api/v1/pods', { token: n1 });
  assert.equal(every.status, 403);
  assert.match(every.json.message, /can only list\/watch pods with spec\.nodeName field selector$/);
  assert.equal((await h.request('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2', { token: n1 })).status, 403);
  assert.equal((await h.request('GET', '/api/v1/namespaces/default/pods/p2', { token: n1 })).status, 403);
  assert.equal((await h.request('GET', '/api/v1/nodes/n1', { token: n1 })).status, 200);
});

test("NodeRestriction: only mirror pods bound to and owned by the node, nothing in other nodes' objects", async () => {
  const plain = await h.request('POST', '/api/v1/namespaces/kube-system/pods', {
    token: n1,
    body: json({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'evil' },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
    }),
  });
  assert.equal(plain.status, 403);
  assert.equal(
    plain.json.message,
    'pods "evil" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
  );
  const uid = (await h.request('GET', '/api/v1/nodes/n1', { token: n1 })).json.metadata.uid as string;
  const mirror = (name: string, extra: Record<string, unknown> = {}, node = 'n1') => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      annotations: { 'kubernetes.io/config.mirror': 'x', 'kubernetes.io/config.source': 'file' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid, controller: true }],
    },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }], ...extra },
  });
  const ok = await h.request('POST', '/api/v1/namespaces/kube-system/pods', {
    token: n1,
    body: json(mirror('static-n1')),
  });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.spec.serviceAccountName, undefined, 'a mirror pod gets no ServiceAccount');
  const elsewhere = await h.request('POST', '/api/v1/namespaces/kube-system/pods', {
    token: n1,
    body: json(mirror('m2', {}, 'n2')),
  });
  assert.match(elsewhere.json.message, /node "n1" can only create pods with spec\.nodeName set to itself$/);
  const withSecret = await h.request('POST', '/api/v1/namespaces/kube-system/pods', {
    token: n1,
    body: json(mirror('m3', { volumes: [{ name: 'v', secret: { secretName: 'mine' } }] })),
  });
  assert.match(withSecret.json.message, /node "n1" can not create pods that reference secrets$/);
  const withSa = await h.request('POST', '/api/v1/namespaces/kube-system/pods', {
    token: n1,
    body: json(mirror('m4', { serviceAccountName: 'default' })),
  });
  assert.match(withSa.json.message, /node "n1" can not create pods that reference a service account$/);

  const del = await h.request('DELETE', '/api/v1/namespaces/default/pods/p2', { token: n1 });
  assert.equal(del.status, 403);
  assert.equal(
    del.json.message,
    'pods "p2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself',
  );
  const status = await h.request('PATCH', '/api/v1/namespaces/default/pods/p2/status', {
    token: n1,
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: json({ status: { phase: 'Failed' } }),
  });
  assert.equal(status.status, 403);
  assert.match(status.json.message, /node "n1" can only update pod status for pods with spec\.nodeName set to itself$/);
  assert.equal(
    (
      await h.request('PATCH', '/api/v1/namespaces/default/pods/p1/status', {
        token: n1,
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: json({ status: { phase: 'Running' } }),
      })
    ).status,
    200,
  );

  const otherNode = await h.request('PATCH', '/api/v1/nodes/n2', {
    token: n1,
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: json({ metadata: { labels: { a: 'b' } } }),
  });
  assert.equal(otherNode.status, 403);
  assert.equal(otherNode.json.message, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  const role = await h.request('PATCH', '/api/v1/nodes/n1', {
    token: n1,
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: json({ metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } }),
  });
  assert.equal(
    role.json.message,
    'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane',
  );
  const taint = await h.request('PATCH', '/api/v1/nodes/n1', {
    token: n1,
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: json({ spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }),
  });
  assert.equal(taint.json.message, 'nodes "n1" is forbidden: node "n1" is not allowed to modify taints');

  const lease = (name: string) =>
    json({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name } });
  assert.equal(
    (
      await h.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        token: n1,
        body: lease('n1'),
      })
    ).status,
    201,
  );
  const foreign = await h.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
    token: n1,
    body: lease('n2'),
  });
  assert.equal(
    foreign.json.message,
    'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node',
  );
  assert.equal(
    (await h.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/n1', { token: n1 })).status,
    403,
  );
});

test('the system:node ClusterRoleBinding has no subjects (nodes are authorized by the Node authorizer)', async () => {
  const b = await h.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:node');
  assert.deepEqual(b.json.subjects ?? [], []);
});
