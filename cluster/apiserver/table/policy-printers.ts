// Server-side printers of the scheduling and policy kinds (pkg/printers/internalversion): CronJob,
// HorizontalPodAutoscaler, ResourceQuota, LimitRange, PriorityClass, PodDisruptionBudget.
import type { KObject } from '../registry/object-store.js';
import { formatLabelSelector } from '../selectors/label-selector.js';
import { orNone, since } from './human.js';
import { age, ageOf, col, nameCol, templateColumns, type Printer } from './columns.js';

const cronjobs: Printer = {
  columns: [
    nameCol,
    col('Schedule'),
    col('TimeZone'),
    col('Suspend', 'boolean'),
    col('Active', 'integer'),
    col('Last Schedule'),
    age,
    ...templateColumns,
  ],
  cells: (o, now) => {
    const pod = o.spec?.jobTemplate?.spec?.template?.spec ?? {};
    const sel = o.spec?.jobTemplate?.spec?.selector;
    return [
      o.metadata?.name,
      o.spec?.schedule,
      orNone(o.spec?.timeZone),
      o.spec?.suspend ? 'True' : 'False',
      (o.status?.active ?? []).length,
      o.status?.lastScheduleTime ? since(now, o.status.lastScheduleTime) : '<none>',
      ageOf(o, now),
      (pod.containers ?? []).map((c: KObject) => c.name).join(','),
      (pod.containers ?? []).map((c: KObject) => c.image).join(','),
      sel ? formatLabelSelector(sel) || '<none>' : '<none>',
    ];
  },
};

/** formatHPAMetrics: "cpu: 12%/80%", `<unknown>` before the first measurement, "+ N more..." past 3. */
function hpaTargets(o: KObject): string {
  const specs: KObject[] = o.spec?.metrics ?? [];
  if (!specs.length) return '<none>';
  const current: KObject[] = o.status?.currentMetrics ?? [];
  const list = specs.map((m, i) => {
    const cur = current[i];
    switch (m.type) {
      case 'Resource':
      case 'ContainerResource': {
        const src = m.type === 'Resource' ? m.resource : m.containerResource;
        const c = cur?.[m.type === 'Resource' ? 'resource' : 'containerResource']?.current;
        const name = `${src?.name}`;
        if (src?.target?.averageUtilization !== undefined) {
          const v = c?.averageUtilization !== undefined ? `${c.averageUtilization}%` : '<unknown>';
          return `${name}: ${v}/${src.target.averageUtilization}%`;
        }
        const v = c?.averageValue ?? '<unknown>';
        return `${name}: ${v}/${src?.target?.averageValue}`;
      }
      case 'Pods':
        return `${cur?.pods?.current?.averageValue ?? '<unknown>'}/${m.pods?.target?.averageValue}`;
      case 'Object': {
        const t = m.object?.target ?? {};
        const c = cur?.object?.current ?? {};
        if (t.type === 'AverageValue') return `${c.averageValue ?? '<unknown>'}/${t.averageValue} (avg)`;
        return `${c.value ?? '<unknown>'}/${t.value}`;
      }
      case 'External': {
        const t = m.external?.target ?? {};
        const c = cur?.external?.current ?? {};
        if (t.type === 'AverageValue') return `${c.averageValue ?? '<unknown>'}/${t.averageValue} (avg)`;
        return `${c.value ?? '<unknown>'}/${t.value}`;
      }
      default:
        return '<unknown type>';
    }
  });
  return list.length > 3 ? `${list.slice(0, 3).join(', ')} + ${list.length - 3} more...` : list.join(', ');
}

const hpas: Printer = {
  columns: [
    nameCol,
    col('Reference'),
    col('Targets'),
    col('MinPods', 'integer'),
    col('MaxPods', 'integer'),
    col('Replicas', 'integer'),
    age,
  ],
  cells: (o, now) => [
    o.metadata?.name,
    `${o.spec?.scaleTargetRef?.kind}/${o.spec?.scaleTargetRef?.name}`,
    hpaTargets(o),
    o.spec?.minReplicas ?? '<unset>',
    o.spec?.maxReplicas,
    o.status?.currentReplicas ?? 0,
    ageOf(o, now),
  ],
};

