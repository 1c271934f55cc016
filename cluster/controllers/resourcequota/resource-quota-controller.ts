// The ResourceQuota controller (kube-controller-manager's `resourcequota`): keeps each quota's
// status.hard equal to spec.hard and status.used equal to what the namespace's objects use now
// (the evaluators in common/quota-usage.ts, the same ones quota admission charges with). Pods,
// services, claims, config maps, secrets and replication controllers are watched; other
// `count/<resource>.<group>` names are listed when the quota syncs and again every resync.
import type { KubeObject } from '../../../common/api-types.js';
import { chargedBy, podMatchesScopes, usageOf, type Usage } from '../../../common/quota-usage.js';
import { addQuantities, formatQuantity, QuantityError, type Quantity } from '../../../common/resource-quantity.js';
import { isNotFound } from '../../client/api-errors.js';
import { NamespaceIndex } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import { Resources, type ResourceType } from '../../client/resources.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Disposer } from '../../client/rest-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker, type ReconcileResult } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';
import { stableJson } from '../util/hash.js';

/** kube-controller-manager's --resource-quota-sync-period default is 5 min; the lab looks more often. */
const RESYNC_MS = 30_000;

const WATCHED: (keyof typeof Resources)[] = [
  'pods',
  'services',
  'persistentvolumeclaims',
  'configmaps',
  'secrets',
  'replicationcontrollers',
];

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota-controller';
  private readonly worker: QueueWorker;
  private readonly quotas: Informer<KubeObject>;
  private readonly client: ResourceClient<KubeObject>;
  private readonly watched = new Map<string, Informer<KubeObject>>();

  constructor(private readonly ctx: ControllerContext) {
    this.client = ctx.client.resource<KubeObject>(Resources.resourcequotas);
    this.quotas = ctx.informers.informerFor(this.client);
    for (const w of WATCHED) {
      const rt = Resources[w];
      this.watched.set(`${rt.resource}.${rt.group}`, ctx.informers.informerFor(ctx.client.resource<KubeObject>(rt)));
    }
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const nsChanged = (o: KubeObject) => {
      for (const q of this.quotas.store.byIndex(NamespaceIndex, o.metadata.namespace ?? '')) this.worker.enqueue(q);
    };
    const offs = [
      this.quotas.addEventHandler({
        onAdd: (q) => this.worker.enqueue(q),
        onUpdate: (_, q) => this.worker.enqueue(q),
      }),
      // A quota's own create/delete changes `resourcequotas` usage of its siblings.
      this.quotas.addEventHandler({ onAdd: nsChanged, onDelete: nsChanged }),
      ...[...this.watched.values()].map((inf) =>
        inf.addEventHandler({ onAdd: nsChanged, onUpdate: (_, o) => nsChanged(o), onDelete: nsChanged }),
      ),
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

  private async objectsOf(plural: string, group: string, namespace: string): Promise<KubeObject[]> {
    if (plural === 'resourcequotas' && group === '') return this.quotas.store.byIndex(NamespaceIndex, namespace);
    const inf = this.watched.get(`${plural}.${group}`);
    if (inf) return inf.store.byIndex(NamespaceIndex, namespace);
    let version = 'v1';
    if (group) {
      const g = await this.ctx.client.rest.request<{ preferredVersion?: { version?: string } }>(
        'GET',
        `/apis/${group}`,
      );
      version = g.preferredVersion?.version ?? 'v1';
    }
    const rt: ResourceType = { group, version, resource: plural, kind: '', namespaced: true };
    try {
      return (await this.ctx.client.resource<KubeObject>(rt).list({ namespace })).items;
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const quota = this.quotas.store.get(key);
    if (!quota || quota.metadata.deletionTimestamp) return;
    const ns = quota.metadata.namespace ?? '';
    const hard: Record<string, string> = (quota as { spec?: { hard?: Record<string, string> } }).spec?.hard ?? {};
    const now = this.ctx.clock.now();
    const sums = new Map<string, Usage>();
    let uninformed = false;
    const used: Record<string, string> = {};
    for (const name of Object.keys(hard)) {
      let total: Quantity | undefined;
      for (const [plural, group] of chargedBy(name)) {
        const k = `${plural}.${group}`;
        if (!this.watched.has(k) && !(plural === 'resourcequotas' && group === '')) uninformed = true;
        let u = sums.get(k);
        if (!u) {
          u = new Map();
          for (const o of await this.objectsOf(plural, group, ns)) {
            if (plural === 'pods' && group === '' && !podMatchesScopes(quota, o)) continue;
            try {
              for (const [n, q] of usageOf(plural, group, o, now)) u.set(n, addQuantities(u.get(n), q));
            } catch (err) {
              if (!(err instanceof QuantityError)) throw err;
            }
          }
          sums.set(k, u);
        }
        const q = u.get(name);
        if (q) total = addQuantities(total, q);
      }
      used[name] = formatQuantity(total ?? { milli: 0n, format: 'DecimalSI' });
    }
    const status = { hard: { ...hard }, used };
    if (stableJson(status) !== stableJson((quota as { status?: unknown }).status ?? {})) {
      try {
        await this.client.updateStatus({ ...quota, status } as KubeObject);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // Pods that finish or whose grace runs out change usage without an event of their own.
    return { requeueAfterMs: uninformed ? RESYNC_MS : RESYNC_MS * 2 };
  }
}
