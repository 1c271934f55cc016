// Validation with field-level causes (pkg/apis/*/validation, the parts users hit): names, pod
// containers, service ports, workload selectors vs template labels, immutable fields. Refuses with
// 422 Invalid listing every problem found.
import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../registry/object-store.js';
import { selectorOf, type LabelRequirement } from '../selectors/label-selector.js';
import { invalid, type FieldError } from '../status.js';
import type { AdmissionAttributes, ValidatingPlugin } from './admission.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../../../common/names.js';

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

type Errs = FieldError[];
const req = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
const bad = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail,
});

/** Kinds whose names must be DNS-1123 labels; RBAC names are path segments; the rest subdomains. */
const LABEL_NAMED = new Set(['namespaces', 'services']);
const PATH_SEGMENT_NAMED = new Set(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);

function validateName(plural: string, name: unknown, errs: Errs): void {
  if (typeof name !== 'string' || name === '') {
    errs.push(req('metadata.name', 'name or generateName is required'));
    return;
  }
  if (PATH_SEGMENT_NAMED.has(plural)) {
    if (name === '.' || name === '..' || /[/%]/.test(name))
      errs.push(bad('metadata.name', name, "may not contain '/' or '%'"));
    return;
  }
  if (LABEL_NAMED.has(plural)) {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      errs.push(
        bad(
          'metadata.name',
          name,
          `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        ),
      );
    }
    return;
  }
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errs.push(
      bad(
        'metadata.name',
        name,
        `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ),
    );
  }
}

function validateLabels(labels: unknown, field: string, errs: Errs): void {
  if (labels === undefined || labels === null) return;
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    errs.push(bad(field, labels, 'must be a map of string keys to string values'));
    return;
  }
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    if (!QUALIFIED_NAME.test(k) || k.split('/').pop()!.length > 63)
      errs.push(
        bad(
          field,
          k,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))
      errs.push(
        bad(
          field,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
  }
}

function validatePort(n: unknown, field: string, errs: Errs, required = true): void {
  if (n === undefined || n === null) {
    if (required) errs.push(req(field));
    return;
  }
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 65535)
    errs.push(bad(field, n, 'must be between 1 and 65535, inclusive'));
}

export function validatePodSpec(spec: KObject | undefined, path: string, errs: Errs): void {
  if (!spec || typeof spec !== 'object') {
    errs.push(req(path));
    return;
  }
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) errs.push(req(`${path}.containers`));
  const names = new Set<string>();
  const all = [
    ...(Array.isArray(spec.initContainers)
      ? spec.initContainers.map((c: KObject, i: number) => [c, `${path}.initContainers[${i}]`])
      : []),
    ...(Array.isArray(containers) ? containers.map((c: KObject, i: number) => [c, `${path}.containers[${i}]`]) : []),
  ] as [KObject, string][];
  for (const [c, p] of all) {
    if (!c || typeof c !== 'object') {
      errs.push(bad(p, c, 'must be an object'));
      continue;
    }
    if (!c.name) errs.push(req(`${p}.name`));
    else if (!DNS1123_LABEL.test(c.name) || c.name.length > 63)
      errs.push(
        bad(
          `${p}.name`,
          c.name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        ),
      );
    else if (names.has(c.name))
      errs.push({ type: 'FieldValueDuplicate', field: `${p}.name`, value: c.name, detail: '' });
    else names.add(c.name);
    if (!c.image) errs.push(req(`${p}.image`));
    (Array.isArray(c.ports) ? c.ports : []).forEach((port: KObject, j: number) => {
      validatePort(port?.containerPort, `${p}.ports[${j}].containerPort`, errs);
      if (port?.protocol && !['TCP', 'UDP', 'SCTP'].includes(port.protocol))
        errs.push({
          type: 'FieldValueNotSupported',
          field: `${p}.ports[${j}].protocol`,
          value: port.protocol,
          detail: 'supported values: "SCTP", "TCP", "UDP"',
        });
    });
    if (c.imagePullPolicy && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy)) {
      errs.push({
        type: 'FieldValueNotSupported',
        field: `${p}.imagePullPolicy`,
        value: c.imagePullPolicy,
        detail: 'supported values: "Always", "IfNotPresent", "Never"',
      });
    }
  }
  if (spec.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    errs.push({
      type: 'FieldValueNotSupported',
      field: `${path}.restartPolicy`,
      value: spec.restartPolicy,
      detail: 'supported values: "Always", "OnFailure", "Never"',
    });
  }
}

