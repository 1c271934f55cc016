// What every controller is constructed with: the typed client, the shared informers, the clock,
// an event recorder per component, and where retried errors are reported.
import type { KubeClient } from '../client/kube-client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import type { Clock } from '../client/clock.js';
import type { EventRecorder } from './events/event-recorder.js';

export interface ControllerContext {
  client: KubeClient;
  informers: SharedInformerFactory;
  clock: Clock;
  /** The recorder for a component name (`replicaset-controller`, …) as kube-controller-manager names them. */
  recorder(component: string): EventRecorder;
  onError(err: unknown, context: string): void;
  /** Workers per controller (kube-controller-manager: 5 for most; 2 is plenty here). */
  workers?: number;
}
