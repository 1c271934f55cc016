// What the terminal tests of a one-node lab share (kubectl -it, `kubewire pod-exec` on a local
// terminal): a program on a real pty from node-pty (typed here once: node-pty is loaded with
// require, as its CommonJS build is), and a one-node lab from `kubewire up` with its admin
// kubeconfig and the real kubectl, made in the enclosing suite's before() and reset in its after().
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { execa } from 'execa';
import { CLOUD, eventually, TestLab } from '../integration/runtime/harness.js';
import { KUBECTL } from './kubectl-lab.js';

export { KUBECTL };

/** The part of node-pty's IPty the tests use. */
export interface Pty {
  onData(fn: (d: string) => void): void;
  onExit(fn: (e: { exitCode: number }) => void): void;
  write(d: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}
type PtySpawn = (file: string, args: string[], o: Record<string, unknown>) => Pty;
const ptySpawn = (createRequire(import.meta.url)('node-pty') as { spawn: PtySpawn }).spawn;

/** A program on a terminal of `cols`×`rows`, what it printed so far, and its exit. */
export interface PtyRun {
  readonly pty: Pty;
  write(s: string): void;
  /** Everything it printed, as the terminal sent it (\r\n line ends). */
  text(): string;
  /** Its exit code once it ended. */
  readonly exited: Promise<number>;
  /** Waits until the output matches (the terminal's \r\n read as \n); the error shows the output. */
  until(re: RegExp, ms?: number): Promise<true>;
  /** Leaves as a closed terminal window does (SIGHUP), and waits for the exit. */
  leave(): Promise<void>;
}

/**
 * Starts `file args` on a new pty of `cols`×`rows` with TERM=xterm and `env` over this process's
 * environment.
 */
export function onPty(
  file: string,
  args: string[],
  opts: { cols: number; rows: number; env?: Record<string, string> },
): PtyRun {
  const pty = ptySpawn(file, args, {
    cols: opts.cols,
    rows: opts.rows,
    env: { ...process.env, ...opts.env, TERM: 'xterm' },
  });
  let text = '';
  pty.onData((d) => (text += d));
  const exited = new Promise<number>((r) => pty.onExit((e) => r(e.exitCode)));
  const name = [file, ...args].join(' ');
  return {
    pty,
    write: (s) => pty.write(s),
    text: () => text,
    exited,
    until: (re, ms = 60_000) =>
      eventually(async () => (re.test(text.replace(/\r\n/g, '\n')) ? true : undefined), ms).catch(() => {
        throw new Error(`${name}: no ${re} within ${ms} ms in ${JSON.stringify(text)}`);
      }),
    leave: async () => {
      pty.kill('SIGHUP');
      await exited;
    },
  };
}

/** A one-node lab's topology: node1 at 10.231.209.113 with pods on 192.168.128.0/24. */
export function oneNodeTopology(name: string): string {
  return `name: ${name}
${CLOUD}
nodes:
  - name: node1
    address: 10.231.209.113
    subnet: 192.168.128.0/24
`;
}

/** The real kubectl on `kubeconfig`, two minutes at most; its result carries exitCode (no throw). */
function runKubectl(kubeconfig: string, args: string[], input?: string) {
  return execa(KUBECTL, args, {
    env: { KUBECONFIG: kubeconfig },
    reject: false,
    timeout: 120_000,
    ...(input !== undefined ? { input } : {}),
  });
}

/** The one-node lab of the enclosing suite (see usePtyLab); kubeconfig is set once before() ran. */
export interface PtyLab {
  readonly lab: TestLab;
  /** The admin kubeconfig `kubewire kubeconfig` printed (its path). */
  readonly kubeconfig: string;
  /** The real kubectl on that kubeconfig (not rejecting: the result carries exitCode). */
  kubectl(args: string[], input?: string): ReturnType<typeof runKubectl>;
  /** kubectl on a terminal of `cols`×`rows`. */
  kubectlOnPty(args: string[], cols: number, rows: number): PtyRun;
  /** The pod's status.phase in the default namespace ('' when there is none). */
  phase(pod: string): Promise<string>;
  /** Waits (2 minutes at most) until the pod's phase is `want`. */
  waitPhase(pod: string, want: string): Promise<true>;
}

/**
 * Registers, in the enclosing suite (or the file), a before() that checks kubectl is installed,
 * `kubewire up`s a one-node lab named `name` (`env` for `up`, e.g. KUBEWIRE_OCI_RUNTIME) and then
 * runs `afterUp` (the file's own fixtures), and an after() that resets the lab. Call it at the top
 * of a describe() or of the file. A file's own setup goes in `afterUp`, not in a before() of its
 * own: Node 20 runs the before() hooks of a file's top level at the same time, not in turn.
 */
export function usePtyLab(
  name: string,
  opts: { env?: Record<string, string>; afterUp?: (lab: PtyLab) => Promise<void> } = {},
): PtyLab {
  const yaml = oneNodeTopology(name);
  const lab = new TestLab(yaml, `${name}.yaml`);
  let kubeconfig = '';
  const kubectl = (args: string[], input?: string) => runKubectl(kubeconfig, args, input);
  const phase = async (pod: string) => (await kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.phase}'])).stdout;

  before(async () => {
    assert.ok(existsSync(KUBECTL), `${KUBECTL} is not installed: npm start installs it (scripts/bootstrap.mjs)`);
    const file = join(lab.stateBase, `${name}.yaml`);
    await lab.driver.writeFile(file, yaml);
    const up = await lab.cli(['up', file], { timeoutMs: 240_000, ...(opts.env ? { env: opts.env } : {}) });
    assert.equal(up.exitCode, 0, up.stderr);
    kubeconfig = (await lab.cli(['kubeconfig', '--lab', name])).stdout.trim();
    await opts.afterUp?.(ptyLab);
  });
  after(() => lab.cleanup());

  const ptyLab: PtyLab = {
    lab,
    get kubeconfig() {
      return kubeconfig;
    },
    kubectl,
    kubectlOnPty: (args, cols, rows) => onPty(KUBECTL, args, { cols, rows, env: { KUBECONFIG: kubeconfig } }),
    phase,
    waitPhase: (pod, want) => eventually(async () => ((await phase(pod)) === want ? true : undefined), 120_000),
  };
  return ptyLab;
}
