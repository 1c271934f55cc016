// The root CA certificate publisher (kube-controller-manager's `root-ca-cert-publisher`): every
// active namespace has a ConfigMap kube-root-ca.crt holding the cluster CA, which the ServiceAccount
// admission plugin's projected volume puts at .../serviceaccount/ca.crt so that a pod can verify the
// apiserver behind the `kubernetes` Service. Edited or deleted copies are put back.
import type { KubeObject, Namespace } from '../../../common/api-types.js';
import { isAlreadyExists, isNotFound } from '../../client/api-errors.js';
import type { Informer } from '../../client/informer.js';
import { Resources } from '../../client/resources.js';
import type { Disposer } from '../../client/rest-client.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Controller } from '../base-controller.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import type { ControllerContext } from '../controller-context.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

type ConfigMap = KubeObject & { data?: Record<string, string> };

export class RootCaPublisher implements Controller {
  readonly name = 'root-ca-cert-publisher';
  private readonly worker: QueueWorker;
  private readonly namespaces: Informer<Namespace>;
  private readonly configMaps: Informer<ConfigMap>;
  private readonly client: ResourceClient<ConfigMap>;

  /** `rootCa`: the PEM bundle to publish (the CA that signed the apiserver's serving certificate). */
  constructor(
    private readonly ctx: ControllerContext,
    private readonly rootCa: string,
  ) {
    this.namespaces = ctx.informers.namespaces();
    this.client = ctx.client.resource<ConfigMap>(Resources.configmaps);
    // Only the one name is watched (the Go controller filters its ConfigMap informer the same way).
    this.configMaps = ctx.informers.informerFor(this.client, { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}` });
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
    const again = (cm: ConfigMap) => cm.metadata.namespace && this.worker.enqueueKey(cm.metadata.namespace);
    const offCm = this.configMaps.addEventHandler({ onUpdate: (_, cm) => again(cm), onDelete: again });
    const stop = this.worker.run();
    return () => {
      offNs();
      offCm();
      stop();
    };
  }

  idle(): boolean {
    return this.worker.idle();
  }

  private async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.store.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const cm = this.configMaps.store.get(`${namespace}/${ROOT_CA_CONFIGMAP}`);
    if (!cm) {
      try {
        await this.client.create(
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {
              name: ROOT_CA_CONFIGMAP,
              namespace,
              annotations: { 'kubernetes.io/description': DESCRIPTION },
            },
            data: { 'ca.crt': this.rootCa },
          },
          namespace,
        );
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      return;
    }
    const annotated = cm.metadata.annotations?.['kubernetes.io/description'] === DESCRIPTION;
    if (cm.data?.['ca.crt'] === this.rootCa && Object.keys(cm.data).length === 1 && annotated) return;
    try {
      await this.client.update({
        ...cm,
        metadata: {
          ...cm.metadata,
          annotations: { ...cm.metadata.annotations, 'kubernetes.io/description': DESCRIPTION },
        },
        data: { 'ca.crt': this.rootCa },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
