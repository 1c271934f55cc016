// The Node authorizer (kubernetes plugin/pkg/auth/authorizer/node, v1.32 with
// AuthorizeNodeWithSelectors on, its default): a node `system:node:<name>` reads Secrets,
// ConfigMaps, PVCs, PVs and ServiceAccount tokens only through pods bound to it, its own Node and
// Lease only, and pods only with a `spec.nodeName=<itself>` field selector; other resources follow
// the static node rules. Where kube-apiserver walks a graph kept by informers, this looks the
// relationship up in the store at request time (the same edges, read when asked).
import type { ResourceCatalog } from '../resources.js';
import type { KObject, ObjectStore } from '../registry/object-store.js';
import type { AuthorizationAttributes, Authorizer, Decision } from './authorizer.js';
import { nodeRules } from './bootstrap-policy.js';
import { nodeIdentity } from './node-identity.js';
import { podClaimNames, podConfigMapNames, podSecretNames, podServiceAccount } from './pod-references.js';
import { ruleAllows } from './rbac-rules.js';

const NODE_LEASE_NAMESPACE = 'kube-node-lease';
type Related = 'secret' | 'configmap' | 'pvc' | 'pv' | 'serviceaccount' | 'pod';

const allow: Decision = { decision: 'allow', reason: '' };
const noOpinion = (reason = ''): Decision => ({ decision: 'no-opinion', reason });

export class NodeAuthorizer implements Authorizer {
  readonly name = 'node';
  private readonly rules = nodeRules();

  constructor(
    private readonly store: ObjectStore,
    private readonly catalog: ResourceCatalog,
  ) {}

  authorize(a: AuthorizationAttributes): Decision {
    const node = nodeIdentity(a.user);
    if (node === undefined) return noOpinion();
    if (node === '') return noOpinion(`unknown node for user "${a.user.name}"`);
    if (a.isResourceRequest) {
      switch (`${a.apiGroup}/${a.resource}`) {
        case '/secrets':
          return this.readNamespaced(node, 'secret', a);
        case '/configmaps':
          return this.readNamespaced(node, 'configmap', a);
        case '/persistentvolumeclaims':
          return a.subresource === 'status' ? this.statusUpdate(node, a) : this.get(node, 'pvc', a);
        case '/persistentvolumes':
          return this.get(node, 'pv', a);
        case '/serviceaccounts':
          return this.createToken(node, a);
        case 'coordination.k8s.io/leases':
          return lease(node, a);
        case '/nodes':
          return ownNode(node, a);
        case '/pods':
          return this.pod(node, a);
      }
    }
    return this.rules.some((r) => ruleAllows(r, a)) ? allow : noOpinion();
  }

  private statusUpdate(node: string, a: AuthorizationAttributes): Decision {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    return this.related(node, 'pvc', a);
  }

  private get(node: string, type: Related, a: AuthorizationAttributes): Decision {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.related(node, type, a);
  }

  private readNamespaced(node: string, type: Related, a: AuthorizationAttributes): Decision {
    if (!['get', 'list', 'watch'].includes(a.verb)) return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(node, type, a);
  }

  private createToken(node: string, a: AuthorizationAttributes): Decision {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.related(node, 'serviceaccount', a);
  }

  private pod(node: string, a: AuthorizationAttributes): Decision {
    switch (a.subresource) {
      case '':
        if (a.verb === 'get') return this.get(node, 'pod', a);
        if (a.verb === 'list' || a.verb === 'watch') {
          if (exactFieldValue(a.fieldSelector, 'spec.nodeName') === node) return allow;
          if (a.name) return this.related(node, 'pod', a);
          return noOpinion('can only list/watch pods with spec.nodeName field selector');
        }
        // Mirror pods; NodeRestriction admission limits them to pods bound to this node.
        if (a.verb === 'create' || a.verb === 'delete') return allow;
        break;
      case 'status':
        if (a.verb === 'update' || a.verb === 'patch') return allow;
        break;
      case 'eviction':
        if (a.verb === 'create') return allow;
        break;
    }
    return noOpinion();
  }

  private related(node: string, type: Related, a: AuthorizationAttributes): Decision {
    if (!a.name) return noOpinion('No Object name found');
    return this.hasPath(node, type, a.namespace, a.name)
      ? allow
      : noOpinion(`no relationship found between node '${node}' and this object`);
  }

  /** Is there a path object → pod bound to `node` (→ node), as kube-apiserver's node graph has? */
  private hasPath(node: string, type: Related, namespace: string, name: string): boolean {
    if (type === 'pv') {
      // PV → PVC (claimRef) → pod. The PV names its claim; the claim must name the PV back.
      const pv = this.store.tryGet(this.res('', 'persistentvolumes'), '', name);
      const ref = (pv?.spec as KObject | undefined)?.claimRef as { namespace?: string; name?: string } | undefined;
      if (!ref?.namespace || !ref.name) return false;
      const pvc = this.store.tryGet(this.res('', 'persistentvolumeclaims'), ref.namespace, ref.name);
      if ((pvc?.spec as KObject | undefined)?.volumeName !== name) return false;
      return this.hasPath(node, 'pvc', ref.namespace, ref.name);
    }
    for (const pod of this.store.list(this.res('', 'pods'), namespace).items) {
      if ((pod.spec as KObject | undefined)?.nodeName !== node) continue;
      if (type === 'pod' && pod.metadata?.name === name) return true;
      if (type === 'secret' && podSecretNames(pod).has(name)) return true;
      if (type === 'configmap' && podConfigMapNames(pod).has(name)) return true;
      if (type === 'pvc' && podClaimNames(pod).has(name)) return true;
      if (type === 'serviceaccount' && podServiceAccount(pod) === name) return true;
    }
    return false;
  }

  private res(group: string, plural: string) {
    const r = this.catalog.all.find((x) => x.group === group && x.plural === plural);
    if (!r) throw new Error(`node authorizer: resource ${plural} is not served`);
    return r;
  }
}

function lease(node: string, a: AuthorizationAttributes): Decision {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb))
    return noOpinion('can only get, create, update, patch, or delete a node lease');
  if (a.namespace !== NODE_LEASE_NAMESPACE)
    return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
  // On create the name is in the body: NodeRestriction admission checks it.
  if (a.verb !== 'create' && a.name !== node)
    return noOpinion('can only access node lease with the same name as the requesting node');
  return allow;
}

function ownNode(node: string, a: AuthorizationAttributes): Decision {
  if (a.subresource === '') {
    // NodeRestriction admission limits writes to the node's own object.
    if (['create', 'update', 'patch'].includes(a.verb)) return allow;
    if (['get', 'list', 'watch'].includes(a.verb)) {
      if (a.name === node) return allow;
      if (a.name === '') return noOpinion(`node '${node}' cannot read all nodes, only its own Node object`);
      return noOpinion(`node '${node}' cannot read '${a.name}', only its own Node object`);
    }
  } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
    return allow;
  }
  return noOpinion();
}

/** The value of `field=v` / `field==v` in a field selector, if the selector requires exactly that. */
export function exactFieldValue(selector: string | undefined, field: string): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*([^!=\s]+)\s*(==|=)\s*(.*?)\s*$/.exec(term);
    if (m && m[1] === field) return m[3];
  }
  return undefined;
}
