// Built-in kinds served in more than one version from one storage version, as kube-apiserver
// converts them: HorizontalPodAutoscalers are stored as autoscaling/v2 and also served as
// autoscaling/v1 (what `kubectl autoscale` 1.32 writes). v1 has only a CPU utilization target; what
// it cannot express (other metrics, behavior, conditions, current metrics) rides in the
// autoscaling.alpha.kubernetes.io/* annotations, exactly as pkg/apis/autoscaling/v1's conversion
// keeps it, so a v1 read-modify-write loses nothing.
import type { ResourceInfo } from '../resources.js';
import type { KObject } from './object-store.js';

type O = Record<string, any>;

const A_METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const A_CURRENT = 'autoscaling.alpha.kubernetes.io/current-metrics';
const A_BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';
const A_CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';

export interface VersionConversion {
  /** Served form (this version) → stored form. */
  toStorage(obj: KObject): KObject;
  /** Stored form → served form (this version). */
  fromStorage(obj: KObject): KObject;
}

const isCpuUtilization = (m: O) =>
  m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization';

function parseAnnotation(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

const hpaV1: VersionConversion = {
  toStorage(obj) {
    if (obj.apiVersion !== 'autoscaling/v1') return obj;
    const { spec = {}, status, ...rest } = obj as O;
    const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
    const other = parseAnnotation(annotations[A_METRICS]);
    const behavior = parseAnnotation(annotations[A_BEHAVIOR]);
    const conditions = parseAnnotation(annotations[A_CONDITIONS]);
    const current = parseAnnotation(annotations[A_CURRENT]);
    for (const k of [A_METRICS, A_BEHAVIOR, A_CONDITIONS, A_CURRENT]) delete annotations[k];
    const metrics: O[] = Array.isArray(other) ? [...other] : [];
    if (spec.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage !== null)
      metrics.unshift({
        type: 'Resource',
        resource: {
          name: 'cpu',
          target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage },
        },
      });
    const v2spec: O = {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(metrics.length ? { metrics } : {}),
      ...(behavior ? { behavior } : {}),
    };
    let v2status: O | undefined;
    if (status) {
      const cur: O[] = Array.isArray(current) ? [...current] : [];
      if (status.currentCPUUtilizationPercentage !== undefined && !cur.some(isCpuCurrent))
        cur.unshift({
          type: 'Resource',
          resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } },
        });
      v2status = {
        ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
        ...(status.lastScaleTime ? { lastScaleTime: status.lastScaleTime } : {}),
        currentReplicas: status.currentReplicas ?? 0,
        desiredReplicas: status.desiredReplicas ?? 0,
        ...(cur.length ? { currentMetrics: cur } : {}),
        ...(Array.isArray(conditions) ? { conditions } : {}),
      };
    }
    const metadata = { ...(obj.metadata ?? {}) };
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    else delete metadata.annotations;
    return { ...rest, apiVersion: 'autoscaling/v2', metadata, spec: v2spec, ...(v2status ? { status: v2status } : {}) };
  },
  fromStorage(obj) {
    if (obj.apiVersion === 'autoscaling/v1') return obj;
    const { spec = {}, status, ...rest } = obj as O;
    const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
    const metrics: O[] = spec.metrics ?? [];
    const cpu = metrics.find(isCpuUtilization);
    const others = metrics.filter((m) => m !== cpu);
    if (others.length) annotations[A_METRICS] = JSON.stringify(others);
    if (spec.behavior) annotations[A_BEHAVIOR] = JSON.stringify(spec.behavior);
    const v1spec: O = {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization } : {}),
    };
    let v1status: O | undefined;
    if (status) {
      const current: O[] = status.currentMetrics ?? [];
      const cpuNow = current.find(isCpuCurrent);
      const rest2 = current.filter((m) => m !== cpuNow);
      if (rest2.length) annotations[A_CURRENT] = JSON.stringify(rest2);
      if (status.conditions?.length) annotations[A_CONDITIONS] = JSON.stringify(status.conditions);
      v1status = {
        ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
        ...(status.lastScaleTime ? { lastScaleTime: status.lastScaleTime } : {}),
        currentReplicas: status.currentReplicas ?? 0,
        desiredReplicas: status.desiredReplicas ?? 0,
        ...(cpuNow?.resource?.current?.averageUtilization !== undefined
          ? { currentCPUUtilizationPercentage: cpuNow.resource.current.averageUtilization }
          : {}),
      };
    }
    const metadata = { ...(obj.metadata ?? {}) };
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    return { ...rest, apiVersion: 'autoscaling/v1', metadata, spec: v1spec, ...(v1status ? { status: v1status } : {}) };
  },
};

function isCpuCurrent(m: O): boolean {
  return m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.current?.averageUtilization !== undefined;
}

/** The conversion a served (group, version) of a built-in kind needs, if it is not the storage version. */
export function conversionFor(r: ResourceInfo): VersionConversion | undefined {
  if (!r.custom && r.group === 'autoscaling' && r.version === 'v1' && r.plural === 'horizontalpodautoscalers')
    return hpaV1;
  return undefined;
}
