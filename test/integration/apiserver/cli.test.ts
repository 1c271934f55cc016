// `kubewire kubeconfig` and the hidden `kubewire apiserver`: the printed kubeconfig carries the CA
// and the admin token, and (with kubectl present) reaches the running apiserver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { KUBECTL, hasKubectl } from './harness.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const cli = join(root, 'dist', 'cli', 'main.js');

test('kubewire kubeconfig prints a kubeconfig that kubectl can use against kubewire apiserver', async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'kw-apiserver-cli-'));
  t.after(() => rmSync(state, { recursive: true, force: true }));
  const env = { ...process.env, KUBEWIRE_STATE: state };
  const first = await execa(process.execPath, [cli, 'kubeconfig'], { env });
  const path = first.stdout.trim();
  assert.equal(path, join(state, 'apiserver', 'admin.kubeconfig'));
  const kc = parse(readFileSync(path, 'utf8'));
  assert.equal(kc.clusters[0].cluster.server, 'https://127.0.0.1:6443');
  assert.match(
    Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
    /BEGIN CERTIFICATE/,
  );
  const token = kc.users[0].user.token;
  assert.match(token, /^[A-Za-z0-9_-]{20,}$/);

  // Watched through its stdout and 'exit'; no SIGKILL after the SIGTERM whose exit code is checked.
  const server = execa(process.execPath, [cli, 'apiserver', '--listen', '127.0.0.1:0'], {
    env,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    forceKillAfterDelay: false,
  });
  t.after(() => {
    server.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /apiserver on (https:\/\/\S+);/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`apiserver exited ${code}`)));
  });
  const again = await execa(process.execPath, [cli, 'kubeconfig'], { env });
  assert.equal(again.stdout.trim(), path);
  const kc2 = parse(readFileSync(path, 'utf8'));
  assert.equal(kc2.clusters[0].cluster.server, url);
  assert.equal(kc2.users[0].user.token, token, 'the admin token survives restarts');
  if (hasKubectl) {
    const r = await execa(KUBECTL, ['get', 'namespaces', '-o', 'name'], { env: { KUBECONFIG: path, HOME: state } });
    assert.match(r.stdout, /namespace\/kube-system/);
  } else t.diagnostic(`${KUBECTL} absent: the kubectl step was skipped`);
  const stopped = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  assert.equal(await stopped, 0);
});
