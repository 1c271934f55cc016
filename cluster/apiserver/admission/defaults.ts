// Defaulting, as the API types' SetDefaults_* functions fill what a manifest leaves out, so that
// objects read back the way kubectl and controllers expect (pods, services, workloads).
import type { KObject } from '../registry/object-store.js';
import type { AdmissionAttributes, MutatingPlugin } from './admission.js';

type O = Record<string, any>;

const objects = (list: unknown): O[] =>
  Array.isArray(list) ? list.filter((x): x is O => !!x && typeof x === 'object') : [];

export function defaultContainer(c: O): void {
  if (!c || typeof c !== 'object') return;
  if (c.image && c.imagePullPolicy === undefined) {
    const tag = /:[^/]+$/.exec(c.image)?.[0];
    c.imagePullPolicy = !tag || tag === ':latest' ? 'Always' : 'IfNotPresent';
  }
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of objects(c.ports)) p.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!probe) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (probe.httpGet) {
      probe.httpGet.path ??= '/';
      probe.httpGet.scheme ??= 'HTTP';
    }
  }
}

export function defaultPodSpec(spec: O | undefined): void {
  if (!spec || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of objects(spec.containers)) defaultContainer(c);
  for (const c of objects(spec.initContainers)) defaultContainer(c);
  for (const v of objects(spec.volumes)) {
    if (v.configMap) v.configMap.defaultMode ??= 420;
    if (v.secret) v.secret.defaultMode ??= 420;
  }
}

function defaultTemplate(t: O | undefined): void {
  if (!t || typeof t !== 'object') return;
  t.metadata ??= {};
  defaultPodSpec(t.spec);
}

function defaultService(spec: O | undefined): void {
  if (!spec || typeof spec !== 'object') return;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.type !== 'ExternalName') {
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  for (const p of objects(spec.ports)) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined && p.port !== undefined) p.targetPort = p.port;
  }
}

function defaultDeployment(obj: O): void {
  const s = (obj.spec ??= {});
  s.replicas ??= 1;
  s.revisionHistoryLimit ??= 10;
  s.progressDeadlineSeconds ??= 600;
  s.strategy ??= {};
  s.strategy.type ??= 'RollingUpdate';
  if (s.strategy.type === 'RollingUpdate') {
    s.strategy.rollingUpdate ??= {};
    s.strategy.rollingUpdate.maxUnavailable ??= '25%';
    s.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  defaultTemplate(s.template);
}

function defaultJob(obj: O): void {
  const s = (obj.spec ??= {});
  s.parallelism ??= 1;
  s.completions ??= s.completionMode === 'Indexed' ? s.parallelism : 1;
  s.backoffLimit ??= 6;
  s.completionMode ??= 'NonIndexed';
  s.suspend ??= false;
  s.podReplacementPolicy ??= 'TerminatingOrFailed';
  if (s.template?.spec) s.template.spec.restartPolicy ??= 'Never';
  // The job controller's own selector: batch.kubernetes.io/controller-uid on selector and template.
  const uid = obj.metadata?.uid;
  if (uid && !s.manualSelector && !s.selector) {
    s.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    s.template ??= {};
    s.template.metadata ??= {};
    s.template.metadata.labels = {
      ...(s.template.metadata.labels ?? {}),
      'batch.kubernetes.io/controller-uid': uid,
      'controller-uid': uid,
      'batch.kubernetes.io/job-name': obj.metadata.name,
      'job-name': obj.metadata.name,
    };
  }
  defaultTemplate(s.template);
}

/** Fills defaults on the object being created or updated. */
export function applyDefaults(plural: string, obj: KObject): void {
  switch (plural) {
    case 'pods':
      defaultPodSpec(obj.spec);
      if (obj.spec) {
        // Set on pods (not templates) by the Priority admission plugin and pod defaulting.
        obj.spec.enableServiceLinks ??= true;
        obj.spec.preemptionPolicy ??= 'PreemptLowerPriority';
        obj.spec.priority ??= 0;
      }
      break;
    case 'services':
      defaultService(obj.spec);
      break;
    case 'deployments':
      defaultDeployment(obj);
      break;
    case 'replicasets':
    case 'replicationcontrollers': {
      const s = (obj.spec ??= {});
      s.replicas ??= 1;
      if (plural === 'replicationcontrollers' && !s.selector && s.template?.metadata?.labels)
        s.selector = { ...s.template.metadata.labels };
      defaultTemplate(s.template);
      break;
    }
    case 'daemonsets': {
      const s = (obj.spec ??= {});
      s.revisionHistoryLimit ??= 10;
      s.updateStrategy ??= { type: 'RollingUpdate' };
      if (s.updateStrategy.type === 'RollingUpdate')
        s.updateStrategy.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
      defaultTemplate(s.template);
      break;
    }
    case 'statefulsets': {
      const s = (obj.spec ??= {});
      s.replicas ??= 1;
      s.podManagementPolicy ??= 'OrderedReady';
      s.revisionHistoryLimit ??= 10;
      s.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      s.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      defaultTemplate(s.template);
      break;
    }
    case 'jobs':
      defaultJob(obj);
      break;
    case 'secrets':
      obj.type ??= 'Opaque';
      break;
    case 'persistentvolumes':
      obj.spec ??= {};
      obj.spec.persistentVolumeReclaimPolicy ??= 'Retain';
      obj.spec.volumeMode ??= 'Filesystem';
      break;
    case 'persistentvolumeclaims':
      obj.spec ??= {};
      obj.spec.volumeMode ??= 'Filesystem';
      break;
    case 'nodes':
      obj.spec ??= {};
      break;
    case 'events':
      obj.type ??= 'Normal';
      obj.count ??= 1;
      break;
  }
}

export class DefaultsPlugin implements MutatingPlugin {
  readonly name = 'Defaults';
  admit(a: AdmissionAttributes): void {
    // Custom resources are defaulted by their schema (crd/), whatever their plural.
    if (
      a.object &&
      !a.resource.custom &&
      (a.operation === 'CREATE' || a.operation === 'UPDATE') &&
      a.subresource === ''
    )
      applyDefaults(a.resource.plural, a.object);
  }
}

/** ServiceAccount admission, the cheap part: pods run as "default" unless they say otherwise. */
