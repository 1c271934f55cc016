// The Backend's operations as etcd v3 requests (through etcd-gateway.ts), asynchronous: keys and
// values are the apiserver's (`/registry/<resource>/<namespace>/<name>`, JSON values — the real
// kube-apiserver stores protobuf there, kubewire's apiserver keeps its JSON), revisions are etcd's
// own (the resourceVersion an object is served with is its key's mod_revision, as in Kubernetes).
//   create: txn  if create_revision(key) = 0 then put else range
//   update: txn  if mod_revision(key) = expected then put else range
//   delete: txn  if mod_revision(key) = expected (or the key exists) then delete(prev_kv) else range
// A write whose answer was lost (the member died after proposing it) may have been applied when
// the gateway tries it on another member: a create or update whose compare fails on a key that
// holds exactly the bytes it wrote counts as its own write — the apiserver's objects carry a uid
// and timestamps, so another writer's identical bytes do not occur. A delete retried that way
// finds the key gone (or made anew): it reads the key's history after the revision it expected
// (a watch from there), and when the next change was a delete of exactly that object — our own,
// applied by the member whose answer was lost — answers with that delete's revision and the
// deleted object, as the first attempt would have (a 200 with the object, not a 404).
import {
  ErrCompacted,
  ErrFutureRevision,
  ErrKeyExists,
  StoreError,
  type KeyValue,
  type ListResult,
} from './backend.js';
import {
  b64,
  bytesPrefixEnd,
  EtcdApiError,
  type EtcdGateway,
  type KvJson,
  type RangeJson,
  type TxnJson,
} from './etcd-gateway.js';

export type WriteResult = { revision: number; kv: KeyValue | undefined; ok: boolean };

export function kvFromJson(j: KvJson): KeyValue {
  return {
    key: Buffer.from(j.key ?? '', 'base64').toString('utf8'),
    createRevision: Number(j.create_revision ?? 0),
    modRevision: Number(j.mod_revision ?? 0),
    value: Buffer.from(j.value ?? '', 'base64'),
    lease: Number(j.lease ?? 0),
  };
}

export class EtcdOps {
  /** The newest compaction this client made or saw, as etcd counts it (reads at it still work). */
  compactedAt = 0;

  constructor(readonly gw: EtcdGateway) {}

  async currentRevision(): Promise<number> {
    // A serializable range of one absent key: the answer's header carries the store's revision.
    const r = await this.range({ key: b64('\u0000'), limit: 1, count_only: true });
    return Number(r.header.revision);
  }

  async get(key: string, revision = 0): Promise<{ revision: number; kv: KeyValue | undefined }> {
    const r = await this.range({ key: b64(key), ...(revision ? { revision } : {}) }, revision);
    const kv = r.kvs?.[0];
    return { revision: revision || Number(r.header.revision), kv: kv ? kvFromJson(kv) : undefined };
  }

  async list(prefix: string, opts: { startKey?: string; limit?: number; revision?: number } = {}): Promise<ListResult> {
    const r = await this.range(
      {
        key: b64(opts.startKey && opts.startKey > prefix ? opts.startKey : prefix),
        range_end: bytesPrefixEnd(prefix),
        ...(opts.limit ? { limit: opts.limit } : {}),
        ...(opts.revision ? { revision: opts.revision } : {}),
      },
      opts.revision ?? 0,
    );
    return {
      revision: opts.revision || Number(r.header.revision),
      kvs: (r.kvs ?? []).map(kvFromJson),
      more: Boolean(r.more),
    };
  }

  async count(prefix: string, revision = 0, startKey?: string): Promise<{ revision: number; count: number }> {
    const r = await this.range(
      {
        key: b64(startKey && startKey > prefix ? startKey : prefix),
        range_end: bytesPrefixEnd(prefix),
        count_only: true,
        ...(revision ? { revision } : {}),
      },
      revision,
    );
    return { revision: revision || Number(r.header.revision), count: Number(r.count ?? 0) };
  }

  async create(key: string, value: Buffer, lease = 0): Promise<number> {
    const k = b64(key);
    const r = await this.gw.call<TxnJson>('/v3/kv/txn', {
      compare: [{ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }],
      success: [{ request_put: { key: k, value: value.toString('base64'), ...(lease ? { lease } : {}) } }],
      failure: [{ request_range: { key: k } }],
    });
    if (r.succeeded) return Number(r.header.revision);
    const cur = r.responses?.[0]?.response_range?.kvs?.[0];
    // Our own write, applied by a member whose answer was lost before the gateway tried another.
    if (cur && Buffer.from(cur.value ?? '', 'base64').equals(value)) return Number(cur.mod_revision);
    throw new ErrKeyExists(`key ${key} exists`);
  }

