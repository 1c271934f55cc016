// The RBAC authorizer: keeps Roles, ClusterRoles and bindings in memory from a list + watch of the
// store (as kube-apiserver's RBAC informers do) and allows a request when some bound rule covers it.
import type { ResourceCatalog } from '../resources.js';
import type { KObject, ObjectEvent, ObjectStore } from '../registry/object-store.js';
import type { AuthorizationAttributes, Authorizer, Decision } from './authorizer.js';
import { ruleAllows, rulesFor, type Binding, type PolicyRule, type PolicySnapshot } from './rbac-rules.js';

const KINDS = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'] as const;

export class RbacAuthorizer implements Authorizer, PolicySnapshot {
  readonly name = 'rbac';
  private readonly maps = new Map<string, Map<string, KObject>>(KINDS.map((k) => [k, new Map()]));
  private readonly disposers: (() => void)[] = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly catalog: ResourceCatalog,
  ) {}

  /** Loads the policy and follows changes; returns the disposer. */
  start(): () => void {
    for (const plural of KINDS) {
      const r = this.catalog.find('rbac.authorization.k8s.io', 'v1', plural)!;
      const map = this.maps.get(plural)!;
      const list = this.store.list(r, '');
      for (const o of list.items) map.set(keyOf(o), o);
      const apply = (events: ObjectEvent[]) => {
        for (const e of events) {
          if (e.type === 'DELETED') map.delete(keyOf(e.object));
          else map.set(keyOf(e.object), e.object);
        }
      };
      const w = this.store.watch(r, '', Number(list.resourceVersion), apply, () => this.resync(plural));
      this.disposers.push(() => w.stop());
    }
    return () => this.disposers.splice(0).forEach((d) => d());
  }

  /** Applies a write at once, so that a request right after creating a binding sees it. */
  observe(plural: string, obj: KObject, deleted: boolean): void {
    const map = this.maps.get(plural);
    if (!map) return;
    if (deleted) map.delete(keyOf(obj));
    else map.set(keyOf(obj), obj);
  }

  authorize(a: AuthorizationAttributes): Decision {
    for (const { rule, via } of rulesFor(this, a.user, a.namespace)) {
      if (ruleAllows(rule, a)) return { decision: 'allow', reason: `RBAC: allowed by ${via} to User "${a.user.name}"` };
    }
    return { decision: 'no-opinion', reason: '' };
  }

  clusterRole(name: string): PolicyRule[] | undefined {
    return this.maps.get('clusterroles')!.get(name)?.rules ?? undefined;
  }
  role(namespace: string, name: string): PolicyRule[] | undefined {
    return this.maps.get('roles')!.get(`${namespace}/${name}`)?.rules ?? undefined;
  }
  *clusterRoleBindings(): Iterable<Binding> {
    for (const o of this.maps.get('clusterrolebindings')!.values()) yield toBinding('ClusterRoleBinding', o);
  }
  *roleBindings(namespace: string): Iterable<Binding> {
    for (const o of this.maps.get('rolebindings')!.values())
      if (o.metadata?.namespace === namespace) yield toBinding('RoleBinding', o);
  }

  private resync(plural: string): void {
    const r = this.catalog.find('rbac.authorization.k8s.io', 'v1', plural)!;
    const map = this.maps.get(plural)!;
    map.clear();
    for (const o of this.store.list(r, '').items) map.set(keyOf(o), o);
  }
}

function keyOf(o: KObject): string {
  return o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata?.name;
}

function toBinding(kind: Binding['kind'], o: KObject): Binding {
  return {
    kind,
    name: o.metadata?.name,
    namespace: o.metadata?.namespace,
    subjects: o.subjects ?? [],
    roleRef: o.roleRef ?? { kind: '', name: '' },
  };
}
