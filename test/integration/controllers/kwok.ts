// Test helpers for controllers against the real apiserver. There is no kubelet in these tests, so
// FakeKubelet does what kwok's fake nodes do, and says so: it marks pods Running and Ready by
// patching their status (after an optional delay), finishes the deletion of terminating pods
// (grace 0, as a kubelet does once containers stopped) and can mark pods Succeeded for Jobs.
import { readFileSync } from 'node:fs';
import type { Node, Pod } from '../../../common/api-types.js';
import { isNotFound } from '../../../cluster/client/api-errors.js';
import { SystemClock } from '../../../cluster/client/clock.js';
import { Informer } from '../../../cluster/client/informer.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import type { Harness } from '../apiserver/harness.js';
import { SharedInformerFactory } from '../../../cluster/client/informer-factory.js';
import { Scheduler } from '../../../cluster/scheduler/scheduler.js';

/** The real scheduler (cluster/scheduler) on its own informers, as kube-scheduler runs beside the controllers. */
export function startScheduler(client: KubeClient): () => Promise<void> {
  const clock = new SystemClock();
  const factory = new SharedInformerFactory(client, clock, { onError: () => {} });
  const scheduler = new Scheduler(client, factory, clock, { onError: () => {} });
  scheduler.start();
  return async () => {
    await scheduler.stop();
    factory.shutdown();
  };
}

export function connect(h: Harness): KubeClient {
  return new KubeClient({ server: h.server.url, ca: readFileSync(h.server.caPath), token: h.token });
}

export { eventually as until } from '../../helpers/eventually.js';

export function fakeNode(name: string, labels: Record<string, string> = {}): Node {
  return {
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok', ...labels },
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
    },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      addresses: [{ type: 'InternalIP', address: '10.231.209.10' }],
    },
  };
}

export interface FakeKubeletOptions {
  /** Only pods bound to a node become ready (as with kwok); false: every pod. */
  boundOnly?: boolean;
  readyDelayMs?: number;
  /** Decides whether a pod is made Ready now (default: all). */
  admit?: (p: Pod) => boolean;
}

export class FakeKubelet {
  readonly pods: Informer<Pod>;
  private ipSeq = 2;
  private readonly handled = new Set<string>();
  private stopped = false;
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly client: KubeClient,
    private readonly opts: FakeKubeletOptions = {},
  ) {
    this.pods = new Informer<Pod>(client.pods, new SystemClock(), { onError: () => {} });
    this.pods.addEventHandler({ onAdd: (p) => this.consider(p), onUpdate: (_, p) => this.consider(p) });
  }

  start(): () => void {
    const stop = this.pods.run();
    return () => {
      this.stopped = true;
      for (const t of this.timers) clearTimeout(t);
      stop();
    };
  }

  /** Marks pods Succeeded (a Job's containers exited 0). */
  async succeed(p: Pod): Promise<void> {
    await this.client.pods.patch(
      p.metadata.name!,
      { status: { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted' }] } },
      'merge',
      { namespace: p.metadata.namespace, subresource: 'status' },
    );
  }

  async fail(p: Pod): Promise<void> {
    await this.client.pods.patch(
      p.metadata.name!,
      { status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed' }] } },
      'merge',
      { namespace: p.metadata.namespace, subresource: 'status' },
    );
  }

  private consider(p: Pod): void {
    if (this.stopped) return;
    const key = `${p.metadata.namespace}/${p.metadata.name}/${p.metadata.uid}`;
    if (p.metadata.deletionTimestamp) {
      if (this.handled.has(`del:${key}`)) return;
      this.handled.add(`del:${key}`);
      this.later(() => this.client.pods.delete(p.metadata.name!, p.metadata.namespace, { gracePeriodSeconds: 0 }));
      return;
    }
    if (this.handled.has(key) || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return;
    if (this.opts.boundOnly && !p.spec.nodeName) return;
    if (this.opts.admit && !this.opts.admit(p)) return;
    this.handled.add(key);
    const ip = `192.168.128.${this.ipSeq++ % 250}`;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.later(
      () =>
        this.client.pods.patch(
          p.metadata.name!,
          {
            status: {
              phase: 'Running',
              podIP: ip,
              podIPs: [{ ip }],
              hostIP: '10.231.209.10',
              startTime: now,
              conditions: [
                { type: 'Initialized', status: 'True', lastTransitionTime: now },
                { type: 'Ready', status: 'True', lastTransitionTime: now },
                { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
                { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
              ],
              containerStatuses: p.spec.containers.map((c) => ({
                name: c.name,
                image: c.image,
                ready: true,
                restartCount: 0,
                started: true,
                state: { running: { startedAt: now } },
              })),
            },
          },
          'merge',
          { namespace: p.metadata.namespace, subresource: 'status' },
        ),
      this.opts.readyDelayMs ?? 0,
    );
  }

  /** Re-admits pods the admit filter held back. */
  recheck(): void {
    for (const p of this.pods.store.list()) this.consider(p);
  }

  private later(fn: () => Promise<unknown>, ms = 0): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.stopped) return;
      fn().catch((err) => {
        if (!isNotFound(err)) console.error(`fake kubelet: ${err instanceof Error ? err.message : err}`);
      });
    }, ms);
    this.timers.add(t);
  }
}
