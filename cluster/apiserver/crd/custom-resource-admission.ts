// Admission for the extension API: CustomResourceDefinitions are defaulted, validated and given
// their status; custom resources are pruned and defaulted by their structural schema (mutating)
// and validated against it, x-kubernetes-validations included (validating).
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../admission/admission.js';
import { rfc3339, type Clock } from '../clock.js';
import { ApiError } from '../status.js';
import type { CrdRegistry } from './crd-registry.js';
import { crdStatus, defaultCrd, validateCrd } from './crd-validation.js';
import { applyDefaults, prune, validate } from './structural.js';

const isCrd = (a: AdmissionAttributes) =>
  a.resource.group === 'apiextensions.k8s.io' && a.resource.plural === 'customresourcedefinitions';

export class CustomResourceMutation implements MutatingPlugin {
  readonly name = 'CustomResourceSchema';
  constructor(
    private readonly crds: CrdRegistry,
    private readonly clock: Clock,
  ) {}

  admit(a: AdmissionAttributes): void {
    if (!a.object || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    if (isCrd(a)) {
      if (a.subresource === '') defaultCrd(a.object);
      a.object.status = crdStatus(a.object, a.oldObject, rfc3339(this.clock.now()));
      return;
    }
    const schema = this.crds.schemaOf(a.resource);
    if (!schema) return;
    prune(a.object, schema, true);
    applyDefaults(a.object, schema);
  }
}

export class CustomResourceValidation implements ValidatingPlugin {
  readonly name = 'CustomResourceValidation';
  constructor(private readonly crds: CrdRegistry) {}

  validate(a: AdmissionAttributes): void {
    if (!a.object || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    if (isCrd(a)) return validateCrd(a.object);
    const schema = this.crds.schemaOf(a.resource);
    if (!schema) return;
    const errs = validate(a.object, schema, '', a.operation === 'UPDATE' ? a.oldObject : undefined);
    if (!errs.length) return;
    const r = a.resource;
    const gk = `${r.kind}.${r.group}`;
    const lines = errs.map((e) => `${e.field}: ${e.message}`);
    throw new ApiError(
      422,
      'Invalid',
      `${gk} "${a.name}" is invalid: ${lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`}`,
      {
        name: a.name,
        group: r.group,
        kind: r.kind,
        causes: errs.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
      },
    );
  }
}
