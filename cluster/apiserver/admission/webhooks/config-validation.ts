// Defaulting and validation of the admissionregistration.k8s.io/v1 kinds, as their SetDefaults_*
// and Validate* functions do the parts users meet: webhook names, sideEffects,
// admissionReviewVersions, clientConfig (exactly one of url/service, https only), timeouts, rules;
// a policy's matchConstraints, validations (the expressions must compile), reasons; a binding's
// policyName and validationActions.
import type { KObject } from '../../registry/object-store.js';
import { invalid, type FieldError } from '../../status.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../admission.js';
import { compileExpression } from './validating-policy.js';
import { isDnsSubdomain } from '../../../../common/names.js';

type O = Record<string, any>;
const GROUP = 'admissionregistration.k8s.io';
const isConfigKind = (a: AdmissionAttributes) =>
  a.resource.group === GROUP && !a.subresource && !!a.object && (a.operation === 'CREATE' || a.operation === 'UPDATE');

const req = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
const bad = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail,
});
const unsupported = (field: string, value: unknown, allowed: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  value,
  detail: `supported values: ${allowed.map((v) => `"${v}"`).join(', ')}`,
});

function defaultRules(rules: unknown): void {
  if (Array.isArray(rules)) for (const r of rules) if (r && typeof r === 'object') (r as O).scope ??= '*';
}

function defaultMatchResources(m: O | undefined): void {
  if (!m || typeof m !== 'object') return;
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  m.matchPolicy ??= 'Equivalent';
  defaultRules(m.resourceRules);
  defaultRules(m.excludeResourceRules);
}

export function defaultAdmissionConfig(plural: string, obj: O): void {
  switch (plural) {
    case 'mutatingwebhookconfigurations':
    case 'validatingwebhookconfigurations':
      for (const w of Array.isArray(obj.webhooks) ? obj.webhooks : []) {
        if (!w || typeof w !== 'object') continue;
        w.failurePolicy ??= 'Fail';
        w.matchPolicy ??= 'Equivalent';
        w.namespaceSelector ??= {};
        w.objectSelector ??= {};
        w.timeoutSeconds ??= 10;
        if (plural === 'mutatingwebhookconfigurations') w.reinvocationPolicy ??= 'Never';
        defaultRules(w.rules);
        if (w.clientConfig?.service && typeof w.clientConfig.service === 'object') w.clientConfig.service.port ??= 443;
      }
      break;
    case 'validatingadmissionpolicies': {
      const s = (obj.spec ??= {});
      s.failurePolicy ??= 'Fail';
      defaultMatchResources(s.matchConstraints);
      break;
    }
    case 'validatingadmissionpolicybindings': {
      const s = (obj.spec ??= {});
      defaultMatchResources(s.matchResources);
      if (s.paramRef && typeof s.paramRef === 'object') s.paramRef.parameterNotFoundAction ??= 'Deny';
      break;
    }
  }
}

