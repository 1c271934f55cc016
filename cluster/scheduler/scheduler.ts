// The scheduler component: watches pods without a node, runs one scheduling cycle per pod, assumes
// the pod onto the chosen node in its cache, and binds it through the pods/binding subresource in
// the background while the next pod is scheduled. A pod that fits nowhere gets a FailedScheduling
// event and a PodScheduled=False condition, and is retried with backoff or as soon as the cluster
// changes (a node added or updated, a pod deleted, a claim bound).
import type { Pod, PodCondition } from '../../common/api-types.js';
import { isNotFound } from '../client/api-errors.js';
import type { Clock } from '../client/clock.js';
import { EventRecorder } from '../client/event-recorder.js';
import type { Informer } from '../client/informer.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import type { KubeClient } from '../client/kube-client.js';
import type { Disposer } from '../client/rest-client.js';
import { ExponentialFailureRateLimiter } from '../client/workqueue/rate-limiter.js';
import { RateLimitingQueue } from '../client/workqueue/rate-limiting-queue.js';
import { ScheduleAlgorithm } from './algorithm.js';
import { fitErrorMessage, type NodeVerdict, type SchedulingDecision } from './decision.js';
import { newPodInfo, podKey } from './node-info.js';
import { defaultProfile, type Profile } from './profile.js';
import { SchedulerCache } from './scheduler-cache.js';
import { rfc3339 } from '../../common/time.js';

/** Annotation the binding carries (the apiserver copies it onto the pod): a short decision summary. */
export const DECISION_ANNOTATION = 'scheduler.kubewire.io/decision';

export interface SchedulerOptions {
  profile?: Profile;
  /** Uniform in [0, 1) for tie-breaks (default Math.random). */
  random?: () => number;
  /** Decisions kept in memory for the UI (default 500). */
  decisionsKept?: number;
  /** Bindings in flight at once (default 64). */
  bindConcurrency?: number;
  /** Retry backoff of an unschedulable pod: kube-scheduler's podInitialBackoff 1 s … podMaxBackoff 10 s. */
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  /** Put the decision summary annotation on bindings (default true). */
  annotateDecisions?: boolean;
  onError?: (err: unknown, context: string) => void;
  /** Identity for events' source.host. */
  host?: string;
}

function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

