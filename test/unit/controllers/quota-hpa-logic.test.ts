// Quantity arithmetic, the quota evaluators, the HPA's replica arithmetic and behavior, and the
// autoscaling v1<->v2 conversion.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HorizontalPodAutoscaler, Pod } from '../../../common/api-types.js';
import { chargedBy, podMatchesScopes, podUsage, serviceUsage, usageOf } from '../../../common/quota-usage.js';
import { addQuantities, formatQuantity, parseQuantityExact } from '../../../common/resource-quantity.js';
import {
  normalizeWithBehavior,
  resourceReplicas,
  type Recommendation,
} from '../../../cluster/controllers/podautoscaler/hpa-logic.js';
import { conversionFor } from '../../../cluster/apiserver/registry/version-conversion.js';
import { ResourceCatalog } from '../../../cluster/apiserver/resources.js';

const q = (s: string) => parseQuantityExact(s);
const text = (u: Map<string, ReturnType<typeof q>>) =>
  Object.fromEntries([...u].map(([k, v]) => [k, formatQuantity(v)]));

describe('quantities', () => {
  test('parse exactly and format canonically', () => {
    assert.equal(q('100m').milli, 100n);
    assert.equal(q('1.5').milli, 1500n);
    assert.equal(q('1Ki').milli, 1024_000n);
    assert.equal(q('1e3').milli, 1_000_000n);
    assert.equal(formatQuantity(addQuantities(q('64Mi'), q('64Mi'))), '128Mi');
    assert.equal(formatQuantity(addQuantities(q('500m'), q('500m'))), '1');
    assert.equal(formatQuantity(addQuantities(q('250m'), q('1'))), '1250m');
    assert.equal(formatQuantity(addQuantities(q('1G'), q('1G'))), '2G');
    assert.equal(formatQuantity(q('0')), '0');
    assert.throws(() => q('1.2.3'));
  });
});

const pod = (
  name: string,
  cpu: string | undefined,
  o: Partial<Pod['status']> = {},
  extra: Record<string, unknown> = {},
): Pod =>
  ({
    metadata: { name, namespace: 'ns' },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: cpu ? { requests: { cpu }, limits: { cpu } } : {} }],
      ...extra,
    },
    status: {
      phase: 'Running',
      startTime: '2026-01-01T00:00:00Z',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:01:00Z' }],
      ...o,
    },
  }) as Pod;

describe('quota evaluators', () => {
  test('pods count requests, limits and themselves; terminal pods nothing', () => {
    assert.deepEqual(text(podUsage(pod('a', '250m'), 0)), {
      pods: '1',
      'count/pods': '1',
      'requests.cpu': '250m',
      cpu: '250m',
      'limits.cpu': '250m',
    });
    assert.equal(podUsage(pod('b', '1', { phase: 'Succeeded' }), 0).size, 0);
  });

  test('init containers count by their max, services by node ports and load balancers', () => {
    const p = pod('a', '100m');
    p.spec.initContainers = [{ name: 'i', image: 'x', resources: { requests: { cpu: '300m' } } }];
    assert.equal(formatQuantity(podUsage(p, 0).get('requests.cpu')!), '300m');
    const lb = { spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } };
    assert.deepEqual(text(serviceUsage(lb)), {
      services: '1',
      'count/services': '1',
      'services.loadbalancers': '1',
      'services.nodeports': '2',
    });
    assert.deepEqual(text(usageOf('deployments', 'apps', {}, 0)), { 'count/deployments.apps': '1' });
    assert.deepEqual(chargedBy('count/deployments.apps'), [['deployments', 'apps']]);
    assert.deepEqual(chargedBy('limits.memory'), [['pods', '']]);
  });

  test('scopes: BestEffort, NotTerminating, PriorityClass', () => {
    const be = pod('a', undefined);
    assert.equal(podMatchesScopes({ spec: { scopes: ['BestEffort'] } }, be), true);
    assert.equal(podMatchesScopes({ spec: { scopes: ['NotBestEffort'] } }, be), false);
    assert.equal(
      podMatchesScopes({ spec: { scopes: ['Terminating'] } }, pod('b', '1', {}, { activeDeadlineSeconds: 5 })),
      true,
    );
    const sel = {
      spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
    };
    assert.equal(podMatchesScopes(sel, pod('c', '1', {}, { priorityClassName: 'high' })), true);
    assert.equal(podMatchesScopes(sel, pod('d', '1')), false);
  });
});

