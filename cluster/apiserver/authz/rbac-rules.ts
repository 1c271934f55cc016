// RBAC evaluation (rbac.authorization.k8s.io/v1): which rules a user gets from Roles, ClusterRoles
// and their bindings, and whether one rule covers a request. Pure functions over plain objects.
import type { UserInfo } from '../authn/authenticator.js';
import type { AuthorizationAttributes } from './authorizer.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount' | string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  kind: 'Role' | 'ClusterRole' | string;
  name: string;
}

export interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace?: string;
  subjects: Subject[];
  roleRef: RoleRef;
}

export interface PolicySnapshot {
  clusterRole(name: string): PolicyRule[] | undefined;
  role(namespace: string, name: string): PolicyRule[] | undefined;
  clusterRoleBindings(): Iterable<Binding>;
  roleBindings(namespace: string): Iterable<Binding>;
}

export function subjectMatches(s: Subject, user: UserInfo, bindingNamespace?: string): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${s.namespace ?? bindingNamespace}:${s.name}`;
    default:
      return false;
  }
}

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

export function ruleAllows(rule: PolicyRule, a: AuthorizationAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.isResourceRequest) {
    return (rule.nonResourceURLs ?? []).some(
      (u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, a.apiGroup)) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = rule.resources ?? [];
  const resOk = resources.some((r) => r === '*' || r === res || (a.subresource && r === `*/${a.subresource}`));
  if (!resOk) return false;
  if (rule.resourceNames && rule.resourceNames.length) return !!a.name && rule.resourceNames.includes(a.name);
  return true;
}

/** The rules that apply to the user in `namespace` ("" = cluster-wide bindings only), each with where it came from. */
export function* rulesFor(
  p: PolicySnapshot,
  user: UserInfo,
  namespace: string,
): Generator<{ rule: PolicyRule; via: string }> {
  for (const b of p.clusterRoleBindings()) {
    if (b.roleRef.kind !== 'ClusterRole' || !b.subjects.some((s) => subjectMatches(s, user))) continue;
    for (const rule of p.clusterRole(b.roleRef.name) ?? [])
      yield { rule, via: `ClusterRoleBinding "${b.name}" of ClusterRole "${b.roleRef.name}"` };
  }
  if (!namespace) return;
  for (const b of p.roleBindings(namespace)) {
    if (!b.subjects.some((s) => subjectMatches(s, user, namespace))) continue;
    const rules = b.roleRef.kind === 'ClusterRole' ? p.clusterRole(b.roleRef.name) : p.role(namespace, b.roleRef.name);
    for (const rule of rules ?? [])
      yield { rule, via: `RoleBinding "${b.name}/${namespace}" of ${b.roleRef.kind} "${b.roleRef.name}"` };
  }
}
