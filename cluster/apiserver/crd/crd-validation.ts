// A CustomResourceDefinition as apiextensions-apiserver defaults and validates it: names and group,
// scope, exactly one storage version, a structural schema per served version (a type at every
// level), printer columns, subresources, and x-kubernetes-validations that compile. Errors are
// one 422 Invalid naming every field, as kube-apiserver answers.
import type { KObject } from '../registry/object-store.js';
import { ApiError } from '../status.js';
import { CelRuleError, celRule } from './cel-rules.js';
import type { JsonSchema } from './structural.js';
import { isDnsLabel } from '../../../common/names.js';

interface Problem {
  field: string;
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden';
  message: string;
}

/** SetDefaults_CustomResourceDefinition and friends. */
export function defaultCrd(crd: KObject): void {
  const spec = (crd.spec ??= {});
  const names = (spec.names ??= {});
  if (names.kind && !names.listKind) names.listKind = `${names.kind}List`;
  if (names.kind && !names.singular) names.singular = String(names.kind).toLowerCase();
  spec.conversion ??= { strategy: 'None' };
  for (const v of spec.versions ?? []) {
    for (const c of v.additionalPrinterColumns ?? []) c.priority ??= 0;
  }
}

const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];

function structural(s: JsonSchema | undefined, path: string, out: Problem[], root: boolean): void {
  if (!s || typeof s !== 'object') return;
  const unknownOk = s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-int-or-string'] === true;
  if (!s.type && !unknownOk && (root || s.properties || s.items || !s.anyOf)) {
    out.push({
      field: `${path}.type`,
      reason: 'FieldValueRequired',
      message: 'Required value: must not be empty for specified object fields',
    });
  }
  if (root && s.type && s.type !== 'object')
    out.push({
      field: `${path}.type`,
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${s.type}": must be object at the root`,
    });
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    out.push({
      field: `${path}.additionalProperties`,
      reason: 'FieldValueForbidden',
      message: 'Forbidden: additionalProperties and properties are mutual exclusive',
    });
  }
  for (const [k, p] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) {
    if (
      root &&
      k === 'metadata' &&
      p.properties &&
      Object.keys(p.properties).some((x) => x !== 'name' && x !== 'generateName')
    ) {
      out.push({
        field: `${path}.properties[metadata]`,
        reason: 'FieldValueForbidden',
        message:
          'Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
      });
    }
    structural(p, `${path}.properties[${k}]`, out, false);
  }
  if (s.items && typeof s.items === 'object' && !Array.isArray(s.items))
    structural(s.items, `${path}.items`, out, false);
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    structural(s.additionalProperties, `${path}.additionalProperties`, out, false);
  (s['x-kubernetes-validations'] ?? []).forEach((rule: JsonSchema, i: number) => {
    const f = `${path}.x-kubernetes-validations[${i}].rule`;
    if (!rule?.rule) return void out.push({ field: f, reason: 'FieldValueRequired', message: 'Required value' });
    try {
      celRule(rule);
    } catch (err) {
      if (!(err instanceof CelRuleError)) throw err;
      out.push({
        field: f,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(rule.rule)}: ${err.message}`,
      });
    }
  });
}

export function validateCrd(crd: KObject): void {
  const out: Problem[] = [];
  const name = String(crd.metadata?.name ?? '');
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const group = String(spec.group ?? '');
  if (!group) out.push({ field: 'spec.group', reason: 'FieldValueRequired', message: 'Required value' });
  else if (!group.includes('.'))
    out.push({
      field: 'spec.group',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${group}": should be a domain with at least one dot`,
    });
  if (name !== `${names.plural}.${group}`)
    out.push({
      field: 'metadata.name',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`,
    });
  for (const f of ['plural', 'kind'] as const)
    if (!names[f]) out.push({ field: `spec.names.${f}`, reason: 'FieldValueRequired', message: 'Required value' });
  if (names.plural && !isDnsLabel(names.plural))
    out.push({
      field: 'spec.names.plural',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${names.plural}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
    });
  if (names.singular && !isDnsLabel(names.singular))
    out.push({
      field: 'spec.names.singular',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${names.singular}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
    });
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    out.push({
      field: 'spec.scope',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"`,
    });
  const versions: KObject[] = Array.isArray(spec.versions) ? spec.versions : [];
  if (!versions.length)
    out.push({
      field: 'spec.versions',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: null: must have exactly one version marked as storage version',
    });
  else if (versions.filter((v) => v.storage).length !== 1)
    out.push({
      field: 'spec.versions',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "versions": must have exactly one version marked as storage version',
    });
  if (spec.conversion?.strategy && spec.conversion.strategy !== 'None')
    out.push({
      field: 'spec.conversion.strategy',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${spec.conversion.strategy}": supported values: "None" (conversion webhooks are not offered here)`,
    });
  versions.forEach((v, i) => {
    const p = `spec.versions[${i}]`;
    if (!v.name || !isDnsLabel(v.name))
      out.push({
        field: `${p}.name`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${v.name ?? ''}": a DNS-1035 label must consist of lower case alphanumeric characters or '-'`,
      });
    const schema = v.schema?.openAPIV3Schema;
    if (!schema)
      out.push({
        field: `${p}.schema.openAPIV3Schema`,
        reason: 'FieldValueRequired',
        message: 'Required value: schemas are required',
      });
    else structural(schema, `${p}.schema.openAPIV3Schema`, out, true);
    (v.additionalPrinterColumns ?? []).forEach((c: KObject, j: number) => {
      const cp = `${p}.additionalPrinterColumns[${j}]`;
      if (!c.name) out.push({ field: `${cp}.name`, reason: 'FieldValueRequired', message: 'Required value' });
      if (!c.jsonPath) out.push({ field: `${cp}.jsonPath`, reason: 'FieldValueRequired', message: 'Required value' });
      if (!COLUMN_TYPES.includes(c.type))
        out.push({
          field: `${cp}.type`,
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: "${c.type ?? ''}": supported values: ${COLUMN_TYPES.map((t) => `"${t}"`).join(', ')}`,
        });
    });
    const scale = v.subresources?.scale;
    if (scale) {
      if (!/^\.spec(\.[A-Za-z0-9_-]+)+$/.test(scale.specReplicasPath ?? ''))
        out.push({
          field: `${p}.subresources.scale.specReplicasPath`,
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${scale.specReplicasPath ?? ''}": should be a json path under .spec`,
        });
      if (!/^\.status(\.[A-Za-z0-9_-]+)+$/.test(scale.statusReplicasPath ?? ''))
        out.push({
          field: `${p}.subresources.scale.statusReplicasPath`,
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${scale.statusReplicasPath ?? ''}": should be a json path under .status`,
        });
    }
  });
  if (!out.length) return;
  const msg =
    out.length === 1
      ? `${out[0]!.field}: ${out[0]!.message}`
      : `[${out.map((p) => `${p.field}: ${p.message}`).join(', ')}]`;
  throw new ApiError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${name}" is invalid: ${msg}`, {
    name,
    group: 'apiextensions.k8s.io',
    kind: 'CustomResourceDefinition',
    causes: out.map((p) => ({ reason: p.reason, message: p.message, field: p.field })),
  });
}

/** Status as the naming and establishing controllers leave it once names are accepted. */
export function crdStatus(crd: KObject, old: KObject | undefined, now: string): KObject {
  const prev: KObject[] = old?.status?.conditions ?? [];
  const cond = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: prev.find((c) => c.type === type)?.lastTransitionTime ?? now,
    reason,
    message,
  });
  const storage = (crd.spec?.versions ?? []).find((v: KObject) => v.storage)?.name;
  const stored = [...new Set([...(old?.status?.storedVersions ?? []), ...(storage ? [storage] : [])])];
  const { listKind, kind, plural, singular, shortNames, categories } = crd.spec?.names ?? {};
  const acceptedNames: KObject = { plural, singular, kind, listKind };
  if (shortNames?.length) acceptedNames.shortNames = shortNames;
  if (categories?.length) acceptedNames.categories = categories;
  return {
    conditions: [
      cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames,
    storedVersions: stored,
  };
}
