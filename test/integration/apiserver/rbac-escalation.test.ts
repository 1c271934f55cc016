// A user allowed to write Roles and RoleBindings still cannot grant what they do not hold.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startApiServer({ memory: true });
});
after(async () => {
  await h?.stop();
});

test('RBAC escalation is refused; granting held permissions is fine', async () => {
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const post = (path: string, body: unknown, token?: string) =>
    h.request('POST', path, { body: JSON.stringify(body), token });
  assert.equal(
    (await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } })).status,
    201,
  );
  const role = (name: string, rules: unknown[]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name },
    rules,
  });
  const binding = (name: string, roleKind: string, roleName: string, user: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName },
    subjects: [{ kind: 'User', name: user }],
  });
  assert.equal(
    (
      await post(
        `${rbac}/namespaces/dev/roles`,
        role('manager', [
          { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create'] },
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        ]),
      )
    ).status,
    201,
  );
  assert.equal(
    (await post(`${rbac}/namespaces/dev/rolebindings`, binding('alice-manager', 'Role', 'manager', 'alice'))).status,
    201,
  );
  const alice = h.server.issueToken({ name: 'alice', uid: 'alice', groups: [] });

  const held = await post(
    `${rbac}/namespaces/dev/roles`,
    role('pod-reader', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]),
    alice,
  );
  assert.equal(held.status, 201, held.text);
  const more = await post(
    `${rbac}/namespaces/dev/roles`,
    role('pod-deleter', [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }]),
    alice,
  );
  assert.equal(more.status, 403);
  assert.match(
    more.json.message,
    /is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}/,
  );
  assert.equal(
    (await post(`${rbac}/namespaces/dev/rolebindings`, binding('bob-reader', 'Role', 'pod-reader', 'bob'), alice))
      .status,
    201,
  );
  const admin = await post(
    `${rbac}/namespaces/dev/rolebindings`,
    binding('alice-admin', 'ClusterRole', 'cluster-admin', 'alice'),
    alice,
  );
  assert.equal(admin.status, 403);
  const list = await h.request('GET', `${rbac}/namespaces/dev/rolebindings`);
  assert.deepEqual(list.json.items.map((i: any) => i.metadata.name).sort(), ['alice-manager', 'bob-reader']);
});
