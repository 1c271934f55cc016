// APIService validation (kube-aggregator's ValidateAPIService, the common cases): the name is
// <version>.<group>, a Service-backed one has priorities and a CA or insecureSkipTLSVerify.
import type { AdmissionAttributes, ValidatingPlugin } from '../admission/admission.js';
import { ApiError } from '../status.js';

export class ApiServiceValidation implements ValidatingPlugin {
  readonly name = 'APIServiceValidation';

  validate(a: AdmissionAttributes): void {
    if (
      a.resource.group !== 'apiregistration.k8s.io' ||
      a.resource.plural !== 'apiservices' ||
      !a.object ||
      a.subresource
    )
      return;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const o = a.object;
    const spec = o.spec ?? {};
    const errs: { field: string; reason: string; message: string }[] = [];
    const want = spec.group ? `${spec.version}.${spec.group}` : String(spec.version ?? '');
    if (o.metadata?.name !== want)
      errs.push({
        field: 'metadata.name',
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${o.metadata?.name}": must be ${want}`,
      });
    if (!spec.version) errs.push({ field: 'spec.version', reason: 'FieldValueRequired', message: 'Required value' });
    if (spec.service) {
      if (!(spec.groupPriorityMinimum > 0 && spec.groupPriorityMinimum <= 20000))
        errs.push({
          field: 'spec.groupPriorityMinimum',
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${spec.groupPriorityMinimum ?? 0}: must be positive and less than 20000`,
        });
      if (!(spec.versionPriority > 0 && spec.versionPriority <= 1000))
        errs.push({
          field: 'spec.versionPriority',
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${spec.versionPriority ?? 0}: must be positive and less than 1000`,
        });
      if (!spec.service.namespace)
        errs.push({ field: 'spec.service.namespace', reason: 'FieldValueRequired', message: 'Required value' });
      if (!spec.service.name)
        errs.push({ field: 'spec.service.name', reason: 'FieldValueRequired', message: 'Required value' });
      if (spec.insecureSkipTLSVerify && spec.caBundle)
        errs.push({
          field: 'spec.insecureSkipTLSVerify',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: true: may not be true if caBundle is present',
        });
    }
    if (!errs.length) return;
    const text = errs.map((e) => `${e.field}: ${e.message}`);
    throw new ApiError(
      422,
      'Invalid',
      `APIService.apiregistration.k8s.io "${o.metadata?.name}" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`,
      { name: o.metadata?.name, group: 'apiregistration.k8s.io', kind: 'APIService', causes: errs },
    );
  }
}
