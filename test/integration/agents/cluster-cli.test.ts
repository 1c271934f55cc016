// `kubewire up` starts the lab's cluster process and records it; `kubewire kubeconfig` points at
// its apiserver; kill -9 of the daemon and `up` again converge; `down` stops it with the kubelets'
// pods; `reset` leaves no process and no namespace of the lab.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { projectRoot } from '../../../runtime/project-root.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { readStartTime } from '../../../runtime/host/netns-driver.js';
import { loadState } from '../../../runtime/lab/lab-state.js';
import { eventually, namespacesWithPrefix, TestLab } from '../runtime/harness.js';

const TOPOLOGY = `
name: agents-cli
nodeNetwork: 10.231.209.0/24
podNetwork: 192.168.128.0/18
serviceNetwork: 192.168.192.0/18
gateway: { address: 10.231.209.1, uplink: 198.51.100.1/24 }
internet: { router: 198.51.100.2/24, dns: 198.51.100.53, hosts: [] }
nodes:
  - { name: node1, address: 10.231.209.113, subnet: 192.168.128.0/24 }
`;

const lab = new TestLab(TOPOLOGY);
/** The CLI with this lab's prefix and state folder; the apiserver on any free port. */
const cli = (args: string[]) =>
  execa(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), ...args], {
    env: { KUBEWIRE_STATE_DIR: lab.stateBase, KUBEWIRE_PREFIX: lab.prefix, KUBEWIRE_APISERVER_PORT: '0' },
    reject: false,
    timeout: 90_000,
  });
after(() => lab.cleanup());

function clientFrom(kubeconfig: string): KubeClient {
  const k = parse(readFileSync(kubeconfig, 'utf8'));
  return new KubeClient({
    server: k.clusters[0].cluster.server,
    ca: Buffer.from(k.clusters[0].cluster['certificate-authority-data'], 'base64'),
    token: k.users[0].user.token,
  });
}

test(
  'up runs the cluster process; kill -9 and up converge; down and reset stop everything',
  { timeout: 400_000 },
  async () => {
    const file = join(lab.stateBase, 'topo.yaml');
    await lab.driver.writeFile(file, TOPOLOGY);
    let r = await cli(['up', file]);
    assert.equal(r.exitCode, 0, r.stderr);
    const rec = (await loadState(lab.paths.state))!.processes.cluster!;
    assert.ok(await readStartTime(rec.pid));
    const kc = (await cli(['kubeconfig', '--lab', 'agents-cli'])).stdout.trim();
    assert.match(kc, /agents-cli\/apiserver\/admin\.kubeconfig$/);
    const client = clientFrom(kc);
    await eventually(
      async () =>
        (await client.nodes.get('node1')).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? true
          : undefined,
      10_000,
    );
    await client.pods.create({
      metadata: { name: 'sleeper', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'tools' }] },
    });
    await eventually(
      async () => ((await client.pods.get('sleeper', 'default')).status?.phase === 'Running' ? true : undefined),
      15_000,
    );

    process.kill(rec.pid, 'SIGKILL');
    r = await cli(['up', file]);
    assert.equal(r.exitCode, 0, r.stderr);
    const rec2 = (await loadState(lab.paths.state))!.processes.cluster!;
    assert.notEqual(rec2.pid, rec.pid);
    const again = clientFrom(kc);
    const pod = await again.pods.get('sleeper', 'default');
    assert.equal(pod.status?.containerStatuses?.[0]?.restartCount, 0, 'the running pod was adopted, not restarted');
    again.close();

    const clusterLog = () => readFileSync(join(lab.paths.logs, 'cluster.log'), 'utf8');

    r = await cli(['down', '--lab', 'agents-cli']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(await readStartTime(rec2.pid), undefined, 'down stopped the cluster process');
    assert.deepEqual(namespacesWithPrefix(lab.prefix), [], "down removed the kubelet's pod namespace too");

    // up after down: the kubelet finds its pod's containers gone (not running as recorded) and
    // starts them again (it once waited forever on the dead container's log, the pod shown Running).
    r = await cli(['up', file]);
    assert.equal(r.exitCode, 0, r.stderr);
    await eventually(
      async () => ((await cli(['exec', 'default/sleeper', '--', 'true'])).exitCode === 0 ? true : undefined),
      90_000,
    ).catch((err: Error) =>
      assert.fail(
        `${err.message}: the pod did not run again after down and up; cluster log:\n${clusterLog().slice(-1500)}`,
      ),
    );

    r = await cli(['reset', '--lab', 'agents-cli']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
  },
);
