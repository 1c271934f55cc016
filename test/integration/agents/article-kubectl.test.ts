// End to end on the article's topology, the way a learner does it: `kubewire up`, then the real
// kubectl with `kubewire kubeconfig`: `kubectl apply -f labs/manifests/kubia.yaml` on the lab's own
// kubia (topology objects) leaves six pods Running and Ready across nodes; from a pod `curl kubia:8080` and the FQDN reach all six;
// NodePort 32681 answers from the emulated Internet; kubectl logs shows the requests. Skipped when
// kubectl is not installed (the product never needs it).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { defaultTopology, projectRoot } from '../../../runtime/project-root.js';
import { eventually, namespacesWithPrefix, TestLab } from '../runtime/harness.js';

const KUBECTL = '/usr/bin/kubectl';
const lab = new TestLab(readFileSync(defaultTopology(), 'utf8'), defaultTopology());
after(() => lab.cleanup());

const cli = (args: string[]) =>
  execa(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), ...args], {
    env: { KUBEWIRE_STATE_DIR: lab.stateBase, KUBEWIRE_PREFIX: lab.prefix, KUBEWIRE_APISERVER_PORT: '0' },
    reject: false,
    timeout: 180_000,
  });

test('kubectl apply -f labs/manifests/kubia.yaml on the article lab', { timeout: 400_000 }, async () => {
  assert.ok(existsSync(KUBECTL), `${KUBECTL} is not installed: npm start installs it (scripts/bootstrap.mjs)`);
  const up = await cli(['up', defaultTopology()]);
  assert.equal(up.exitCode, 0, up.stderr);
  const kubeconfig = (await cli(['kubeconfig', '--lab', 'article'])).stdout.trim();
  const kubectl = (...args: string[]) =>
    execa(KUBECTL, args, { env: { KUBECONFIG: kubeconfig }, reject: false, timeout: 30_000 });
  const applied = await kubectl('apply', '-f', join(projectRoot(), 'labs', 'manifests', 'kubia.yaml'));
  assert.equal(applied.exitCode, 0, applied.stderr);
  const pods = await eventually(async () => {
    const r = await kubectl('get', 'pods', '-l', 'app=kubia', '-o', 'json');
    const items = (
      JSON.parse(r.stdout) as {
        items: {
          metadata: { name: string; ownerReferences?: { kind: string }[] };
          spec: { nodeName?: string };
          status: { phase?: string; conditions?: { type: string; status: string }[] };
        }[];
      }
    ).items;
    const ours = items.filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'ReplicaSet'));
    const ok =
      ours.length === 6 &&
      ours.every(
        (p) =>
          p.status.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    return ok ? ours : undefined;
  }, 180_000);
  assert.ok(new Set(pods.map((p) => p.spec.nodeName)).size >= 3, 'spread over several nodes');
  const want = new Set(pods.map((p) => p.metadata.name));
  for (const host of ['kubia', 'kubia.default.svc.cluster.local']) {
    await eventually(async () => {
      // The article lab already has kubia (topology objects): apply changes nothing, six endpoints.
      const r = await lab.exec(lab.pod('tools'), [
        'bash',
        '-c',
        'for i in $(seq 150); do curl -s --max-time 2 "$0:8080"; done',
        host,
      ]);
      const hit = new Set([...r.stdout.matchAll(/You've hit (\S+)/g)].map((m) => m[1]!));
      return [...want].every((n) => hit.has(n)) ? true : undefined;
    }, 60_000);
  }
  const np = await lab.exec(lab.names.internet, ['curl', '-s', '--max-time', '3', 'http://10.231.209.117:32681']);
  assert.match(np.stdout, /You've hit kubia-/);
  const logs = await kubectl('logs', pods[0]!.metadata.name);
  assert.match(logs.stdout, /Kubia server starting/);
  const reset = await cli(['reset', '--lab', 'article']);
  assert.equal(reset.exitCode, 0, reset.stderr);
  assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
});
