// The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount): a pod that names no
// account runs as `default`; unless automounting is turned off (on the pod, else on the account) it
// gets the `kube-api-access-<random>` projected volume — a bound token the kubelet requests and
// refreshes, the cluster CA from the kube-root-ca.crt ConfigMap and its namespace — mounted
// read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container, which is where
// client libraries look for in-cluster credentials. The account's imagePullSecrets are copied too.
import { randomInt } from 'node:crypto';
import type { KObject } from '../registry/object-store.js';
import type { AdmissionAttributes, MutatingPlugin } from './admission.js';

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** The kubelet asks for 3607 s: one hour plus a margin kube-apiserver recognises as "kubelet's". */
export const TOKEN_EXPIRATION_SECONDS = 3607;

export interface ServiceAccountLookup {
  serviceAccount(namespace: string, name: string): KObject | undefined;
}

// utilrand.String's alphabet (no vowels, no look-alikes), as the volume name suffix uses.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export class ServiceAccountAdmission implements MutatingPlugin {
  readonly name = 'ServiceAccount';

  constructor(private readonly lookup: ServiceAccountLookup) {}

  admit(a: AdmissionAttributes): void {
    if (a.resource.plural !== 'pods' || a.operation !== 'CREATE' || a.subresource) return;
    if (!a.object?.spec || typeof a.object.spec !== 'object' || Array.isArray(a.object.spec)) return;
    // A mirror pod's spec is the kubelet's static manifest: changing it would make the kubelet
    // recreate it forever, and NodeRestriction forbids it to name a ServiceAccount.
    if (Object.prototype.hasOwnProperty.call(a.object.metadata?.annotations ?? {}, 'kubernetes.io/config.mirror'))
      return;
    const spec = a.object.spec;
    spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
    spec.serviceAccount = spec.serviceAccountName;
    // kube-apiserver refuses a pod whose account does not exist yet; here the pod is admitted (the
    // account may follow from the ServiceAccount controller) and the kubelet's token request
    // waits for it, so that a namespace's first pods do not race the controller.
    const sa = this.lookup.serviceAccount(a.namespace, spec.serviceAccountName);
    if (!spec.imagePullSecrets?.length && sa?.imagePullSecrets?.length)
      spec.imagePullSecrets = sa.imagePullSecrets.map((s: { name: string }) => ({ name: s.name }));
    const automount = spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
    if (!automount) return;
    // Malformed entries are left for validation to refuse (422, not a crash here).
    const list = (v: unknown): KObject[] =>
      Array.isArray(v) ? v.filter((c): c is KObject => !!c && typeof c === 'object' && !Array.isArray(c)) : [];
    const containers = [...list(spec.initContainers), ...list(spec.containers)];
    if (spec.volumes !== undefined && !Array.isArray(spec.volumes)) return;
    if (containers.some((c) => c.volumeMounts !== undefined && !Array.isArray(c.volumeMounts))) return;
    const mounted = (c: KObject) =>
      (c.volumeMounts ?? []).some((m: { mountPath?: string }) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH);
    if (containers.every(mounted)) return;
    const volumes = (spec.volumes ??= []) as KObject[];
    const name = `kube-api-access-${Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;
    volumes.push(tokenVolume(name));
    for (const c of containers)
      if (!mounted(c)) (c.volumeMounts ??= []).push({ name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH });
  }
}

/** The projected volume kube-apiserver adds (TokenVolumeSource in the Go plugin). */
export function tokenVolume(name: string): KObject {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
      defaultMode: 420,
    },
  };
}
