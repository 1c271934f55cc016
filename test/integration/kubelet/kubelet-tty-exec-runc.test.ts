// `kubectl exec -it` (the real kubectl v1.32 on a pty from node-pty) on a lab from `kubewire up`
// whose containers run under runc (KUBEWIRE_OCI_RUNTIME=runc; crun is the default and
// kubelet-tty-attach.test.ts covers it). runc's `exec --tty` takes a --console-socket only when it
// detaches, so the exec console (native/exec-console.c) runs `runc exec --detach --pid-file`, becomes
// the child subreaper the exec'd process falls to when runc exits, and reaps it for its exit code.
// Checked: the container is runc's (its state.json), the shell has a terminal of the client's size
// from its first instant and follows a resize, its exit code reaches kubectl, and no console socket
// or pid file is left behind.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../runtime/harness.js';
import { usePtyLab } from '../../helpers/pty-lab.js';

describe('kubectl exec -it with runc as the OCI runtime', { timeout: 600_000 }, () => {
  before(() => {
    if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc'))
      throw new Error('runc is not installed (Debian package runc; scripts/bootstrap.mjs installs it)');
  });
  const { lab, kubectl, kubectlOnPty, waitPhase } = usePtyLab('ttyrunc', { env: { KUBEWIRE_OCI_RUNTIME: 'runc' } });

  test('a shell on its own terminal: the client size from the start, a resize, the exit code', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'box' },
      spec: { nodeName: 'node1', containers: [{ name: 'box', image: 'busybox', command: ['sleep', '3600'] }] },
    });
    assert.equal((await kubectl(['apply', '-f', '-'], manifest)).exitCode, 0);
    await waitPhase('box', 'Running');
    // The container is runc's: runc keeps a state.json per container under its --root.
    const cid = (
      await kubectl(['get', 'pod', 'box', '-o', 'jsonpath={.status.containerStatuses[0].containerID}'])
    ).stdout.replace(/^[a-z]+:\/\//, '');
    assert.match(cid, /^[0-9a-f]{64}$/);
    const ociRoot = join(lab.paths.node('node1'), 'runtime', 'oci');
    assert.ok(existsSync(join(ociRoot, cid, 'state.json')), `runc's state of ${cid} under ${ociRoot}`);

    const p = kubectlOnPty(['exec', '-it', 'box', '--', 'sh'], 101, 31);
    const text = () => p.text().replace(/\r\n/g, '\n');
    try {
      await p.until(/# /);
      p.write('tty; stty size; echo e-$((7*7))\r');
      await p.until(/^\/dev\/pts\/\d+\n31 101\ne-49$/m);
      p.pty.resize(120, 40);
      // kubectl sends the new size on SIGWINCH; the shell sees it once the console applied it.
      await eventually(async () => {
        p.write('stty size\r');
        await new Promise((r) => setTimeout(r, 500));
        return /^40 120$/m.test(text()) ? true : undefined;
      }, 60_000);
      p.write('exit 7\r');
      assert.equal(await p.exited, 7, `kubectl's exit code; it printed ${JSON.stringify(p.text())}`);
    } finally {
      p.pty.kill('SIGKILL');
    }
    assert.doesNotMatch(p.text(), /console socket|cannot|error/i);
    // The exec console removed its socket and pid file.
    const consoles = join(lab.paths.node('node1'), 'runtime', 'consoles');
    await eventually(async () => (readdirSync(consoles).length === 0 ? true : undefined), 30_000).catch(() => {
      throw new Error(`left in ${consoles}: ${readdirSync(consoles).join(' ')}`);
    });
    await kubectl(['delete', 'pod', 'box', '--wait=false']);
  });
});