  async update(key: string, value: Buffer, expectedRevision: number, lease = 0): Promise<WriteResult> {
    const k = b64(key);
    const r = await this.gw.call<TxnJson>('/v3/kv/txn', {
      compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: expectedRevision }],
      success: [
        { request_put: { key: k, value: value.toString('base64'), ...(lease ? { lease } : {}) } },
        { request_range: { key: k } },
      ],
      failure: [{ request_range: { key: k } }],
    });
    const ranged = r.succeeded ? r.responses?.[1] : r.responses?.[0];
    const cur = ranged?.response_range?.kvs?.[0];
    const kv = cur ? kvFromJson(cur) : undefined;
    if (r.succeeded) return { revision: Number(r.header.revision), kv, ok: true };
    if (kv && kv.modRevision > expectedRevision && kv.value.equals(value))
      return { revision: kv.modRevision, kv, ok: true }; // our own write, as for create
    return { revision: Number(r.header.revision), kv, ok: false };
  }

  async delete(key: string, expectedRevision = 0): Promise<WriteResult> {
    const k = b64(key);
    const compare =
      expectedRevision === 0
        ? { key: k, target: 'CREATE', result: 'GREATER', create_revision: 0 }
        : { key: k, target: 'MOD', result: 'EQUAL', mod_revision: expectedRevision };
    const info: { retried?: boolean } = {};
    const r = await this.gw.call<TxnJson>(
      '/v3/kv/txn',
      {
        compare: [compare],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      },
      info,
    );
    if (r.succeeded) {
      const prev = r.responses?.[0]?.response_delete_range?.prev_kvs?.[0];
      return { revision: Number(r.header.revision), kv: prev ? kvFromJson(prev) : undefined, ok: Boolean(prev) };
    }
    const cur = r.responses?.[0]?.response_range?.kvs?.[0];
    const kv = cur ? kvFromJson(cur) : undefined;
    // An earlier attempt may have deleted it: gone, or made anew after the revision we expected.
    if (info.retried && expectedRevision > 0 && (!kv || kv.createRevision > expectedRevision)) {
      const own = await this.deletedAt(key, expectedRevision);
      if (own) return { revision: own.revision, kv: own.prev, ok: true };
    }
    return { revision: Number(r.header.revision), kv, ok: false };
  }

  /**
   * The delete that was the key's next change after `revision`, when the key then held exactly the
   * object at `revision` (its mod_revision): the delete's revision and that object. Read from the
   * key's history with a watch from revision + 1 (etcd sends what is in its log at once); undefined
   * when the next change was something else, the history is compacted or no member answers.
   */
  private deletedAt(key: string, revision: number): Promise<{ revision: number; prev: KeyValue } | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: { revision: number; prev: KeyValue } | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stream.close();
        resolve(v);
      };
      const timer = setTimeout(() => finish(undefined), 5000);
      const stream = this.gw.stream(
        this.gw.preferredMember,
        '/v3/watch',
        { create_request: { key: b64(key), start_revision: revision + 1, prev_kv: true } },
        (o) => {
          const res = o.result;
          if (!res) return finish(undefined);
          if (res.canceled || (res.compact_revision && Number(res.compact_revision) > 0)) return finish(undefined);
          const e = res.events?.[0];
          if (!e) return;
          const prev = e.prev_kv ? kvFromJson(e.prev_kv) : undefined;
          if (e.type === 'DELETE' && prev && prev.modRevision === revision)
            return finish({ revision: Number(e.kv.mod_revision ?? 0), prev });
          finish(undefined);
        },
        () => finish(undefined),
      );
    });
  }

  /** Compacts etcd's history up to `revision` (capped at the newest); returns our compactRevision(). */
  async compact(revision: number): Promise<number> {
    const current = await this.currentRevision();
    const target = Math.min(revision, current);
    if (target <= this.compactedAt) return this.compactRevision();
    try {
      await this.gw.call<unknown>('/v3/kv/compaction', { revision: target, physical: false });
      this.compactedAt = target;
    } catch (err) {
      const c = compactedError(err, target);
      if (!c) throw err;
      this.compactedAt = Math.max(this.compactedAt, target);
    }
    return this.compactRevision();
  }

  /**
   * The Backend's compact revision: everything at or below it is gone. etcd still reads at the
   * revision it compacted to, so that is one below it.
   */
  compactRevision(): number {
    return Math.max(0, this.compactedAt - 1);
  }

  private async range(body: Record<string, unknown>, revision = 0): Promise<RangeJson> {
    try {
      return await this.gw.call<RangeJson>('/v3/kv/range', body);
    } catch (err) {
      throw compactedError(err, revision, this) ?? futureError(err) ?? err;
    }
  }
}

function compactedError(err: unknown, requested: number, ops?: EtcdOps): ErrCompacted | undefined {
  if (!(err instanceof EtcdApiError) || !/required revision has been compacted/.test(err.message)) return undefined;
  if (ops) ops.compactedAt = Math.max(ops.compactedAt, requested + 1);
  return new ErrCompacted(requested, ops ? ops.compactRevision() : requested);
}

function futureError(err: unknown): StoreError | undefined {
  if (!(err instanceof EtcdApiError) || !/future revision/.test(err.message)) return undefined;
  return new ErrFutureRevision(err.message);
}
