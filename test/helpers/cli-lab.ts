// A lab for integration and end-to-end tests built the way a user builds one: `kubewire up FILE`
// (the CLI, so the cluster daemon too) with the test's own prefix, state folder and a free
// apiserver port. `cleanup()` (TestLab's) resets it through the CLI and sweeps the prefix.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { eventually, TestLab, CLOUD } from '../integration/runtime/harness.js';
import { loadState, podKey } from '../../runtime/lab/lab-state.js';

export async function upWithCli(yaml: string, timeoutMs = 300_000): Promise<TestLab> {
  const lab = new TestLab(yaml);
  const file = join(lab.stateBase, `${lab.topo.name}.yaml`);
  writeFileSync(file, yaml);
  const r = await lab.cli(['up', file], { timeoutMs });
  if (r.exitCode !== 0) {
    await lab.cleanup();
    throw new Error(
      `kubewire up ${file} failed (${r.exitCode}): ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return lab;
}

/** A prefix of a test's own (kw-t<6 hex>-), for a lab that the test's guide or CLI call builds. */
export function testPrefix(): string {
  return `kw-t${randomBytes(3).toString('hex')}-`;
}

/**
 * Two nodes wired as the article wires them (eth0 on the underlay, cni0, flannel.1 VXLAN between
 * them): node1 10.231.209.116 with pods 192.168.128.10… (tools), node2 10.231.209.117 with pods
 * 192.168.129.10… (kubia, serving HTTP on 8080, label app=kubia). With `service`, also the Service
 * default/kubia at 192.168.199.50:80 → 8080, whose endpoints are node2's pods only.
 */
export function twoNodeTopology(name: string, opts: { podsPerNode?: 1 | 2; service?: boolean } = {}): string {
  const n = opts.podsPerNode ?? 1;
  const pods = (names: string[], subnet: string, image: string, labels: string) =>
    names
      .slice(0, n)
      .map(
        (pod, i) => `
      - metadata: { name: ${pod}, ${labels}annotations: { kubewire.io/ip: ${subnet}.${10 + i} } }
        spec: { containers: [{ name: ${image}, image: ${image} }] }`,
      )
      .join('');
  const service = `
objects:
  - apiVersion: v1
    kind: Service
    metadata: { name: kubia, namespace: default }
    spec:
      clusterIP: 192.168.199.50
      selector: { app: kubia }
      ports: [{ port: 80, targetPort: 8080 }]
`;
  return `name: ${name}
${CLOUD}
nodes:
  - name: node1
    address: 10.231.209.116
    subnet: 192.168.128.0/24
    pods:${pods(['kubia-24hmb', 'kubia-7x9dq'], '192.168.128', 'tools', '')}
  - name: node2
    address: 10.231.209.117
    subnet: 192.168.129.0/24
    pods:${pods(['kubia-m4kz2', 'kubia-p8f5w'], '192.168.129', 'kubia', 'labels: { app: kubia }, ')}
${opts.service ? service : ''}`;
}

/** Waits until the kubelets run every pod of the lab's topology (sandbox and all containers). */
export async function waitForTopologyPods(lab: TestLab, timeoutMs = 240_000): Promise<void> {
  const want = lab.topo.nodes.flatMap((n) =>
    n.pods.map((p) => ({ key: podKey(p.namespace, p.name), n: p.containers.length })),
  );
  await eventually(
    `the kubelets to run all ${want.length} topology pods`,
    async () => {
      const s = await loadState(lab.paths.state);
      const missing = want.filter(
        (w) => !(s?.pods[w.key]?.sandbox && Object.keys(s.pods[w.key]!.containers).length === w.n),
      );
      if (missing.length === 0) return true;
      // Thrown, so that a timeout names the pods still missing (eventually keeps the last error).
      const names = missing.map((m) => m.key);
      throw new Error(
        `${missing.length} not running yet: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`,
      );
    },
    timeoutMs,
  );
}

/** kubectl against the lab's apiserver (its admin kubeconfig), as a user runs it. */
export async function kubectl(lab: TestLab, args: string[], input?: string) {
  const kc = await lab.cli(['kubeconfig', '--lab', lab.topo.name]);
  if (kc.exitCode !== 0) throw new Error(`kubewire kubeconfig failed: ${kc.stderr}`);
  const r = await execa('kubectl', args, {
    env: { KUBECONFIG: String(kc.stdout).trim() },
    reject: false,
    timeout: 120_000,
    ...(input !== undefined ? { input } : {}),
  });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
  return String(r.stdout);
}
