// Defaulting and validation of the scheduling and policy kinds: CronJob (batch/v1), the
// HorizontalPodAutoscaler (autoscaling/v2), ResourceQuota, LimitRange and PriorityClass, as their
// SetDefaults_* and Validate* functions do the parts clients notice.
import { isDeepStrictEqual } from 'node:util';
import { CronParseError, parseCron } from '../../../common/cron-schedule.js';
import { milliOf, QuantityError } from '../../../common/resource-quantity.js';
import type { KObject } from '../registry/object-store.js';
import { conversionFor } from '../registry/version-conversion.js';
import { invalid, type FieldError } from '../status.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from './admission.js';
import { defaultPodSpec } from './defaults.js';
import { defaultLimitRange } from './limit-ranger.js';

type O = Record<string, any>;

const bad = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail,
});
const req = (field: string): FieldError => ({ type: 'FieldValueRequired', field, detail: '' });

export function defaultPolicyKind(plural: string, obj: O): void {
  switch (plural) {
    case 'cronjobs': {
      const s = (obj.spec ??= {});
      s.concurrencyPolicy ??= 'Allow';
      s.suspend ??= false;
      s.successfulJobsHistoryLimit ??= 3;
      s.failedJobsHistoryLimit ??= 1;
      const t = s.jobTemplate?.spec?.template;
      if (t && typeof t === 'object') {
        t.metadata ??= {};
        defaultPodSpec(t.spec);
      }
      break;
    }
    case 'horizontalpodautoscalers': {
      const s = (obj.spec ??= {});
      s.minReplicas ??= 1;
      if (!Array.isArray(s.metrics) || !s.metrics.length)
        s.metrics = [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        ];
      if (s.behavior && typeof s.behavior === 'object') defaultBehavior(s.behavior);
      break;
    }
    case 'limitranges':
      defaultLimitRange(obj);
      break;
    case 'priorityclasses':
      obj.preemptionPolicy ??= 'PreemptLowerPriority';
      break;
  }
}

/** SetDefaults_HorizontalPodAutoscalerBehavior (only when a behavior is given at all). */
function defaultBehavior(b: O): void {
  b.scaleUp ??= {};
  b.scaleUp.stabilizationWindowSeconds ??= 0;
  b.scaleUp.selectPolicy ??= 'Max';
  b.scaleUp.policies ??= [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ];
  b.scaleDown ??= {};
  b.scaleDown.stabilizationWindowSeconds ??= 300;
  b.scaleDown.selectPolicy ??= 'Max';
  b.scaleDown.policies ??= [{ type: 'Percent', value: 100, periodSeconds: 15 }];
}

function quantities(map: unknown, field: string, errs: FieldError[]): void {
  for (const [k, v] of Object.entries((map ?? {}) as O)) {
    try {
      if (milliOf(v) < 0n) errs.push(bad(`${field}[${k}]`, v, 'must be greater than or equal to 0'));
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      errs.push(bad(`${field}[${k}]`, v, err.message));
    }
  }
}

