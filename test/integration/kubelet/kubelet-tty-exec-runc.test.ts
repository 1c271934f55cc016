// `kubectl exec -it` (the real kubectl v1.32 on a pty from node-pty) on a lab from `kubewire up`
// whose containers run under runc (KUBEWIRE_OCI_RUNTIME=runc; crun is the default and
// kubelet-tty-attach.test.ts covers it). runc's `exec --tty` takes a --console-socket only when it
// detaches, so the exec console (native/exec-console.c) runs `runc exec --detach --pid-file`, becomes
// the child subreaper the exec'd process falls to when runc exits, and reaps it for its exit code.
// Checked: the container is runc's (its state.json), the shell has a terminal of the client's size
// from its first instant and follows a resize, its exit code reaches kubectl, and no console socket
// or pid file is left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLOUD, eventually, TestLab } from '../runtime/harness.js';

const KUBECTL = '/usr/bin/kubectl';

const ONE_NODE = `name: ttyrunc
${CLOUD}
nodes:
  - name: node1
    address: 10.231.209.113
    subnet: 192.168.128.0/24
`;

interface Pty {
  onData(fn: (d: string) => void): void;
  onExit(fn: (e: { exitCode: number }) => void): void;
  write(d: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}
type PtySpawn = (file: string, args: string[], o: Record<string, unknown>) => Pty;
const ptySpawn = (createRequire(import.meta.url)('node-pty') as { spawn: PtySpawn }).spawn;

describe('kubectl exec -it with runc as the OCI runtime', { timeout: 600_000 }, () => {
  before(() => {
    if (!existsSync(KUBECTL))
      throw new Error('kubectl is not installed: npm start installs it (scripts/bootstrap.mjs)');
    if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc'))
      throw new Error('runc is not installed (Debian package runc; scripts/bootstrap.mjs installs it)');
  });
  const lab = new TestLab(ONE_NODE, 'ttyrunc.yaml');
  const tmp = mkdtempSync(join(tmpdir(), 'kw-tty-runc-test-'));
  let kubeconfig = '';
  const kubectl = (args: string[], input?: string) =>
    execa(KUBECTL, args, {
      env: { KUBECONFIG: kubeconfig },
      reject: false,
      timeout: 120_000,
      ...(input !== undefined ? { input } : {}),
    });

  before(async () => {
    writeFileSync(join(tmp, 'ttyrunc.yaml'), ONE_NODE);
    const up = await lab.cli(['up', join(tmp, 'ttyrunc.yaml')], {
      timeoutMs: 240_000,
      env: { KUBEWIRE_OCI_RUNTIME: 'runc' },
    });
    assert.equal(up.exitCode, 0, up.stderr);
    kubeconfig = (await lab.cli(['kubeconfig', '--lab', 'ttyrunc'])).stdout.trim();
  });
  after(async () => {
    try {
      await lab.cleanup();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a shell on its own terminal: the client size from the start, a resize, the exit code', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'box' },
      spec: { nodeName: 'node1', containers: [{ name: 'box', image: 'busybox', command: ['sleep', '3600'] }] },
    });
    assert.equal((await kubectl(['apply', '-f', '-'], manifest)).exitCode, 0);
    await eventually(
      async () =>
        (await kubectl(['get', 'pod', 'box', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running'
          ? true
          : undefined,
      120_000,
    );
    // The container is runc's: runc keeps a state.json per container under its --root.
    const cid = (
      await kubectl(['get', 'pod', 'box', '-o', 'jsonpath={.status.containerStatuses[0].containerID}'])
    ).stdout.replace(/^[a-z]+:\/\//, '');
    assert.match(cid, /^[0-9a-f]{64}$/);
    const ociRoot = join(lab.paths.node('node1'), 'runtime', 'oci');
    assert.ok(existsSync(join(ociRoot, cid, 'state.json')), `runc's state of ${cid} under ${ociRoot}`);

    const p = ptySpawn(KUBECTL, ['exec', '-it', 'box', '--', 'sh'], {
      cols: 101,
      rows: 31,
      env: { ...process.env, KUBECONFIG: kubeconfig, TERM: 'xterm' },
    });
    let text = '';
    p.onData((d) => (text += d));
    const exited = new Promise<number>((r) => p.onExit((e) => r(e.exitCode)));
    const until = (re: RegExp) =>
      eventually(async () => (re.test(text.replace(/\r\n/g, '\n')) ? true : undefined), 60_000).catch(() => {
        throw new Error(`kubectl exec -it: no ${re} within 60 s in ${JSON.stringify(text)}`);
      });
    try {
      await until(/# /);
      p.write('tty; stty size; echo e-$((7*7))\r');
      await until(/^\/dev\/pts\/\d+\n31 101\ne-49$/m);
      p.resize(120, 40);
      // kubectl sends the new size on SIGWINCH; the shell sees it once the console applied it.
      await eventually(async () => {
        p.write('stty size\r');
        await new Promise((r) => setTimeout(r, 500));
        return /^40 120$/m.test(text.replace(/\r\n/g, '\n')) ? true : undefined;
      }, 60_000);
      p.write('exit 7\r');
      assert.equal(await exited, 7, `kubectl's exit code; it printed ${JSON.stringify(text)}`);
    } finally {
      p.kill('SIGKILL');
    }
    assert.doesNotMatch(text, /console socket|cannot|error/i);
    // The exec console removed its socket and pid file.
    const consoles = join(lab.paths.node('node1'), 'runtime', 'consoles');
    await eventually(async () => (readdirSync(consoles).length === 0 ? true : undefined), 30_000).catch(() => {
      throw new Error(`left in ${consoles}: ${readdirSync(consoles).join(' ')}`);
    });
    await kubectl(['delete', 'pod', 'box', '--wait=false']);
  });
});
