// controller.RealPodControl: create and delete pods for an owner, with the events kube writes
// (SuccessfulCreate "Created pod: x", FailedCreate "Error creating: …", SuccessfulDelete, FailedDelete).
import type { ObjectReference, Pod } from '../../../common/api-types.js';
import { isNotFound } from '../../client/api-errors.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { EventRecorder } from '../events/event-recorder.js';

export class PodControl {
  constructor(
    private readonly client: KubeClient,
    private readonly recorder: EventRecorder,
  ) {}

  async create(pod: Pod, owner: ObjectReference): Promise<Pod> {
    try {
      const created = await this.client.pods.create(pod, pod.metadata.namespace);
      this.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      return created;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // kube stays quiet when the namespace is being deleted: that failure is expected.
      if (!msg.includes('because it is being terminated'))
        this.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${msg}`);
      throw err;
    }
  }

  /** Deleting what is already gone succeeds. */
  async delete(pod: Pod, owner: ObjectReference): Promise<void> {
    try {
      await this.client.pods.delete(pod.metadata.name!, pod.metadata.namespace, {
        preconditions: { uid: pod.metadata.uid },
      });
      this.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      if (isNotFound(err)) return;
      this.recorder.event(
        owner,
        'Warning',
        'FailedDelete',
        `Error deleting: ${err instanceof Error ? err.message : String(err)}`,
      );
      throw err;
    }
  }
}
