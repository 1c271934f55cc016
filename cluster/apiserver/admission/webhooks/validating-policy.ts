// ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1): CEL validations, evaluated with
// @bufbuild/cel, for the requests a policy's matchConstraints and a binding's matchResources select,
// with the binding's params (paramKind/paramRef), variables, messageExpression, reason and the
// binding's validationActions (Deny, Warn, Audit). The variables are the ones kube offers: object,
// oldObject, request, params, namespaceObject, variables (authorizer is not offered: an expression
// using it fails as an undeclared reference would). Refusals are worded as the policy dispatcher
// words them: `ValidatingAdmissionPolicy 'p' with binding 'b' denied request: ...`.
import { isCelError, parse, plan, celEnv } from '@bufbuild/cel';
import type { KObject, ObjectStore } from '../../registry/object-store.js';
import type { ResourceCatalog, ResourceInfo } from '../../resources.js';
import { selectorMatches } from '../../selectors/selector-object.js';
import { ApiError, qualified } from '../../status.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../admission.js';
import type { AdmissionConfigurations } from './configurations.js';
import {
  isExemptConfiguration,
  isNamespaceResource,
  matchRules,
  namespaceSelectorMatches,
  objectSelectorMatches,
  type NamedRule,
} from './matching.js';

type CelIn = Parameters<ReturnType<typeof plan>>[0] extends infer B
  ? B extends Record<string, infer V>
    ? V
    : never
  : never;
type Program = (vars: Record<string, CelIn>) => unknown;

const env = celEnv();

/** A compiled expression, or why it does not compile (reported when it is used, as kube does). */
interface Compiled {
  expression: string;
  program?: Program;
  error?: string;
}

const programs = new Map<string, Compiled>();