function quotaColumn(o: KObject, limits: boolean): string {
  const hard: Record<string, string> = o.status?.hard ?? {};
  const used: Record<string, string> = o.status?.used ?? {};
  return Object.keys(hard)
    .filter((k) => k.startsWith('limits.') === limits)
    .sort()
    .map((k) => `${k}: ${used[k] ?? '0'}/${hard[k]}`)
    .join(', ');
}

const resourcequotas: Printer = {
  columns: [nameCol, age, col('Request'), col('Limit')],
  cells: (o, now) => [o.metadata?.name, ageOf(o, now), quotaColumn(o, false), quotaColumn(o, true)],
};

const limitranges: Printer = {
  columns: [nameCol, col('Created At', 'date')],
  cells: (o) => [o.metadata?.name, o.metadata?.creationTimestamp],
};

const priorityclasses: Printer = {
  columns: [nameCol, col('Value', 'integer'), col('Global-Default', 'boolean'), age, col('PreemptionPolicy')],
  cells: (o, now) => [
    o.metadata?.name,
    o.value,
    o.globalDefault ? 'true' : 'false',
    ageOf(o, now),
    o.preemptionPolicy ?? 'PreemptLowerPriority',
  ],
};

const pdbs: Printer = {
  columns: [nameCol, col('Min Available'), col('Max Unavailable'), col('Allowed Disruptions', 'integer'), age],
  cells: (o, now) => [
    o.metadata?.name,
    o.spec?.minAvailable !== undefined ? String(o.spec.minAvailable) : 'N/A',
    o.spec?.maxUnavailable !== undefined ? String(o.spec.maxUnavailable) : 'N/A',
    o.status?.disruptionsAllowed ?? 0,
    ageOf(o, now),
  ],
};

// admissionregistration.k8s.io: printWebhookConfiguration, printValidatingAdmissionPolicy(Binding).
const webhookConfigurations: Printer = {
  columns: [nameCol, col('Webhooks', 'integer'), age],
  cells: (o, now) => [o.metadata?.name, (o.webhooks ?? []).length, ageOf(o, now)],
};

const validatingAdmissionPolicies: Printer = {
  columns: [nameCol, col('Validations', 'integer'), col('ParamKind'), age],
  cells: (o, now) => {
    const pk = o.spec?.paramKind;
    return [
      o.metadata?.name,
      (o.spec?.validations ?? []).length,
      pk ? `${pk.apiVersion}/${pk.kind}` : '<unset>',
      ageOf(o, now),
    ];
  },
};

const validatingAdmissionPolicyBindings: Printer = {
  columns: [nameCol, col('PolicyName'), col('ParamRef'), age],
  cells: (o, now) => {
    const ref = o.spec?.paramRef;
    let paramRef = '<unset>';
    if (ref?.name) paramRef = ref.namespace ? `${ref.namespace}/${ref.name}` : `*/${ref.name}`;
    else if (ref?.selector) paramRef = formatLabelSelector(ref.selector) || '<none>';
    return [o.metadata?.name, o.spec?.policyName, paramRef, ageOf(o, now)];
  },
};

export const POLICY_PRINTERS: Record<string, Printer> = {
  mutatingwebhookconfigurations: webhookConfigurations,
  validatingwebhookconfigurations: webhookConfigurations,
  validatingadmissionpolicies: validatingAdmissionPolicies,
  validatingadmissionpolicybindings: validatingAdmissionPolicyBindings,
  cronjobs,
  horizontalpodautoscalers: hpas,
  resourcequotas,
  limitranges,
  priorityclasses,
  poddisruptionbudgets: pdbs,
};
