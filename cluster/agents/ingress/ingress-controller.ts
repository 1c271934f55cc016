// The Ingress controller's control side: the `ingress` namespace, its proxy Deployment and a
// LoadBalancer Service (so the emulated cloud gives it an external address), and the routes file
// kept current from Ingress and Service objects (the proxy pod cannot watch the API itself
// cheaply, like the DNS pod it reads a file the control plane writes).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deployment, KubeObject, Namespace, Service } from '../../../common/api-types.js';
import { isAlreadyExists } from '../../client/api-errors.js';
import { systemPodSpec } from '../system-pod.js';
import type { Clock } from '../../client/clock.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { ResourceType } from '../../client/resources.js';
import type { Disposer } from '../../client/rest-client.js';
import { ingressRoutes, type Ingress } from './ingress-routes.js';

export const INGRESSES: ResourceType = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
};
export const INGRESS_NAMESPACE = 'ingress';

export class IngressController {
  private cancel: (() => void) | undefined;
  private last = '';

  constructor(
    private readonly client: KubeClient,
    private readonly factory: SharedInformerFactory,
    private readonly clock: Clock,
    private readonly routesFile: string,
    private readonly write: (text: string) => Promise<void>,
  ) {}

  async start(): Promise<Disposer> {
    await this.deploy();
    const ingresses = this.factory.informerFor(this.client.resource<Ingress>(INGRESSES));
    const h = { onAdd: () => this.schedule(), onUpdate: () => this.schedule(), onDelete: () => this.schedule() };
    const stops = [ingresses.addEventHandler(h), this.factory.services().addEventHandler(h)];
    this.factory.start();
    return () => {
      this.cancel?.();
      stops.forEach((s) => s());
    };
  }

  private schedule(): void {
    if (this.cancel) return;
    this.cancel = this.clock.setTimer(() => {
      this.cancel = undefined;
      const ing = this.factory.informerFor(this.client.resource<Ingress>(INGRESSES)).store.list();
      const text = JSON.stringify(ingressRoutes(ing, this.factory.services().store.list())) + '\n';
      if (text === this.last) return;
      this.last = text;
      void this.write(text);
    }, 50);
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
              spec: systemPodSpec('controller', proxy, this.routesFile, [{ name: 'http', containerPort: 80 }]),
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