export function validatePolicyKind(plural: string, obj: O, old: O | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const s = obj.spec ?? {};
  switch (plural) {
    case 'cronjobs': {
      if (typeof s.schedule !== 'string' || !s.schedule) errs.push(req('spec.schedule'));
      else {
        try {
          parseCron(s.schedule, s.timeZone ?? undefined);
        } catch (err) {
          if (!(err instanceof CronParseError)) throw err;
          errs.push(
            err.where === 'spec.timeZone'
              ? bad('spec.timeZone', s.timeZone, 'unknown time zone')
              : bad('spec.schedule', s.schedule, err.problem),
          );
        }
      }
      if (!['Allow', 'Forbid', 'Replace'].includes(s.concurrencyPolicy))
        errs.push({
          type: 'FieldValueNotSupported',
          field: 'spec.concurrencyPolicy',
          value: s.concurrencyPolicy,
          detail: 'supported values: "Allow", "Forbid", "Replace"',
        });
      for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'])
        if (s[f] !== undefined && s[f] !== null && !(Number.isInteger(s[f]) && s[f] >= 0))
          errs.push(bad(`spec.${f}`, s[f], 'must be greater than or equal to 0'));
      const name = obj.metadata?.name;
      // The controller names its Jobs <name>-<11 digits>, which must stay a 63-character label.
      if (typeof name === 'string' && name.length > 52)
        errs.push(bad('metadata.name', name, 'must be no more than 52 characters'));
      const tpl = s.jobTemplate?.spec?.template;
      if (!tpl?.spec?.containers?.length) errs.push(req('spec.jobTemplate.spec.template.spec.containers'));
      const rp = tpl?.spec?.restartPolicy;
      if (rp !== undefined && rp !== 'OnFailure' && rp !== 'Never')
        errs.push({
          type: 'FieldValueNotSupported',
          field: 'spec.jobTemplate.spec.template.spec.restartPolicy',
          value: rp,
          detail: 'supported values: "OnFailure", "Never"',
        });
      break;
    }
    case 'horizontalpodautoscalers': {
      const ref = s.scaleTargetRef ?? {};
      if (!ref.kind) errs.push(req('spec.scaleTargetRef.kind'));
      if (!ref.name) errs.push(req('spec.scaleTargetRef.name'));
      if (!Number.isInteger(s.maxReplicas) || s.maxReplicas < 1)
        errs.push(bad('spec.maxReplicas', s.maxReplicas, 'must be greater than or equal to 1'));
      if (s.minReplicas !== undefined && (!Number.isInteger(s.minReplicas) || s.minReplicas < 1))
        errs.push(bad('spec.minReplicas', s.minReplicas, 'must be greater than or equal to 1'));
      if (Number.isInteger(s.minReplicas) && Number.isInteger(s.maxReplicas) && s.minReplicas > s.maxReplicas)
        errs.push(bad('spec.maxReplicas', s.maxReplicas, 'must be greater than or equal to `minReplicas`'));
      (s.metrics ?? []).forEach((m: O, i: number) => {
        if (!['Resource', 'Pods', 'Object', 'External', 'ContainerResource'].includes(m?.type))
          errs.push(bad(`spec.metrics[${i}].type`, m?.type, 'must be a valid metric source type'));
        const t = m?.resource?.target;
        if (m?.type === 'Resource' && t?.type === 'Utilization' && !(t.averageUtilization > 0))
          errs.push(
            bad(
              `spec.metrics[${i}].resource.target.averageUtilization`,
              t.averageUtilization,
              'must be greater than 0',
            ),
          );
      });
      break;
    }
    case 'resourcequotas':
      quantities(s.hard, 'spec.hard', errs);
      for (const sc of s.scopes ?? [])
        if (
          ![
            'Terminating',
            'NotTerminating',
            'BestEffort',
            'NotBestEffort',
            'PriorityClass',
            'CrossNamespacePodAffinity',
          ].includes(sc)
        )
          errs.push({ type: 'FieldValueNotSupported', field: 'spec.scopes', value: sc, detail: 'unsupported scope' });
      break;
    case 'limitranges':
      (s.limits ?? []).forEach((item: O, i: number) => {
        if (!['Container', 'Pod', 'PersistentVolumeClaim'].includes(item?.type))
          errs.push({
            type: 'FieldValueNotSupported',
            field: `spec.limits[${i}].type`,
            value: item?.type,
            detail: 'supported values: "Container", "Pod", "PersistentVolumeClaim"',
          });
        for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'])
          quantities(item?.[f], `spec.limits[${i}].${f}`, errs);
        for (const [k, v] of Object.entries((item?.min ?? {}) as O)) {
          const max = item?.max?.[k];
          try {
            if (max !== undefined && milliOf(v) > milliOf(max))
              errs.push(bad(`spec.limits[${i}].min[${k}]`, v, `min value ${v} is greater than max value ${max}`));
          } catch (err) {
            if (!(err instanceof QuantityError)) throw err;
          }
        }
      });
      break;
    case 'priorityclasses':
      if (!Number.isInteger(obj.value)) errs.push(req('value'));
      else if (obj.value > 1_000_000_000 && !String(obj.metadata?.name).startsWith('system-'))
        errs.push(bad('value', obj.value, 'maximum allowed value of a user defined priority is 1000000000'));
      if (old && old.value !== obj.value) errs.push(bad('value', obj.value, 'field is immutable'));
      if (old && !isDeepStrictEqual(old.preemptionPolicy, obj.preemptionPolicy))
        errs.push(bad('preemptionPolicy', obj.preemptionPolicy, 'field is immutable'));
      break;
  }
  return errs;
}

const KINDS = new Set(['cronjobs', 'horizontalpodautoscalers', 'resourcequotas', 'limitranges', 'priorityclasses']);
const builtin = (a: AdmissionAttributes) => !a.resource.custom && KINDS.has(a.resource.plural);

export class PolicyKindDefaults implements MutatingPlugin {
  readonly name = 'PolicyKindDefaults';
  admit(a: AdmissionAttributes): void {
    if (!a.object || !builtin(a) || (a.operation !== 'CREATE' && a.operation !== 'UPDATE') || a.subresource !== '')
      return;
    // autoscaling/v1's only default; its missing CPU target means the controller's default policy.
    if (conversionFor(a.resource)) {
      a.object.spec ??= {};
      a.object.spec.minReplicas ??= 1;
      return;
    }
    defaultPolicyKind(a.resource.plural, a.object);
  }
}

export class PolicyKindValidation implements ValidatingPlugin {
  readonly name = 'PolicyKindValidation';
  validate(a: AdmissionAttributes): void {
    if (!a.object || !builtin(a) || (a.operation !== 'CREATE' && a.operation !== 'UPDATE') || a.subresource) return;
    // Other served versions are validated in the stored version's form.
    const conv = conversionFor(a.resource);
    const obj = conv ? conv.toStorage(structuredClone(a.object)) : a.object;
    const old = a.oldObject && conv ? conv.toStorage(structuredClone(a.oldObject)) : a.oldObject;
    const errs = validatePolicyKind(a.resource.plural, obj as KObject, old);
    if (errs.length) throw invalid(a.resource.kind, a.resource.group, a.object.metadata?.name ?? a.name, errs);
  }
}
