// Objects over the revision log: keys as kube-apiserver lays them out in etcd
// (`/registry/<resource>/<namespace>/<name>`), resourceVersion = the row's modRevision, optimistic
// concurrency by expected revision, lists with limit/continue at one revision, and watches.
import {
  ErrCompacted,
  ErrFutureRevision,
  ErrKeyExists,
  type Backend,
  type KeyValue,
  type WatchEvent,
} from '../../store/backend.js';
import { conversionFor } from './version-conversion.js';
import type { ResourceInfo } from '../resources.js';
import { ApiError, STALE, alreadyExists, badRequest, conflict, expired, notFound } from '../status.js';

export type KObject = Record<string, any> & { metadata?: Record<string, any> };

export interface ListOptions {
  /** "" (most recent), "0" (any), or a revision. */
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  continueToken?: string;
  filter?: (obj: KObject) => boolean;
}

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface ObjectEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  /** The object before this change (for updates and deletes), to decide filter transitions. */
  previous?: KObject;
  revision: number;
}

export interface ObjectWatch {
  stop(): void;
  /** Every event up to this revision has been delivered (what a BOOKMARK may carry), if known. */
  deliveredRevision(): number | undefined;
}

export class ObjectStore {
  constructor(private readonly backend: Backend) {}

  key(r: ResourceInfo, namespace: string, name: string): string {
    return r.namespaced ? `/registry/${r.storagePrefix}/${namespace}/${name}` : `/registry/${r.storagePrefix}/${name}`;
  }

  prefix(r: ResourceInfo, namespace: string): string {
    return r.namespaced && namespace ? `/registry/${r.storagePrefix}/${namespace}/` : `/registry/${r.storagePrefix}/`;
  }

  currentRevision(): number {
    return this.backend.currentRevision();
  }

  get(r: ResourceInfo, namespace: string, name: string, resourceVersion = ''): KObject {
    const rev = this.readRevision(resourceVersion, true);
    const { kv } = this.wrap(() => this.backend.get(this.key(r, namespace, name), rev));
    if (!kv) throw notFound(r.plural, r.group, name);
    return asServed(r, decode(kv));
  }

  tryGet(r: ResourceInfo, namespace: string, name: string): KObject | undefined {
    const { kv } = this.backend.get(this.key(r, namespace, name));
    return kv ? asServed(r, decode(kv)) : undefined;
  }

  create(r: ResourceInfo, namespace: string, obj: KObject): KObject {
    const name = obj.metadata!.name as string;
    const value = encode(toStored(r, obj));
    try {
      const rev = this.backend.create(this.key(r, namespace, name), value);
      return asServed(r, withRevision(obj, rev));
    } catch (err) {
      if (err instanceof ErrKeyExists) throw alreadyExists(r.plural, r.group, name);
      throw err;
    }
  }

  /** create(), committed together with the other writes of this turn of the event loop (group commit). */
  async createAsync(r: ResourceInfo, namespace: string, obj: KObject): Promise<KObject> {
    const name = obj.metadata!.name as string;
    const value = encode(toStored(r, obj));
    try {
      const rev = await this.backend.createAsync(this.key(r, namespace, name), value);
      return asServed(r, withRevision(obj, rev));
    } catch (err) {
      if (err instanceof ErrKeyExists) throw alreadyExists(r.plural, r.group, name);
      throw err;
    }
  }

  /** update(), group-committed. */
  async updateAsync(r: ResourceInfo, namespace: string, obj: KObject, expectedRevision: number): Promise<KObject> {
    const name = obj.metadata!.name as string;
    const res = await this.backend.updateAsync(
      this.key(r, namespace, name),
      encode(toStored(r, obj)),
      expectedRevision,
    );
    if (!res.ok) {
      if (!res.kv) throw notFound(r.plural, r.group, name);
      throw conflict(r.plural, r.group, name, STALE);
    }
    return asServed(r, withRevision(obj, res.revision));
  }

