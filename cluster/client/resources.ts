// Where each kind lives in the REST API: group, version, plural resource name, scope. The same
// facts `kubectl api-resources` prints; the typed client builds its paths from these.

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, lower-case, as in the URL: `pods`, `deployments`. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

const core = (resource: string, kind: string, namespaced = true): ResourceType => ({
  group: '',
  version: 'v1',
  resource,
  kind,
  namespaced,
});
const apps = (resource: string, kind: string): ResourceType => ({
  group: 'apps',
  version: 'v1',
  resource,
  kind,
  namespaced: true,
});

export const Resources = {
  namespaces: core('namespaces', 'Namespace', false),
  nodes: core('nodes', 'Node', false),
  pods: core('pods', 'Pod'),
  services: core('services', 'Service'),
  endpoints: core('endpoints', 'Endpoints'),
  events: core('events', 'Event'),
  configmaps: core('configmaps', 'ConfigMap'),
  secrets: core('secrets', 'Secret'),
  serviceaccounts: core('serviceaccounts', 'ServiceAccount'),
  persistentvolumes: core('persistentvolumes', 'PersistentVolume', false),
  persistentvolumeclaims: core('persistentvolumeclaims', 'PersistentVolumeClaim'),
  replicationcontrollers: core('replicationcontrollers', 'ReplicationController'),
  deployments: apps('deployments', 'Deployment'),
  replicasets: apps('replicasets', 'ReplicaSet'),
  daemonsets: apps('daemonsets', 'DaemonSet'),
  statefulsets: apps('statefulsets', 'StatefulSet'),
  jobs: { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true },
  cronjobs: { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', namespaced: true },
  horizontalpodautoscalers: {
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
  },
  resourcequotas: core('resourcequotas', 'ResourceQuota'),
  limitranges: core('limitranges', 'LimitRange'),
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true },
  certificatesigningrequests: {
    group: 'certificates.k8s.io',
    version: 'v1',
    resource: 'certificatesigningrequests',
    kind: 'CertificateSigningRequest',
    namespaced: false,
  },
  endpointslices: {
    group: 'discovery.k8s.io',
    version: 'v1',
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
} as const satisfies Record<string, ResourceType>;

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/**
 * The URL path of a collection or an object: `/api/v1/namespaces/default/pods/x/status`.
 * `namespace` undefined on a namespaced type means "across all namespaces" (list/watch only).
 */
export function resourcePath(rt: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  let p = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  if (rt.namespaced && namespace !== undefined) p += `/namespaces/${encodeSegment(namespace, 'namespace')}`;
  p += `/${rt.resource}`;
  if (name !== undefined) p += `/${encodeSegment(name, 'name')}`;
  if (subresource !== undefined) p += `/${encodeSegment(subresource, 'subresource')}`;
  return p;
}

function encodeSegment(s: string, what: string): string {
  if (s === '' || s === '.' || s === '..' || s.includes('/')) {
    throw new TypeError(`${what} ${JSON.stringify(s)} cannot be a path segment`);
  }
  return encodeURIComponent(s);
}
