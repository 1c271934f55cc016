// The Endpoints controller and the EndpointSlice controller (two controllers in kube, one class
// here with a mode): Services and pods feed a queue of Service keys; each sync writes the Service's
// Endpoints object, or its EndpointSlices, to match its ready and not-ready pods.
import type { Endpoints, EndpointSlice, Pod, Service } from '../../../common/api-types.js';
import { isAlreadyExists, isNotFound } from '../../client/api-errors.js';
import { NamespaceIndex, splitKey } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { stableJson } from '../util/hash.js';
import { matchesSet } from '../util/labels.js';
import {
  desiredEndpoints,
  desiredSlices,
  planSlices,
  ServiceNameLabel,
  SliceControllerName,
  SliceManagedByLabel,
} from './endpoints-logic.js';

export class EndpointsController implements Controller {
  readonly name: string;
  private readonly worker: QueueWorker;
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly endpoints: Informer<Endpoints> | undefined;
  private readonly slices: Informer<EndpointSlice> | undefined;
  /** Slices we created that the cache may not show yet (the EndpointSlice controller's own tracker). */
  private readonly created = new Map<string, EndpointSlice[]>();

  constructor(
    private readonly ctx: ControllerContext,
    readonly mode: 'endpoints' | 'endpointslices',
  ) {
    this.name = mode === 'endpoints' ? 'endpoints-controller' : 'endpointslice-controller';
    this.services = ctx.informers.services();
    this.pods = ctx.informers.pods();
    if (mode === 'endpoints') this.endpoints = ctx.informers.endpoints();
    else this.slices = ctx.informers.endpointSlices();
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const forPod = (p: Pod) => {
      for (const s of this.services.store.byIndex(NamespaceIndex, p.metadata.namespace ?? ''))
        if (matchesSet(s.spec.selector, p.metadata.labels)) this.worker.enqueue(s);
    };
    const offs = [
      this.services.addEventHandler({
        onAdd: (s) => this.worker.enqueue(s),
        onUpdate: (_, s) => this.worker.enqueue(s),
        onDelete: (s) => this.worker.enqueue(s),
      }),
      this.pods.addEventHandler({
        onAdd: forPod,
        onUpdate: (old, p) => {
          if (
            stableJson([
              old.metadata.labels,
              old.status?.podIP,
              old.status?.phase,
              old.status?.conditions,
              old.metadata.deletionTimestamp,
              old.spec.nodeName,
            ]) ===
            stableJson([
              p.metadata.labels,
              p.status?.podIP,
              p.status?.phase,
              p.status?.conditions,
              p.metadata.deletionTimestamp,
              p.spec.nodeName,
            ])
          )
            return;
          forPod(old);
          forPod(p);
        },
        onDelete: forPod,
      }),
    ];
    // Someone else changing or deleting our object: put it back.
    if (this.endpoints)
      offs.push(
        this.endpoints.addEventHandler({
          onDelete: (e) => this.worker.enqueue(e),
          onUpdate: (_, e) => this.worker.enqueue(e),
        }),
      );
    if (this.slices) {
      const owner = (s: EndpointSlice) => {
        const svc = s.metadata.labels?.[ServiceNameLabel];
        if (svc && s.metadata.labels?.[SliceManagedByLabel] === SliceControllerName)
          this.worker.enqueueKey(`${s.metadata.namespace}/${svc}`);
      };
      offs.push(this.slices.addEventHandler({ onDelete: owner, onUpdate: (_, s) => owner(s) }));
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

  private async reconcile(key: string): Promise<void> {
    const svc = this.services.store.get(key);
    const { namespace, name } = splitKey(key);
    if (this.mode === 'endpoints') return this.syncEndpoints(svc, namespace!, name);
    return this.syncSlices(svc, namespace!, name);
  }

  private async syncEndpoints(svc: Service | undefined, namespace: string, name: string): Promise<void> {
    const { client } = this.ctx;
    const current = this.endpoints!.store.getByName(name, namespace);
    if (!svc) {
      // The Service is gone: so is its Endpoints object (the garbage collector has no owner link here).
      if (current)
        await client.endpoints.delete(name, namespace).catch((e) => {
          if (!isNotFound(e)) throw e;
        });
      return;
    }
    if (!svc.spec.selector || Object.keys(svc.spec.selector).length === 0) return; // a Service without selector: its Endpoints are the user's
    const want = desiredEndpoints(svc, this.pods.store.byIndex(NamespaceIndex, namespace));
    if (!current) {
      try {
        await client.endpoints.create(want, namespace);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        throw new Error(`endpoints ${namespace}/${name} appeared meanwhile; retrying`, { cause: err });
      }
      return;
    }
    if (
      stableJson([current.subsets ?? [], current.metadata.labels ?? {}]) ===
      stableJson([want.subsets, want.metadata.labels])
    )
      return;
    await client.endpoints.update({
      ...current,
      metadata: { ...current.metadata, labels: want.metadata.labels },
      subsets: want.subsets,
    });
  }

  private async syncSlices(svc: Service | undefined, namespace: string, name: string): Promise<void> {
    const { client } = this.ctx;
    const cached = this.slices!.store.byIndex(NamespaceIndex, namespace).filter(
      (s) =>
        s.metadata.labels?.[ServiceNameLabel] === name &&
        s.metadata.labels?.[SliceManagedByLabel] === SliceControllerName &&
        !s.metadata.deletionTimestamp,
    );
    const key = `${namespace}/${name}`;
    const unseen = (this.created.get(key) ?? []).filter(
      (c) => !this.slices!.store.getByName(c.metadata.name!, namespace),
    );
    if (unseen.length) this.created.set(key, unseen);
    else this.created.delete(key);
    const existing = [...cached, ...unseen];
    if (!svc || !svc.spec.selector || Object.keys(svc.spec.selector).length === 0) {
      // Owned by the Service: the garbage collector removes them when it goes. A selector removed: we do.
      if (svc)
        for (const s of existing)
          await client.endpointSlices.delete(s.metadata.name!, namespace).catch((e) => {
            if (!isNotFound(e)) throw e;
          });
      return;
    }
    const plan = planSlices(desiredSlices(svc, this.pods.store.byIndex(NamespaceIndex, namespace)), existing);
    for (const s of plan.update) await client.endpointSlices.update(s);
    for (const s of plan.create) {
      const made = await client.endpointSlices.create(s, namespace);
      this.created.set(key, [...(this.created.get(key) ?? []), made]);
    }
    for (const s of plan.delete) {
      this.created.set(
        key,
        (this.created.get(key) ?? []).filter((c) => c.metadata.name !== s.metadata.name),
      );
      await client.endpointSlices.delete(s.metadata.name!, namespace).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }
}
