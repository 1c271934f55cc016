import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  authorize,
  PrivilegedGroupAuthorizer,
  type AuthorizationAttributes,
} from '../../../cluster/apiserver/authz/authorizer.js';
import { RbacAuthorizer } from '../../../cluster/apiserver/authz/rbac-authorizer.js';
import { NodeAuthorizer } from '../../../cluster/apiserver/authz/node-authorizer.js';
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
} from '../../../cluster/apiserver/authz/bootstrap-policy.js';
import { ObjectStore } from '../../../cluster/apiserver/registry/object-store.js';
import { ResourceCatalog } from '../../../cluster/apiserver/resources.js';
import { MemoryBackend } from '../../../cluster/store/memory-backend.js';
import type { UserInfo } from '../../../cluster/apiserver/authn/authenticator.js';

function setup() {
  const catalog = new ResourceCatalog();
  const store = new ObjectStore(new MemoryBackend());
  const rbac = (p: string) => catalog.find('rbac.authorization.k8s.io', 'v1', p)!;
  for (const o of bootstrapClusterRoles()) store.create(rbac('clusterroles'), '', o);
  for (const o of bootstrapClusterRoleBindings()) store.create(rbac('clusterrolebindings'), '', o);
  store.create(rbac('roles'), 'dev', {
    metadata: { name: 'pod-reader', namespace: 'dev' },
    rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }],
  });
  store.create(rbac('rolebindings'), 'dev', {
    metadata: { name: 'alice-reads', namespace: 'dev' },
    roleRef: { kind: 'Role', name: 'pod-reader' },
    subjects: [{ kind: 'User', name: 'alice' }],
  });
  store.create(rbac('clusterroles'), '', {
    metadata: { name: 'cm-one' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['one'], verbs: ['get'] }],
  });
  store.create(rbac('rolebindings'), 'dev', {
    metadata: { name: 'sa-cm', namespace: 'dev' },
    roleRef: { kind: 'ClusterRole', name: 'cm-one' },
    subjects: [{ kind: 'ServiceAccount', name: 'bot' }],
  });
  const authz = new RbacAuthorizer(store, catalog);
  authz.start();
  return [new PrivilegedGroupAuthorizer(), new NodeAuthorizer(store, catalog), authz];
}

const user = (name: string, groups: string[] = []): UserInfo => ({
  name,
  uid: name,
  groups: [...groups, 'system:authenticated'],
});
const res = (
  u: UserInfo,
  verb: string,
  resource: string,
  namespace = '',
  extra: Partial<AuthorizationAttributes> = {},
): AuthorizationAttributes => ({
  user: u,
  verb,
  isResourceRequest: true,
  path: '',
  namespace,
  apiGroup: '',
  resource,
  subresource: '',
  name: '',
  ...extra,
});

test('system:masters may do anything; others only what bindings grant', () => {
  const chain = setup();
  assert.equal(authorize(chain, res(user('admin', ['system:masters']), 'delete', 'nodes')).decision, 'allow');
  const alice = user('alice');
  assert.equal(authorize(chain, res(alice, 'list', 'pods', 'dev')).decision, 'allow');
  assert.equal(authorize(chain, res(alice, 'get', 'pods', 'dev', { subresource: 'log', name: 'p' })).decision, 'allow');
  assert.equal(authorize(chain, res(alice, 'delete', 'pods', 'dev')).decision, 'deny');
  assert.equal(authorize(chain, res(alice, 'list', 'pods', 'prod')).decision, 'deny');
  assert.equal(authorize(chain, res(alice, 'list', 'pods', '')).decision, 'deny');
  assert.equal(authorize(chain, res(alice, 'get', 'pods', 'dev', { subresource: 'status' })).decision, 'deny');
});

test('a RoleBinding to a ClusterRole applies in its namespace; resourceNames narrow to one object', () => {
  const chain = setup();
  const bot = user('system:serviceaccount:dev:bot');
  assert.equal(authorize(chain, res(bot, 'get', 'configmaps', 'dev', { name: 'one' })).decision, 'allow');
  assert.equal(authorize(chain, res(bot, 'get', 'configmaps', 'dev', { name: 'two' })).decision, 'deny');
  assert.equal(authorize(chain, res(bot, 'get', 'configmaps', 'other', { name: 'one' })).decision, 'deny');
  assert.equal(authorize(chain, res(bot, 'list', 'configmaps', 'dev')).decision, 'deny');
});

test('bootstrap policy: discovery for everyone authenticated, node rules for system:nodes', () => {
  const chain = setup();
  const nobody = user('nobody');
  const nonRes = (u: UserInfo, path: string): AuthorizationAttributes => ({
    ...res(u, 'get', ''),
    isResourceRequest: false,
    path,
  });
  assert.equal(authorize(chain, nonRes(nobody, '/apis/apps/v1')).decision, 'allow');
  assert.equal(authorize(chain, nonRes(nobody, '/version')).decision, 'allow');
  assert.equal(authorize(chain, nonRes(nobody, '/metrics')).decision, 'deny');
  assert.equal(
    authorize(chain, res(nobody, 'create', 'selfsubjectaccessreviews', '', { apiGroup: 'authorization.k8s.io' }))
      .decision,
    'allow',
  );
  const node = user('system:node:node5', ['system:nodes']);
  assert.equal(
    authorize(chain, res(node, 'watch', 'pods', '', { fieldSelector: 'spec.nodeName=node5' })).decision,
    'allow',
  );
  assert.equal(authorize(chain, res(node, 'watch', 'pods')).decision, 'deny');
  assert.equal(
    authorize(chain, res(node, 'patch', 'pods', 'default', { subresource: 'status', name: 'p' })).decision,
    'allow',
  );
  assert.equal(
    authorize(
      chain,
      res(node, 'update', 'leases', 'kube-node-lease', { apiGroup: 'coordination.k8s.io', name: 'node5' }),
    ).decision,
    'allow',
  );
  // kube-proxy and flanneld run with the node's identity: system:node-proxier is bound to system:nodes.
  assert.equal(
    authorize(chain, res(node, 'watch', 'endpointslices', '', { apiGroup: 'discovery.k8s.io' })).decision,
    'allow',
  );
  assert.equal(authorize(chain, res(node, 'list', 'nodes')).decision, 'allow');
  assert.equal(authorize(chain, res(node, 'delete', 'deployments', 'default', { apiGroup: 'apps' })).decision, 'deny');
});
