// The kubectl parity suite's machinery: one apiserver with the controller manager, the scheduler
// and a FakeKubelet (kwok-style, test/integration/controllers/kwok.ts) on two fake nodes, and a
// table of real kubectl 1.32 commands, each with the output it must print and the effect it must
// have on the cluster. The tables are in kubectl-parity-*.cases.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import { controllerFactories } from '../../../cluster/controllers/registry.js';
import type { KubeClient } from '../../../cluster/client/kube-client.js';
import { connect, fakeNode, FakeKubelet, startScheduler, until } from '../controllers/kwok.js';
import { KUBECTL, startApiServer, type Harness } from './harness.js';

export const NS = 'parity';

/** A namespaced path in the parity namespace: core (`api`) or of a group/version (`apis`). */
export const api = (path: string) => `/api/v1/namespaces/${NS}/${path}`;
export const apis = (gv: string, path: string) => `/apis/${gv}/namespaces/${NS}/${path}`;

export interface Result {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Ctx {
  h: Harness;
  client: KubeClient;
  /** GET of an API path as JSON (throws on a non-2xx answer). */
  get(path: string): Promise<any>;
  /** The status code of a GET. */
  status(path: string): Promise<number>;
  /** A file in the test's folder with this content; returns its path. */
  file(name: string, content: string, mode?: number): string;
  kubectl(args: string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<Result>;
  /** Waits for an effect (a case's `effect` resolves to nothing). */
  until(what: string, cond: () => boolean | Promise<boolean>, ms?: number): Promise<void>;
  errors: string[];
}

export interface ParityCase {
  /** The command as the test title shows it. */
  name: string;
  args: string[] | ((c: Ctx) => string[]);
  stdin?: string;
  env?: (c: Ctx) => Record<string, string>;
  /** Expected exit code (default 0). */
  exit?: number;
  /** What stdout (stdout + stderr when the exit code is not 0) must match. */
  out?: RegExp | RegExp[];
  /** Checks the command's effect on the cluster (or its output in detail). */
  effect?: (c: Ctx, r: Result) => Promise<void> | void;
  /** node:test todo: the exact reason the command does not work yet. */
  todo?: string;
}

export async function startParityCluster(): Promise<{ ctx: Ctx; stop(): Promise<void> }> {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  const errors: string[] = [];
  const cm = new ControllerManager({
    client,
    // Not node-lifecycle: the fake nodes post no heartbeats, so it would mark them NotReady and
    // taint them unreachable 40 s in (the real kubelets' heartbeats are tested in kubelet/).
    controllers: Object.keys(controllerFactories).filter((n) => n !== 'node-lifecycle'),
    leaderElection: false,
    // As the cluster daemon configures them: CSRs signed by the cluster CA, its root published.
    settings: {
      signer: { certFile: h.server.caPath, keyFile: join(dirname(h.server.caPath), 'ca.key') },
      rootCa: readFileSync(h.server.caPath, 'utf8'),
    },
    onError: (e, c) => errors.push(`${c}: ${e instanceof Error ? e.message : e}`),
  });
  const kubelet = new FakeKubelet(client, { boundOnly: true });
  const stopKubelet = kubelet.start();
  const stopCm = cm.start();
  const stopScheduler = startScheduler(client);
  const stop = async () => {
    await stopScheduler();
    stopCm();
    stopKubelet();
    client.close();
    await h.stop();
  };
  try {
    for (const n of ['node-a', 'node-b']) await client.nodes.create(fakeNode(n));
    await client.namespaces.create({ metadata: { name: NS } });
    const env = { KUBECONFIG: h.kubeconfig, HOME: h.dir };
    execFileSync(KUBECTL, ['config', 'set-context', '--current', `--namespace=${NS}`], { env, stdio: 'ignore' });
    const ctx: Ctx = {
      h,
      client,
      errors,
      async until(what, cond, ms) {
        await until(what, cond, ms);
      },
      async get(path) {
        const r = await h.request('GET', path);
        assert.ok(r.status >= 200 && r.status < 300, `GET ${path}: ${r.status} ${r.text}`);
        return r.json;
      },
      async status(path) {
        return (await h.request('GET', path)).status;
      },
      file(name, content, mode = 0o644) {
        const p = join(h.dir, name);
        writeFileSync(p, content);
        chmodSync(p, mode);
        return p;
      },
      async kubectl(args, opts = {}) {
        const r = await execa(KUBECTL, args, {
          env: { ...env, ...(opts.env ?? {}) },
          input: opts.stdin,
          reject: false,
          timeout: 45_000,
        });
        return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
      },
    };
    return { ctx, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs one case: the command, its exit code and output, then its effect. */
export async function runCase(ctx: Ctx, c: ParityCase): Promise<void> {
  const args = typeof c.args === 'function' ? c.args(ctx) : c.args;
  const r = await ctx.kubectl(args, { stdin: c.stdin, env: c.env?.(ctx) });
  const shown = `kubectl ${args.join(' ')}\nexit ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.exitCode, c.exit ?? 0, shown);
  const text = (c.exit ?? 0) === 0 ? r.stdout : `${r.stdout}\n${r.stderr}`;
  for (const re of c.out === undefined ? [] : Array.isArray(c.out) ? c.out : [c.out]) assert.match(text, re, shown);
  await c.effect?.(ctx, r);
}
