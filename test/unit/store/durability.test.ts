// Nothing acknowledged is lost across kill -9: a child process creates keys in a loop and prints
// each revision after its commit returned; it is killed with SIGKILL mid-stream, and every
// acknowledged write must be in the file when it is opened again; the same with group-committed
// writes (bursts of concurrent creates sharing transactions).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { openStore, spawnWriter, tempStorePath, until } from './temp-store.js';

for (const mode of ['create-loop', 'create-loop-async']) {
  test(`every acknowledged write survives SIGKILL of the writing process (${mode})`, (t) => killedWriter(t, mode));
}

async function killedWriter(t: TestContext, mode: string): Promise<void> {
  const path = tempStorePath(t);
  openStore(t, path).close(); // the schema exists before the child starts
  const writer = spawnWriter(t, [mode, path, '/dur/']);
  // Generous: on a loaded 2-core CI machine the child alone can take seconds to start.
  await until(() => writer.lines.length >= 500, 60_000, '500 acknowledged writes');
  writer.child.kill('SIGKILL');
  await writer.exited;
  assert.equal(writer.child.signalCode, 'SIGKILL');
  const acks = writer.lines.map((l) => l.split(' '));

  const raw = new Database(path, { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
  raw.close();
  const s = openStore(t, path);
  for (const [word, op, key, rev] of acks) {
    assert.equal(`${word} ${op}`, 'ack create');
    const got = s.get(key!).kv;
    assert.ok(got, `acknowledged ${key}@${rev} is there`);
    assert.equal(got.modRevision, Number(rev));
    assert.equal(got.value.toString(), `value-${key!.slice(5)}`);
  }
  // The child may have committed a few more after its last ack reached us, never fewer.
  assert.ok(s.currentRevision() >= acks.length);
  assert.equal(s.count('/dur/').count, s.currentRevision());
}
