// `kubewire pod-exec` (what the UI's container terminals run, a pods/exec client like
// `kubectl exec`) byte for byte, on a one-node lab from `kubewire up`: on a local terminal (node-pty,
// as the UI's terminal host runs it) the exec has a terminal in the container, whose line
// discipline already turns "\n" into "\r\n"; the local terminal must pass that on unchanged —
// Node's raw mode keeps OPOST/ONLCR, which made every line end "\r\r\n". Without a terminal
// (pipes) the bytes are the command's own. The local terminal's settings are back after the exec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../../runtime/project-root.js';
import { onPty, usePtyLab } from '../../helpers/pty-lab.js';

const cliMain = join(projectRoot(), 'dist', 'cli', 'main.js');
const COMMAND = ['sh', '-c', 'printf "a\\nb\\n"; echo c; exit 3'];
const podLab = usePtyLab('podexec', {
  afterUp: async ({ kubectl, waitPhase }) => {
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'box' },
      spec: { nodeName: 'node1', containers: [{ name: 'box', image: 'busybox', command: ['sleep', '3600'] }] },
    });
    const applied = await kubectl(['apply', '-f', '-'], manifest);
    assert.equal(applied.exitCode, 0, applied.stderr);
    await waitPhase('box', 'Running');
  },
});

test('on a local terminal: the container terminal\'s "\\r\\n" arrives once, the terminal is restored', async () => {
  // A shell on the pty runs pod-exec, then prints the terminal's output flags.
  const script = `'${process.execPath}' '${cliMain}' pod-exec --kubeconfig '${podLab.kubeconfig}' default/box -- ${COMMAND.map(
    (a) => `'${a}'`,
  ).join(' ')}; echo "exit=$?"; stty -a | grep -o -- '-\\?opost'`;
  const p = onPty('/bin/sh', ['-c', script], { cols: 80, rows: 24 });
  await p.exited;
  // The container's bytes, then the local shell's own lines (through the local ONLCR again).
  assert.equal(p.text(), 'a\r\nb\r\nc\r\nexit=3\r\nopost\r\n');
});

test("without a terminal: the command's own bytes and exit code", async () => {
  const r = await execa(
    process.execPath,
    [cliMain, 'pod-exec', '--kubeconfig', podLab.kubeconfig, 'default/box', '--', ...COMMAND],
    {
      reject: false,
      input: '',
      timeout: 60_000,
      stripFinalNewline: false,
    },
  );
  assert.equal(r.exitCode, 3, r.stderr);
  assert.equal(r.stdout, 'a\nb\nc\n');
});
