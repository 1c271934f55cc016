// The apiserver's store on an etcd cluster (topology controlPlane.store kind etcd), behind the same
// Backend interface as the SQLite revision log. That interface is synchronous (better-sqlite3 is,
// and ObjectStore and ~90 apiserver call sites rely on it), so reads and writes cross to a worker
// thread that speaks etcd's v3 API (etcd-worker.ts) and this thread sleeps in Atomics.wait until
// the answer is there — the bridge synckit packages, in 40 lines with no dependency. Making the
// interface asynchronous instead would touch every registry, admission and handler path of the
// apiserver at once (and the files other work is splitting right now); the bridge keeps the
// apiserver's code as it is and makes etcd a drop-in store. What blocking costs: the cluster
// process's event loop waits for each etcd round trip (a quorum write, ~1-10 ms here) as it
// waited for SQLite's commit; the group-committed writes (createAsync, ...) and watches do not
// block: they go to the worker asynchronously, or (watches) run on this thread's event loop.
//
// Watches use etcd's watch API (POST /v3/watch through the gateway) with the key range of the
// prefix, start_revision = afterRevision + 1 and prev_kv, so resourceVersions are etcd revisions;
// a watch whose member dies resumes on another member from the last revision it delivered.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import {
  ErrCompacted,
  ErrFutureRevision,
  ErrKeyExists,
  StoreError,
  type Backend,
  type KeyValue,
  type ListResult,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from './backend.js';
import { b64, bytesPrefixEnd, EtcdGateway, type EtcdGatewayOptions, type WatchJson } from './etcd-gateway.js';
import { kvFromJson, type WriteResult } from './etcd-ops.js';
import type { Answer, Request, SerializedError, WorkerData } from './etcd-worker.js';

export interface EtcdBackendOptions extends EtcdGatewayOptions {
  /** How long a synchronous call may block before it fails (default: retryForMs + 5 s). */
  syncTimeoutMs?: number;
  /** Where a watch reports that it moved to another member. */
  log?: (line: string) => void;
}

export class EtcdBackend implements Backend {
  private readonly worker: Worker;
  private readonly syncPort: MessagePort;
  private readonly flag: Int32Array;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly watchGateway: EtcdGateway;
  private readonly watches = new Set<EtcdWatch>();
  private readonly syncTimeoutMs: number;
  private nextId = 0;
  private compactedAt = 0;
  private closed = false;

  constructor(private readonly opts: EtcdBackendOptions) {
    this.watchGateway = new EtcdGateway(opts); // validates the endpoints before a thread starts
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    this.flag = new Int32Array(flag);
    this.syncPort = port1;
    const gateway: EtcdGatewayOptions = {
      endpoints: opts.endpoints,
      netnsAddon: opts.netnsAddon,
      requestTimeoutMs: opts.requestTimeoutMs,
      retryForMs: opts.retryForMs,
    };
    this.worker = new Worker(new URL('./etcd-worker.js', import.meta.url), {
      workerData: { gateway, syncPort: port2, flag } satisfies WorkerData,
      transferList: [port2],
    });
    this.worker.unref();
    this.worker.on('message', (a: Answer) => this.settle(a));
    this.worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    this.syncTimeoutMs = opts.syncTimeoutMs ?? (opts.retryForMs ?? 30_000) + 5000;
  }

  currentRevision(): number {
    return this.sync('currentRevision', []) as number;
  }

  compactRevision(): number {
    return Math.max(0, this.compactedAt - 1);
  }

  get(key: string, revision = 0): { revision: number; kv: KeyValue | undefined } {
    const r = this.sync('get', [key, revision]) as { revision: number; kv: KeyValue | undefined };
    return { revision: r.revision, kv: r.kv && kvIn(r.kv) };
  }

  create(key: string, value: Buffer, lease = 0): number {
    return this.sync('create', [key, value, lease]) as number;
  }

  update(key: string, value: Buffer, expectedRevision: number, lease = 0): WriteResult {
    return writeIn(this.sync('update', [key, value, expectedRevision, lease]) as WriteResult);
  }

  delete(key: string, expectedRevision = 0): WriteResult {
    return writeIn(this.sync('delete', [key, expectedRevision]) as WriteResult);
  }

