// NodeRestriction admission (kubernetes plugin/pkg/admission/noderestriction): what the Node
// authorizer lets a node write is narrowed to its own objects: its Node (no taint changes, only
// kubelet labels), its Lease, status of pods bound to it, deletion of pods bound to it, and
// creation of mirror pods only (bound to it, owned by its Node, naming no other API object).
// Messages are kube-apiserver's.
import type { KObject } from '../registry/object-store.js';
import { ApiError } from '../status.js';
import { nodeIdentity } from '../authz/node-identity.js';
import { podConfigMapNames, podSecretNames } from '../authz/pod-references.js';
import type { AdmissionAttributes, ValidatingPlugin } from './admission.js';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export interface NodeLookup {
  /** The Node's uid, or undefined when there is no such Node. */
  nodeUid(name: string): string | undefined;
  /** A pod as stored, for the pod a node's token request is bound to. */
  pod?(namespace: string, name: string): KObject | undefined;
}

/** Labels a kubelet may set on its Node (kubelet's KubeletLabels and label namespaces). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

export class NodeRestriction implements ValidatingPlugin {
  readonly name = 'NodeRestriction';
  constructor(private readonly nodes: NodeLookup) {}

  validate(a: AdmissionAttributes): void {
    const node = nodeIdentity(a.user);
    if (node === undefined) return;
    if (node === '') throw forbidden(a, `could not determine node from user "${a.user.name}"`);
    const key = `${a.resource.group}/${a.resource.plural}`;
    if (key === '/pods') return this.pod(node, a);
    if (key === '/nodes') return admitNode(node, a);
    if (key === 'coordination.k8s.io/leases') return admitLease(node, a);
    if (key === '/serviceaccounts') return this.serviceAccountToken(node, a);
  }

  /** A node's token requests must be bound to a pod scheduled on it (admitServiceAccount). */
  private serviceAccountToken(node: string, a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
    const ref = a.object?.spec?.boundObjectRef as
      { apiVersion?: string; kind?: string; name?: string; uid?: string } | undefined;
    if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name)
      throw forbidden(a, 'node requested token not bound to a pod');
    if (!ref.uid) throw forbidden(a, 'node requested token with a pod binding without a uid');
    const pod = this.nodes.pod?.(a.namespace, ref.name);
    if (!pod) throw forbidden(a, `pods "${ref.name}" not found`);
    if (pod.metadata?.uid !== ref.uid)
      throw forbidden(
        a,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    if (spec(pod).nodeName !== node)
      throw forbidden(a, 'node requested token bound to a pod scheduled on a different node');
  }

  private pod(node: string, a: AdmissionAttributes): void {
    switch (a.operation) {
      case 'CREATE':
        if (a.subresource === '') return this.podCreate(node, a);
        return;
      case 'UPDATE':
        if (a.subresource === 'status') return podStatus(node, a);
        throw forbidden(a, `unexpected operation "UPDATE", subresource "${a.subresource}"`);
      case 'DELETE':
        if (spec(a.oldObject).nodeName !== node)
          throw forbidden(a, `node "${node}" can only delete pods with spec.nodeName set to itself`);
        return;
      default:
        throw forbidden(
          a,
          `unexpected operation "${a.operation}", node "${node}" can only create and delete mirror pods`,
        );
    }
  }

  private podCreate(node: string, a: AdmissionAttributes): void {
    const pod = a.object ?? {};
    if (!Object.prototype.hasOwnProperty.call(pod.metadata?.annotations ?? {}, MIRROR_POD_ANNOTATION)) {
      throw forbidden(
        a,
        `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`,
      );
    }
    if (spec(pod).nodeName !== node)
      throw forbidden(a, `node "${node}" can only create pods with spec.nodeName set to itself`);
    const owners = (pod.metadata?.ownerReferences ?? []) as KObject[];
    if (owners.length > 1)
      throw forbidden(a, `node "${node}" can only create pods with a single owner reference set to itself`);
    if (owners.length === 0)
      throw forbidden(a, `node "${node}" can only create pods with an owner reference set to itself`);
    const owner = owners[0]!;
    if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node)
      throw forbidden(a, `node "${node}" can only create pods with an owner reference set to itself`);
    if (owner.controller !== true)
      throw forbidden(a, `node "${node}" can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion === true)
      throw forbidden(a, `node "${node}" must not set blockOwnerDeletion on an owner reference`);
    const uid = this.nodes.nodeUid(node);
    if (uid === undefined)
      throw new ApiError(404, 'NotFound', `nodes "${node}" not found`, { name: node, kind: 'nodes' });
    if (owner.uid !== uid)
      throw forbidden(a, `node ${node} UID mismatch: expected ${uid} got ${String(owner.uid ?? '')}`);
    if (spec(pod).serviceAccountName)
      throw forbidden(a, `node "${node}" can not create pods that reference a service account`);
    if (podSecretNames(pod).size > 0) throw forbidden(a, `node "${node}" can not create pods that reference secrets`);
    if (podConfigMapNames(pod).size > 0)
      throw forbidden(a, `node "${node}" can not create pods that reference configmaps`);
    for (const v of (spec(pod).volumes ?? []) as KObject[]) {
      if (v.persistentVolumeClaim)
        throw forbidden(a, `node "${node}" can not create pods that reference persistentvolumeclaims`);
    }
  }
}

function podStatus(node: string, a: AdmissionAttributes): void {
  if (spec(a.oldObject).nodeName !== node)
    throw forbidden(a, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
  if (!sameMap(a.oldObject?.metadata?.labels, a.object?.metadata?.labels))
    throw forbidden(a, `node "${node}" cannot update labels through pod status`);
}

function admitNode(node: string, a: AdmissionAttributes): void {
  const requested = a.name || (a.object?.metadata?.name ?? '');
  if (requested !== node) throw forbidden(a, `node "${node}" is not allowed to modify node "${requested}"`);
  if (a.operation === 'CREATE') {
    const bad = forbiddenLabels(modifiedLabels(a.object?.metadata?.labels, undefined));
    if (bad.length) throw forbidden(a, `node "${node}" is not allowed to set the following labels: ${bad.join(', ')}`);
  }
  if (a.operation === 'UPDATE') {
    if (JSON.stringify(spec(a.object).taints ?? []) !== JSON.stringify(spec(a.oldObject).taints ?? []))
      throw forbidden(a, `node "${node}" is not allowed to modify taints`);
    const bad = forbiddenLabels(modifiedLabels(a.object?.metadata?.labels, a.oldObject?.metadata?.labels));
    if (bad.length) throw forbidden(a, `is not allowed to modify labels: ${bad.join(', ')}`);
  }
}

function admitLease(node: string, a: AdmissionAttributes): void {
  if (a.namespace !== 'kube-node-lease')
    throw forbidden(a, 'can only access leases in the "kube-node-lease" system namespace');
  const name = a.operation === 'CREATE' ? a.object?.metadata?.name : a.name;
  if (name !== node) throw forbidden(a, 'can only access node lease with the same name as the requesting node');
}

function spec(o: KObject | undefined): KObject {
  return (o?.spec ?? {}) as KObject;
}

function sameMap(x: Record<string, string> | undefined, y: Record<string, string> | undefined): boolean {
  const a = x ?? {};
  const b = y ?? {};
  return Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);
}

/** Keys added, removed or changed between two label maps (noderestriction's getModifiedLabels). */
function modifiedLabels(
  now: Record<string, string> | undefined,
  before: Record<string, string> | undefined,
): Set<string> {
  const a = now ?? {};
  const b = before ?? {};
  const out = new Set<string>();
  for (const k of Object.keys(a)) if (a[k] !== b[k]) out.add(k);
  for (const k of Object.keys(b)) if (!(k in a)) out.add(k);
  return out;
}

/** Labels in the kubernetes.io / k8s.io namespaces a kubelet may not set, sorted as sets.List does. */
function forbiddenLabels(keys: Set<string>): string[] {
  const out: string[] = [];
  for (const key of keys) {
    const slash = key.indexOf('/');
    const ns = slash < 0 ? '' : key.slice(0, slash);
    if (ns === 'node-restriction.kubernetes.io' || ns.endsWith('.node-restriction.kubernetes.io')) {
      out.push(key);
      continue;
    }
    const k8s = ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
    if (!k8s || KUBELET_LABELS.has(key)) continue;
    if (KUBELET_LABEL_NAMESPACES.some((n) => ns === n || ns.endsWith(`.${n}`))) continue;
    out.push(key);
  }
  return out.sort();
}

/** admission.NewForbidden: `<resource>[.<group>] "<name>" is forbidden: <reason>`. */
function forbidden(a: AdmissionAttributes, reason: string): ApiError {
  const name = a.name || (a.object?.metadata?.name ?? '');
  const resource = a.resource.group ? `${a.resource.plural}.${a.resource.group}` : a.resource.plural;
  const message = name ? `${resource} "${name}" is forbidden: ${reason}` : `${resource} is forbidden: ${reason}`;
  return new ApiError(403, 'Forbidden', message, {
    name: name || undefined,
    group: a.resource.group || undefined,
    kind: a.resource.plural,
  });
}
