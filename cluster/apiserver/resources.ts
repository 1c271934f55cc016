// The resource catalog: every kind the apiserver serves, with the group, version, names, scope,
// verbs and subresources that discovery publishes and kubectl's RESTMapper relies on.

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** URL name, e.g. `pods`. */
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  verbs: Verb[];
  /** Store key folder, as kube-apiserver names it in etcd (`/registry/<storagePrefix>/...`). */
  storagePrefix: string;
  status: boolean;
  scale: boolean;
  /** metadata.generation tracks spec changes. */
  generation: boolean;
  /** Create-only kinds with no storage (SelfSubjectAccessReview). */
  virtual: boolean;
  /** Set for custom resources (served from a CustomResourceDefinition). */
  custom?: CustomResourceInfo;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
  jsonPath: string;
}

export interface CustomResourceInfo {
  /** metadata.name of the CustomResourceDefinition. */
  crd: string;
  /** additionalPrinterColumns (NAME and AGE when the definition lists none). */
  columns: PrinterColumn[];
  /** The scale subresource's paths (.spec.replicas style). */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

const ALL: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const NO_COLLECTION: Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

interface Entry {
  gv: string;
  kind: string;
  plural: string;
  short?: string[];
  categories?: string[];
  cluster?: boolean;
  verbs?: Verb[];
  storage?: string;
  status?: boolean;
  scale?: boolean;
  generation?: boolean;
  virtual?: boolean;
}

const ENTRIES: Entry[] = [
  {
    gv: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    short: ['ns'],
    cluster: true,
    verbs: NO_COLLECTION,
    status: true,
  },
  { gv: 'v1', kind: 'Pod', plural: 'pods', short: ['po'], categories: ['all'], status: true },
  { gv: 'v1', kind: 'Node', plural: 'nodes', short: ['no'], cluster: true, storage: 'minions', status: true },
  {
    gv: 'v1',
    kind: 'Service',
    plural: 'services',
    short: ['svc'],
    categories: ['all'],
    storage: 'services/specs',
    verbs: NO_COLLECTION,
    status: true,
  },
  { gv: 'v1', kind: 'Endpoints', plural: 'endpoints', short: ['ep'], storage: 'services/endpoints' },
  { gv: 'v1', kind: 'Event', plural: 'events', short: ['ev'] },
  { gv: 'v1', kind: 'ConfigMap', plural: 'configmaps', short: ['cm'] },
  { gv: 'v1', kind: 'Secret', plural: 'secrets' },
  { gv: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', short: ['sa'] },
  { gv: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', short: ['pv'], cluster: true, status: true },
  { gv: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', short: ['pvc'], status: true },
  {
    gv: 'v1',
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    short: ['rc'],
    categories: ['all'],
    storage: 'controllers',
    status: true,
    scale: true,
    generation: true,
  },
  {
    gv: 'apps/v1',
    kind: 'Deployment',
    plural: 'deployments',
    short: ['deploy'],
    categories: ['all'],
    status: true,
    scale: true,
    generation: true,
  },
  {
    gv: 'apps/v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    short: ['rs'],
    categories: ['all'],
    status: true,
    scale: true,
    generation: true,
  },
  {
    gv: 'apps/v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    short: ['ds'],
    categories: ['all'],
    status: true,
    generation: true,
  },
  {
    gv: 'apps/v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    short: ['sts'],
    categories: ['all'],
    status: true,
    scale: true,
    generation: true,
  },
  { gv: 'batch/v1', kind: 'Job', plural: 'jobs', categories: ['all'], status: true, generation: true },
  {
    gv: 'batch/v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    short: ['cj'],
    categories: ['all'],
    status: true,
    generation: true,
  },
  // Listed before v1: the first version of a group is its preferred one in discovery.
  {
    gv: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    short: ['hpa'],
    categories: ['all'],
    status: true,
    generation: true,
  },
  // autoscaling/v1, converted to and from the stored v2 (registry/version-conversion.ts).
  {
    gv: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    short: ['hpa'],
    categories: ['all'],
    status: true,
    generation: true,
  },
  { gv: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', short: ['quota'], status: true },
  { gv: 'v1', kind: 'LimitRange', plural: 'limitranges', short: ['limits'] },
  { gv: 'scheduling.k8s.io/v1', kind: 'PriorityClass', plural: 'priorityclasses', short: ['pc'], cluster: true },
  { gv: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' },
  { gv: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices' },
  {
    gv: 'networking.k8s.io/v1',
    kind: 'Ingress',
    plural: 'ingresses',
    short: ['ing'],
    storage: 'ingress',
    status: true,
    generation: true,
  },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles' },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', cluster: true },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings' },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', cluster: true },
  {
    gv: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    short: ['crd', 'crds'],
    categories: ['api-extensions'],
    cluster: true,
    status: true,
  },
  {
    gv: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    plural: 'apiservices',
    categories: ['api-extensions'],
    cluster: true,
    status: true,
  },
  // Dynamic admission: webhooks called by the apiserver, and CEL policies it evaluates itself.
  {
    gv: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    plural: 'mutatingwebhookconfigurations',
    categories: ['api-extensions'],
    cluster: true,
  },
  {
    gv: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    plural: 'validatingwebhookconfigurations',
    categories: ['api-extensions'],
    cluster: true,
  },
  {
    gv: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    plural: 'validatingadmissionpolicies',
    categories: ['api-extensions'],
    cluster: true,
    status: true,
    generation: true,
  },
  {
    gv: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    plural: 'validatingadmissionpolicybindings',
    categories: ['api-extensions'],
    cluster: true,
  },
  {
    gv: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    plural: 'certificatesigningrequests',
    short: ['csr'],
    cluster: true,
    status: true,
  },
  {
    gv: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    plural: 'selfsubjectaccessreviews',
    cluster: true,
    verbs: ['create'],
    virtual: true,
  },
  {
    gv: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    plural: 'selfsubjectrulesreviews',
    cluster: true,
    verbs: ['create'],
    virtual: true,
  },
  // What a kubelet in webhook mode asks about its callers (delegated authentication/authorization).
  {
    gv: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    plural: 'subjectaccessreviews',
    cluster: true,
    verbs: ['create'],
    virtual: true,
  },
  // `kubectl auth whoami`: the caller's own user as the authenticators saw it.
  {
    gv: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    plural: 'selfsubjectreviews',
    cluster: true,
    verbs: ['create'],
    virtual: true,
  },
  {
    gv: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    plural: 'tokenreviews',
    cluster: true,
    verbs: ['create'],
    virtual: true,
  },
  // metrics.k8s.io is served by the apiserver itself from the kubelets (http/metrics-api.ts).
  { gv: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', plural: 'nodes', cluster: true, verbs: ['get', 'list'] },
  { gv: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', plural: 'pods', verbs: ['get', 'list'] },
  {
    gv: 'policy/v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    short: ['pdb'],
    status: true,
    generation: true,
  },
];

function build(e: Entry): ResourceInfo {
  const [group, version] = e.gv.includes('/') ? (e.gv.split('/') as [string, string]) : ['', e.gv];
  return {
    group,
    version,
    kind: e.kind,
    plural: e.plural,
    singular: e.kind.toLowerCase(),
    shortNames: e.short ?? [],
    categories: e.categories ?? [],
    namespaced: !e.cluster,
    verbs: e.verbs ?? ALL,
    storagePrefix: e.storage ?? e.plural,
    status: e.status ?? false,
    scale: e.scale ?? false,
    generation: e.generation ?? false,
    virtual: e.virtual ?? false,
  };
}

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Lookup by group/version/plural, and the group-version lists that discovery serves. */
export class ResourceCatalog {
  /** Bumped on every change of the served set (custom resources come and go). */
  generation = 0;
  private readonly builtin: ResourceInfo[] = ENTRIES.map(build);
  private custom: ResourceInfo[] = [];
  private list: readonly ResourceInfo[] = this.builtin;
  private byPath = new Map<string, ResourceInfo>();
  private byKind = new Map<string, ResourceInfo>();

  constructor() {
    this.index();
  }

  get all(): readonly ResourceInfo[] {
    return this.list;
  }

  /** Replaces what one CustomResourceDefinition serves (an empty list removes it). */
  setCustom(crd: string, resources: ResourceInfo[]): void {
    const taken = resources.find((r) => this.builtin.some((b) => b.group === r.group && b.plural === r.plural));
    if (taken) throw new Error(`${taken.plural}.${taken.group} is a built-in resource`);
    this.custom = [...this.custom.filter((r) => r.custom?.crd !== crd), ...resources];
    this.index();
  }

  private index(): void {
    this.list = [...this.builtin, ...this.custom];
    this.byPath = new Map(this.list.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));
    this.byKind = new Map(this.list.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]));
    this.generation++;
  }

  find(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  byApiVersionKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  /** Group-versions in the order discovery lists them (legacy core group first). */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const r of this.all) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
    return [...seen.values()];
  }

  inGroupVersion(group: string, version: string): ResourceInfo[] {
    return this.all.filter((r) => r.group === group && r.version === version);
  }
}
