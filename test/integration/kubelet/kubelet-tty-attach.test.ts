// Containers of the pod spec with `tty: true` and `stdinOnce: true`, driven by the real kubectl v1.32
// on a one-node lab from `kubewire up` (kubectl -it runs on a real pty from node-pty):
// - a tty container runs on a terminal the runtime holds (the node's exec console in hold mode, as
//   conmon/containerd's shim) with no client attached; `kubectl attach -it` reaches it with the
//   client's size, detaching leaves it running, and `kubectl logs` shows what it wrote;
// - `kubectl run -it` (tty + stdinOnce): the shell on that terminal, alive after a detach (containerd
//   does not close a tty container's stdin), the pod done when the shell exits;
// - stdinOnce without tty: the container reads EOF once the first attach's input has ended
//   (`kubectl run -i`, and `kubectl attach -i` to a pod made with it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../runtime/harness.js';
import { usePtyLab } from '../../helpers/pty-lab.js';

describe('tty and stdinOnce containers: kubectl attach -it, run -it, run -i, logs', { timeout: 600_000 }, () => {
  const { kubectl, kubectlOnPty, phase, waitPhase } = usePtyLab('ttys');

  test('tty: true runs on a terminal the runtime holds; attach -it reaches it with its size; logs show it', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'term' },
      spec: {
        nodeName: 'node1',
        containers: [
          {
            name: 'term',
            image: 'busybox',
            stdin: true,
            tty: true,
            command: ['sh', '-c', 'tty; while read l; do echo got-$l; stty size; done; echo input-ended'],
          },
        ],
      },
    });
    assert.equal((await kubectl(['apply', '-f', '-'], manifest)).exitCode, 0);
    await waitPhase('term', 'Running');
    // Nobody attached yet: the process has a terminal all the same, and its output is the log.
    await eventually(
      async () => (/^\/dev\/pts\/\d+$/m.test((await kubectl(['logs', 'term'])).stdout) ? true : undefined),
      60_000,
    );
    for (const [word, cols, rows] of [
      ['abc', 101, 31],
      ['def', 90, 20],
    ] as const) {
      const a = kubectlOnPty(['attach', '-it', 'term'], cols, rows);
      await a.until(/If you don't see a command prompt/);
      a.write(`${word}\r`);
      // The terminal echoes the line; the process reads it and sees the client's size.
      await a.until(new RegExp(`got-${word}\\n${rows} ${cols}\\n`));
      await a.leave();
    }
    // Detaching closed nothing: the container still reads its terminal.
    assert.equal(await phase('term'), 'Running');
    const logs = (await kubectl(['logs', 'term'])).stdout;
    assert.match(logs, /^got-abc\n31 101\n/m);
    assert.match(logs, /^got-def\n20 90$/m);
    assert.doesNotMatch(logs, /\r|input-ended|stdout F/);
    // exec -it beside it: a shell on its own terminal, nothing before its prompt but the prompt
    // (no stray byte such as a NUL, which the terminal would echo as ^@).
    const sh = kubectlOnPty(['exec', '-it', 'term', '--', 'sh'], 80, 24);
    await sh.until(/# /);
    sh.write('echo e-$((7*7)); exit\r');
    assert.equal(await sh.exited, 0);
    assert.match(sh.text(), /^e-49\r$/m);
    assert.doesNotMatch(sh.text(), /\0|\^@/);
    await kubectl(['delete', 'pod', 'term', '--wait=false']);
  });

  test('kubectl run -it: a shell on the terminal, alive after a detach, done when it exits', async () => {
    const run = kubectlOnPty(['run', 'shell', '-it', '--restart=Never', '--image=busybox', '--', 'sh'], 80, 24);
    await run.until(/If you don't see a command prompt/);
    run.write('echo v-$((6*7))\r');
    await run.until(/^v-42$/m);
    await run.leave();
    // tty with stdinOnce: containerd keeps the terminal's input open after the attach (only a
    // container without tty gets EOF), so the shell waits for the next client.
    assert.equal(await phase('shell'), 'Running');
    const again = kubectlOnPty(['attach', '-it', 'shell'], 80, 24);
    await again.until(/If you don't see a command prompt/);
    again.write('echo w-$((6*8)); exit 3\r');
    await again.until(/^w-48$/m);
    await again.exited;
    await waitPhase('shell', 'Failed');
    const code = await kubectl([
      'get',
      'pod',
      'shell',
      '-o',
      'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}',
    ]);
    assert.equal(code.stdout, '3');
    // The log holds the shell's line editing as it drew it (\r redraws inside lines): [\s\S], not `.`.
    assert.match((await kubectl(['logs', 'shell'])).stdout, /^v-42$[\s\S]*^w-48$/m);
    await kubectl(['delete', 'pod', 'shell', '--wait=false']);
  });

  test("stdinOnce: the container reads EOF once the first attach's input has ended", async () => {
    // kubectl run -i makes the pod with stdin and stdinOnce, attaches, sends its input and ends it.
    const r = await kubectl(
      ['run', 'once-run', '-i', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'cat; echo stdin-ended'],
      'hello\n',
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^hello\nstdin-ended$/m);
    await waitPhase('once-run', 'Succeeded');
    // The same with a pod from a manifest and kubectl attach -i; a second attach finds it done.
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'once-pod' },
      spec: {
        nodeName: 'node1',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            stdin: true,
            stdinOnce: true,
            command: ['sh', '-c', 'echo started; cat; echo stdin-ended'],
          },
        ],
      },
    });
    assert.equal((await kubectl(['apply', '-f', '-'], manifest)).exitCode, 0);
    await waitPhase('once-pod', 'Running');
    await eventually(
      async () => ((await kubectl(['logs', 'once-pod'])).stdout.includes('started') ? true : undefined),
      60_000,
    );
    const a = await kubectl(['attach', '-i', 'once-pod'], 'first\n');
    assert.equal(a.exitCode, 0, a.stderr);
    await waitPhase('once-pod', 'Succeeded');
    assert.equal((await kubectl(['logs', 'once-pod'])).stdout, 'started\nfirst\nstdin-ended');
    await kubectl(['delete', 'pod', 'once-run', 'once-pod', '--wait=false']);
  });
});
