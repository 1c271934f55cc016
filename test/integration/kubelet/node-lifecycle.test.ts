// Drain and node lifecycle on a two-node lab with the real kubectl v1.32 and client-node:
// `kubectl drain node5` cordons it and evicts its Deployment pods through the Eviction API, one at
// a time as the PodDisruptionBudget allows (a 429 in between), and they come back on node1;
// `kubewire node stop node1` stops that node's kubelet: NotReady after the 40 s grace period, the
// unreachable taint, its pods evicted after their tolerationSeconds and replaced; `node start`
// brings it back Ready without the taint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { eventually, TestLab, TWO_NODES } from '../runtime/harness.js';

const KUBECTL = '/usr/bin/kubectl';
const SKIP = existsSync(KUBECTL) ? false : 'kubectl is not installed';

const deployment = (name: string, replicas: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [{ name: 'main', image: 'tools', command: ['sleep', 'infinity'] }],
        ...extra,
      },
    },
  },
});

describe('drain and node lifecycle', { timeout: 600_000 }, () => {
  before(() => {
    if (SKIP) throw new Error(`${SKIP}: npm start installs it (scripts/bootstrap.mjs)`);
  });
  const lab = new TestLab(TWO_NODES, 'two.yaml');
  const tmp = mkdtempSync(join(tmpdir(), 'kw-lifecycle-test-'));
  let kubeconfig = '';
  let kc: KubeConfig;
  const kubectl = (...args: string[]) =>
    execa(KUBECTL, args, { env: { KUBECONFIG: kubeconfig }, reject: false, timeout: 180_000 });
  const podsOf = async (app: string) => {
    const r = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'default', labelSelector: `app=${app}` });
    return r.items;
  };
  const apply = async (obj: unknown) => {
    const f = join(tmp, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(obj));
    const r = await kubectl('apply', '-f', f);
    assert.equal(r.exitCode, 0, r.stderr);
  };

  before(async () => {
    writeFileSync(join(tmp, 'two.yaml'), TWO_NODES);
    const up = await lab.cli(['up', join(tmp, 'two.yaml')], { timeoutMs: 240_000 });
    assert.equal(up.exitCode, 0, up.stderr);
    kubeconfig = (await lab.cli(['kubeconfig', '--lab', 'two'])).stdout.trim();
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
  });
  after(async () => {
    try {
      await lab.cleanup();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('kubectl drain node5 evicts through the PodDisruptionBudget; the pods move to node1', async () => {
    await kubectl('cordon', 'node1');
    await apply(deployment('web', 2));
    await apply({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await eventually(async () => {
      const pods = await podsOf('web');
      return pods.length === 2 &&
        pods.every(
          (p) =>
            p.spec?.nodeName === 'node5' &&
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        )
        ? true
        : undefined;
    }, 60_000);
    // With both pods healthy the budget allows one eviction; then none (429) while the replacement
    // cannot run (node5 cordoned too, node1 still).
    await kubectl('cordon', 'node5');
    const name = (await podsOf('web'))[0]!.metadata!.name!;
    const policy = kc.makeApiClient(CoreV1Api);
    await policy.createNamespacedPodEviction({
      name,
      namespace: 'default',
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } },
    });
    const other = (await podsOf('web')).find(
      (p) => p.metadata!.name !== name && !p.metadata!.deletionTimestamp && p.status?.phase === 'Running',
    )!.metadata!.name!;
    await assert.rejects(
      policy.createNamespacedPodEviction({
        name: other,
        namespace: 'default',
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: other, namespace: 'default' } },
      }),
      (e: { code?: number; body?: string }) =>
        e.code === 429 && /disruption budget web needs 1 healthy pods/.test(String(e.body)),
    );
    const pdb = await kc
      .makeApiClient(PolicyV1Api)
      .readNamespacedPodDisruptionBudget({ name: 'web', namespace: 'default' });
    assert.equal(pdb.status?.disruptionsAllowed, 0);
    await kubectl('uncordon', 'node1');
    const drain = await kubectl('drain', 'node5', '--ignore-daemonsets', '--timeout=150s');
    assert.equal(drain.exitCode, 0, drain.stderr);
    assert.match(drain.stdout, /node\/node5 drained/);
    await eventually(async () => {
      const pods = (await podsOf('web')).filter((p) => !p.metadata!.deletionTimestamp);
      return pods.length === 2 && pods.every((p) => p.spec?.nodeName === 'node1') ? true : undefined;
    }, 60_000);
    assert.match((await kubectl('get', 'node', 'node5', '-o', 'jsonpath={.spec.unschedulable}')).stdout, /true/);
    await kubectl('uncordon', 'node5');
  });

  test('kubewire node stop node1: NotReady, unreachable taint, pods evicted and replaced; start: Ready', async () => {
    await kubectl('cordon', 'node5');
    await apply(
      deployment('edge', 1, {
        tolerations: [
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
        ],
      }),
    );
    const first = await eventually(async () => {
      const p = (await podsOf('edge')).find((x) => x.spec?.nodeName === 'node1' && x.status?.phase === 'Running');
      return p?.metadata?.name;
    }, 60_000);
    await kubectl('uncordon', 'node5');
    const stopped = await lab.cli(['node', 'stop', 'node1']);
    assert.equal(stopped.exitCode, 0, stopped.stderr);
    const t0 = Date.now();
    await eventually(
      async () =>
        (await kubectl('get', 'node', 'node1', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'))
          .stdout === 'Unknown'
          ? true
          : undefined,
      90_000,
    );
    assert.ok(Date.now() - t0 >= 25_000, 'not before the lease is old');
    const taints = JSON.parse((await kubectl('get', 'node', 'node1', '-o', 'jsonpath={.spec.taints}')).stdout) as {
      key: string;
      effect: string;
    }[];
    assert.ok(taints.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));
    await eventually(async () => {
      const pods = await podsOf('edge');
      const old = pods.find((p) => p.metadata!.name === first);
      const fresh = pods.find(
        (p) => p.metadata!.name !== first && p.spec?.nodeName === 'node5' && p.status?.phase === 'Running',
      );
      return (!old || old.metadata?.deletionTimestamp) && fresh ? true : undefined;
    }, 60_000);
    // Its pods kept running meanwhile (the kubelet stopped, not the node).
    const started = await lab.cli(['node', 'start', 'node1']);
    assert.equal(started.exitCode, 0, started.stderr);
    await eventually(
      async () =>
        (await kubectl('get', 'node', 'node1', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'))
          .stdout === 'True'
          ? true
          : undefined,
      60_000,
    );
    await eventually(
      async () =>
        (await kubectl('get', 'node', 'node1', '-o', 'jsonpath={.spec.taints}')).stdout.includes('unreachable')
          ? undefined
          : true,
      30_000,
    );
    // The returning kubelet finishes the pod that was evicted while it was away.
    await eventually(
      async () => ((await podsOf('edge')).some((p) => p.metadata!.name === first) ? undefined : true),
      60_000,
    );
  });
});
