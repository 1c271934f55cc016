// The patchStrategy/patchMergeKey tags of the Kubernetes Go types that strategic merge patch reads:
// which lists merge by which key (containers by name, ports by containerPort, …), which fields
// retain keys. A tree per kind; fields not listed behave as plain JSON (lists replace).

export interface FieldMeta {
  /** Lists: merge elements by this key (absent: primitive list merged by value when strategy is merge). */
  mergeKey?: string;
  strategy?: 'merge' | 'retainKeys' | 'merge,retainKeys';
  /** Schema of the field's value, or of each list element. */
  fields?: TypeMeta;
}

export type TypeMeta = { [field: string]: FieldMeta };

const merge = (mergeKey: string, fields?: TypeMeta): FieldMeta => ({ mergeKey, strategy: 'merge', fields });
const nested = (fields: TypeMeta): FieldMeta => ({ fields });

const objectMeta: TypeMeta = {
  finalizers: { strategy: 'merge' },
  ownerReferences: merge('uid'),
};

const container: TypeMeta = {
  ports: merge('containerPort'),
  env: merge('name'),
  volumeMounts: merge('mountPath'),
  volumeDevices: merge('devicePath'),
  resizePolicy: { strategy: undefined },
};

const podSpec: TypeMeta = {
  containers: merge('name', container),
  initContainers: merge('name', container),
  ephemeralContainers: merge('name', container),
  volumes: { mergeKey: 'name', strategy: 'merge,retainKeys' },
  imagePullSecrets: merge('name'),
  hostAliases: merge('ip'),
  topologySpreadConstraints: merge('topologyKey'),
  schedulingGates: merge('name'),
  resourceClaims: { mergeKey: 'name', strategy: 'merge,retainKeys' },
};

const conditions = merge('type');

const podStatus: TypeMeta = {
  conditions,
  podIPs: merge('ip'),
  hostIPs: merge('ip'),
};

const podTemplateSpec: TypeMeta = { metadata: nested(objectMeta), spec: nested(podSpec) };

const workloadStatus: TypeMeta = { conditions };

const deploymentSpec: TypeMeta = {
  template: nested(podTemplateSpec),
  strategy: { strategy: 'retainKeys' },
};

const templated: TypeMeta = { template: nested(podTemplateSpec) };

const serviceSpec: TypeMeta = {
  ports: merge('port'),
};

const nodeStatus: TypeMeta = {
  conditions,
  addresses: merge('type'),
};

const nodeSpec: TypeMeta = { podCIDRs: { strategy: 'merge' } };

const withMeta = (rest: TypeMeta): TypeMeta => ({ metadata: nested(objectMeta), ...rest });

const BY_RESOURCE: Record<string, TypeMeta> = {
  pods: withMeta({ spec: nested(podSpec), status: nested(podStatus) }),
  deployments: withMeta({ spec: nested(deploymentSpec), status: nested(workloadStatus) }),
  replicasets: withMeta({ spec: nested(templated), status: nested(workloadStatus) }),
  replicationcontrollers: withMeta({ spec: nested(templated), status: nested(workloadStatus) }),
  daemonsets: withMeta({
    spec: nested({ ...templated, updateStrategy: { strategy: 'retainKeys' } }),
    status: nested(workloadStatus),
  }),
  statefulsets: withMeta({ spec: nested(templated), status: nested(workloadStatus) }),
  jobs: withMeta({ spec: nested(templated), status: nested(workloadStatus) }),
  services: withMeta({ spec: nested(serviceSpec), status: nested({ conditions }) }),
  nodes: withMeta({ spec: nested(nodeSpec), status: nested(nodeStatus) }),
  namespaces: withMeta({ status: nested({ conditions }) }),
  persistentvolumeclaims: withMeta({ status: nested({ conditions }) }),
  ingresses: withMeta({}),
  mutatingwebhookconfigurations: withMeta({ webhooks: merge('name') }),
  validatingwebhookconfigurations: withMeta({ webhooks: merge('name') }),
};

export function patchMetaFor(plural: string): TypeMeta {
  return BY_RESOURCE[plural] ?? withMeta({});
}
