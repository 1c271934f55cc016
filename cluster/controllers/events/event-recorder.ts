// Events for `kubectl describe` (client-go's record.EventRecorder with its EventCorrelator): the
// same event again within the aggregation window is not a new object but the old one with count+1
// and a newer lastTimestamp, as `kubectl describe` shows "(x3 over 2m)". Writes go out in order
// on one background chain so a controller never waits on its events, and a failed write is
// reported, not thrown.
import type { Event, KubeObject, ObjectReference } from '../../../common/api-types.js';
import type { Clock } from '../../client/clock.js';
import { isNotFound } from '../../client/api-errors.js';
import { describeError } from '../../../common/errors.js';
import { rfc3339, microTime } from '../../../common/time.js';

/** Where events are written: the events resource of the typed client fits. */
export interface EventSink {
  create(ev: Event, namespace?: string): Promise<Event>;
  patch(name: string, patch: unknown, type: 'merge', opts: { namespace?: string }): Promise<Event>;
}

export interface EventSource {
  component: string;
  host?: string;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastMs: number;
}

/** client-go keeps 4096 keys and forgets an aggregate after 10 minutes of silence. */
const MAX_KEYS = 4096;
const WINDOW_MS = 10 * 60_000;

export { microTime };

function seconds(ms: number): string {
  return rfc3339(ms);
}

export function objectRef(obj: KubeObject, apiVersion: string, kind: string): ObjectReference {
  return {
    apiVersion,
    kind,
    name: obj.metadata.name,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
    ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
  };
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly source: EventSource,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = (e) => console.error(`events: ${describeError(e)}`),
  ) {}

  event(ref: ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const namespace = ref.namespace || 'default';
    const key = [
      this.source.component,
      this.source.host ?? '',
      ref.kind,
      namespace,
      ref.name,
      ref.uid ?? '',
      ref.apiVersion ?? '',
      type,
      reason,
      message,
    ].join('\u0000');
    const now = this.clock.now();
    const prev = this.seen.get(key);
    if (prev && now - prev.lastMs <= WINDOW_MS) {
      prev.count++;
      prev.lastMs = now;
      const patch = { count: prev.count, lastTimestamp: seconds(now), message };
      const snapshot = { ...prev };
      this.enqueue(async () => {
        try {
          await this.sink.patch(snapshot.name, patch, 'merge', { namespace: snapshot.namespace });
        } catch (err) {
          // Someone deleted the aggregate (or its namespace was emptied): start a new one.
          if (!isNotFound(err)) throw err;
          await this.sink.create(this.newEvent(key, ref, type, reason, message, now), snapshot.namespace);
        }
      });
      return;
    }
    const ev = this.newEvent(key, ref, type, reason, message, now);
    this.enqueue(async () => {
      await this.sink.create(ev, namespace);
    });
  }

  /** Resolves when every event recorded so far has been written (tests, shutdown). */
  flush(): Promise<void> {
    return this.chain;
  }

  /** Builds a new event and remembers it as the aggregate for key (synchronously, so a repeat right after patches it). */
  private newEvent(
    key: string,
    ref: ObjectReference,
    type: string,
    reason: string,
    message: string,
    now: number,
  ): Event {
    const namespace = ref.namespace || 'default';
    // client-go names an event <object>.<hex nanoseconds>: unique, and sorted by time.
    const name = `${ref.name}.${(BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type: type as Event['type'],
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      firstTimestamp: seconds(now),
      lastTimestamp: seconds(now),
      count: 1,
      eventTime: null,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
    this.remember(key, { name, namespace, count: 1, firstTimestamp: ev.firstTimestamp!, lastMs: now });
    return ev;
  }

  private remember(key: string, s: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, s);
    if (this.seen.size > MAX_KEYS) this.seen.delete(this.seen.keys().next().value!);
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err) => this.onError(err));
  }
}
