// The worker thread behind EtcdBackend's synchronous calls (etcd-backend.ts): it owns an
// EtcdGateway and runs each requested operation on its own event loop. A synchronous call's answer
// goes back on the sync port and the worker then stores the call's id in the shared word the
// caller sleeps on (Atomics.wait) and wakes it; asynchronous calls answer on the parent port.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ErrCompacted, ErrFutureRevision, ErrKeyExists } from './backend.js';
import { EtcdGateway, type EtcdGatewayOptions } from './etcd-gateway.js';
import { EtcdOps } from './etcd-ops.js';

export interface WorkerData {
  gateway: EtcdGatewayOptions;
  syncPort: MessagePort;
  /** Int32Array[0]: the id of the newest answered synchronous call. */
  flag: SharedArrayBuffer;
}

export interface Request {
  id: number;
  op: 'currentRevision' | 'get' | 'list' | 'count' | 'create' | 'update' | 'delete' | 'compact';
  args: unknown[];
}

export type SerializedError = { name: string; message: string; requested?: number; compacted?: number };

export interface Answer {
  id: number;
  result?: unknown;
  error?: SerializedError;
}

const data = workerData as WorkerData;
const ops = new EtcdOps(new EtcdGateway(data.gateway));
const flag = new Int32Array(data.flag);

async function run(req: Request): Promise<Answer> {
  try {
    const args = req.args.map((a) => (a instanceof Uint8Array ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a));
    const fn = ops[req.op] as (...a: unknown[]) => Promise<unknown>;
    const result = await fn.apply(ops, args);
    return { id: req.id, result: req.op === 'compact' ? { compacted: result, compactedAt: ops.compactedAt } : result };
  } catch (err) {
    const e = err as Error & Partial<ErrCompacted>;
    const name =
      err instanceof ErrKeyExists
        ? 'ErrKeyExists'
        : err instanceof ErrCompacted
          ? 'ErrCompacted'
          : err instanceof ErrFutureRevision
            ? 'ErrFutureRevision'
            : 'StoreError';
    return { id: req.id, error: { name, message: e.message, requested: e.requested, compacted: e.compacted } };
  }
}

data.syncPort.on('message', (req: Request) => {
  void run(req).then((answer) => {
    data.syncPort.postMessage(answer);
    Atomics.store(flag, 0, req.id);
    Atomics.notify(flag, 0);
  });
});

parentPort!.on('message', (req: Request) => {
  void run(req).then((answer) => parentPort!.postMessage(answer));
});
