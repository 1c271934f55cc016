// The Ingress controller's control side: the `ingress` namespace, its proxy Deployment and a
// LoadBalancer Service (so the emulated cloud gives it an external address), and the routes file
// kept current from Ingress and Service objects (the proxy pod cannot watch the API itself
// cheaply, like the DNS pod it reads a file the control plane writes). As ingress-nginx's sync
// queue, the routes are one key of the work queue every controller and agent here uses: a burst
// of changes is one write, a failed write is retried with backoff.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deployment, KubeObject, Namespace, Service } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import { isAlreadyExists } from '../../client/api-errors.js';
import { systemPodSpec } from '../system-pod.js';
import type { Clock } from '../../client/clock.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { ResourceType } from '../../client/resources.js';
import type { Disposer } from '../../client/rest-client.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import { ExponentialFailureRateLimiter } from '../../client/workqueue/rate-limiter.js';
import { ingressRoutes, type Ingress } from './ingress-routes.js';

export const INGRESSES: ResourceType = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
};
export const INGRESS_NAMESPACE = 'ingress';

/** The queue's one key: every Ingress and Service goes into the one routes file. */
const ROUTES_KEY = 'routes';

export class IngressController {
  private readonly worker: QueueWorker;
  private last = '';

  constructor(
    private readonly client: KubeClient,
    private readonly factory: SharedInformerFactory,
    clock: Clock,
    private readonly routesFile: string,
    private readonly write: (text: string) => Promise<void>,
    log: (line: string) => void = () => {},
  ) {
    this.worker = new QueueWorker('ingress controller', clock, () => this.sync(), {
      workers: 1,
      maxRetries: Infinity,
      rateLimiter: new ExponentialFailureRateLimiter(50, 30_000),
      onError: (e, context) => log(`${context}: ${describeError(e)}`),
    });
  }

  async start(): Promise<Disposer> {
    await this.deploy();
    const ingresses = this.factory.informerFor(this.client.resource<Ingress>(INGRESSES));
    const changed = () => this.worker.enqueueKey(ROUTES_KEY);
    const h = { onAdd: changed, onUpdate: changed, onDelete: changed };
    const stops = [ingresses.addEventHandler(h), this.factory.services().addEventHandler(h)];
    this.factory.start();
    const stopWorker = this.worker.run();
    return () => {
      stopWorker();
      stops.forEach((s) => s());
    };
  }

  /** Writes the routes file from the caches if it changed; remembered as written only once it is. */
  private async sync(): Promise<void> {
    const ing = this.factory.informerFor(this.client.resource<Ingress>(INGRESSES)).store.list();
    const text = JSON.stringify(ingressRoutes(ing, this.factory.services().store.list())) + '\n';
    if (text === this.last) return;
    await this.write(text);
    this.last = text;
  }

  private async deploy(): Promise<void> {
    const labels = { 'app.kubernetes.io/name': 'kubewire-ingress' };
    const proxy = join(dirname(fileURLToPath(import.meta.url)), 'ingress-proxy.js');
    const objects: [ResourceClient<KubeObject>, KubeObject][] = [
      [
        this.client.namespaces as unknown as ResourceClient<KubeObject>,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: INGRESS_NAMESPACE } } as Namespace,
      ],
      [
        this.client.deployments as unknown as ResourceClient<KubeObject>,
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'ingress-controller', namespace: INGRESS_NAMESPACE, labels },
          spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: systemPodSpec('controller', proxy, this.routesFile, [{ name: 'http', containerPort: 80 }], 'http'),
            },
          },
        } as Deployment,
      ],
      [
        this.client.services as unknown as ResourceClient<KubeObject>,
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'ingress-controller', namespace: INGRESS_NAMESPACE, labels },
          spec: {
            type: 'LoadBalancer',
            selector: labels,
            ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }],
          },
        } as Service,
      ],
    ];
    for (const [rc, obj] of objects) {
      try {
        await rc.create(obj, obj.metadata.namespace);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }
}
