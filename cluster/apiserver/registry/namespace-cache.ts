// Namespaces held in memory for admission (NamespaceLifecycle asks on every create): loaded by a
// list + watch of the store, and told about the apiserver's own writes at once so a namespace
// created by one request is there for the next. A miss falls back to the store.
import type { ResourceCatalog, ResourceInfo } from '../resources.js';
import type { KObject, ObjectStore } from './object-store.js';

export class NamespaceCache {
  private readonly byName = new Map<string, KObject>();
  /** Revision of each name's last delete, so a late event of the older object is not revived. */
  private readonly deletedAt = new Map<string, number>();
  private readonly r: ResourceInfo;

  constructor(
    private readonly store: ObjectStore,
    catalog: ResourceCatalog,
  ) {
    this.r = catalog.find('', 'v1', 'namespaces')!;
  }

  start(): () => void {
    const list = this.store.list(this.r, '');
    for (const o of list.items) this.byName.set(o.metadata!.name, o);
    const w = this.store.watch(
      this.r,
      '',
      Number(list.resourceVersion),
      (events) => {
        for (const e of events) this.observe(e.object, e.type === 'DELETED');
      },
      () => this.byName.clear(),
    );
    return () => w.stop();
  }

  observe(obj: KObject, deleted: boolean): void {
    const name = obj.metadata?.name;
    const rv = Number(obj.metadata?.resourceVersion);
    const cur = this.byName.get(name);
    // Watch events may arrive after a newer write was observed directly: keep the newest.
    if (cur && Number(cur.metadata?.resourceVersion) > rv) return;
    if ((this.deletedAt.get(name) ?? 0) >= rv) return;
    if (deleted) {
      this.byName.delete(name);
      this.deletedAt.set(name, rv);
    } else this.byName.set(name, obj);
  }

  get(name: string): KObject | undefined {
    return this.byName.get(name) ?? this.store.tryGet(this.r, '', name);
  }
}
