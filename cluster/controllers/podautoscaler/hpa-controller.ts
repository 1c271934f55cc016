// The HorizontalPodAutoscaler controller (kube-controller-manager's `horizontalpodautoscaling`,
// autoscaling/v2): every 15 s each HPA reads its target's scale subresource, the target's pods and
// their usage from metrics.k8s.io (served from the kubelets' cgroup stats), computes the replica
// count its Resource metrics ask for, clamps and stabilizes it, writes the scale and reports
// currentMetrics and the AbleToScale/ScalingActive/ScalingLimited conditions in status.
import type { HorizontalPodAutoscaler, KubeObject, Pod } from '../../../common/api-types.js';
import { milliOf } from '../../../common/resource-quantity.js';
import { isNotFound } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import { Resources } from '../../client/resources.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import { rfc3339 } from '../util/pods.js';
import {
  MetricError,
  normalizeWithBehavior,
  resourceReplicas,
  type PodUsage,
  type Recommendation,
} from './hpa-logic.js';

/** --horizontal-pod-autoscaler-sync-period. */
const SYNC_MS = 15_000;

type Condition = NonNullable<NonNullable<HorizontalPodAutoscaler['status']>['conditions']>[number];
interface Scale {
  metadata: KubeObject['metadata'];
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}
interface PodMetricsList {
  items: { metadata: { name: string }; containers: { name: string; usage: Record<string, string> }[] }[];
}

export class HorizontalPodAutoscalerController implements Controller {
  readonly name = 'horizontal-pod-autoscaler';
  private readonly worker: QueueWorker;
  private readonly hpas: Informer<HorizontalPodAutoscaler>;
  private readonly client: ResourceClient<HorizontalPodAutoscaler>;
  private readonly recorder: EventRecorder;
  private readonly history = new Map<string, Recommendation[]>();
  private readonly plurals = new Map<string, string>();