  // etcd batches concurrent proposals in its raft log itself: these just do not block.
  createAsync(key: string, value: Buffer, lease = 0): Promise<number> {
    return this.async('create', [key, value, lease]) as Promise<number>;
  }

  async updateAsync(key: string, value: Buffer, expectedRevision: number, lease = 0): Promise<WriteResult> {
    return writeIn((await this.async('update', [key, value, expectedRevision, lease])) as WriteResult);
  }

  async deleteAsync(key: string, expectedRevision = 0): Promise<WriteResult> {
    return writeIn((await this.async('delete', [key, expectedRevision])) as WriteResult);
  }

  list(prefix: string, opts: { startKey?: string; limit?: number; revision?: number } = {}): ListResult {
    const r = this.sync('list', [prefix, opts]) as ListResult;
    return { ...r, kvs: r.kvs.map(kvIn) };
  }

  count(prefix: string, revision = 0, startKey?: string): { revision: number; count: number } {
    return this.sync('count', [prefix, revision, startKey]) as { revision: number; count: number };
  }

  compact(revision: number): number {
    const r = this.sync('compact', [revision]) as { compacted: number; compactedAt: number };
    this.compactedAt = Math.max(this.compactedAt, r.compactedAt);
    return this.compactRevision();
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    if (this.closed) throw new StoreError('etcd backend is closed');
    if (opts.afterRevision > 0 && opts.afterRevision < this.compactRevision())
      throw new ErrCompacted(opts.afterRevision, this.compactRevision());
    // "From now on" is from this call on: the revision is read now, not when etcd creates the watch.
    const after = opts.afterRevision > 0 ? opts.afterRevision : this.currentRevision();
    const w = new EtcdWatch(
      this.watchGateway,
      prefix,
      { ...opts, afterRevision: after },
      this.opts.log,
      (compactedAt) => {
        this.compactedAt = Math.max(this.compactedAt, compactedAt);
        return this.compactRevision();
      },
    );
    this.watches.add(w);
    w.onClose = () => this.watches.delete(w);
    w.start();
    return w;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    this.watchGateway.close();
    for (const p of this.pending.values()) p.reject(new StoreError('etcd backend is closed'));
    this.pending.clear();
    void this.worker.terminate();
    this.syncPort.close();
  }

  private id(): number {
    this.nextId = (this.nextId % 0x7ffffffe) + 1;
    return this.nextId;
  }

  /** Posts the call to the worker and sleeps until the worker marks it answered. */
  private sync(op: Request['op'], args: unknown[]): unknown {
    if (this.closed) throw new StoreError('etcd backend is closed');
    const id = this.id();
    this.syncPort.postMessage({ id, op, args } satisfies Request);
    const deadline = Date.now() + this.syncTimeoutMs;
    for (;;) {
      const seen = Atomics.load(this.flag, 0);
      if (seen === id) break;
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, seen, left) === 'timed-out')
        if (Atomics.load(this.flag, 0) !== id)
          throw new StoreError(`etcd: ${op} got no answer within ${this.syncTimeoutMs / 1000} s`);
    }
    // Answers of earlier calls that timed out may be queued before ours: skip them.
    for (;;) {
      const m = receiveMessageOnPort(this.syncPort);
      if (!m) throw new StoreError(`etcd: ${op} was answered but the answer is missing`);
      const a = m.message as Answer;
      if (a.id !== id) continue;
      if (a.error) throw this.errorIn(a.error);
      return a.result;
    }
  }

  private async(op: Request['op'], args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new StoreError('etcd backend is closed'));
    const id = this.id();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args } satisfies Request);
    });
  }

  private settle(a: Answer): void {
    const p = this.pending.get(a.id);
    if (!p) return;
    this.pending.delete(a.id);
    if (a.error) p.reject(this.errorIn(a.error));
    else p.resolve(a.result);
  }

  private errorIn(e: SerializedError): Error {
    switch (e.name) {
      case 'ErrKeyExists':
        return new ErrKeyExists(e.message);
      case 'ErrCompacted':
        this.compactedAt = Math.max(this.compactedAt, (e.compacted ?? 0) + 1);
        return new ErrCompacted(e.requested ?? 0, e.compacted ?? 0);
      case 'ErrFutureRevision':
        return new ErrFutureRevision(e.message);
      default:
        return new StoreError(e.message);
    }
  }
}

