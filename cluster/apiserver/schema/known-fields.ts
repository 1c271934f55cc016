// Which fields each kind declares, for strict field validation: the object shapes of the
// Kubernetes API types that manifests commonly carry. `ANY` marks a subtree whose fields are not
// listed here (it is accepted as is), so an unlisted corner never rejects a valid manifest.

type Shape = { [field: string]: Field };
type Field = typeof ANY | typeof LEAF | Shape | { list: Field } | { map: Field };

const ANY = '*' as const;
const LEAF = '.' as const;
const list = (f: Field) => ({ list: f });
const map = (f: Field) => ({ map: f });
const leaves = (...names: string[]): Shape => Object.fromEntries(names.map((n) => [n, LEAF]));

const ownerReference: Shape = leaves('apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion');
const objectMeta: Shape = {
  ...leaves('name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'),
  labels: map(LEAF),
  annotations: map(LEAF),
  finalizers: list(LEAF),
  ownerReferences: list(ownerReference),
  managedFields: list(ANY),
};
const labelSelector: Shape = { matchLabels: map(LEAF), matchExpressions: list(leaves('key', 'operator', 'values')) };
const keySelector = leaves('key', 'name', 'optional');
const envVar: Shape = {
  ...leaves('name', 'value'),
  valueFrom: { configMapKeyRef: keySelector, secretKeyRef: keySelector, fieldRef: leaves('apiVersion', 'fieldPath'), resourceFieldRef: leaves('containerName', 'resource', 'divisor') },
};
const probe: Shape = {
  ...leaves('initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'),
  exec: { command: list(LEAF) },
  httpGet: { ...leaves('path', 'port', 'host', 'scheme'), httpHeaders: list(leaves('name', 'value')) },
  tcpSocket: leaves('port', 'host'),
  grpc: leaves('port', 'service'),
};
const container: Shape = {
  ...leaves('name', 'image', 'workingDir', 'imagePullPolicy', 'terminationMessagePath', 'terminationMessagePolicy', 'stdin', 'stdinOnce', 'tty', 'restartPolicy'),
  command: list(LEAF),
  args: list(LEAF),
  ports: list(leaves('name', 'hostPort', 'containerPort', 'protocol', 'hostIP')),
  envFrom: list({ prefix: LEAF, configMapRef: leaves('name', 'optional'), secretRef: leaves('name', 'optional') }),
  env: list(envVar),
  resources: { limits: map(LEAF), requests: map(LEAF), claims: list(ANY) },
  resizePolicy: list(ANY),
  volumeMounts: list(leaves('name', 'readOnly', 'recursiveReadOnly', 'mountPath', 'subPath', 'mountPropagation', 'subPathExpr')),
  volumeDevices: list(leaves('name', 'devicePath')),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: ANY,
  securityContext: ANY,
};
const volume: Shape = {
  name: LEAF,
  ...Object.fromEntries(
    ['hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image'].map((k) => [k, ANY]),
  ),
};
const podSpec: Shape = {
  ...leaves('restartPolicy', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'dnsPolicy', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'hostname', 'subdomain', 'schedulerName', 'priorityClassName', 'priority', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'setHostnameAsFQDN', 'hostUsers'),
  volumes: list(volume),
  initContainers: list(container),
  containers: list(container),
  ephemeralContainers: list(ANY),
  nodeSelector: map(LEAF),
  securityContext: ANY,
  imagePullSecrets: list(leaves('name')),
  affinity: ANY,
  tolerations: list(leaves('key', 'operator', 'value', 'effect', 'tolerationSeconds')),
  hostAliases: list({ ip: LEAF, hostnames: list(LEAF) }),
  dnsConfig: ANY,
  readinessGates: list(leaves('conditionType')),
  overhead: map(LEAF),
  topologySpreadConstraints: list(ANY),
  os: leaves('name'),
  schedulingGates: list(leaves('name')),
  resourceClaims: list(ANY),
  resources: ANY,
};
const podTemplate: Shape = { metadata: objectMeta, spec: podSpec };
const top = (rest: Shape): Shape => ({ apiVersion: LEAF, kind: LEAF, metadata: objectMeta, ...rest });

