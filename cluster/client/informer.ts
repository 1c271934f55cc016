// A shared informer (client-go's reflector + indexer + handler fan-out): list, then watch from the
// list's resourceVersion, keep a local cache, tell handlers what changed. A watch that ends cleanly
// is reopened from the last version seen; one that fails with 410 Expired (or any other error) is
// replaced by a fresh list, after a backoff that grows while failures repeat.
import type { KubeList, KubeObject, WatchEvent } from '../../common/api-types.js';
import { isExpired } from './api-errors.js';
import type { Clock } from './clock.js';
import { Indexer, objectKey, type IndexFunc } from './indexer.js';
import type { ListOptions, WatchOptions } from './resource-client.js';
import type { Disposer, WatchHandlers } from './rest-client.js';

/** What an informer needs from the API: a ResourceClient fits. */
export interface ListerWatcher<T> {
  list(opts: ListOptions): Promise<KubeList<T>>;
  watch(opts: WatchOptions, handlers: WatchHandlers<T>): Disposer;
}

export interface EventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** obj is the last state the cache knew (after a relist it may be older than the real last one). */
  onDelete?(obj: T): void;
}

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  /** Every resyncMs, onUpdate(obj, obj) for every cached object (0: never). */
  resyncMs?: number;
  /** Backoff between failed list/watch attempts: starts at initial, doubles up to max. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Server-side watch timeout; client-go picks 5–10 minutes. */
  watchTimeoutSeconds?: number;
  /** Page size for the list (0: all at once). */
  pageSize?: number;
  /** Where errors that are retried go (a failed list, a broken watch, a handler that threw). */
  onError?: (err: unknown, context: string) => void;
  /**
   * After each list that reached the cache (the first sync and every relist), before the watch
   * opens: a list that changed nothing fires no handler, yet it tells that listing works again.
   */
  onListed?: () => void;
}

export class Informer<T extends KubeObject> {
  readonly store: Indexer<T>;
  private readonly handlers = new Set<EventHandler<T>>();
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private running = false;
  private stopped = false;
  private lastResourceVersion = '';
  private stopWatch: Disposer | undefined;
  private cancelTimer: (() => void) | undefined;
  private backoffMs: number;
  /** Counts lists done (first sync included): tests and the UI read it. */
  relists = 0;

  constructor(
    private readonly lw: ListerWatcher<T>,
    private readonly clock: Clock,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.store = new Indexer<T>(opts.indexers);
    this.backoffMs = opts.backoffInitialMs ?? 800;
  }

