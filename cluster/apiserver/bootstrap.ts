// What kube-apiserver ensures at start: the system namespaces, the bootstrap RBAC policy, and the
// `kubernetes` service (first address of the service network) with endpoints pointing at us.
import type { UserInfo } from './authn/authenticator.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './authz/bootstrap-policy.js';
import type { ApiContext } from './http/context.js';
import { createObject, updateObject } from './http/object-writes.js';
import type { KObject } from './registry/object-store.js';

const SYSTEM: UserInfo = { name: 'system:apiserver', uid: 'apiserver', groups: ['system:masters'] };

export interface BootstrapSpec {
  serviceIP: string;
  endpoint: { ip: string; port: number };
}

function ensure(
  ctx: ApiContext,
  plural: string,
  group: string,
  namespace: string,
  obj: KObject,
  reconcile = false,
): void {
  const r = ctx.catalog.all.find((x) => x.plural === plural && x.group === group)!;
  const existing = ctx.store.tryGet(r, namespace, obj.metadata!.name);
  if (!existing) {
    createObject(ctx, r, namespace, structuredClone(obj), SYSTEM, { dryRun: false });
  } else if (reconcile) {
    const next = {
      ...structuredClone(existing),
      ...structuredClone(obj),
      metadata: { ...existing.metadata, ...obj.metadata },
    };
    updateObject(ctx, r, namespace, '', next, existing, SYSTEM, { dryRun: false });
  }
}

export function bootstrap(ctx: ApiContext, spec: BootstrapSpec): void {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    ensure(ctx, 'namespaces', '', '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  for (const role of bootstrapClusterRoles()) ensure(ctx, 'clusterroles', 'rbac.authorization.k8s.io', '', role, true);
  // system:node is reconciled to no subjects: an older kubewire bound it to system:nodes (every
  // node read every Secret). Other bindings keep subjects users added, as kube-apiserver's do.
  for (const b of bootstrapClusterRoleBindings())
    ensure(ctx, 'clusterrolebindings', 'rbac.authorization.k8s.io', '', b, b.metadata?.name === 'system:node');
  ensure(ctx, 'services', '', 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: spec.serviceIP,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: spec.endpoint.port }],
      sessionAffinity: 'None',
    },
  });
  ensure(
    ctx,
    'endpoints',
    '',
    'default',
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets: [
        {
          addresses: [{ ip: spec.endpoint.ip }],
          ports: [{ name: 'https', port: spec.endpoint.port, protocol: 'TCP' }],
        },
      ],
    },
    true,
  );
}
