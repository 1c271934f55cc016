// `kubewire up` starts the lab's cluster process and records it; `kubewire kubeconfig` points at
// its apiserver; kill -9 of the daemon and `up` again converge; `down` stops it with the kubelets'
// pods; `reset` leaves no process and no namespace of the lab.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStartTime } from '../../../runtime/host/netns-driver.js';
import { loadState } from '../../../runtime/lab/lab-state.js';
import { clientFromKubeconfig, upWithKubeconfig } from '../../helpers/kubectl-lab.js';
import { labTopology, NODE1 } from '../../helpers/lab-topology.js';
import { eventually, namespacesWithPrefix, TestLab } from '../runtime/harness.js';

const TOPOLOGY = labTopology('agents-cli', [NODE1], { hosts: [] });

const lab = new TestLab(TOPOLOGY);
/** The CLI with this lab's prefix and state folder; the apiserver on any free port. */
const cli = (args: string[]) => lab.cli(args, { timeoutMs: 90_000 });
after(() => lab.cleanup());

test(
  'up runs the cluster process; kill -9 and up converge; down and reset stop everything',
  { timeout: 400_000 },
  async () => {
    const { file, kubeconfig: kc } = await upWithKubeconfig(lab, TOPOLOGY, 90_000);
    const rec = (await loadState(lab.paths.state))!.processes.cluster!;
    assert.ok(await readStartTime(rec.pid));
    assert.match(kc, /agents-cli\/apiserver\/admin\.kubeconfig$/);
    const client = clientFromKubeconfig(kc);
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
    let r = await cli(['up', file]);
    assert.equal(r.exitCode, 0, r.stderr);
    const rec2 = (await loadState(lab.paths.state))!.processes.cluster!;
    assert.notEqual(rec2.pid, rec.pid);
    const again = clientFromKubeconfig(kc);
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