function requirementsOf(sel: KObject | undefined): LabelRequirement[] {
  const reqs: LabelRequirement[] = Object.entries(sel?.matchLabels ?? {}).map(([key, v]) => ({
    key,
    operator: 'in' as const,
    values: [String(v)],
  }));
  for (const e of Array.isArray(sel?.matchExpressions) ? sel!.matchExpressions : []) {
    if (!e || typeof e !== 'object') continue;
    const op = String(e.operator).toLowerCase();
    reqs.push({
      key: e.key,
      operator: op === 'exists' ? 'exists' : op === 'doesnotexist' ? 'doesnotexist' : op === 'notin' ? 'notin' : 'in',
      values: e.values ?? [],
    });
  }
  return reqs;
}

function validateWorkload(plural: string, obj: KObject, errs: Errs): void {
  const spec = obj.spec;
  if (!spec) {
    errs.push(req('spec'));
    return;
  }
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0))
    errs.push(bad('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  const labels = spec.template?.metadata?.labels ?? {};
  if (plural === 'replicationcontrollers') {
    if (spec.selector && !Object.entries(spec.selector).every(([k, v]) => labels[k] === v))
      errs.push(bad('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  } else if (plural !== 'jobs' || spec.manualSelector) {
    const reqs = requirementsOf(spec.selector);
    if (!spec.selector) errs.push(req('spec.selector'));
    else if (reqs.length === 0)
      errs.push(bad('spec.selector', spec.selector, 'empty selector is invalid for deployment'));
    else if (!selectorOf(reqs).matches(labels))
      errs.push(bad('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  validateLabels(spec.template?.metadata?.labels, 'spec.template.metadata.labels', errs);
  validatePodSpec(spec.template?.spec, 'spec.template.spec', errs);
  if (plural === 'deployments' || plural === 'replicasets' || plural === 'daemonsets') {
    const rp = spec.template?.spec?.restartPolicy;
    if (rp && rp !== 'Always')
      errs.push({
        type: 'FieldValueNotSupported',
        field: 'spec.template.spec.restartPolicy',
        value: rp,
        detail: 'supported values: "Always"',
      });
  }
  if (plural === 'jobs') {
    const rp = spec.template?.spec?.restartPolicy;
    if (rp === 'Always')
      errs.push({
        type: 'FieldValueNotSupported',
        field: 'spec.template.spec.restartPolicy',
        value: rp,
        detail: 'supported values: "OnFailure", "Never"',
      });
  }
}

function validateService(obj: KObject, errs: Errs): void {
  const spec = obj.spec;
  if (!spec) {
    errs.push(req('spec'));
    return;
  }
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (spec.type && !types.includes(spec.type))
    errs.push({
      type: 'FieldValueNotSupported',
      field: 'spec.type',
      value: spec.type,
      detail: 'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    });
  const ports: KObject[] = Array.isArray(spec.ports) ? spec.ports : [];
  if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && ports.length === 0) errs.push(req('spec.ports'));
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    if (!p || typeof p !== 'object') {
      errs.push(bad(`spec.ports[${i}]`, p, 'must be an object'));
      return;
    }
    if (ports.length > 1 && !p.name) errs.push(req(`spec.ports[${i}].name`));
    if (p.name) {
      if (seen.has(p.name))
        errs.push({ type: 'FieldValueDuplicate', field: `spec.ports[${i}].name`, value: p.name, detail: '' });
      seen.add(p.name);
    }
    validatePort(p.port, `spec.ports[${i}].port`, errs);
    if (typeof p.targetPort === 'number') validatePort(p.targetPort, `spec.ports[${i}].targetPort`, errs);
    if (p.protocol && !['TCP', 'UDP', 'SCTP'].includes(p.protocol))
      errs.push({
        type: 'FieldValueNotSupported',
        field: `spec.ports[${i}].protocol`,
        value: p.protocol,
        detail: 'supported values: "SCTP", "TCP", "UDP"',
      });
  });
  if (spec.type === 'ExternalName' && !spec.externalName) errs.push(req('spec.externalName'));
}

function validateKeys(map: unknown, field: string, errs: Errs): void {
  if (map === undefined || map === null) return;
  for (const k of Object.keys(map as object))
    if (!CONFIG_KEY.test(k) || k.length > 253)
      errs.push(bad(field, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
}

/** Fields that may not change after create. */
function validateImmutable(plural: string, obj: KObject, old: KObject, errs: Errs): void {
  const sel = ['deployments', 'replicasets', 'daemonsets', 'statefulsets', 'jobs'];
  if (sel.includes(plural) && old.spec?.selector && !isDeepStrictEqual(obj.spec?.selector, old.spec.selector))
    errs.push(bad('spec.selector', obj.spec?.selector, 'field is immutable'));
  if (plural === 'pods' && old.spec) {
    const strip = (s: KObject) => ({
      ...s,
      containers: (s.containers ?? []).map((c: KObject) => ({ ...c, image: '' })),
      initContainers: (s.initContainers ?? []).map((c: KObject) => ({ ...c, image: '' })),
      activeDeadlineSeconds: 0,
      tolerations: [],
      terminationGracePeriodSeconds: 0,
    });
    if (!isDeepStrictEqual(strip(obj.spec ?? {}), strip(old.spec))) {
      errs.push({
        type: 'FieldValueForbidden',
        field: 'spec',
        detail:
          'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      });
    }
  }
  if (
    (plural === 'configmaps' || plural === 'secrets') &&
    old.immutable &&
    (!isDeepStrictEqual(obj.data, old.data) ||
      !isDeepStrictEqual(obj.binaryData ?? obj.stringData, old.binaryData ?? old.stringData))
  ) {
    errs.push({ type: 'FieldValueForbidden', field: 'data', detail: 'field is immutable when `immutable` is set' });
  }
}

export function validateObject(plural: string, obj: KObject, old: KObject | undefined): Errs {
  const errs: Errs = [];
  const md = obj.metadata ?? {};
  validateName(plural, md.name, errs);
  validateLabels(md.labels, 'metadata.labels', errs);
  if (
    md.annotations !== undefined &&
    md.annotations !== null &&
    (typeof md.annotations !== 'object' ||
      Array.isArray(md.annotations) ||
      Object.values(md.annotations).some((v) => typeof v !== 'string'))
  ) {
    errs.push(bad('metadata.annotations', md.annotations, 'must be a map of string keys to string values'));
  }
  switch (plural) {
    case 'pods':
      validatePodSpec(obj.spec, 'spec', errs);
      break;
    case 'services':
      validateService(obj, errs);
      break;
    case 'deployments':
    case 'replicasets':
    case 'daemonsets':
    case 'statefulsets':
    case 'jobs':
    case 'replicationcontrollers':
      validateWorkload(plural, obj, errs);
      break;
    case 'configmaps':
      validateKeys(obj.data, 'data', errs);
      validateKeys(obj.binaryData, 'binaryData', errs);
      break;
    case 'secrets':
      validateKeys(obj.data, 'data', errs);
      for (const [k, v] of Object.entries(obj.data ?? {}))
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
          errs.push(bad(`data[${k}]`, '<secret contents redacted>', 'illegal base64 data'));
      break;
    case 'rolebindings':
    case 'clusterrolebindings':
      if (!obj.roleRef?.name) errs.push(req('roleRef.name'));
      if (obj.roleRef?.kind && !['Role', 'ClusterRole'].includes(obj.roleRef.kind))
        errs.push({
          type: 'FieldValueNotSupported',
          field: 'roleRef.kind',
          value: obj.roleRef.kind,
          detail: 'supported values: "Role", "ClusterRole"',
        });
      if (plural === 'clusterrolebindings' && obj.roleRef?.kind === 'Role')
        errs.push({
          type: 'FieldValueNotSupported',
          field: 'roleRef.kind',
          value: 'Role',
          detail: 'supported values: "ClusterRole"',
        });
      if (old && !isDeepStrictEqual(obj.roleRef, old.roleRef))
        errs.push(bad('roleRef', obj.roleRef, 'cannot change roleRef'));
      break;
  }
  if (old) validateImmutable(plural, obj, old, errs);
  return errs;
}

export class ValidationPlugin implements ValidatingPlugin {
  readonly name = 'Validation';
  validate(a: AdmissionAttributes): void {
    if (!a.object || (a.operation !== 'CREATE' && a.operation !== 'UPDATE') || a.resource.virtual) return;
    if (a.subresource && a.subresource !== 'status') return;
    const errs = a.subresource === 'status' ? [] : validateObject(a.resource.plural, a.object, a.oldObject);
    if (errs.length) throw invalid(a.resource.kind, a.resource.group, a.object.metadata?.name ?? a.name, errs);
  }
}
