// A second process that writes to the same store file as a test: prints `ack <op> <key> <revision>`
// after each write has committed, so the test knows exactly what was acknowledged.
//   create-loop DB PREFIX            create PREFIX0, PREFIX1, ... until killed
//   create-loop-async DB PREFIX      the same through group commit: bursts of 16 concurrent creates
//   mixed DB PREFIX COUNT            COUNT writes: creates, updates and deletes on a few keys
//   race DB KEY ROUNDS               read KEY and compare-and-swap it ROUNDS times
//   create-race DB PREFIX COUNT      create PREFIX0..PREFIX<COUNT-1>; `exists ...` when another won
import { ErrKeyExists } from '../../../cluster/store/backend.js';
import { SqliteBackend } from '../../../cluster/store/sqlite-backend.js';

const [mode, path, arg1, arg2] = process.argv.slice(2);
if (!mode || !path || !arg1) throw new Error('usage: store-writer-child MODE DB ARG [ARG]');
const store = new SqliteBackend({ path });
const out = (line: string): void => void process.stdout.write(line + '\n');

if (mode === 'create-loop') {
  for (let i = 0; ; i++) {
    const key = `${arg1}${i}`;
    out(`ack create ${key} ${store.create(key, Buffer.from(`value-${i}`))}`);
  }
} else if (mode === 'create-loop-async') {
  for (let i = 0; ; i += 16) {
    await Promise.all(
      Array.from({ length: 16 }, (_, j) =>
        store
          .createAsync(`${arg1}${i + j}`, Buffer.from(`value-${i + j}`))
          .then((rev) => out(`ack create ${arg1}${i + j} ${rev}`)),
      ),
    );
  }
} else if (mode === 'mixed') {
  const count = Number(arg2);
  for (let i = 0; i < count; i++) {
    const key = `${arg1}${i % 7}`;
    const cur = store.get(key).kv;
    if (!cur) out(`ack create ${key} ${store.create(key, Buffer.from(`c${i}`))}`);
    else if (i % 5 === 0) {
      const r = store.delete(key, cur.modRevision);
      if (r.ok) out(`ack delete ${key} ${r.revision}`);
    } else {
      const r = store.update(key, Buffer.from(`u${i}`), cur.modRevision);
      if (r.ok) out(`ack update ${key} ${r.revision}`);
    }
    // Let the other writer in now and then, so the two processes interleave.
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
  }
} else if (mode === 'race') {
  const rounds = Number(arg2);
  for (let i = 0; i < rounds; i++) {
    const cur = store.get(arg1).kv!;
    const r = store.update(arg1, Buffer.from(`${process.pid}-${i}`), cur.modRevision);
    out(r.ok ? `ack update ${arg1} ${r.revision}` : `lost update ${arg1} ${cur.modRevision}`);
    if (i % 5 === 0) await new Promise((r) => setImmediate(r));
  }
} else if (mode === 'create-race') {
  const count = Number(arg2);
  for (let i = 0; i < count; i++) {
    const key = `${arg1}${i}`;
    try {
      out(`ack create ${key} ${store.create(key, Buffer.from(String(process.pid)))}`);
    } catch (err) {
      if (!(err instanceof ErrKeyExists)) throw err;
      out(`exists create ${key} 0`);
    }
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
store.close();