const SHAPES: Record<string, Shape> = {
  pods: top({ spec: podSpec, status: ANY }),
  deployments: top({
    spec: { ...leaves('replicas', 'minReadySeconds', 'revisionHistoryLimit', 'paused', 'progressDeadlineSeconds'), selector: labelSelector, template: podTemplate, strategy: { type: LEAF, rollingUpdate: leaves('maxUnavailable', 'maxSurge') } },
    status: ANY,
  }),
  replicasets: top({ spec: { ...leaves('replicas', 'minReadySeconds'), selector: labelSelector, template: podTemplate }, status: ANY }),
  replicationcontrollers: top({ spec: { ...leaves('replicas', 'minReadySeconds'), selector: map(LEAF), template: podTemplate }, status: ANY }),
  daemonsets: top({ spec: { ...leaves('minReadySeconds', 'revisionHistoryLimit'), selector: labelSelector, template: podTemplate, updateStrategy: ANY }, status: ANY }),
  statefulsets: top({
    spec: { ...leaves('replicas', 'serviceName', 'podManagementPolicy', 'revisionHistoryLimit', 'minReadySeconds'), selector: labelSelector, template: podTemplate, volumeClaimTemplates: list(ANY), updateStrategy: ANY, persistentVolumeClaimRetentionPolicy: ANY, ordinals: ANY },
    status: ANY,
  }),
  jobs: top({
    spec: { ...leaves('parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'manualSelector', 'ttlSecondsAfterFinished', 'completionMode', 'suspend', 'podReplacementPolicy', 'managedBy'), selector: labelSelector, template: podTemplate, podFailurePolicy: ANY, successPolicy: ANY },
    status: ANY,
  }),
  services: top({
    spec: {
      ...leaves('clusterIP', 'type', 'sessionAffinity', 'loadBalancerIP', 'externalName', 'externalTrafficPolicy', 'healthCheckNodePort', 'publishNotReadyAddresses', 'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass', 'internalTrafficPolicy', 'trafficDistribution'),
      ports: list(leaves('name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort')),
      selector: map(LEAF),
      clusterIPs: list(LEAF),
      externalIPs: list(LEAF),
      loadBalancerSourceRanges: list(LEAF),
      ipFamilies: list(LEAF),
      sessionAffinityConfig: ANY,
    },
    status: ANY,
  }),
  configmaps: top({ data: map(LEAF), binaryData: map(LEAF), immutable: LEAF }),
  secrets: top({ data: map(LEAF), stringData: map(LEAF), type: LEAF, immutable: LEAF }),
  namespaces: top({ spec: { finalizers: list(LEAF) }, status: ANY }),
  serviceaccounts: top({ secrets: list(ANY), imagePullSecrets: list(leaves('name')), automountServiceAccountToken: LEAF }),
};

/** Dotted paths (`spec.template.spec.containers[0].imagee`) of fields `obj` has and its kind does not. */
export function unknownFields(plural: string, obj: unknown): string[] {
  const shape = SHAPES[plural];
  if (!shape) return [];
  const out: string[] = [];
  walk(shape, obj, '', out);
  return out;
}

function walk(f: Field, v: unknown, path: string, out: string[]): void {
  if (f === ANY || f === LEAF || v === null || v === undefined || typeof v !== 'object') return;
  if ('list' in f && typeof (f as { list: Field }).list !== 'undefined' && Object.keys(f).length === 1) {
    if (Array.isArray(v)) v.forEach((e, i) => walk((f as { list: Field }).list, e, `${path}[${i}]`, out));
    return;
  }
  if ('map' in f && Object.keys(f).length === 1) {
    for (const [k, e] of Object.entries(v)) walk((f as { map: Field }).map, e, `${path}[${k}]`, out);
    return;
  }
  if (Array.isArray(v)) return;
  for (const [k, e] of Object.entries(v)) {
    const sub = (f as Shape)[k];
    const p = path ? `${path}.${k}` : k;
    if (sub === undefined) out.push(p);
    else walk(sub, e, p, out);
  }
}
