// RBAC escalation prevention, as kube-apiserver's RBAC storage enforces it: a user may write a Role
// or ClusterRole only with permissions they already hold (or the `escalate` verb), and bind a role
// only if they hold its permissions (or the `bind` verb on it). system:masters is exempt.
import type { UserInfo } from '../authn/authenticator.js';
import { authorize, type AuthorizationAttributes, type Authorizer } from '../authz/authorizer.js';
import type { PolicyRule } from '../authz/rbac-rules.js';
import type { KObject } from '../registry/object-store.js';
import { ApiError } from '../status.js';
import type { AdmissionAttributes, ValidatingPlugin } from './admission.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface RoleLookup {
  rules(kind: 'Role' | 'ClusterRole', namespace: string, name: string): PolicyRule[] | undefined;
}

export class RbacEscalation implements ValidatingPlugin {
  readonly name = 'RBACEscalationCheck';
  constructor(
    private readonly authorizers: readonly Authorizer[],
    private readonly roles: RoleLookup,
  ) {}

  validate(a: AdmissionAttributes): void {
    if (a.resource.group !== RBAC_GROUP || !a.object || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    if (a.user.groups.includes('system:masters')) return;
    const plural = a.resource.plural;
    const namespace = a.resource.namespaced ? a.namespace : '';
    const name = a.object.metadata?.name ?? a.name;
    if (plural === 'roles' || plural === 'clusterroles') {
      if (this.allowed(a.user, { verb: 'escalate', apiGroup: RBAC_GROUP, resource: plural, namespace, name })) return;
      this.requireCovered(a, (a.object.rules ?? []) as PolicyRule[], namespace);
      return;
    }
    if (plural === 'rolebindings' || plural === 'clusterrolebindings') {
      const ref = (a.object.roleRef ?? {}) as KObject;
      const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
      if (
        this.allowed(a.user, {
          verb: 'bind',
          apiGroup: RBAC_GROUP,
          resource: roleResource,
          namespace: ref.kind === 'Role' ? namespace : '',
          name: ref.name,
        })
      )
        return;
      const rules = this.roles.rules(ref.kind === 'Role' ? 'Role' : 'ClusterRole', namespace, ref.name);
      if (!rules) {
        throw new ApiError(
          403,
          'Forbidden',
          `${plural}.${RBAC_GROUP} "${name}" is forbidden: the ${ref.kind} "${ref.name}" it binds was not found, and binding it needs the bind verb`,
          { name, group: RBAC_GROUP, kind: plural },
        );
      }
      this.requireCovered(a, rules, namespace);
    }
  }

  private allowed(
    user: UserInfo,
    x: {
      verb: string;
      apiGroup: string;
      resource: string;
      namespace: string;
      name: string;
      subresource?: string;
      path?: string;
      nonResource?: boolean;
    },
  ): boolean {
    const attrs: AuthorizationAttributes = {
      user,
      verb: x.verb,
      isResourceRequest: !x.nonResource,
      path: x.path ?? '',
      namespace: x.namespace,
      apiGroup: x.apiGroup,
      resource: x.resource,
      subresource: x.subresource ?? '',
      name: x.name,
    };
    return authorize(this.authorizers, attrs).decision === 'allow';
  }

  /** Every (group, resource, verb[, name]) a rule grants must be one the user holds in `namespace`. */
  private requireCovered(a: AdmissionAttributes, rules: PolicyRule[], namespace: string): void {
    const missing: string[] = [];
    for (const rule of rules) {
      const verbs = rule.verbs ?? [];
      if (rule.nonResourceURLs?.length) {
        for (const path of rule.nonResourceURLs)
          for (const verb of verbs)
            if (
              !this.allowed(a.user, {
                verb,
                apiGroup: '',
                resource: '',
                namespace: '',
                name: '',
                path,
                nonResource: true,
              })
            )
              missing.push(`{NonResourceURLs:["${path}"], Verbs:["${verb}"]}`);
        continue;
      }
      const names = rule.resourceNames?.length ? rule.resourceNames : [''];
      for (const group of rule.apiGroups ?? [])
        for (const res of rule.resources ?? [])
          for (const verb of verbs)
            for (const n of names) {
              const [resource, subresource] = res.split('/') as [string, string | undefined];
              if (!this.allowed(a.user, { verb, apiGroup: group, resource, subresource, namespace, name: n }))
                missing.push(
                  `{APIGroups:["${group}"], Resources:["${res}"], ${n ? `ResourceNames:["${n}"], ` : ''}Verbs:["${verb}"]}`,
                );
            }
    }
    if (missing.length) {
      const name = a.object?.metadata?.name ?? a.name;
      throw new ApiError(
        403,
        'Forbidden',
        `${a.resource.plural}.${RBAC_GROUP} "${name}" is forbidden: user "${a.user.name}" (groups=${JSON.stringify(a.user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.join('\n')}`,
        { name, group: RBAC_GROUP, kind: a.resource.plural },
      );
    }
  }
}