export class Scheduler {
  readonly cache: SchedulerCache;
  private readonly algorithm: ScheduleAlgorithm;
  private readonly profile: Profile;
  private readonly queue: RateLimitingQueue;
  private readonly events: EventRecorder;
  private readonly pods: Informer<Pod>;
  private readonly unschedulable = new Set<string>();
  private readonly kept: SchedulingDecision[] = [];
  private readonly byPod = new Map<string, SchedulingDecision>();
  private readonly listeners = new Set<(d: SchedulingDecision) => void>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly disposers: Disposer[] = [];
  private loop: Promise<void> | undefined;
  /** Pods bound so far (the benchmark and the UI read it). */
  bound = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly factory: SharedInformerFactory,
    private readonly clock: Clock,
    private readonly opts: SchedulerOptions = {},
  ) {
    this.profile = opts.profile ?? defaultProfile();
    this.pods = factory.pods();
    const pvcs = factory.persistentVolumeClaims();
    const pvs = factory.persistentVolumes();
    const namespaces = factory.namespaces();
    this.cache = new SchedulerCache({
      pvc: (ns, name) => pvcs.store.getByName(name, ns),
      pv: (name) => pvs.store.getByName(name),
      namespace: (name) => namespaces.store.getByName(name),
    });
    this.algorithm = new ScheduleAlgorithm(this.profile, opts.random ?? Math.random);
    this.queue = new RateLimitingQueue(
      clock,
      new ExponentialFailureRateLimiter(opts.podInitialBackoffMs ?? 1000, opts.podMaxBackoffMs ?? 10_000),
    );
    this.events = new EventRecorder(client, clock, { component: this.profile.schedulerName, host: opts.host }, (e, c) =>
      this.report(e, `event ${c}`),
    );
  }

  /** Registers with the informers, starts them, and schedules until the disposer is called. */
  start(): Disposer {
    const nodes = this.factory.nodes();
    this.disposers.push(
      this.pods.addEventHandler({
        onAdd: (p) => this.onPod(p),
        onUpdate: (_o, p) => this.onPod(p),
        onDelete: (p) => {
          this.cache.removePod(p);
          this.moveAllToActive();
        },
      }),
      nodes.addEventHandler({
        onAdd: (n) => {
          this.cache.upsertNode(n);
          this.moveAllToActive();
        },
        onUpdate: (_o, n) => {
          this.cache.upsertNode(n);
          this.moveAllToActive();
        },
        onDelete: (n) => this.cache.removeNode(n.metadata.name!),
      }),
      this.factory
        .persistentVolumeClaims()
        .addEventHandler({ onAdd: () => this.moveAllToActive(), onUpdate: () => this.moveAllToActive() }),
      this.factory
        .persistentVolumes()
        .addEventHandler({ onAdd: () => this.moveAllToActive(), onUpdate: () => this.moveAllToActive() }),
    );
    this.factory.namespaces();
    this.factory.start();
    this.loop = this.factory.waitForCacheSync().then(() => this.run());
    return () => void this.stop();
  }

  async stop(): Promise<void> {
    for (const d of this.disposers.splice(0)) d();
    this.queue.shutDown();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.events.flush();
  }

  /** Resolves when no pod waits in the queue and no binding is in flight (tests, benchmark). */
  async idle(): Promise<void> {
    while (this.queue.length() > 0 || this.inFlight.size > 0) {
      if (this.inFlight.size) await Promise.race(this.inFlight);
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The newest decisions, oldest first. */
  decisions(): SchedulingDecision[] {
    return [...this.kept];
  }

  decisionFor(namespace: string, name: string): SchedulingDecision | undefined {
    return this.byPod.get(`${namespace}/${name}`);
  }

  onDecision(listener: (d: SchedulingDecision) => void): Disposer {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private responsibleFor(p: Pod): boolean {
    return (p.spec.schedulerName ?? 'default-scheduler') === this.profile.schedulerName;
  }

  private onPod(p: Pod): void {
    if (p.spec.nodeName) {
      if (isTerminal(p)) this.cache.removePod(p);
      else this.cache.addPod(p);
      return;
    }
    if (!this.responsibleFor(p) || p.metadata.deletionTimestamp || isTerminal(p)) return;
    const key = podKey(p);
    if (!this.cache.isAssumed(key)) this.queue.add(key);
  }

  private moveAllToActive(): void {
    for (const key of this.unschedulable) this.queue.add(key);
    this.unschedulable.clear();
  }

  private async run(): Promise<void> {
    let n = 0;
    for (;;) {
      const { key, shutdown } = await this.queue.get();
      if (shutdown) return;
      try {
        await this.scheduleOne(key);
      } catch (err) {
        this.report(err, `scheduling ${key}`);
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
      // Let watch events and binding answers in between pods of a burst.
      if (++n % 32 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  private async scheduleOne(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    if (!pod || pod.spec.nodeName || pod.metadata.deletionTimestamp || this.cache.nodeOf(key) !== undefined) {
      this.queue.forget(key);
      return;
    }
    const d = this.algorithm.schedule(newPodInfo(pod), this.cache, this.clock.now());
    if (d.selected) {
      this.cache.assumePod(pod, d.selected);
      this.queue.forget(key);
      this.unschedulable.delete(key);
      this.keep(d);
      while (this.inFlight.size >= (this.opts.bindConcurrency ?? 64)) await Promise.race(this.inFlight);
      const p = this.bind(pod, d).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
      return;
    }
    d.message =
      d.totalNodes === 0
        ? 'no nodes available to schedule pods'
        : fitErrorMessage(d, (node) => this.preemptionVerdict(pod, node));
    this.keep(d);
    this.events.warning(pod, 'FailedScheduling', d.message);
    this.setUnschedulableCondition(pod, d.message);
    this.unschedulable.add(key);
    this.queue.addRateLimited(key);
  }

  /** What DefaultPreemption reports for a node it could consider (kubewire does not evict). */
  private preemptionVerdict(pod: Pod, node: string): string {
    const prio = pod.spec.priority ?? 0;
    const lower = [...(this.cache.nodeInfo(node)?.pods.values() ?? [])].some(
      (pi) => (pi.pod.spec.priority ?? 0) < prio,
    );
    return lower ? 'Preemption is not implemented in kubewire' : 'No preemption victims found for incoming pod';
  }

  private async bind(pod: Pod, d: SchedulingDecision): Promise<void> {
    const { namespace = 'default', name = '' } = pod.metadata;
    const key = podKey(pod);
    const node = d.selected!;
    try {
      const annotations = this.opts.annotateDecisions === false ? undefined : { [DECISION_ANNOTATION]: summarize(d) };
      await this.client.bind(namespace, name, node, { uid: pod.metadata.uid, annotations });
      this.bound++;
      this.events.normal(pod, 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (err) {
      this.cache.forgetPod(key);
      if (isNotFound(err)) return; // the pod went away meanwhile: nothing to schedule
      this.report(err, `binding ${key} to ${node}`);
      this.events.warning(
        pod,
        'FailedScheduling',
        `Binding rejected: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.queue.addRateLimited(key);
    }
  }

  private setUnschedulableCondition(pod: Pod, message: string): void {
    const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cur?.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return;
    const cond: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: rfc3339(this.clock.now()),
    };
    const { namespace = 'default', name = '' } = pod.metadata;
    this.client.pods
      .patch(name, { status: { conditions: [cond] } }, 'strategic', { namespace, subresource: 'status' })
      .catch((err) => {
        if (!isNotFound(err)) this.report(err, `PodScheduled condition of ${namespace}/${name}`);
      });
  }

  private keep(d: SchedulingDecision): void {
    this.kept.push(d);
    this.byPod.set(d.pod, d);
    const max = this.opts.decisionsKept ?? 500;
    while (this.kept.length > max) {
      const old = this.kept.shift()!;
      if (this.byPod.get(old.pod) === old) this.byPod.delete(old.pod);
    }
    for (const l of this.listeners) l(d);
  }

  private report(err: unknown, context: string): void {
    if (this.opts.onError) this.opts.onError(err, context);
    else console.error(`scheduler: ${context}:`, err instanceof Error ? err.message : err);
  }
}

/** One line for the pod's annotation: where, with what score, among how many. */
export function summarize(d: SchedulingDecision): string {
  // One pass over the verdicts (hundreds per pod): the three best totals, first seen first among
  // equals as a stable sort would keep them, and the rejections per plugin.
  const best: NodeVerdict[] = [];
  const rejected = new Map<string, number>();
  for (const v of d.nodes) {
    if (v.rejectedBy) rejected.set(v.rejectedBy, (rejected.get(v.rejectedBy) ?? 0) + 1);
    if (v.total === undefined) continue;
    if (best.length === 3 && v.total <= best[2]!.total!) continue;
    let i = best.length;
    while (i > 0 && best[i - 1]!.total! < v.total) i--;
    best.splice(i, 0, v);
    if (best.length > 3) best.pop();
  }
  const top = best.map((v) => `${v.node}=${v.total}`);
  const rej = [...rejected].map(([p, n]) => `${p}:${n}`).join(',');
  return `${d.selected}; feasible ${d.feasible}/${d.evaluated} of ${d.totalNodes}${top.length ? `; top ${top.join(' ')}` : ''}${rej ? `; rejected ${rej}` : ''}${d.tiedBest && d.tiedBest > 1 ? `; tie of ${d.tiedBest}` : ''}`;
}