  /** Replaces the object if it is still at `expectedRevision`; 409 Conflict otherwise. */
  update(r: ResourceInfo, namespace: string, obj: KObject, expectedRevision: number): KObject {
    const name = obj.metadata!.name as string;
    const res = this.backend.update(this.key(r, namespace, name), encode(toStored(r, obj)), expectedRevision);
    if (!res.ok) {
      if (!res.kv) throw notFound(r.plural, r.group, name);
      throw conflict(r.plural, r.group, name, STALE);
    }
    return asServed(r, withRevision(obj, res.revision));
  }

  /**
   * Read-modify-write with retries on races (GuaranteedUpdate): `mutate` gets the current object and
   * returns the new one, or undefined for "no change". Throws what mutate throws.
   */
  guaranteedUpdate(
    r: ResourceInfo,
    namespace: string,
    name: string,
    mutate: (current: KObject) => KObject | undefined,
  ): KObject {
    for (let attempt = 0; ; attempt++) {
      const current = this.get(r, namespace, name);
      const rev = Number(current.metadata!.resourceVersion);
      const next = mutate(structuredClone(current));
      if (!next) return current;
      const res = this.backend.update(this.key(r, namespace, name), encode(toStored(r, next)), rev);
      if (res.ok) return asServed(r, withRevision(next, res.revision));
      if (!res.kv) throw notFound(r.plural, r.group, name);
      if (attempt >= 5) throw conflict(r.plural, r.group, name, STALE);
    }
  }

  /** Removes the object if still at expectedRevision (0 = any); returns it with the delete's revision. */
  delete(r: ResourceInfo, namespace: string, name: string, expectedRevision = 0): KObject {
    const res = this.backend.delete(this.key(r, namespace, name), expectedRevision);
    if (!res.ok || !res.kv) {
      if (!res.kv) throw notFound(r.plural, r.group, name);
      throw conflict(r.plural, r.group, name, STALE);
    }
    return asServed(r, withRevision(decode(res.kv), res.revision));
  }

  list(r: ResourceInfo, namespace: string, opts: ListOptions = {}): ListResult {
    const prefix = this.prefix(r, namespace);
    let startKey: string | undefined;
    let rev: number;
    if (opts.continueToken) {
      const tok = decodeContinue(opts.continueToken, prefix);
      startKey = prefix + tok.start;
      rev = tok.rv;
    } else {
      rev = this.readRevision(opts.resourceVersion ?? '', opts.resourceVersionMatch === 'Exact');
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const items: KObject[] = [];
    let lastKey = '';
    let more = false;
    let atRev = rev;
    // Page through the log until `limit` objects pass the filter (kube-apiserver does the same).
    for (;;) {
      const page = this.wrap(() =>
        this.backend.list(prefix, {
          startKey,
          limit: limit ? Math.max(limit - items.length, 1) : undefined,
          revision: rev,
        }),
      );
      atRev = page.revision;
      rev = page.revision;
      for (const kv of page.kvs) {
        lastKey = kv.key;
        const obj = asServed(r, decode(kv));
        if (!opts.filter || opts.filter(obj)) items.push(obj);
      }
      more = page.more;
      if (!limit || !more || items.length >= limit) break;
      startKey = lastKey + '\u0000';
    }
    const result: ListResult = { items, resourceVersion: String(atRev) };
    if (limit && more) {
      result.continueToken = encodeContinue(atRev, lastKey.slice(prefix.length) + '\u0000');
      if (!opts.filter) result.remainingItemCount = this.countAfter(prefix, lastKey, atRev);
    }
    return result;
  }

  /**
   * Events for one resource (one namespace, or all) after `afterRevision`, in order. Throws
   * 410 Expired if that revision was compacted. Returns a disposer.
   */
  watch(
    r: ResourceInfo,
    namespace: string,
    afterRevision: number,
    onEvents: (events: ObjectEvent[]) => void,
    onError: (err: ApiError) => void,
  ): ObjectWatch {
    try {
      const w = this.backend.watch(this.prefix(r, namespace), {
        afterRevision,
        onEvents: (events) => onEvents(events.map((e) => servedEvent(r, toObjectEvent(e)))),
        onError: (err) =>
          onError(
            err instanceof ErrCompacted
              ? expiredFor(err)
              : new ApiError(500, 'InternalError', err.message, undefined, { cause: err }),
          ),
      });
      return { stop: () => w.close(), deliveredRevision: () => w.deliveredRevision?.() };
    } catch (err) {
      if (err instanceof ErrCompacted) throw expiredFor(err);
      throw err;
    }
  }

  private countAfter(prefix: string, lastKey: string, rev: number): number {
    return this.backend.count(prefix, rev, lastKey + '\u0000').count;
  }

  /** "" → newest; "0" → newest (any is fine); "N" → N (exact) or newest when newer. */
  private readRevision(resourceVersion: string, exact: boolean): number {
    if (resourceVersion === '' || resourceVersion === '0') return 0;
    if (!/^\d+$/.test(resourceVersion)) throw badRequest(`invalid resource version "${resourceVersion}"`);
    const n = Number(resourceVersion);
    if (!exact) {
      const cur = this.backend.currentRevision();
      if (n > cur)
        throw new ApiError(504, 'Timeout', `Too large resource version: ${n}, current: ${cur}`, {
          causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
          retryAfterSeconds: 1,
        });
      return 0;
    }
    return n;
  }

  private wrap<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ErrCompacted) throw expiredFor(err);
      if (err instanceof ErrFutureRevision)
        throw new ApiError(504, 'Timeout', `Too large resource version: ${err.message}`, { retryAfterSeconds: 1 });
      throw err;
    }
  }
}

