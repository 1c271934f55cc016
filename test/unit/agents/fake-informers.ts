// Real informers over an in-memory list/watch, for agent unit tests: a test puts and deletes
// objects, and the agent under test sees them through its informer handlers as it would from an
// apiserver. Only the kinds the node agents watch (Nodes, Services, EndpointSlices).
import type { EndpointSlice, KubeList, KubeObject, Node, Service, WatchEvent } from '../../../common/api-types.js';
import type { Clock } from '../../../cluster/client/clock.js';
import { objectKey } from '../../../cluster/client/indexer.js';
import type { SharedInformerFactory } from '../../../cluster/client/informer-factory.js';
import { Informer, type ListerWatcher } from '../../../cluster/client/informer.js';
import type { WatchHandlers } from '../../../cluster/client/rest-client.js';
import type { HostDriver, ScriptResult } from '../../../runtime/host/host-driver.js';

class MemoryResource<T extends KubeObject> implements ListerWatcher<T> {
  private rv = 1;
  private readonly objects = new Map<string, T>();
  private readonly watchers = new Set<WatchHandlers<T>>();

  list(): Promise<KubeList<T>> {
    return Promise.resolve({ items: [...this.objects.values()], metadata: { resourceVersion: String(this.rv) } });
  }

  watch(_opts: unknown, handlers: WatchHandlers<T>): () => void {
    this.watchers.add(handlers);
    return () => this.watchers.delete(handlers);
  }

  put(obj: T): void {
    const key = objectKey(obj);
    const o = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.objects.set(key, o);
    this.emit({ type, object: o });
  }

  delete(obj: T): void {
    const key = objectKey(obj);
    const o = this.objects.get(key);
    if (!o) throw new Error(`delete ${key}: not there`);
    this.objects.delete(key);
    this.emit({ type: 'DELETED', object: { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } } });
  }

  private emit(ev: WatchEvent<T>): void {
    for (const w of this.watchers) w.onEvent(ev);
  }
}

export class FakeInformers {
  readonly nodeObjects = new MemoryResource<Node>();
  readonly serviceObjects = new MemoryResource<Service>();
  readonly sliceObjects = new MemoryResource<EndpointSlice>();
  private readonly informers: Informer<KubeObject>[] = [];
  private readonly nodeInformer: Informer<Node>;
  private readonly serviceInformer: Informer<Service>;
  private readonly sliceInformer: Informer<EndpointSlice>;

  constructor(clock: Clock) {
    this.nodeInformer = new Informer(this.nodeObjects, clock);
    this.serviceInformer = new Informer(this.serviceObjects, clock);
    this.sliceInformer = new Informer(this.sliceObjects, clock);
  }

  nodes(): Informer<Node> {
    return this.used(this.nodeInformer);
  }
  services(): Informer<Service> {
    return this.used(this.serviceInformer);
  }
  endpointSlices(): Informer<EndpointSlice> {
    return this.used(this.sliceInformer);
  }
  start(): void {
    for (const i of this.informers) i.run();
  }
  async waitForCacheSync(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.waitForSync()));
  }
  shutdown(): void {
    for (const i of this.informers) i.stop();
  }

  /** This, typed as what the agents take. */
  asFactory(): SharedInformerFactory {
    return this as unknown as SharedInformerFactory;
  }

  private used<T extends KubeObject>(i: Informer<T>): Informer<T> {
    const any = i as unknown as Informer<KubeObject>;
    if (!this.informers.includes(any)) this.informers.push(any);
    return i;
  }
}

/** A HostDriver that records what it was asked to run and fails on demand. */
export class RecordingDriver {
  readonly calls: string[] = [];
  /** While set, calls whose text matches it fail (exec: exit code 1; script: a rejection). */
  failing: RegExp | undefined;

  exec(netns: string, argv: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const line = `exec ${netns} ${argv.join(' ')}`;
    this.calls.push(line);
    if (this.failing?.test(line)) return Promise.resolve({ exitCode: 1, stdout: '', stderr: 'injected failure' });
    return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
  }

  /** This, typed as what the agents take (they use exec and script only). */
  asDriver(): HostDriver {
    return this as unknown as HostDriver;
  }

  /** The calls made since the last take(). */
  take(): string[] {
    return this.calls.splice(0);
  }

  script(script: string, args: readonly string[], opts?: { input?: string }): Promise<ScriptResult> {
    const line = `script ${script} ${args.join(' ')}${opts?.input !== undefined ? `\n${opts.input}` : ''}`;
    this.calls.push(line);
    if (this.failing?.test(line)) return Promise.reject(new Error(`${script}: injected failure`));
    return Promise.resolve({ json: {}, stderr: '' });
  }
}

/** Lets promise callbacks (informer handlers, queue workers) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
