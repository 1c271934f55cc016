// The namespace controller: a namespace being deleted (deletionTimestamp set, status Terminating,
// the `kubernetes` finalizer in spec.finalizers) has everything in it deleted — every namespaced
// resource the API serves, found through discovery — and once nothing is left, the finalizer is
// removed through namespaces/{name}/finalize so the apiserver can delete the namespace itself.
import type { KubeList, KubeObject, Namespace } from '../../../common/api-types.js';
import { isConflict, isNotFound } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import { type ResourceType } from '../../client/resources.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';

export const KubernetesFinalizer = 'kubernetes';

interface DiscoveredResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
}

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  private readonly worker: QueueWorker;
  private readonly namespaces: Informer<Namespace>;

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.namespaces();
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const off = this.namespaces.addEventHandler({
      onAdd: (n) => {
        if (n.metadata.deletionTimestamp) this.worker.enqueue(n);
      },
      onUpdate: (_, n) => {
        if (n.metadata.deletionTimestamp) this.worker.enqueue(n);
      },
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

  /** Every namespaced resource that can be listed and deleted, from /api and /apis. */
  private async discover(): Promise<ResourceType[]> {
    const rest = this.ctx.client.rest;
    const groupVersions: { group: string; version: string; path: string }[] = [
      { group: '', version: 'v1', path: '/api/v1' },
    ];
    const groups = await rest.request<{
      groups: { name: string; preferredVersion?: { version: string }; versions: { version: string }[] }[];
    }>('GET', '/apis');
    for (const g of groups.groups) {
      const v = g.preferredVersion?.version ?? g.versions[0]?.version;
      if (v) groupVersions.push({ group: g.name, version: v, path: `/apis/${g.name}/${v}` });
    }
    const out: ResourceType[] = [];
    for (const gv of groupVersions) {
      const list = await rest.request<{ resources: DiscoveredResource[] }>('GET', gv.path);
      for (const r of list.resources) {
        if (!r.namespaced || r.name.includes('/')) continue;
        if (r.verbs && !(r.verbs.includes('list') && r.verbs.includes('delete'))) continue;
        out.push({ group: gv.group, version: gv.version, resource: r.name, kind: r.kind, namespaced: true });
      }
    }
    return out;
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const ns = this.namespaces.store.get(key);
    if (!ns?.metadata.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(KubernetesFinalizer)) return;
    const name = ns.metadata.name!;
    let remaining = 0;
    for (const rt of await this.discover()) {
      // Events go last-but-not-least: kube deletes them like anything else.
      const rc = this.ctx.client.resource<KubeObject>(rt);
      let items: KubeList<KubeObject>['items'];
      try {
        items = (await rc.list({ namespace: name })).items;
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      for (const o of items) {
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        try {
          await rc.delete(o.metadata.name!, name, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      }
    }
    if (remaining > 0) {
      // Pods finish their grace period, finalizers run: look again soon (kube estimates it the same way).
      return { requeueAfterMs: 1000 };
    }
    try {
      await this.ctx.client.rest.request('PUT', `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, {
        body: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name, resourceVersion: ns.metadata.resourceVersion },
          spec: { finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== KubernetesFinalizer) },
        },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
