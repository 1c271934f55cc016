// The garbage collector: objects whose every owner (ownerReferences) is gone are deleted; an owner
// deleted with propagationPolicy Orphan (finalizer `orphan`) first has itself removed from its
// dependents' ownerReferences; one deleted with Foreground (finalizer `foregroundDeletion`) has
// its dependents deleted and keeps existing until none that blocks it (blockOwnerDeletion) is left.
// Background deletion needs nothing here beyond the first rule: the owner goes at once and its
// dependents follow. Owners are looked up in the shared caches and, when absent there, in the API,
// so a cache that lags can never make the collector delete a live object's dependents.
import type { KubeObject, OwnerReference } from '../../../common/api-types.js';
import { isConflict, isNotFound } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import { objectKey } from '../../client/indexer.js';
import type { ResourceClient } from '../../client/resource-client.js';
import { Resources, type ResourceType } from '../../client/resources.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';

export const OrphanFinalizer = 'orphan';
export const ForegroundFinalizer = 'foregroundDeletion';
const UidIndex = 'gc-uid';
const OwnerIndex = 'gc-owner-uid';

interface Monitor {
  type: ResourceType;
  informer: Informer<KubeObject>;
  client: ResourceClient<KubeObject>;
}

type OwnerState = 'solid' | 'dangling' | 'waiting';

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector-controller';
  private readonly worker: QueueWorker;
  private readonly monitors = new Map<string, Monitor>();

  constructor(private readonly ctx: ControllerContext) {
    const f = ctx.informers;
    const c = ctx.client;
    const pairs: [Informer<KubeObject>, ResourceClient<KubeObject>][] = [
      [f.pods(), c.pods],
      [f.replicaSets(), c.replicaSets],
      [f.deployments(), c.deployments],
      [f.daemonSets(), c.daemonSets],
      [f.statefulSets(), c.statefulSets],
      [f.jobs(), c.jobs],
      // CronJobs own their Jobs (the cronjob controller): deleting one must collect them.
      [f.informerFor(c.resource(Resources.cronjobs)), c.resource(Resources.cronjobs)],
      [f.replicationControllers(), c.replicationControllers],
      [f.services(), c.services],
      [f.endpoints(), c.endpoints],
      [f.endpointSlices(), c.endpointSlices],
      [f.persistentVolumeClaims(), c.persistentVolumeClaims],
      [f.nodes(), c.nodes],
    ] as unknown as [Informer<KubeObject>, ResourceClient<KubeObject>][];
    for (const [informer, client] of pairs) {
      informer.addIndexers({
        [UidIndex]: (o) => (o.metadata.uid ? [o.metadata.uid] : []),
        [OwnerIndex]: (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid),
      });
      this.monitors.set(client.type.resource, { type: client.type, informer, client });
    }
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const offs: Disposer[] = [];
    for (const m of this.monitors.values()) {
      const key = (o: KubeObject) => `${m.type.resource}|${objectKey(o)}`;
      const consider = (o: KubeObject) => {
        if (o.metadata.ownerReferences?.length) this.worker.enqueueKey(key(o));
        const fins = o.metadata.finalizers ?? [];
        if (o.metadata.deletionTimestamp && (fins.includes(OrphanFinalizer) || fins.includes(ForegroundFinalizer)))
          this.worker.enqueueKey(key(o));
      };
      offs.push(
        m.informer.addEventHandler({
          onAdd: consider,
          onUpdate: (old, o) => {
            consider(o);
            if (!old.metadata.deletionTimestamp && o.metadata.deletionTimestamp) this.enqueueDependents(o);
          },
          onDelete: (o) => {
            // Its dependents may now be orphans; an owner waiting in foreground may now be free.
            this.enqueueDependents(o);
            for (const r of o.metadata.ownerReferences ?? []) this.enqueueUid(r.uid);
          },
        }),
      );
    }
    const stop = this.worker.run();
    return () => {
      for (const o of offs) o();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private enqueueDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const m of this.monitors.values())
      for (const d of m.informer.store.byIndex(OwnerIndex, uid))
        this.worker.enqueueKey(`${m.type.resource}|${objectKey(d)}`);
  }

  private enqueueUid(uid: string): void {
    for (const m of this.monitors.values())
      for (const o of m.informer.store.byIndex(UidIndex, uid))
        this.worker.enqueueKey(`${m.type.resource}|${objectKey(o)}`);
  }

  private dependents(uid: string): { monitor: Monitor; obj: KubeObject }[] {
    const out: { monitor: Monitor; obj: KubeObject }[] = [];
    for (const m of this.monitors.values())
      for (const obj of m.informer.store.byIndex(OwnerIndex, uid)) out.push({ monitor: m, obj });
    return out;
  }

  private async reconcile(key: string): Promise<void> {
    const bar = key.indexOf('|');
    const m = this.monitors.get(key.slice(0, bar));
    const obj = m?.informer.store.get(key.slice(bar + 1));
    if (!m || !obj) return;
    const fins = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && fins.includes(OrphanFinalizer)) await this.orphanDependents(m, obj);
    else if (obj.metadata.deletionTimestamp && fins.includes(ForegroundFinalizer))
      await this.deleteDependentsFirst(m, obj);
    if (obj.metadata.ownerReferences?.length) await this.attemptToDelete(m, obj);
  }

  private async ownerState(ns: string | undefined, ref: OwnerReference): Promise<OwnerState> {
    for (const mon of this.monitors.values()) {
      const found = mon.informer.store.byIndex(UidIndex, ref.uid)[0];
      if (found)
        return found.metadata.deletionTimestamp && (found.metadata.finalizers ?? []).includes(ForegroundFinalizer)
          ? 'waiting'
          : 'solid';
    }
    // Not in any cache: ask the API (a kind we cannot name is assumed alive, never collected).
    const type = Object.values(Resources).find(
      (t) => t.kind === ref.kind && (t.group ? `${t.group}/${t.version}` : t.version) === ref.apiVersion,
    );
    if (!type) return 'solid';
    try {
      const live = await this.ctx.client.resource<KubeObject>(type).get(ref.name, type.namespaced ? ns : undefined);
      if (live.metadata.uid !== ref.uid) return 'dangling';
      return live.metadata.deletionTimestamp && (live.metadata.finalizers ?? []).includes(ForegroundFinalizer)
        ? 'waiting'
        : 'solid';
    } catch (err) {
      if (isNotFound(err)) return 'dangling';
      throw err;
    }
  }

  /** attemptToDeleteItem: delete a dependent whose owners are all gone, or drop the dangling references. */
  private async attemptToDelete(m: Monitor, obj: KubeObject): Promise<void> {
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).includes(ForegroundFinalizer)) return;
    const refs = obj.metadata.ownerReferences ?? [];
    const states = await Promise.all(refs.map((r) => this.ownerState(obj.metadata.namespace, r)));
    const solid = refs.filter((_, i) => states[i] === 'solid');
    const dangling = refs.filter((_, i) => states[i] === 'dangling');
    const waiting = refs.filter((_, i) => states[i] === 'waiting');
    if (dangling.length === 0 && waiting.length === 0) return;
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.every((r) => !r.blockOwnerDeletion)) return;
      // Still owned by someone alive: only forget the owners that are gone (or waiting on us).
      await this.patchOwnerRefs(m, obj, solid);
      return;
    }
    if (obj.metadata.deletionTimestamp) return;
    const hasDependents = !!obj.metadata.uid && this.dependents(obj.metadata.uid).length > 0;
    const policy = waiting.length > 0 && hasDependents ? 'Foreground' : 'Background';
    try {
      await m.client.delete(obj.metadata.name!, obj.metadata.namespace, {
        propagationPolicy: policy,
        preconditions: { uid: obj.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async orphanDependents(m: Monitor, owner: KubeObject): Promise<void> {
    for (const { monitor, obj } of this.dependents(owner.metadata.uid!)) {
      await this.patchOwnerRefs(
        monitor,
        obj,
        (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid),
      );
    }
    await this.removeFinalizer(m, owner, OrphanFinalizer);
  }

  private async deleteDependentsFirst(m: Monitor, owner: KubeObject): Promise<void> {
    const deps = this.dependents(owner.metadata.uid!);
    for (const { monitor, obj } of deps) {
      if (obj.metadata.deletionTimestamp) continue;
      try {
        await monitor.client.delete(obj.metadata.name!, obj.metadata.namespace, {
          propagationPolicy: 'Foreground',
          preconditions: { uid: obj.metadata.uid },
        });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    const blocking = deps.filter(({ obj }) =>
      obj.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid && r.blockOwnerDeletion),
    );
    if (blocking.length === 0) await this.removeFinalizer(m, owner, ForegroundFinalizer);
  }

  private async patchOwnerRefs(m: Monitor, obj: KubeObject, refs: OwnerReference[]): Promise<void> {
    try {
      await m.client.patch(
        obj.metadata.name!,
        { metadata: { uid: obj.metadata.uid, ownerReferences: refs.length ? refs : null } },
        'merge',
        { namespace: obj.metadata.namespace },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Drops one finalizer. The owner's controller may write it meanwhile (a Deployment's status is
   * still synced while it is being deleted), so a conflict re-reads the live object and tries
   * again at once instead of waiting for the queue's back-off, as the real collector does.
   */
  private async removeFinalizer(m: Monitor, obj: KubeObject, finalizer: string): Promise<void> {
    let current = obj;
    for (let attempt = 0; ; attempt++) {
      const rest = (current.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      if (rest.length === (current.metadata.finalizers ?? []).length) return;
      try {
        await m.client.patch(
          current.metadata.name!,
          { metadata: { resourceVersion: current.metadata.resourceVersion, finalizers: rest.length ? rest : null } },
          'merge',
          { namespace: current.metadata.namespace },
        );
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 4) throw err;
      }
      try {
        current = await m.client.get(obj.metadata.name!, obj.metadata.namespace);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (current.metadata.uid !== obj.metadata.uid) return;
    }
  }
}