function expiredFor(err: ErrCompacted): ApiError {
  return expired(`too old resource version: ${err.requested} (${err.compacted})`);
}

/**
 * Custom resources are stored in the version they were written in and served in every version of
 * their definition: with conversion strategy None (the only one here), only apiVersion changes.
 */
function asServed(r: ResourceInfo, obj: KObject): KObject {
  if (r.custom) obj.apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  const conv = conversionFor(r);
  return conv ? conv.fromStorage(obj) : obj;
}

function toStored(r: ResourceInfo, obj: KObject): KObject {
  const conv = conversionFor(r);
  return conv ? conv.toStorage(obj) : obj;
}

function servedEvent(r: ResourceInfo, e: ObjectEvent): ObjectEvent {
  if (!r.custom && !conversionFor(r)) return e;
  return { ...e, object: asServed(r, e.object), previous: e.previous ? asServed(r, e.previous) : undefined };
}

function toObjectEvent(e: WatchEvent): ObjectEvent {
  const object = decode(e.kv);
  const type = e.type === 'create' ? 'ADDED' : e.type === 'update' ? 'MODIFIED' : 'DELETED';
  const ev: ObjectEvent = { type, object, revision: e.kv.modRevision };
  // The object before is only looked at by watches with a selector: decoded on first use.
  const prevKv = e.prevKv;
  if (prevKv) {
    let previous: KObject | undefined;
    Object.defineProperty(ev, 'previous', {
      enumerable: true,
      get: () => (previous ??= decode(prevKv)),
      set: (v: KObject) => (previous = v),
    });
  }
  return ev;
}

export function encode(obj: KObject): Buffer {
  const md = obj.metadata ?? {};
  const { resourceVersion: _rv, ...rest } = md;
  return Buffer.from(JSON.stringify({ ...obj, metadata: rest }));
}

export function decode(kv: KeyValue): KObject {
  const obj = JSON.parse(kv.value.toString('utf8')) as KObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(kv.modRevision) };
  return obj;
}

function withRevision(obj: KObject, rev: number): KObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
}

/** Continue tokens carry the list's revision and the next key, as kube's etcd3 store does. */
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

/**
 * A continue token's start key stays below the list's prefix: like kube-apiserver, refuse one that
 * is absolute or that path cleaning would change ("..", "//", "."), and accept "<ns>/<name>" keys,
 * which every list across namespaces pages through.
 */
function isCleanStart(start: string): boolean {
  const key = start.endsWith('\u0000') ? start.slice(0, -1) : start;
  if (key === '') return true;
  if (key.startsWith('/') || key.includes('\u0000')) return false;
  return key.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function decodeContinue(token: string, _prefix: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string' || !isCleanStart(t.start))
      throw new Error('bad token');
    return t;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}
