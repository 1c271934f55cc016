// The PersistentVolume controller: claims and volumes each get keys on one queue ("pvc:ns/name",
// "pv:name"); a sync applies planClaim/planVolume. Binding writes both sides: the volume's
// spec.claimRef and phase Bound, the claim's spec.volumeName, annotations and status.
import type { PersistentVolume, PersistentVolumeClaim } from '../../../common/api-types.js';
import { isNotFound } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import { objectKey } from '../../client/indexer.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { objectRef, type EventRecorder } from '../events/event-recorder.js';
import {
  BindCompletedAnnotation,
  BoundByControllerAnnotation,
  planClaim,
  planVolume,
  type VolumeAction,
} from './pv-binder-logic.js';

export class PersistentVolumeBinderController implements Controller {
  readonly name = 'persistentvolume-binder-controller';
  private readonly worker: QueueWorker;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    this.volumes = ctx.informers.persistentVolumes();
    this.claims = ctx.informers.persistentVolumeClaims();
    this.recorder = ctx.recorder('persistentvolume-controller');
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), { workers: 1, onError: ctx.onError });
  }

  start(): Disposer {
    const claim = (c: PersistentVolumeClaim) => this.worker.enqueueKey(`pvc:${objectKey(c)}`);
    const volume = (v: PersistentVolume) => {
      this.worker.enqueueKey(`pv:${v.metadata.name}`);
      const r = v.spec.claimRef;
      if (r?.namespace && r.name) this.worker.enqueueKey(`pvc:${r.namespace}/${r.name}`);
    };
    // A new or freed volume may serve a waiting claim.
    const pending = () => {
      for (const c of this.claims.store.list()) if (!c.spec.volumeName) claim(c);
    };
    const offs = [
      this.claims.addEventHandler({
        onAdd: claim,
        onUpdate: (_, c) => claim(c),
        onDelete: (c) => {
          for (const v of this.volumes.store.list()) if (v.spec.claimRef?.uid === c.metadata.uid) volume(v);
        },
      }),
      this.volumes.addEventHandler({
        onAdd: (v) => {
          volume(v);
          pending();
        },
        onUpdate: (_, v) => {
          volume(v);
          if (!v.spec.claimRef) pending();
        },
        onDelete: (v) => {
          volume(v);
        },
      }),
    ];
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
    const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const volumes = this.volumes.store.list();
    if (kind === 'pvc') {
      const c = this.claims.store.get(rest);
      if (!c) return;
      for (const a of planClaim(c, volumes)) await this.apply(a);
    } else {
      const v = this.volumes.store.get(rest);
      if (!v) return;
      const r = v.spec.claimRef;
      const c = r?.namespace && r.name ? this.claims.store.getByName(r.name, r.namespace) : undefined;
      // The cache may lag behind a claim just created: ask the API before releasing a volume.
      let claim = c;
      if (!c && r?.uid && r.namespace && r.name) {
        try {
          claim = await this.ctx.client.persistentVolumeClaims.get(r.name, r.namespace);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      for (const a of planVolume(v, claim)) await this.apply(a);
    }
  }

  private async apply(a: VolumeAction): Promise<void> {
    const { client } = this.ctx;
    switch (a.type) {
      case 'bindVolume': {
        const c = a.claim;
        const claimRef = {
          kind: 'PersistentVolumeClaim',
          namespace: c.metadata.namespace,
          name: c.metadata.name,
          uid: c.metadata.uid,
          apiVersion: 'v1',
          resourceVersion: c.metadata.resourceVersion,
        };
        const v = await client.persistentVolumes.update({
          ...a.volume,
          metadata: {
            ...a.volume.metadata,
            annotations: { ...(a.volume.metadata.annotations ?? {}), [BoundByControllerAnnotation]: 'yes' },
          },
          spec: { ...a.volume.spec, claimRef },
        });
        await client.persistentVolumes.patch(v.metadata.name!, { status: { phase: 'Bound' } }, 'merge', {
          subresource: 'status',
        });
        return;
      }
      case 'setVolumePhase':
        await client.persistentVolumes.patch(
          a.volume.metadata.name!,
          { status: { phase: a.phase, ...(a.message ? { message: a.message } : {}) } },
          'merge',
          { subresource: 'status' },
        );
        return;
      case 'bindClaim': {
        const c = a.claim;
        const v = a.volume;
        if (c.spec.volumeName !== v.metadata.name || c.metadata.annotations?.[BindCompletedAnnotation] !== 'yes') {
          await client.persistentVolumeClaims.patch(
            c.metadata.name!,
            {
              metadata: { annotations: { [BindCompletedAnnotation]: 'yes', [BoundByControllerAnnotation]: 'yes' } },
              spec: { volumeName: v.metadata.name },
            },
            'merge',
            { namespace: c.metadata.namespace },
          );
        }
        await client.persistentVolumeClaims.patch(
          c.metadata.name!,
          { status: { phase: 'Bound', accessModes: v.spec.accessModes, capacity: v.spec.capacity } },
          'merge',
          { namespace: c.metadata.namespace, subresource: 'status' },
        );
        return;
      }
      case 'setClaimPhase':
        await client.persistentVolumeClaims.patch(a.claim.metadata.name!, { status: { phase: a.phase } }, 'merge', {
          namespace: a.claim.metadata.namespace,
          subresource: 'status',
        });
        return;
      case 'deleteVolume':
        // There is no storage behind a lab volume to delete; the object is what Delete removes.
        try {
          await client.persistentVolumes.delete(a.volume.metadata.name!);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        return;
      case 'recycleVolume': {
        // Recycle scrubs the volume (kube ran `rm -rf /scrub/*` in a recycler pod) and frees it.
        // Lab volumes hold no data of their own here, so freeing the claimRef is the whole step.
        const v = await client.persistentVolumes.update({
          ...a.volume,
          spec: { ...a.volume.spec, claimRef: undefined },
        });
        await client.persistentVolumes.patch(v.metadata.name!, { status: { phase: 'Available' } }, 'merge', {
          subresource: 'status',
        });
        this.recorder.event(objectRef(v, 'v1', 'PersistentVolume'), 'Normal', 'VolumeRecycled', `Volume recycled`);
        return;
      }
      case 'event':
        this.recorder.event(
          objectRef(a.obj, 'v1', a.on === 'claim' ? 'PersistentVolumeClaim' : 'PersistentVolume'),
          a.kind,
          a.reason,
          a.message,
        );
        return;
    }
  }
}
