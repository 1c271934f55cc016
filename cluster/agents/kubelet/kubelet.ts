// The kubelet of one node: watches the pods bound to it (spec.nodeName) plus its static pods, and
// for each runs a pod worker that makes the sandbox and containers real through the runtime's pod
// module, restarts what dies (pause dead = sandbox and every container rebuilt), runs probes,
// terminates gracefully on deletion and confirms it to the apiserver, and reports pod status.
// Pod workers are keys of the work queue every controller and agent here uses (kubelet's
// podWorkers): one sync at a time per pod, at most `concurrency` pods at once, a change during a
// sync folds into one more, a failed sync is retried with backoff (1 s doubling to 10 s), and a
// container's CrashLoopBackOff or a config error brings its pod back when it is due.
import { createHash } from 'node:crypto';
import type { Pod, Service } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { PodRecord } from '../../../runtime/lab/lab-state.js';
import type { RuntimeService } from '../../../runtime/cri/cri-types.js';
import type { ImageService } from '../../../runtime/images/image-service.js';
import { PodNetwork } from '../../../runtime/pod/pod-network.js';
import { isNotFound } from '../../client/api-errors.js';
import type { Clock } from '../../client/clock.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { Disposer } from '../../client/rest-client.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import { ExponentialFailureRateLimiter } from '../../client/workqueue/rate-limiter.js';
import { ContainerEnv } from './container-env.js';
import { ContainerSync } from './container-sync.js';
import type { PodWorker } from './pod-worker.js';
import { PodVolumes } from './pod-volumes.js';
import { podStatus, statusChanged } from './pod-status.js';
import { KubeletRecords } from './kubelet-records.js';
import { readStaticManifests } from './static-manifests.js';
import { MIRROR_ANNOTATION, mirrorPodOf, staticPodObject, staticUid, type StaticPod } from './static-pods.js';

export interface KubeletNode {
  name: string;
  /** Underlay address: the pods' hostIP. */
  address: string;
  netns: string;
  cniConf: string;
  /** CNI config for pods without a pinned address (the node's pinned addresses left out). */
  dynamicCniConf?: string;
}

export interface KubeletDeps {
  client: KubeClient;
  clock: Clock;
  driver: HostDriver;
  /** The node's CRI runtime (crun inside the node container). */
  cri: RuntimeService & { resume?(): Promise<void> };
  prefix: string;
  node: KubeletNode;
  lab: string;
  /** Namespace name of a pod's sandbox. */
  podNetns(namespace: string, name: string): string;
  /** CRI log_directory of a pod (/var/log/pods/<ns>_<name>_<uid> on a real node). */
  podLogDir(namespace: string, name: string, uid: string): string;
  /** Folder of a pod's volumes on the node. */
  podVolumeDir(uid: string): string;
  /** Mounts a tmpfs inside the node container (emptyDir medium Memory) and unmounts it. */
  mountTmpfs(dir: string, sizeBytes?: number): Promise<void>;
  unmount(dir: string): Promise<void>;
  pvDir: string;
  nameserver: string;
  images: ImageService;
  /** resolv.conf lines for a pod (cluster DNS), written after the sandbox is made. */
  resolvConf(namespace: string): string | undefined;
  records: KubeletRecords;
  staticPods: StaticPod[];
  /** kubelet's staticPodPath: read at start and every few seconds. */
  manifestDir?: string;
  /** The topology's static pods' records are kept in state.json (up/down/reset read them there). */
  saveStaticRecord(key: string, rec: PodRecord | undefined): Promise<void>;
  /** Pods whose sandbox + containers are set up at once on this node. */
  concurrency?: number;
  log(line: string): void;
}

