// The ServiceAccount controller (kube-controller-manager's `serviceaccount`): every active
// namespace has a ServiceAccount named `default`, made when the namespace appears and made again if
// someone deletes it. Pods that name no account run as it (ServiceAccount admission).
import type { KubeObject, Namespace } from '../../../common/api-types.js';
import { isAlreadyExists } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import { Resources } from '../../client/resources.js';
import type { Disposer } from '../../client/rest-client.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';

export const DefaultServiceAccount = 'default';

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount-controller';
  private readonly worker: QueueWorker;
  private readonly namespaces: Informer<Namespace>;
  private readonly accounts: Informer<KubeObject>;
  private readonly client: ResourceClient<KubeObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.namespaces();
    this.client = ctx.client.resource<KubeObject>(Resources.serviceaccounts);
    this.accounts = ctx.informers.informerFor(this.client);
    this.worker = new QueueWorker(this.name, ctx.clock, (k) => this.reconcile(k), {
      workers: ctx.workers,
      onError: ctx.onError,
    });
  }

  start(): Disposer {
    const offNs = this.namespaces.addEventHandler({
      onAdd: (n) => this.worker.enqueueKey(n.metadata.name!),
      onUpdate: (_, n) => this.worker.enqueueKey(n.metadata.name!),
    });
    // A deleted `default` account is made again (serviceAccountDeleted in the Go controller).
    const offSa = this.accounts.addEventHandler({
      onDelete: (sa) => {
        if (sa.metadata.name === DefaultServiceAccount && sa.metadata.namespace)
          this.worker.enqueueKey(sa.metadata.namespace);
      },
    });
    const stop = this.worker.run();
    return () => {
      offNs();
      offSa();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.store.get(namespace);
    // A terminating namespace refuses new content; the namespace controller is emptying it.
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    if (this.accounts.store.get(`${namespace}/${DefaultServiceAccount}`)) return;
    try {
      await this.client.create(
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DefaultServiceAccount, namespace } },
        namespace,
      );
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
