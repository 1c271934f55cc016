// The apiserver's admission chain in kube-apiserver's order: the built-in mutating plugins, then
// MutatingAdmissionWebhook; the validating plugins (ResourceQuota last of the built-ins), then
// ValidatingAdmissionWebhook.
import type { Clock } from '../clock.js';
import type { CrdRegistry } from '../crd/crd-registry.js';
import { CustomResourceMutation, CustomResourceValidation } from '../crd/custom-resource-admission.js';
import { ApiServiceValidation } from '../aggregation/validation.js';
import type { Authorizer } from '../authz/authorizer.js';
import type { RbacAuthorizer } from '../authz/rbac-authorizer.js';
import type { KubeletConnector } from '../http/kubelet-proxy.js';
import type { NamespaceCache } from '../registry/namespace-cache.js';
import type { ObjectStore } from '../registry/object-store.js';
import type { ResourceCatalog } from '../resources.js';
import type { AdmissionChain } from './admission.js';
import {
  CertificateSigningRequestMutation,
  CertificateSigningRequestValidation,
} from './certificate-signing-request.js';
import { DefaultTolerationSeconds } from './default-toleration-seconds.js';
import { DefaultsPlugin } from './defaults.js';
import { LimitRanger } from './limit-ranger.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';
import { NodeRestriction } from './node-restriction.js';
import { PolicyKindDefaults, PolicyKindValidation } from './policy-kinds.js';
import { RbacEscalation } from './rbac-escalation.js';
import { ResourceQuotaAdmission } from './resource-quota.js';
import { ServiceAccountAdmission } from './service-account.js';
import { ServiceAllocation } from './service-allocation.js';
import { ValidationPlugin } from './validation.js';
import { AdmissionConfigDefaults, AdmissionConfigValidation } from './webhooks/config-validation.js';
import type { AdmissionConfigurations } from './webhooks/configurations.js';
import { WebhookAdmission } from './webhooks/dispatcher.js';
import { ValidatingAdmissionPolicyPlugin } from './webhooks/validating-policy.js';

export interface AdmissionChainDeps {
  store: ObjectStore;
  catalog: ResourceCatalog;
  clock: Clock;
  config: { serviceCidr: string; nodePortRange: [number, number] };
  crds: CrdRegistry;
  rbac: RbacAuthorizer;
  authorizers: Authorizer[];
  namespaces: NamespaceCache;
  admissionConfigs: AdmissionConfigurations;
  /** How webhooks in the lab are reached (the kubelet connector's dialer). */
  kubelet(): KubeletConnector | undefined;
}

export function admissionChain(d: AdmissionChainDeps): AdmissionChain {
  const limitRanger = new LimitRanger(d.store, d.catalog);
  const namespaceOf = (name: string) => d.namespaces.get(name);
  return {
    mutating: [
      new DefaultsPlugin(),
      new PolicyKindDefaults(),
      new AdmissionConfigDefaults(),
      new CustomResourceMutation(d.crds, d.clock),
      new ServiceAccountAdmission({
        serviceAccount: (ns, name) => d.store.tryGet(d.catalog.find('', 'v1', 'serviceaccounts')!, ns, name),
      }),
      new DefaultTolerationSeconds(),
      new CertificateSigningRequestMutation(d.clock),
      limitRanger,
      new ServiceAllocation(d.store, d.catalog, {
        serviceCidr: d.config.serviceCidr,
        nodePortRange: d.config.nodePortRange,
      }),
    ],
    validating: [
      new NamespaceLifecycle(d.namespaces),
      new NodeRestriction({
        nodeUid: (name) => d.store.tryGet(d.catalog.find('', 'v1', 'nodes')!, '', name)?.metadata?.uid,
        pod: (ns, name) => d.store.tryGet(d.catalog.find('', 'v1', 'pods')!, ns, name),
      }),
      new RbacEscalation(d.authorizers, {
        rules: (kind, ns, name) => (kind === 'Role' ? d.rbac.role(ns, name) : d.rbac.clusterRole(name)),
      }),
      new ValidationPlugin(),
      new CertificateSigningRequestValidation(),
      new PolicyKindValidation(),
      new AdmissionConfigValidation(),
      limitRanger,
      new ValidatingAdmissionPolicyPlugin(d.admissionConfigs, {
        store: d.store,
        catalog: d.catalog,
        namespace: namespaceOf,
      }),
      // Last, as in kube-apiserver: only what every other plugin let through is charged.
      new ResourceQuotaAdmission(d.store, d.catalog, () => d.clock.now()),
      new CustomResourceValidation(d.crds),
      new ApiServiceValidation(),
    ],
    // MutatingAdmissionWebhook after the built-in mutating plugins, ValidatingAdmissionWebhook last.
    webhooks: new WebhookAdmission(d.admissionConfigs, {
      store: d.store,
      catalog: d.catalog,
      namespace: namespaceOf,
      dialer: d.kubelet,
    }),
  };
}
