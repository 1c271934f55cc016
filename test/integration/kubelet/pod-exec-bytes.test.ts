// `kubewire pod-exec` (what the UI's container terminals run, a pods/exec client like
// `kubectl exec`) byte for byte, on a one-node lab from `kubewire up`: on a local terminal (node-pty,
// as the UI's terminal host runs it) the exec has a terminal in the container, whose line
// discipline already turns "\n" into "\r\n"; the local terminal must pass that on unchanged —
// Node's raw mode keeps OPOST/ONLCR, which made every line end "\r\r\n". Without a terminal
// (pipes) the bytes are the command's own. The local terminal's settings are back after the exec.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../../runtime/project-root.js';
import { CLOUD, eventually, TestLab } from '../runtime/harness.js';

const ONE_NODE = `name: podexec
${CLOUD}
nodes:
  - name: node1
    address: 10.231.209.113
    subnet: 192.168.128.0/24
`;

interface Pty {
  onData(fn: (d: string) => void): void;
  onExit(fn: (e: { exitCode: number }) => void): void;
}
type PtySpawn = (file: string, args: string[], o: Record<string, unknown>) => Pty;
const ptySpawn = (createRequire(import.meta.url)('node-pty') as { spawn: PtySpawn }).spawn;

const lab = new TestLab(ONE_NODE, 'podexec.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'kw-pod-exec-test-'));
let kubeconfig = '';
const cliMain = join(projectRoot(), 'dist', 'cli', 'main.js');
const COMMAND = ['sh', '-c', 'printf "a\\nb\\n"; echo c; exit 3'];

before(async () => {
  writeFileSync(join(tmp, 'podexec.yaml'), ONE_NODE);
  const up = await lab.cli(['up', join(tmp, 'podexec.yaml')], { timeoutMs: 240_000 });
  assert.equal(up.exitCode, 0, up.stderr);
  kubeconfig = (await lab.cli(['kubeconfig', '--lab', 'podexec'])).stdout.trim();
  const manifest = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'box' },
    spec: { nodeName: 'node1', containers: [{ name: 'box', image: 'busybox', command: ['sleep', '3600'] }] },
  });
  const kubectl = (args: string[], input?: string) =>
    execa('/usr/bin/kubectl', args, { env: { KUBECONFIG: kubeconfig }, reject: false, timeout: 60_000, input });
  assert.equal((await kubectl(['apply', '-f', '-'], manifest)).exitCode, 0);
  await eventually(
    async () =>
      (await kubectl(['get', 'pod', 'box', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' ? true : undefined,
    120_000,
  );
});
after(async () => {
  try {
    await lab.cleanup();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('on a local terminal: the container terminal\'s "\\r\\n" arrives once, the terminal is restored', async () => {
  // A shell on the pty runs pod-exec, then prints the terminal's output flags.
  const script = `'${process.execPath}' '${cliMain}' pod-exec --kubeconfig '${kubeconfig}' default/box -- ${COMMAND.map(
    (a) => `'${a}'`,
  ).join(' ')}; echo "exit=$?"; stty -a | grep -o -- '-\\?opost'`;
  const p = ptySpawn('/bin/sh', ['-c', script], { cols: 80, rows: 24, env: { ...process.env, TERM: 'xterm' } });
  let out = '';
  p.onData((d) => (out += d));
  await new Promise<number>((r) => p.onExit((e) => r(e.exitCode)));
  // The container's bytes, then the local shell's own lines (through the local ONLCR again).
  assert.equal(out, 'a\r\nb\r\nc\r\nexit=3\r\nopost\r\n');
});

test("without a terminal: the command's own bytes and exit code", async () => {
  const r = await execa(
    process.execPath,
    [cliMain, 'pod-exec', '--kubeconfig', kubeconfig, 'default/box', '--', ...COMMAND],
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
