// What the controller manager runs. Each controller's loop is a QueueWorker
// (cluster/client/workqueue/queue-worker.ts), the same loop the node agents use.
import type { Disposer } from '../client/rest-client.js';

/** A running controller as the manager sees it. */
export interface Controller {
  readonly name: string;
  /** Registers informer handlers and starts workers; the disposer undoes both. */
  start(): Disposer;
}