function validateRule(r: O, path: string, named: boolean, errs: FieldError[]): void {
  for (const f of ['operations', 'apiGroups', 'apiVersions', 'resources'] as const) {
    if (!Array.isArray(r?.[f]) || !r[f].length) errs.push(req(`${path}.${f}`));
  }
  for (const [i, op] of (Array.isArray(r?.operations) ? r.operations : []).entries())
    if (!['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(op))
      errs.push(unsupported(`${path}.operations[${i}]`, op, ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE']));
  if (r?.scope !== undefined && !['*', 'Cluster', 'Namespaced'].includes(r.scope))
    errs.push(unsupported(`${path}.scope`, r.scope, ['*', 'Cluster', 'Namespaced']));
  if (!named && r?.resourceNames !== undefined) errs.push(bad(`${path}.resourceNames`, r.resourceNames, 'not allowed'));
}

function validateWebhooks(plural: string, obj: O, errs: FieldError[]): void {
  const hooks = obj.webhooks ?? [];
  if (!Array.isArray(hooks)) return void errs.push(bad('webhooks', hooks, 'must be a list'));
  const seen = new Set<string>();
  hooks.forEach((w: O, i: number) => {
    const p = `webhooks[${i}]`;
    if (!w?.name) errs.push(req(`${p}.name`));
    else if (!isDnsSubdomain(w.name) || w.name.split('.').length < 3)
      errs.push(bad(`${p}.name`, w.name, 'should be a domain with at least three segments separated by dots'));
    else if (seen.has(w.name))
      errs.push({ type: 'FieldValueDuplicate', field: `${p}.name`, value: w.name, detail: '' });
    if (w?.name) seen.add(w.name);
    (Array.isArray(w?.rules) ? w.rules : []).forEach((r: O, j: number) =>
      validateRule(r, `${p}.rules[${j}]`, false, errs),
    );
    if (!['Fail', 'Ignore'].includes(w?.failurePolicy))
      errs.push(unsupported(`${p}.failurePolicy`, w?.failurePolicy, ['Fail', 'Ignore']));
    if (!['Exact', 'Equivalent'].includes(w?.matchPolicy))
      errs.push(unsupported(`${p}.matchPolicy`, w?.matchPolicy, ['Equivalent', 'Exact']));
    if (w?.sideEffects === undefined || w?.sideEffects === null)
      errs.push(req(`${p}.sideEffects`, 'must specify one of None, NoneOnDryRun'));
    else if (!['None', 'NoneOnDryRun'].includes(w.sideEffects))
      errs.push(unsupported(`${p}.sideEffects`, w.sideEffects, ['None', 'NoneOnDryRun']));
    const versions = w?.admissionReviewVersions;
    if (!Array.isArray(versions) || !versions.length)
      errs.push(req(`${p}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
    else if (!versions.some((v: string) => v === 'v1' || v === 'v1beta1'))
      errs.push(bad(`${p}.admissionReviewVersions`, versions, 'must include at least one of v1, v1beta1'));
    const t = w?.timeoutSeconds;
    if (!Number.isInteger(t) || t < 1 || t > 30)
      errs.push(bad(`${p}.timeoutSeconds`, t, 'the timeout value must be between 1 and 30 seconds'));
    if (plural === 'mutatingwebhookconfigurations' && !['Never', 'IfNeeded'].includes(w?.reinvocationPolicy))
      errs.push(unsupported(`${p}.reinvocationPolicy`, w?.reinvocationPolicy, ['IfNeeded', 'Never']));
    const cc = w?.clientConfig ?? {};
    if (!!cc.url === !!cc.service) errs.push(req(`${p}.clientConfig`, 'exactly one of url or service is required'));
    else if (cc.url) {
      let u: URL | undefined;
      try {
        u = new URL(String(cc.url));
      } catch {
        errs.push(bad(`${p}.clientConfig.url`, cc.url, 'host must be specified'));
      }
      if (u && u.protocol !== 'https:')
        errs.push(bad(`${p}.clientConfig.url`, cc.url, "'https' is the only allowed URL scheme"));
      if (u && (u.hash || u.username || u.password))
        errs.push(bad(`${p}.clientConfig.url`, cc.url, 'fragments and user information are not permitted'));
    } else {
      const s = cc.service;
      if (!s.namespace) errs.push(req(`${p}.clientConfig.service.namespace`, 'service namespace is required'));
      if (!s.name) errs.push(req(`${p}.clientConfig.service.name`, 'service name is required'));
      if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
        errs.push(
          bad(`${p}.clientConfig.service.port`, s.port, 'port is not valid: must be between 1 and 65535, inclusive'),
        );
      if (s.path !== undefined && !String(s.path).startsWith('/'))
        errs.push(bad(`${p}.clientConfig.service.path`, s.path, "must start with a '/'"));
    }
    const conditions = Array.isArray(w?.matchConditions) ? w.matchConditions : [];
    if (conditions.length > 64)
      errs.push({ type: 'FieldValueTooLong', field: `${p}.matchConditions`, detail: 'must have at most 64 items' });
    const condNames = new Set<string>();
    conditions.forEach((m: O, j: number) => {
      if (!m?.name) errs.push(req(`${p}.matchConditions[${j}].name`));
      else if (condNames.has(m.name))
        errs.push({ type: 'FieldValueDuplicate', field: `${p}.matchConditions[${j}].name`, value: m.name, detail: '' });
      if (m?.name) condNames.add(m.name);
      checkExpression(m?.expression, `${p}.matchConditions[${j}].expression`, errs);
    });
    if (cc.caBundle !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(String(cc.caBundle)))
      errs.push(bad(`${p}.clientConfig.caBundle`, '<bytes>', 'must be base64 encoded'));
  });
}

function validateMatchResources(m: O, path: string, required: boolean, errs: FieldError[]): void {
  if (!m) {
    if (required) errs.push(req(path));
    return;
  }
  const rules = m.resourceRules;
  if (required && (!Array.isArray(rules) || !rules.length)) errs.push(req(`${path}.resourceRules`));
  (Array.isArray(rules) ? rules : []).forEach((r: O, i: number) =>
    validateRule(r, `${path}.resourceRules[${i}]`, true, errs),
  );
  (Array.isArray(m.excludeResourceRules) ? m.excludeResourceRules : []).forEach((r: O, i: number) =>
    validateRule(r, `${path}.excludeResourceRules[${i}]`, true, errs),
  );
  if (m.matchPolicy !== undefined && !['Exact', 'Equivalent'].includes(m.matchPolicy))
    errs.push(unsupported(`${path}.matchPolicy`, m.matchPolicy, ['Equivalent', 'Exact']));
}

function checkExpression(expr: unknown, field: string, errs: FieldError[]): void {
  if (typeof expr !== 'string' || !expr.trim()) return void errs.push(req(field));
  const c = compileExpression(expr);
  if (c.error) errs.push(bad(field, expr, c.error));
}

function validatePolicy(obj: O, errs: FieldError[]): void {
  const s = obj.spec ?? {};
  validateMatchResources(s.matchConstraints, 'spec.matchConstraints', true, errs);
  if (!['Fail', 'Ignore'].includes(s.failurePolicy))
    errs.push(unsupported('spec.failurePolicy', s.failurePolicy, ['Fail', 'Ignore']));
  if (s.paramKind !== undefined) {
    if (!s.paramKind?.apiVersion) errs.push(req('spec.paramKind.apiVersion'));
    if (!s.paramKind?.kind) errs.push(req('spec.paramKind.kind'));
  }
  const validations = Array.isArray(s.validations) ? s.validations : [];
  const audits = Array.isArray(s.auditAnnotations) ? s.auditAnnotations : [];
  if (!validations.length && !audits.length)
    errs.push(req('spec.validations', 'validations or auditAnnotations must contain at least one item'));
  validations.forEach((v: O, i: number) => {
    checkExpression(v?.expression, `spec.validations[${i}].expression`, errs);
    if (v?.messageExpression !== undefined)
      checkExpression(v.messageExpression, `spec.validations[${i}].messageExpression`, errs);
    if (typeof v?.message === 'string' && v.message.includes('\n'))
      errs.push(bad(`spec.validations[${i}].message`, v.message, 'message must not contain line breaks'));
    if (
      v?.reason !== undefined &&
      !['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge'].includes(v.reason)
    )
      errs.push(
        unsupported(`spec.validations[${i}].reason`, v.reason, [
          'Unauthorized',
          'Forbidden',
          'Invalid',
          'RequestEntityTooLarge',
        ]),
      );
  });
  const names = new Set<string>();
  (Array.isArray(s.variables) ? s.variables : []).forEach((v: O, i: number) => {
    if (!v?.name) errs.push(req(`spec.variables[${i}].name`));
    else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.name))
      errs.push(bad(`spec.variables[${i}].name`, v.name, 'name is not a valid CEL identifier'));
    else if (names.has(v.name))
      errs.push({ type: 'FieldValueDuplicate', field: `spec.variables[${i}].name`, value: v.name, detail: '' });
    if (v?.name) names.add(v.name);
    checkExpression(v?.expression, `spec.variables[${i}].expression`, errs);
  });
  (Array.isArray(s.matchConditions) ? s.matchConditions : []).forEach((m: O, i: number) => {
    if (!m?.name) errs.push(req(`spec.matchConditions[${i}].name`));
    checkExpression(m?.expression, `spec.matchConditions[${i}].expression`, errs);
  });
}

function validateBinding(obj: O, errs: FieldError[]): void {
  const s = obj.spec ?? {};
  if (!s.policyName) errs.push(req('spec.policyName'));
  const actions = s.validationActions;
  if (!Array.isArray(actions) || !actions.length)
    errs.push(req('spec.validationActions', 'at least one validation action is required'));
  else {
    const seen = new Set<string>();
    actions.forEach((a: unknown, i: number) => {
      if (!['Deny', 'Warn', 'Audit'].includes(String(a)))
        errs.push(unsupported(`spec.validationActions[${i}]`, a, ['Audit', 'Deny', 'Warn']));
      else if (seen.has(String(a)))
        errs.push({ type: 'FieldValueDuplicate', field: `spec.validationActions[${i}]`, value: a, detail: '' });
      seen.add(String(a));
    });
    if (actions.includes('Deny') && actions.includes('Warn'))
      errs.push(
        bad(
          'spec.validationActions',
          actions,
          'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
        ),
      );
  }
  validateMatchResources(s.matchResources, 'spec.matchResources', false, errs);
  const ref = s.paramRef;
  if (ref) {
    if (ref.name && ref.selector)
      errs.push({
        type: 'FieldValueForbidden',
        field: 'spec.paramRef.name',
        detail: 'name and selector are mutually exclusive',
      });
    if (!ref.name && !ref.selector) errs.push(req('spec.paramRef', 'one of name or selector must be specified'));
    if (!['Allow', 'Deny'].includes(ref.parameterNotFoundAction))
      errs.push(unsupported('spec.paramRef.parameterNotFoundAction', ref.parameterNotFoundAction, ['Allow', 'Deny']));
  }
}

export function validateAdmissionConfig(plural: string, obj: O): FieldError[] {
  const errs: FieldError[] = [];
  switch (plural) {
    case 'mutatingwebhookconfigurations':
    case 'validatingwebhookconfigurations':
      validateWebhooks(plural, obj, errs);
      break;
    case 'validatingadmissionpolicies':
      validatePolicy(obj, errs);
      break;
    case 'validatingadmissionpolicybindings':
      validateBinding(obj, errs);
      break;
  }
  return errs;
}

export class AdmissionConfigDefaults implements MutatingPlugin {
  readonly name = 'AdmissionConfigDefaults';
  admit(a: AdmissionAttributes): void {
    if (isConfigKind(a)) defaultAdmissionConfig(a.resource.plural, a.object as KObject);
  }
}

export class AdmissionConfigValidation implements ValidatingPlugin {
  readonly name = 'AdmissionConfigValidation';
  validate(a: AdmissionAttributes): void {
    if (!isConfigKind(a)) return;
    const errs = validateAdmissionConfig(a.resource.plural, a.object as KObject);
    if (errs.length) throw invalid(a.resource.kind, a.resource.group, a.object?.metadata?.name ?? a.name, errs);
  }
}