const HOUSEKEEPING_MS = 1000;
/** A failed pod sync is retried after 1 s, doubling up to kubelet's pod-worker backOffPeriod (10 s). */
const SYNC_BACKOFF_START_MS = 1000;
const SYNC_BACKOFF_MAX_MS = 10_000;

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly factory: SharedInformerFactory;
  private readonly events: EventRecorder;
  private readonly sync: ContainerSync;
  private readonly podWorkers: QueueWorker;
  /** Pods whose sync is under way: housekeeping leaves them alone. */
  private readonly syncing = new Set<string>();
  private stopped = false;
  private started = false;
  private ticks = 0;
  private cancelTick: (() => void) | undefined;
  private readonly volumes: PodVolumes;

  /** The node's images (the kubelet server makes ephemeral containers from them). */
  get images(): ImageService {
    return this.d.images;
  }

  constructor(private readonly d: KubeletDeps) {
    this.factory = new SharedInformerFactory(d.client, d.clock, {
      onError: (e, c) => d.log(`kubelet ${d.node.name}: informer ${c}: ${describeError(e)}`),
    });
    this.events = new EventRecorder(d.client, d.clock, { component: 'kubelet', host: d.node.name }, (e, c) =>
      d.log(`kubelet ${d.node.name}: event ${c}: ${describeError(e)}`),
    );
    this.podWorkers = new QueueWorker(`kubelet ${d.node.name}`, d.clock, (key) => this.syncKey(key), {
      // Each pod sync spawns helper processes: at most this many pods at once.
      workers: d.concurrency ?? 4,
      maxRetries: Infinity,
      rateLimiter: new ExponentialFailureRateLimiter(SYNC_BACKOFF_START_MS, SYNC_BACKOFF_MAX_MS),
      onError: (err, _context, key) => {
        const retryMs = Math.min(
          SYNC_BACKOFF_START_MS * 2 ** this.podWorkers.queue.numRequeues(key),
          SYNC_BACKOFF_MAX_MS,
        );
        d.log(`kubelet ${d.node.name}: pod ${key}: ${describeError(err)} (retry in ${retryMs / 1000} s)`);
      },
    });
    const services = this.factory.informerFor(d.client.services);
    this.volumes = new PodVolumes({
      client: d.client,
      podDir: (p) => d.podVolumeDir(p.metadata.uid ?? `${p.metadata.namespace}_${p.metadata.name}`),
      mountTmpfs: d.mountTmpfs,
      unmount: d.unmount,
      pvDir: d.pvDir,
      now: () => d.clock.now(),
    });
    this.sync = new ContainerSync({
      driver: d.driver,
      cri: d.cri,
      network: new PodNetwork(d.driver, d.prefix),
      volumes: this.volumes,
      env: new ContainerEnv(d.client),
      // The pod's namespace's Services, and default/kubernetes for every pod (the master service).
      services: (ns) =>
        services.store
          .list()
          .filter(
            (x: Service) =>
              x.metadata.namespace === ns || (x.metadata.namespace === 'default' && x.metadata.name === 'kubernetes'),
          ),
      clock: d.clock,
      events: this.events,
      node: d.node,
      podLogDir: d.podLogDir,
      nameserver: d.nameserver,
      images: d.images,
      resolvConf: d.resolvConf,
      containerId: (w) => createHash('sha256').update(`${d.lab}/${w.key}/${w.uid}`).digest('hex'),
      podNetns: d.podNetns,
      enqueue: (w) => this.enqueue(w),
    });
  }

  /** Number of pods with a worker (running, starting or terminating). */
  get podCount(): number {
    return this.workers.size;
  }

  start(): Disposer {
    const pods = this.factory.informerFor(this.d.client.pods, { fieldSelector: `spec.nodeName=${this.d.node.name}` });
    for (const sp of this.d.staticPods) this.addStatic(sp, true);
    this.scanManifests();
    for (const [key, saved] of Object.entries(this.d.records.load())) {
      const existing = this.workers.get(key);
      if (existing?.static && !existing.record && existing.uid === saved.uid) existing.record = saved.record;
      if (existing) continue;
      const w = this.newWorker(key, saved.uid);
      w.record = saved.record;
      w.restartCounts = saved.restartCounts;
      this.workers.set(key, w);
    }
    const stopHandler = pods.addEventHandler({
      onAdd: (p) => this.onPod(p),
      onUpdate: (_o, p) => this.onPod(p),
      onDelete: (p) => this.onPodGone(p),
    });
    this.factory.start();
    const stopWorkers = this.podWorkers.run();
    void Promise.all([this.factory.waitForCacheSync(), this.d.cri.resume?.()]).then(() => {
      if (this.stopped) return;
      // Workers for pods the API no longer has (deleted while this kubelet was down) terminate.
      for (const w of this.workers.values()) {
        if (!w.static && !pods.store.getByName(w.name, w.namespace))
          this.onPodGone({ metadata: { name: w.name, namespace: w.namespace, uid: w.uid } } as Pod);
        else this.enqueue(w);
      }
      this.started = true;
      this.tick();
    });
    return () => {
      this.stopped = true;
      stopWorkers();
      stopHandler();
      this.cancelTick?.();
      this.factory.shutdown();
    };
  }

  /** The pods this kubelet runs with their runtime records (read by its HTTPS server). */
  runningPods(): { pod: Pod; record: PodRecord | undefined; startTime: number }[] {
    const out: { pod: Pod; record: PodRecord | undefined; startTime: number }[] = [];
    for (const w of this.workers.values()) {
      const pod = w.static ? (w.mirror ?? w.static) : w.pod;
      if (pod) out.push({ pod, record: w.record, startTime: w.startTime });
    }
    return out;
  }

  /** Resolves once no pod sync is under way or queued (tests). */
  idle(): Promise<void> {
    return this.podWorkers.whenIdle();
  }

  private newWorker(key: string, uid: string | undefined): PodWorker {
    const [namespace, name] = key.split('/') as [string, string];
    return {
      key,
      namespace,
      name,
      uid: uid ?? '',
      containers: new Map(),
      restartCounts: {},
      startTime: this.d.clock.now(),
    };
  }

  /** Static pods of the manifest folder: new ones start, removed or changed ones stop. */
  private scanManifests(): void {
    if (!this.d.manifestDir) return;
    const found = readStaticManifests(this.d.manifestDir, (problem) =>
      this.d.log(`kubelet ${this.d.node.name}: static pod ${problem}`),
    );
    const byKey = new Map(found.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    for (const w of this.workers.values()) {
      if (!w.static || w.fromTopology) continue;
      const now = byKey.get(w.key);
      if (now && staticUid(now) === w.uid) continue;
      w.pod = undefined; // removed or changed: terminate (a changed one is added again afterwards)
      w.successorStatic = now;
      this.enqueue(w);
    }
    for (const [key, pod] of byKey) {
      if (this.workers.has(key)) continue;
      this.addStatic({ pod }, false);
      if (this.started) this.enqueue(this.workers.get(key)!);
    }
  }

  private addStatic(sp: StaticPod, fromTopology: boolean): void {
    const m = sp.pod.metadata;
    const key = `${m.namespace ?? 'default'}/${m.name}`;
    const pod = staticPodObject(sp.pod, this.d.node.name);
    const hash = pod.metadata.uid!;
    const w = this.newWorker(key, hash);
    w.static = pod;
    w.fromTopology = fromTopology;
    w.pod = pod;
    if (sp.record) w.record = sp.record;
    this.workers.set(key, w);
  }

  private onPod(p: Pod): void {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    let w = this.workers.get(key);
    if (p.metadata.annotations?.[MIRROR_ANNOTATION]) {
      if (w?.static && p.metadata.annotations[MIRROR_ANNOTATION] === w.uid) {
        w.mirror = p;
        if (p.metadata.deletionTimestamp)
          this.d.client.pods
            .delete(p.metadata.name!, p.metadata.namespace, { gracePeriodSeconds: 0 })
            .catch(() => undefined);
      }
      return;
    }
    if (w && w.uid && p.metadata.uid !== w.uid) {
      // Same name, new object (deleted and recreated): the old one finishes first.
      w.successor = p;
      w.pod = undefined;
      this.enqueue(w);
      return;
    }
    if (!w) {
      w = this.newWorker(key, p.metadata.uid);
      const counts = Object.fromEntries((p.status?.containerStatuses ?? []).map((c) => [c.name, c.restartCount]));
      w.restartCounts = counts;
      this.workers.set(key, w);
    }
    w.uid = p.metadata.uid ?? '';
    w.pod = p;
    this.enqueue(w);
  }

  private onPodGone(p: Pod): void {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    const w = this.workers.get(key);
    if (!w) return;
    if (w.static) {
      if (p.metadata.annotations?.[MIRROR_ANNOTATION] === w.uid) w.mirror = undefined; // recreated by the next sync
      this.enqueue(w);
      return;
    }
    if (p.metadata.uid && w.uid && p.metadata.uid !== w.uid) return;
    w.pod = undefined;
    w.gone = true;
    this.enqueue(w);
  }

  private enqueue(w: PodWorker): void {
    if (!this.stopped) this.podWorkers.enqueueKey(w.key);
  }

  /**
   * One pass of a pod's worker. A throw is retried with backoff (housekeeping does not bring it
   * forward); a container waiting out CrashLoopBackOff or a config error brings the pod back
   * when it is due.
   */
  private async syncKey(key: string): Promise<ReconcileResult | void> {
    const w = this.workers.get(key);
    // Keys still queued when the kubelet stops drain without a sync.
    if (!w || this.stopped) return;
    this.syncing.add(key);
    w.wakeAt = w.retryAt = undefined;
    try {
      await this.syncPod(w);
    } finally {
      this.syncing.delete(key);
    }
    // A terminated worker is gone (or replaced by its successor, already queued).
    if (this.workers.get(key) !== w) return;
    const due = Math.min(w.wakeAt ?? Infinity, w.retryAt ?? Infinity);
    if (due !== Infinity) return { requeueAfterMs: Math.max(0, due - this.d.clock.now()) };
  }

  private async syncPod(w: PodWorker): Promise<void> {
    const pod = w.pod;
    if (!pod || pod.metadata.deletionTimestamp) {
      await this.terminate(w, pod);
      return;
    }
    if (w.static && !w.mirror) await this.createMirror(w);
    const changed = await this.sync.syncContainers(w, pod);
    if (changed) this.persist(w);
    await this.postStatus(w);
  }

  private async terminate(w: PodWorker, pod: Pod | undefined): Promise<void> {
    const spec = pod ?? w.static;
    const grace = w.gone
      ? 0
      : (spec?.metadata.deletionGracePeriodSeconds ?? spec?.spec.terminationGracePeriodSeconds ?? 30);
    if (w.record) {
      await this.sync.killPod(w, pod ?? w.mirror, grace);
      await this.sync.removePod(w, spec ?? w.mirror);
      w.record = undefined;
    }
    if (pod) {
      await this.d.client.pods
        .delete(pod.metadata.name!, pod.metadata.namespace, {
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid },
        })
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
    }
    if (w.static && w.mirror)
      await this.d.client.pods.delete(w.name, w.namespace, { gracePeriodSeconds: 0 }).catch(() => undefined);
    this.workers.delete(w.key);
    this.d.records.remove(w.key);
    if (w.successor) this.onPod(w.successor);
    if (w.successorStatic) {
      this.addStatic({ pod: w.successorStatic }, false);
      this.enqueue(this.workers.get(w.key)!);
    }
  }

  private async createMirror(w: PodWorker): Promise<void> {
    // Owned by the Node as a controller (as kubelet does), so no ReplicaSet adopts a mirror pod.
    const node = await this.d.client.nodes.get(this.d.node.name);
    try {
      w.mirror = await this.d.client.pods.create(mirrorPodOf(w.static!, node));
    } catch (err) {
      w.mirror = await this.d.client.pods.get(w.name, w.namespace).catch(() => undefined);
      if (!w.mirror) throw err;
    }
  }

  private async postStatus(w: PodWorker): Promise<void> {
    const target = w.static ? w.mirror : w.pod;
    if (!target) return;
    const next = podStatus(this.sync.view(w, target), target.status, this.d.clock.now());
    const text = JSON.stringify(next);
    if (!statusChanged(target, next) || w.lastPosted === text) return;
    const updated = await this.d.client.pods.patch(w.name, { status: next }, 'merge', {
      namespace: w.namespace,
      subresource: 'status',
    });
    w.lastPosted = text;
    if (w.static) w.mirror = updated;
  }

  private persist(w: PodWorker): void {
    if (w.static && w.fromTopology) {
      void this.d
        .saveStaticRecord(w.key, w.record)
        .catch((e) => this.d.log(`kubelet ${this.d.node.name}: saving ${w.key}: ${describeError(e)}`));
      return;
    }
    if (w.record)
      this.d.records.put(w.key, {
        uid: w.uid,
        record: w.record,
        restartCounts: Object.fromEntries([...w.containers].map(([n, c]) => [n, c.restartCount])),
      });
  }

  /** Housekeeping (the PLEG's relist): notices dead processes, due restarts and probes. */
  private tick(): void {
    if (this.stopped) return;
    void this.housekeeping()
      .catch((e) => this.d.log(`kubelet ${this.d.node.name}: housekeeping: ${describeError(e)}`))
      .finally(() => {
        if (!this.stopped) this.cancelTick = this.d.clock.setTimer(() => this.tick(), HOUSEKEEPING_MS);
      });
  }

  private async housekeeping(): Promise<void> {
    if (++this.ticks % 3 === 0) this.scanManifests();
    const now = this.d.clock.now();
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        if (this.syncing.has(w.key)) return;
        // Waiting out a failed sync's backoff or a config error: the queue brings it back.
        if (this.podWorkers.queue.numRequeues(w.key) > 0) return;
        if (w.retryAt && now < w.retryAt) return;
        // Projected service-account tokens are rewritten before they expire.
        if (w.pod && w.record?.sandbox && !w.pod.metadata.deletionTimestamp)
          await this.volumes
            .refresh(w.pod)
            .catch((e) => this.d.log(`kubelet ${this.d.node.name}: pod ${w.key}: token refresh: ${describeError(e)}`));
        if (await this.sync.needsSync(w)) this.enqueue(w);
        else if (w.pod && !w.pod.metadata.deletionTimestamp) this.sync.runProbes(w, w.pod);
      }),
    );
  }
}
