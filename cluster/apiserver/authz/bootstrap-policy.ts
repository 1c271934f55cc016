// The RBAC objects kube-apiserver creates at start (plugin/pkg/auth/authorizer/rbac/bootstrappolicy),
// trimmed to what this cluster's users and agents need.
import type { KObject } from '../registry/object-store.js';
import type { PolicyRule } from './rbac-rules.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const bootstrapLabels = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const autoupdate = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

function clusterRole(name: string, rules: KObject[]): KObject {
  return {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name, labels: bootstrapLabels, annotations: autoupdate },
    rules,
  };
}

function clusterRoleBinding(name: string, role: string, subjects: KObject[]): KObject {
  return {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: bootstrapLabels, annotations: autoupdate },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  };
}

const group = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name });
const read = ['get', 'list', 'watch'];

export function bootstrapClusterRoles(): KObject[] {
  return [
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    clusterRole('system:discovery', [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/readyz',
          '/openapi',
          '/openapi/*',
          '/version',
          '/version/',
        ],
        verbs: ['get'],
      },
    ]),
    clusterRole('system:public-info-viewer', [
      { nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] },
    ]),
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]),
    clusterRole('view', [
      {
        apiGroups: ['', 'apps', 'batch', 'networking.k8s.io', 'discovery.k8s.io', 'coordination.k8s.io'],
        resources: ['*'],
        verbs: read,
      },
    ]),
    // Service-account issuer discovery (OIDC): what a relying party reads to verify the tokens.
    clusterRole('system:service-account-issuer-discovery', [
      {
        nonResourceURLs: [
          '/.well-known/openid-configuration',
          '/.well-known/openid-configuration/',
          '/openid/v1/jwks',
          '/openid/v1/jwks/',
        ],
        verbs: ['get'],
      },
    ]),
    // The static rules of the Node authorizer, published as kube-apiserver does (bound to nobody:
    // nodes get them, narrowed per object, from authz/node-authorizer.ts, not from RBAC).
    clusterRole('system:node', nodeRules()),
    // kube-proxy's role. The lab's kube-proxy and flanneld run with their node's identity (one
    // client per node), so this is bound to system:nodes; it grants no Secret and no write.
    clusterRole('system:node-proxier', [
      { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['nodes'], verbs: read },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ]),
  ];
}

export function bootstrapClusterRoleBindings(): KObject[] {
  return [
    clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterRoleBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [
      group('system:authenticated'),
      group('system:unauthenticated'),
    ]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    // No subjects, as kube-apiserver since 1.8: the Node authorizer decides for nodes. An older
    // kubewire bound it to system:nodes, which let any node read every Secret; bootstrap reconciles it.
    clusterRoleBinding('system:node', 'system:node', []),
    clusterRoleBinding('system:node-proxier', 'system:node-proxier', [group('system:nodes')]),
    clusterRoleBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [
      group('system:serviceaccounts'),
    ]),
  ];
}

/** bootstrappolicy.NodeRules() of Kubernetes v1.32, for the resources this apiserver serves. */
export function nodeRules(): PolicyRule[] {
  return [
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    {
      apiGroups: ['authorization.k8s.io'],
      resources: ['subjectaccessreviews', 'localsubjectaccessreviews'],
      verbs: ['create'],
    },
    { apiGroups: [''], resources: ['services'], verbs: read },
    { apiGroups: [''], resources: ['nodes'], verbs: ['create', 'get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['nodes/status'], verbs: ['update', 'patch'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['update', 'patch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    { apiGroups: [''], resources: ['pods'], verbs: read },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['update', 'patch'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims', 'persistentvolumes'], verbs: ['get'] },
    { apiGroups: [''], resources: ['endpoints'], verbs: ['get'] },
    {
      apiGroups: ['certificates.k8s.io'],
      resources: ['certificatesigningrequests'],
      verbs: ['create', 'get', 'list', 'watch'],
    },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'create', 'update', 'patch', 'delete'],
    },
    { apiGroups: ['storage.k8s.io'], resources: ['volumeattachments'], verbs: ['get'] },
    { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims/status'], verbs: ['get', 'update', 'patch'] },
    { apiGroups: ['storage.k8s.io'], resources: ['csinodes'], verbs: ['get', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['node.k8s.io'], resources: ['runtimeclasses'], verbs: ['get', 'list', 'watch'] },
  ];
}