describe('HPA arithmetic', () => {
  const now = Date.parse('2026-01-01T01:00:00Z');
  const usage = (m: Record<string, number>) => new Map(Object.entries(m).map(([k, v]) => [k, BigInt(v)]));

  test('utilization above target scales up by the ratio; within 10% tolerance it stays', () => {
    const pods = [pod('a', '100m'), pod('b', '100m')];
    const up = resourceReplicas(2, pods, usage({ a: 90, b: 110 }), 'cpu', { utilization: 50 }, now);
    assert.deepEqual([up.replicas, up.utilization], [4, 100]);
    assert.equal(resourceReplicas(2, pods, usage({ a: 52, b: 54 }), 'cpu', { utilization: 50 }, now).replicas, 2);
    assert.equal(resourceReplicas(2, pods, usage({ a: 10, b: 10 }), 'cpu', { utilization: 50 }, now).replicas, 1);
  });

  test('a pod without metrics counts as using its whole request when scaling down', () => {
    const pods = [pod('a', '100m'), pod('b', '100m'), pod('c', '100m')];
    // The ready pods alone (10% of a 50% target) would ask for 1; with the missing pod at 100% of
    // its request the ratio is (10+10+100)/300/0.5 = 0.8, so ceil(0.8 × 3) = 3 stay.
    const r = resourceReplicas(3, pods, usage({ a: 10, b: 10 }), 'cpu', { utilization: 50 }, now);
    assert.equal(r.replicas, 3);
    assert.equal(
      resourceReplicas(3, pods, usage({ a: 10, b: 10, c: 10 }), 'cpu', { utilization: 50 }, now).replicas,
      1,
    );
  });

  test('a missing request is an error naming the container', () => {
    assert.throws(
      () => resourceReplicas(1, [pod('a', undefined)], usage({ a: 10 }), 'cpu', { utilization: 50 }, now),
      /missing request for cpu in container c of Pod a/,
    );
  });

  test('scale-down is stabilized over 5 minutes; scale-up is limited to max(4 pods, 100%) per step', () => {
    const hpa = {
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 100 },
    } as HorizontalPodAutoscaler;
    const hist: Recommendation[] = [];
    assert.equal(normalizeWithBehavior(hpa, 5, 8, hist, now).replicas, 8);
    // A lower recommendation within the window is held at the highest recent one.
    assert.equal(normalizeWithBehavior(hpa, 8, 2, hist, now + 60_000).replicas, 8);
    assert.equal(normalizeWithBehavior(hpa, 8, 2, hist, now + 400_000).replicas, 2);
    assert.equal(normalizeWithBehavior(hpa, 2, 50, [], now).replicas, 6);
  });
});

describe('autoscaling v1 <-> v2', () => {
  const catalog = new ResourceCatalog();
  const v1 = catalog.find('autoscaling', 'v1', 'horizontalpodautoscalers')!;
  const conv = conversionFor(v1)!;

  test('the CPU target becomes a Resource metric and comes back', () => {
    const obj = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 4,
        targetCPUUtilizationPercentage: 50,
      },
    };
    const stored = conv.toStorage(structuredClone(obj));
    assert.equal(stored.apiVersion, 'autoscaling/v2');
    assert.deepEqual(stored.spec.metrics, [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
    ]);
    assert.deepEqual(conv.fromStorage(stored), obj);
    assert.equal(conversionFor(catalog.find('autoscaling', 'v2', 'horizontalpodautoscalers')!), undefined);
  });

  test('what v1 cannot say rides in annotations and survives a round trip', () => {
    const stored = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 4,
        metrics: [
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
        ],
        behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
      },
      status: { currentReplicas: 2, desiredReplicas: 2, conditions: [{ type: 'AbleToScale', status: 'True' }] },
    };
    const served = conv.fromStorage(structuredClone(stored));
    assert.equal(served.spec.targetCPUUtilizationPercentage, undefined);
    assert.ok(served.metadata!.annotations['autoscaling.alpha.kubernetes.io/metrics']);
    assert.deepEqual(conv.toStorage(served), stored);
  });
});