  constructor(private readonly ctx: ControllerContext) {
    this.client = ctx.client.resource<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers);
    this.hpas = ctx.informers.informerFor(this.client);
    this.recorder = ctx.recorder(this.name);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const off = this.hpas.addEventHandler({
      onAdd: (h) => this.worker.enqueue(h),
      onUpdate: (o, h) => {
        // Our own status writes would otherwise make every sync trigger the next one at once.
        if (o.metadata.generation !== h.metadata.generation) this.worker.enqueue(h);
      },
      onDelete: (h) => this.history.delete(`${h.metadata.namespace}/${h.metadata.name}`),
    });
    const stop = this.worker.run();
    return () => {
      off();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  /** The target's URL, its plural found in discovery (Deployment → deployments). */
  private async scalePath(hpa: HorizontalPodAutoscaler): Promise<string> {
    const ref = hpa.spec.scaleTargetRef;
    const gv = ref.apiVersion || 'v1';
    const base = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    const key = `${gv}/${ref.kind}`;
    let plural = this.plurals.get(key);
    if (!plural) {
      const list = await this.ctx.client.rest.request<{ resources: { name: string; kind: string }[] }>('GET', base);
      plural = list.resources.find((r) => r.kind === ref.kind && !r.name.includes('/'))?.name;
      if (!plural) throw new MetricError(`no matches for kind "${ref.kind}" in group version "${gv}"`);
      this.plurals.set(key, plural);
    }
    return `${base}/namespaces/${hpa.metadata.namespace}/${plural}/${ref.name}/scale`;
  }

  private async metricsReplicas(
    hpa: HorizontalPodAutoscaler,
    current: number,
    selector: string,
  ): Promise<{ replicas: number; metrics: unknown[]; message: string }> {
    const ns = hpa.metadata.namespace!;
    const pods = (await this.ctx.client.pods.list({ namespace: ns, labelSelector: selector })).items as Pod[];
    const pm = await this.ctx.client.rest.request<PodMetricsList>(
      'GET',
      `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods`,
      { query: { labelSelector: selector } },
    );
    let best = -1;
    let message = '';
    const metrics: unknown[] = [];
    // No metrics (an autoscaling/v1 HPA without a CPU target): the default policy, 80% CPU.
    const specs = hpa.spec.metrics?.length
      ? hpa.spec.metrics
      : [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization' as const, averageUtilization: 80 } },
          },
        ];
    for (const m of specs) {
      const src = m.type === 'Resource' ? m.resource : m.type === 'ContainerResource' ? m.containerResource : undefined;
      if (!src)
        throw new MetricError(`unsupported metric source type "${m.type}" (the lab serves resource metrics only)`);
      const container = m.type === 'ContainerResource' ? m.containerResource!.container : undefined;
      const usage: PodUsage = new Map();
      for (const item of pm.items) {
        let sum = 0n;
        let found = false;
        for (const c of item.containers ?? []) {
          if (container && c.name !== container) continue;
          const v = c.usage?.[src.name];
          if (v !== undefined) {
            sum += milliOf(v);
            found = true;
          }
        }
        if (found) usage.set(item.metadata.name, sum);
      }
      const t = src.target;
      const r = resourceReplicas(
        current,
        pods,
        usage,
        src.name,
        t.type === 'Utilization'
          ? { utilization: t.averageUtilization ?? 80 }
          : { averageMilli: milliOf(t.averageValue ?? t.value ?? '0') },
        this.ctx.clock.now(),
      );
      const averageValue = `${r.averageMilli}m`;
      const cur = { averageValue, ...(r.utilization !== undefined ? { averageUtilization: r.utilization } : {}) };
      metrics.push(
        m.type === 'Resource'
          ? { type: 'Resource', resource: { name: src.name, current: cur } }
          : { type: 'ContainerResource', containerResource: { name: src.name, container, current: cur } },
      );
      if (r.replicas > best) {
        best = r.replicas;
        message = `${src.name} resource${t.type === 'Utilization' ? ' utilization (percentage of request)' : ''}`;
      }
    }
    return { replicas: best < 0 ? current : best, metrics, message };
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const hpa = this.hpas.store.get(key);
    if (!hpa || hpa.metadata.deletionTimestamp) {
      this.history.delete(key);
      return;
    }
    const now = this.ctx.clock.now();
    const ref = objectRef(hpa, 'autoscaling/v2', 'HorizontalPodAutoscaler');
    const conditions: Condition[] = structuredClone(hpa.status?.conditions ?? []);
    const setCond = (type: string, status: 'True' | 'False', reason: string, message: string) => {
      const i = conditions.findIndex((c) => c.type === type);
      const old = i >= 0 ? conditions[i] : undefined;
      const c: Condition = {
        type,
        status,
        lastTransitionTime: old && old.status === status ? old.lastTransitionTime : rfc3339(now),
        reason,
        message,
      };
      if (i >= 0) conditions[i] = c;
      else conditions.push(c);
    };
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    let path: string;
    let scale: Scale;
    try {
      path = await this.scalePath(hpa);
      scale = await this.ctx.client.rest.request<Scale>('GET', path);
    } catch (err) {
      const msg = `the HPA controller was unable to get the target's current scale: ${(err as Error).message}`;
      setCond('AbleToScale', 'False', 'FailedGetScale', msg);
      this.recorder.event(ref, 'Warning', 'FailedGetScale', (err as Error).message);
      await this.writeStatus(hpa, { ...hpa.status, conditions });
      return { requeueAfterMs: SYNC_MS };
    }
    const current = scale.spec?.replicas ?? 0;
    let desired = current;
    let metrics: unknown[] | undefined = hpa.status?.currentMetrics;
    let why = '';
    setCond(
      'AbleToScale',
      'True',
      'SucceededGetScale',
      "the HPA controller was able to get the target's current scale",
    );
    if (current === 0 && min !== 0) {
      setCond(
        'ScalingActive',
        'False',
        'ScalingDisabled',
        'scaling is disabled since the replica count of the target is zero',
      );
    } else if (current > max) {
      desired = max;
      why = 'Current number of replicas above Spec.MaxReplicas';
      setCond(
        'ScalingLimited',
        'True',
        'TooManyReplicas',
        'the desired replica count is more than the maximum replica count',
      );
    } else if (current < min) {
      desired = min;
      why = 'Current number of replicas below Spec.MinReplicas';
      setCond(
        'ScalingLimited',
        'True',
        'TooFewReplicas',
        'the desired replica count is less than the minimum replica count',
      );
    } else {
      try {
        const m = await this.metricsReplicas(hpa, current, scale.status?.selector ?? '');
        metrics = m.metrics;
        setCond(
          'ScalingActive',
          'True',
          'ValidMetricFound',
          `the HPA was able to successfully calculate a replica count from ${m.message}`,
        );
        const hist = this.history.get(key) ?? [];
        this.history.set(key, hist);
        const n = normalizeWithBehavior(hpa, current, m.replicas, hist, now);
        desired = n.replicas;
        setCond('AbleToScale', 'True', n.reason, n.message);
        if (desired > max || desired < min) {
          const over = desired > max;
          desired = over ? max : min;
          setCond(
            'ScalingLimited',
            'True',
            over ? 'TooManyReplicas' : 'TooFewReplicas',
            `the desired replica count is ${over ? 'more than the maximum' : 'less than the minimum'} replica count`,
          );
        } else
          setCond('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range');
        why = desired > current ? `${m.message} above target` : 'All metrics below target';
      } catch (err) {
        const msg = (err as Error).message;
        setCond(
          'ScalingActive',
          'False',
          'FailedGetResourceMetric',
          `the HPA was unable to compute the replica count: ${msg}`,
        );
        this.recorder.event(ref, 'Warning', 'FailedGetResourceMetric', msg);
        metrics = undefined;
      }
    }
    let lastScaleTime = hpa.status?.lastScaleTime;
    if (desired !== current) {
      try {
        await this.ctx.client.rest.request('PUT', path, {
          body: { ...scale, spec: { ...(scale.spec ?? {}), replicas: desired } },
        });
        lastScaleTime = rfc3339(now);
        setCond(
          'AbleToScale',
          'True',
          'SucceededRescale',
          `the HPA controller was able to update the target scale to ${desired}`,
        );
        this.recorder.event(ref, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${why}`);
      } catch (err) {
        setCond(
          'AbleToScale',
          'False',
          'FailedUpdateScale',
          `the HPA controller was unable to update the target scale: ${(err as Error).message}`,
        );
        this.recorder.event(
          ref,
          'Warning',
          'FailedRescale',
          `New size: ${desired}; reason: ${why}; error: ${(err as Error).message}`,
        );
        desired = current;
      }
    }
    await this.writeStatus(hpa, {
      observedGeneration: hpa.metadata.generation,
      ...(lastScaleTime ? { lastScaleTime } : {}),
      currentReplicas: current,
      desiredReplicas: desired,
      ...(metrics?.length ? { currentMetrics: metrics } : {}),
      conditions,
    });
    return { requeueAfterMs: SYNC_MS };
  }

  private async writeStatus(hpa: HorizontalPodAutoscaler, status: HorizontalPodAutoscaler['status']): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(hpa.status ?? {})) return;
    try {
      await this.client.updateStatus({ ...hpa, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
