// Writes core/v1 Events about objects, as client-go's record.EventRecorder does: one Event per new
// (object, type, reason, message), and a repeat of the same one bumps its count and lastTimestamp
// instead of adding another. Writes are sent in the background; failures go to onError.
import type { Event, KubeObject } from '../../common/api-types.js';
import type { Clock } from './clock.js';
import type { KubeClient } from './kube-client.js';
import { rfc3339 } from '../../common/time.js';

export interface EventSource {
  /** `default-scheduler`, `replicaset-controller`, `kubelet`. */
  component: string;
  host?: string;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
}

const MAX_REMEMBERED = 4096;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly source: EventSource,
    private readonly onError: (err: unknown, context: string) => void = (e, c) => console.error(`events: ${c}:`, e),
  ) {}

  normal(obj: KubeObject, reason: string, message: string): void {
    this.record(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): void {
    this.record(obj, 'Warning', reason, message);
  }

  /** Resolves when every event sent so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const m = obj.metadata;
    const namespace = m.namespace ?? 'default';
    const now = rfc3339(this.clock.now());
    const id = `${m.uid ?? `${namespace}/${m.name}`}\u0000${type}\u0000${reason}\u0000${message}`;
    const prev = this.seen.get(id);
    let write: Promise<unknown>;
    if (prev) {
      prev.count++;
      write = this.client.events
        .patch(prev.name, { count: prev.count, lastTimestamp: now }, 'merge', { namespace: prev.namespace })
        .catch((err) => this.onError(err, `${reason} on ${namespace}/${m.name}`));
    } else {
      // client-go names events `<object>.<unix nanoseconds in hex>`.
      const name = `${m.name}.${(BigInt(this.clock.now()) * 1_000_000n + BigInt(this.seen.size % 1_000_000)).toString(16)}`;
      const event: Event = {
        metadata: { name, namespace },
        involvedObject: {
          kind: obj.kind,
          namespace: m.namespace,
          name: m.name,
          uid: m.uid,
          apiVersion: obj.apiVersion,
          resourceVersion: m.resourceVersion,
        },
        reason,
        message,
        source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        reportingComponent: this.source.component,
        reportingInstance: this.source.host ?? '',
      };
      this.remember(id, { name, namespace, count: 1, first: now });
      write = this.client.events.create(event, namespace).catch((err) => {
        this.seen.delete(id);
        this.onError(err, `${reason} on ${namespace}/${m.name}`);
      });
    }
    const tracked: Promise<unknown> = write.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private remember(id: string, s: Seen): void {
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(id, s);
  }
}
