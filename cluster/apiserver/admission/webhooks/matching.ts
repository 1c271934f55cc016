// Which admission webhooks and policies a request concerns, as k8s.io/apiserver's predicates decide
// it: a rule (operations, apiGroups, apiVersions, resources with `res/sub` and `*`, scope), the
// namespaceSelector (the namespace's labels; a Namespace request uses its own), the objectSelector
// (the new or the old object's labels), and matchPolicy Equivalent (the same objects served under
// another group-version match too, and the webhook gets them in the version its rule names).
import type { KObject } from '../../registry/object-store.js';
import type { ResourceCatalog, ResourceInfo } from '../../resources.js';
import { selectorMatches } from '../../selectors/selector-object.js';
import type { AdmissionAttributes } from '../admission.js';

export interface Rule {
  operations: string[];
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  scope?: string;
}

export interface NamedRule extends Rule {
  resourceNames?: string[];
}

type Selector = Parameters<typeof selectorMatches>[0];

/** The resource a rule is matched against (the request's, or an equivalent one). */
export interface MatchTarget {
  group: string;
  version: string;
  resource: string;
  subresource: string;
  operation: string;
  namespace: string;
  isNamespace: boolean;
}

function exactOrWildcard(items: readonly string[] | undefined, requested: string): boolean {
  return (items ?? []).some((i) => i === '*' || i === requested);
}

export function ruleMatches(rule: Rule, t: MatchTarget): boolean {
  const scope = rule.scope ?? '*';
  if (scope === 'Namespaced' && (t.isNamespace || !t.namespace)) return false;
  if (scope === 'Cluster' && !(t.isNamespace || !t.namespace)) return false;
  if (scope !== '*' && scope !== 'Namespaced' && scope !== 'Cluster') return false;
  if (!(rule.operations ?? []).some((op) => op === '*' || op === t.operation)) return false;
  if (!exactOrWildcard(rule.apiGroups, t.group) || !exactOrWildcard(rule.apiVersions, t.version)) return false;
  return (rule.resources ?? []).some((r) => {
    const slash = r.indexOf('/');
    const res = slash < 0 ? r : r.slice(0, slash);
    const sub = slash < 0 ? '' : r.slice(slash + 1);
    return (res === '*' || res === t.resource) && (sub === '*' || sub === t.subresource);
  });
}

export function targetOf(a: AdmissionAttributes, r: ResourceInfo = a.resource): MatchTarget {
  return {
    group: r.group,
    version: r.version,
    resource: r.plural,
    subresource: a.subresource,
    operation: a.operation,
    namespace: a.namespace,
    isNamespace: isNamespaceResource(a.resource),
  };
}

export const isNamespaceResource = (r: ResourceInfo): boolean => r.group === '' && r.plural === 'namespaces';

/** Other served group-versions of the same objects (one storage), as the EquivalentResourceMapper knows them. */
export function equivalents(catalog: ResourceCatalog, r: ResourceInfo): ResourceInfo[] {
  return catalog.all.filter(
    (x) =>
      x !== r &&
      x.storagePrefix === r.storagePrefix &&
      (x.custom?.crd ?? '') === (r.custom?.crd ?? '') &&
      !x.virtual &&
      (x.group === r.group || x.kind === r.kind),
  );
}

/** The first rule match: the request's own resource, then (Equivalent) the other versions in rule order. */
export function matchRules(
  rules: readonly Rule[],
  matchPolicy: string | undefined,
  a: AdmissionAttributes,
  catalog: ResourceCatalog,
  names?: (rule: Rule) => boolean,
): ResourceInfo | undefined {
  const own = targetOf(a);
  for (const rule of rules) if (ruleMatches(rule, own) && (!names || names(rule))) return a.resource;
  if (matchPolicy === 'Exact') return undefined;
  const others = equivalents(catalog, a.resource);
  if (!others.length) return undefined;
  for (const rule of rules)
    for (const e of others) if (ruleMatches(rule, targetOf(a, e)) && (!names || names(rule))) return e;
  return undefined;
}

/** Labels the namespaceSelector is evaluated on; undefined: the selector does not apply (cluster-scoped). */
export function namespaceLabels(
  a: AdmissionAttributes,
  namespace: (name: string) => KObject | undefined,
): { labels: Record<string, string> } | undefined | 'missing' {
  if (isNamespaceResource(a.resource)) {
    const o = a.object ?? a.oldObject;
    return { labels: o?.metadata?.labels ?? {} };
  }
  if (!a.namespace) return undefined;
  const ns = namespace(a.namespace);
  if (!ns) return 'missing';
  return { labels: ns.metadata?.labels ?? {} };
}

const isEmptySelector = (s: Selector): boolean =>
  !!s && !Object.keys(s.matchLabels ?? {}).length && !(s.matchExpressions ?? []).length;

export function namespaceSelectorMatches(
  selector: Selector,
  a: AdmissionAttributes,
  namespace: (name: string) => KObject | undefined,
): boolean | 'missing' {
  if (!selector || isEmptySelector(selector)) return true;
  const l = namespaceLabels(a, namespace);
  if (l === undefined) return true;
  if (l === 'missing') return 'missing';
  return selectorMatches(selector, l.labels);
}

/** objectSelector: either the new object's or the old object's labels match (an empty selector: everything). */
export function objectSelectorMatches(selector: Selector, a: AdmissionAttributes): boolean {
  if (!selector || isEmptySelector(selector)) return true;
  const labelsOf = (o: KObject | undefined) => (o ? (o.metadata?.labels ?? {}) : undefined);
  const n = labelsOf(a.object);
  const o = labelsOf(a.oldObject);
  return (n !== undefined && selectorMatches(selector, n)) || (o !== undefined && selectorMatches(selector, o));
}

/** The kinds webhooks and policies never see (so that a broken one cannot lock itself in). */
export function isExemptConfiguration(a: AdmissionAttributes): boolean {
  return (
    a.resource.group === 'admissionregistration.k8s.io' &&
    [
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ].includes(a.resource.kind)
  );
}