  /** Handlers added after the first sync get onAdd for everything already cached. */
  addEventHandler(handler: EventHandler<T>): Disposer {
    this.handlers.add(handler);
    if (this.synced) for (const obj of this.store.list()) this.call(handler, 'onAdd', () => handler.onAdd?.(obj));
    return () => {
      this.handlers.delete(handler);
    };
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.store.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the cache (or at once if it is). */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  lastSyncResourceVersion(): string {
    return this.lastResourceVersion;
  }

  /** Starts list+watch; the returned disposer stops it (run twice = once). */
  run(): Disposer {
    if (!this.running && !this.stopped) {
      this.running = true;
      void this.listAndWatch();
      if (this.opts.resyncMs) this.scheduleResync(this.opts.resyncMs);
    }
    return () => this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    this.cancelTimer?.();
    this.cancelResync?.();
  }

  private cancelResync: (() => void) | undefined;

  private scheduleResync(ms: number): void {
    this.cancelResync = this.clock.setTimer(() => {
      if (this.stopped) return;
      for (const obj of this.store.list()) this.dispatch('onUpdate', obj, obj);
      this.scheduleResync(ms);
    }, ms);
  }

  private async listAndWatch(): Promise<void> {
    if (this.stopped) return;
    let list: KubeList<T>;
    try {
      list = await this.listAll();
    } catch (err) {
      this.report(err, 'list');
      return this.retryLater();
    }
    if (this.stopped) return;
    this.relists++;
    this.replace(list.items, list.metadata.resourceVersion ?? '');
    this.backoffMs = this.opts.backoffInitialMs ?? 800;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    try {
      this.opts.onListed?.();
    } catch (err) {
      this.report(err, 'onListed');
    }
    this.watch();
  }

  private async listAll(): Promise<KubeList<T>> {
    const base = {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
    };
    const limit = this.opts.pageSize ?? 500;
    const first = await this.lw.list({ ...base, limit: limit || undefined });
    const items = [...first.items];
    let cont = first.metadata.continue;
    while (cont && !this.stopped) {
      let page: KubeList<T>;
      try {
        page = await this.lw.list({ ...base, limit, continue: cont });
      } catch (err) {
        // A continue token that expired (410) or that the server refuses: as client-go's pager does
        // on expiry, fall back to one unpaged list, which is consistent on its own.
        this.report(err, 'paged list, falling back to one full list');
        return this.lw.list(base);
      }
      items.push(...page.items);
      cont = page.metadata.continue;
    }
    return { ...first, items, metadata: { resourceVersion: first.metadata.resourceVersion } };
  }

  private watch(): void {
    if (this.stopped) return;
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    this.stopWatch = this.lw.watch(
      {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.lastResourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
      },
      {
        onEvent: (ev) => this.onWatchEvent(ev),
        onClose: (err) => {
          this.stopWatch = undefined;
          if (this.stopped) return;
          if (!err) return this.watch(); // server-side timeout: carry on from where we were
          if (isExpired(err)) {
            // The version we hold was compacted away: only a fresh list can catch us up.
            this.lastResourceVersion = '';
            this.report(err, 'watch expired, relisting');
            return this.retryLater(0);
          }
          this.report(err, 'watch');
          this.retryLater();
        },
      },
    );
  }

  private onWatchEvent(ev: WatchEvent<T>): void {
    const obj = ev.object;
    const rv = obj?.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.lastResourceVersion = rv;
      return;
    }
    if (!obj?.metadata?.name) return this.report(new Error(`watch event ${ev.type} without metadata.name`), 'watch');
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const old = this.store.upsert(obj);
      if (old) this.dispatch('onUpdate', old, obj);
      else this.dispatch('onAdd', obj);
    } else if (ev.type === 'DELETED') {
      const old = this.store.remove(objectKey(obj));
      this.dispatch('onDelete', obj ?? old);
    }
    if (rv) this.lastResourceVersion = rv;
  }

  /** Makes the cache equal to a fresh list, telling handlers each difference. */
  private replace(items: T[], resourceVersion: string): void {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.store.upsert(obj);
      if (!old) this.dispatch('onAdd', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.dispatch('onUpdate', old, obj);
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const old = this.store.remove(key)!;
      this.dispatch('onDelete', old);
    }
    this.lastResourceVersion = resourceVersion;
  }

  private retryLater(delayMs = this.backoffMs): void {
    if (this.stopped) return;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs ?? 30_000);
    this.cancelTimer = this.clock.setTimer(() => {
      this.cancelTimer = undefined;
      void this.listAndWatch();
    }, delayMs);
  }

  private dispatch(kind: 'onAdd', obj: T): void;
  private dispatch(kind: 'onUpdate', oldObj: T, newObj: T): void;
  private dispatch(kind: 'onDelete', obj: T): void;
  private dispatch(kind: keyof EventHandler<T>, a: T, b?: T): void {
    for (const h of this.handlers) {
      this.call(h, kind, () => {
        if (kind === 'onUpdate') h.onUpdate?.(a, b!);
        else h[kind]?.(a);
      });
    }
  }

  private call(_h: EventHandler<T>, kind: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err, `event handler ${kind}`);
    }
  }

  private report(err: unknown, context: string): void {
    if (this.opts.onError) this.opts.onError(err, context);
    else console.error(`informer: ${context}:`, err instanceof Error ? err.message : err);
  }
}