export function compileExpression(expression: string): Compiled {
  const hit = programs.get(expression);
  if (hit) return hit;
  let c: Compiled;
  try {
    c = { expression, program: plan(env, parse(expression)) as unknown as Program };
  } catch (err) {
    c = { expression, error: `compilation failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (programs.size > 5000) programs.clear();
  programs.set(expression, c);
  return c;
}

/** JSON → CEL values: integers as int, objects as maps, null as null. */
export function toCel(v: unknown): CelIn {
  if (v === undefined || v === null) return null as CelIn;
  if (Array.isArray(v)) return v.map(toCel) as CelIn;
  if (typeof v === 'object') {
    const m = new Map<string, CelIn>();
    for (const [k, x] of Object.entries(v)) m.set(k, toCel(x));
    return m as CelIn;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v) as CelIn;
  return v as CelIn;
}

/** cel-go's wording for the errors users meet most. */
function celMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/^field not found: /, 'no such key: ');
}

export type Evaluation = { value: unknown } | { error: string };

export function evaluate(c: Compiled, vars: Record<string, CelIn>): Evaluation {
  if (c.error) return { error: c.error };
  let out: unknown;
  try {
    out = c.program!(vars);
  } catch (err) {
    out = err;
  }
  if (isCelError(out) || out instanceof Error)
    return { error: `expression '${c.expression}' resulted in error: ${celMessage(out)}` };
  return { value: out };
}

interface Decision {
  policy: string;
  binding?: string;
  message: string;
  reason: string;
}

const REASON_CODES: Record<string, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  Invalid: 422,
  RequestEntityTooLarge: 413,
};

/** The `request` variable of CEL admission expressions (an AdmissionRequest without its objects). */
export function celRequest(a: AdmissionAttributes, r: ResourceInfo): KObject {
  const req: KObject = {
    kind: { group: r.group, version: r.version, kind: r.kind },
    resource: { group: r.group, version: r.version, resource: r.plural },
    requestKind: { group: a.resource.group, version: a.resource.version, kind: a.resource.kind },
    requestResource: { group: a.resource.group, version: a.resource.version, resource: a.resource.plural },
    name: a.name,
    namespace: a.namespace,
    operation: a.operation,
    userInfo: { username: a.user.name, uid: a.user.uid, groups: a.user.groups, extra: a.user.extra ?? {} },
    dryRun: !!a.dryRun,
  };
  if (a.subresource) {
    req.subResource = a.subresource;
    req.requestSubResource = a.subresource;
  }
  return req;
}

export class ValidatingAdmissionPolicyPlugin implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionPolicy';

  constructor(
    private readonly configs: AdmissionConfigurations,
    private readonly deps: {
      store: ObjectStore;
      catalog: ResourceCatalog;
      namespace: (name: string) => KObject | undefined;
    },
  ) {}

  validate(a: AdmissionAttributes): void {
    if (this.configs.policyCount === 0 || isExemptConfiguration(a) || a.operation === 'CONNECT') return;
    const denied: Decision[] = [];
    for (const policy of this.configs.policies()) this.evaluatePolicy(policy, a, denied);
    if (!denied.length) return;
    const d = denied[0]!;
    const text = d.binding
      ? `ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}' denied request: ${d.message}`
      : `ValidatingAdmissionPolicy '${d.policy}' denied request: ${d.message}`;
    const name = a.name || a.object?.metadata?.name || '';
    const res = qualified(a.resource.plural, a.resource.group);
    const message = name ? `${res} "${name}" is forbidden: ${text}` : `${res} is forbidden: ${text}`;
    throw new ApiError(REASON_CODES[d.reason] ?? 422, d.reason, message, {
      name: name || undefined,
      group: a.resource.group || undefined,
      kind: a.resource.plural,
      causes: [{ message: text } as never],
    });
  }

  private matches(m: KObject | undefined, a: AdmissionAttributes): ResourceInfo | undefined | 'missing' {
    if (!m) return a.resource;
    const ns = namespaceSelectorMatches(m.namespaceSelector ?? {}, a, this.deps.namespace);
    if (ns === false) return undefined;
    if (!objectSelectorMatches(m.objectSelector ?? {}, a)) return undefined;
    const named = (rule: NamedRule) => !rule.resourceNames?.length || rule.resourceNames.includes(a.name);
    const policy = m.matchPolicy ?? 'Equivalent';
    if (matchRules(m.excludeResourceRules ?? [], policy, a, this.deps.catalog, named)) return undefined;
    const r = (m.resourceRules ?? []).length
      ? matchRules(m.resourceRules, policy, a, this.deps.catalog, named)
      : a.resource;
    if (!r) return undefined;
    return ns === 'missing' ? 'missing' : r;
  }

  private evaluatePolicy(policy: KObject, a: AdmissionAttributes, denied: Decision[]): void {
    const spec = policy.spec ?? {};
    const pname = String(policy.metadata?.name);
    const failurePolicy = spec.failurePolicy ?? 'Fail';
    const configError = (message: string, binding?: string) => {
      if (failurePolicy === 'Ignore') return;
      denied.push({
        policy: pname,
        binding,
        message: binding ? `failed to configure binding: ${message}` : `failed to configure policy: ${message}`,
        reason: 'Invalid',
      });
    };
    const matched = this.matches(spec.matchConstraints ?? { resourceRules: [] }, a);
    if (!matched || !spec.matchConstraints) return;
    if (matched === 'missing') return configError(`namespace "${a.namespace}" not found`);
    let paramResource: ResourceInfo | undefined;
    if (spec.paramKind) {
      paramResource = this.deps.catalog.byApiVersionKind(
        String(spec.paramKind.apiVersion ?? ''),
        String(spec.paramKind.kind ?? ''),
      );
      if (!paramResource)
        return configError(
          `failed to find resource referenced by paramKind: '${spec.paramKind.apiVersion}, Kind=${spec.paramKind.kind}'`,
        );
    }
    const nsName = isNamespaceResource(a.resource) ? '' : a.namespace;
    const namespaceObject = nsName ? this.deps.namespace(nsName) : undefined;
    const base: Record<string, CelIn> = {
      object: toCel(a.object),
      oldObject: toCel(a.oldObject),
      request: toCel(celRequest(a, matched)),
      namespaceObject: toCel(
        namespaceObject
          ? { metadata: namespaceObject.metadata, spec: namespaceObject.spec, status: namespaceObject.status }
          : undefined,
      ),
    };
    for (const binding of this.configs.bindingsOf(pname)) {
      const bname = String(binding.metadata?.name);
      const bm = this.matches(binding.spec?.matchResources, a);
      if (!bm) continue;
      if (bm === 'missing') {
        configError(`namespace "${a.namespace}" not found`, bname);
        continue;
      }
      let params: (KObject | undefined)[];
      try {
        params = this.collectParams(spec.paramKind, paramResource, binding.spec?.paramRef, a.namespace);
      } catch (err) {
        configError(err instanceof Error ? err.message : String(err), bname);
        continue;
      }
      const actions: string[] = binding.spec?.validationActions ?? [];
      for (const p of params) {
        for (const d of this.validateWith(spec, { ...base, params: toCel(p) }, failurePolicy)) {
          if (actions.includes('Deny')) denied.push({ policy: pname, binding: bname, ...d });
          if (actions.includes('Warn'))
            a.warnings?.push(
              `Validation failed for ValidatingAdmissionPolicy '${pname}' with binding '${bname}': ${d.message}`,
            );
          // Audit: kube records an audit annotation; this apiserver keeps no audit log.
        }
      }
    }
  }

  /** The failing validations of one policy for one param (match conditions, variables, validations). */
  private validateWith(
    spec: KObject,
    vars: Record<string, CelIn>,
    failurePolicy: string,
  ): { message: string; reason: string }[] {
    const fail = (message: string) => (failurePolicy === 'Ignore' ? [] : [{ message, reason: 'Invalid' }]);
    const variables = new Map<string, CelIn>();
    const variableErrors = new Map<string, string>();
    const withVars = () => ({ ...vars, variables: variables as unknown as CelIn });
    for (const v of (spec.variables ?? []) as KObject[]) {
      const r = evaluate(compileExpression(String(v.expression ?? '')), withVars());
      if ('error' in r) variableErrors.set(String(v.name), r.error);
      else variables.set(String(v.name), r.value as CelIn);
    }
    const usesBroken = (expr: string): string | undefined => {
      for (const [name, err] of variableErrors) if (new RegExp(`\\bvariables\\.${name}\\b`).test(expr)) return err;
      return undefined;
    };
    for (const mc of (spec.matchConditions ?? []) as KObject[]) {
      const expr = String(mc.expression ?? '');
      const broken = usesBroken(expr);
      const r = broken ? { error: broken } : evaluate(compileExpression(expr), withVars());
      if ('error' in r) return fail(`failed to evaluate matchCondition '${String(mc.name)}': ${r.error}`);
      if (r.value !== true) return [];
    }
    const out: { message: string; reason: string }[] = [];
    for (const v of (spec.validations ?? []) as KObject[]) {
      const expr = String(v.expression ?? '');
      const broken = usesBroken(expr);
      const r = broken ? { error: broken } : evaluate(compileExpression(expr), withVars());
      if ('error' in r) {
        out.push(...fail(r.error));
        continue;
      }
      if (r.value === true) continue;
      let message = '';
      if (v.messageExpression) {
        const m = evaluate(compileExpression(String(v.messageExpression)), withVars());
        if ('value' in m && typeof m.value === 'string') {
          message = m.value.trim();
          if (message.length > 5 * 1024 || message.includes('\n')) message = '';
        }
      }
      if (!message && v.message) message = String(v.message).trim();
      if (!message) message = `failed expression: ${expr.trim()}`;
      out.push({ message, reason: String(v.reason ?? 'Invalid') });
    }
    return out;
  }

  private collectParams(
    paramKind: KObject | undefined,
    r: ResourceInfo | undefined,
    ref: KObject | undefined,
    namespace: string,
  ): (KObject | undefined)[] {
    if (!paramKind || !ref || !r) return [undefined];
    let ns = '';
    if (r.namespaced) {
      ns = ref.namespace || namespace;
      if (!ns)
        throw new Error('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    } else if (ref.namespace)
      throw new Error('paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
    let params: KObject[];
    if (ref.name) {
      if (ref.selector) throw new Error('paramRef.name and paramRef.selector are mutually exclusive');
      const p = this.deps.store.tryGet(r, ns, String(ref.name));
      params = p ? [p] : [];
    } else if (ref.selector) {
      params = this.deps.store.list(r, ns).items.filter((o) => selectorMatches(ref.selector, o.metadata?.labels ?? {}));
    } else throw new Error('one of name or selector must be provided');
    if (!params.length && ref.parameterNotFoundAction === 'Deny')
      throw new Error('no params found for policy binding with `Deny` parameterNotFoundAction');
    return params.map((p) => ({ ...p, apiVersion: paramKind.apiVersion, kind: paramKind.kind }));
  }
}