/** A KeyValue that crossed the thread boundary: its value arrives as a Uint8Array. */
function kvIn(kv: KeyValue): KeyValue {
  const v = kv.value as Uint8Array;
  return { ...kv, value: Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
}

function writeIn(r: WriteResult): WriteResult {
  return { ...r, kv: r.kv && kvIn(r.kv) };
}

/**
 * One Backend watch as an etcd watch stream. Events come in revision order; after a member fails
 * the stream is created again on the next member from the last delivered revision + 1, so nothing
 * is lost or repeated. Progress notifications (a revision with no events) advance deliveredRevision.
 */
class EtcdWatch implements Watch {
  onClose: () => void = () => undefined;
  private stream: { close(): void } | undefined;
  private delivered: number;
  private member = 0;
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gw: EtcdGateway,
    private readonly prefix: string,
    private readonly opts: WatchOptions,
    private readonly log: ((line: string) => void) | undefined,
    private readonly sawCompaction: (compactedAt: number) => number,
  ) {
    this.delivered = opts.afterRevision;
  }

  start(): void {
    if (this.closed) return;
    const startRevision = this.delivered > 0 ? this.delivered + 1 : 0;
    let created = false;
    this.stream = this.gw.stream(
      this.member,
      '/v3/watch',
      {
        create_request: {
          key: b64(this.prefix),
          range_end: bytesPrefixEnd(this.prefix),
          prev_kv: true,
          progress_notify: true,
          ...(startRevision ? { start_revision: startRevision } : {}),
        },
      },
      (o) => {
        if (this.closed) return;
        const res = o.result;
        if (!res) {
          if (o.error) this.fail(new StoreError(`etcd watch: ${o.error.message ?? JSON.stringify(o.error)}`));
          return;
        }
        if (res.compact_revision && Number(res.compact_revision) > 0) {
          const compacted = this.sawCompaction(Number(res.compact_revision));
          this.fail(new ErrCompacted(this.delivered, compacted));
          return;
        }
        if (res.created) {
          created = true;
          this.failures = 0;
          // "From now on": the header's revision is where this watch starts.
          if (this.delivered === 0) this.delivered = Number(res.header?.revision ?? 0);
        }
        if (res.canceled) {
          this.fail(new StoreError(`etcd watch canceled: ${res.cancel_reason ?? 'no reason given'}`));
          return;
        }
        const events: WatchEvent[] = (res.events ?? []).map(toEvent);
        if (events.length) {
          this.delivered = events[events.length - 1]!.kv.modRevision;
          this.opts.onEvents(events);
        } else if (!res.created && res.header?.revision) {
          // A progress notification: every event up to this revision has been sent.
          this.delivered = Math.max(this.delivered, Number(res.header.revision));
        }
      },
      (err) => {
        if (this.closed) return;
        // The member went away (or never answered): resume on the next one.
        this.failures = created ? 1 : this.failures + 1;
        this.member = (this.member + 1) % this.gw.endpoints.length;
        const delay = Math.min(50 * 2 ** Math.min(this.failures, 5), 1000);
        this.log?.(
          `etcd watch ${this.prefix}: ${err?.message ?? 'ended'}; resuming from revision ${this.delivered + 1} on ${this.gw.endpoints[this.member]!.host}`,
        );
        this.timer = setTimeout(() => this.start(), delay);
      },
    );
  }

  deliveredRevision(): number {
    return this.delivered;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.stream?.close();
    this.onClose();
  }

  private fail(err: Error): void {
    this.close();
    this.opts.onError(err);
  }
}

function toEvent(e: NonNullable<NonNullable<WatchJson['result']>['events']>[number]): WatchEvent {
  const kv = kvFromJson(e.kv);
  const prevKv = e.prev_kv ? kvFromJson(e.prev_kv) : undefined;
  if (e.type === 'DELETE') {
    // The Backend's delete event: the last value, at the delete's revision.
    const last = prevKv ?? kv;
    return { type: 'delete', kv: { ...last, modRevision: kv.modRevision }, prevKv };
  }
  return { type: Number(e.kv.version ?? 0) === 1 ? 'create' : 'update', kv, prevKv };
}
