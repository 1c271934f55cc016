// The fixture of cluster-on-lab.test.ts: a real two-node lab (node1 with the `tools` static pod at
// 192.168.128.100, node2) whose control plane and node agents ClusterDaemon composes in this
// process (node leases renewed every second, a node NotReady after 4 s), and what its tests share:
// kubia.yaml's Deployment and Service made once, the pods' readiness, a shell in a pod through
// pods/exec, curl from the tools pod and from the emulated Internet.
import { after, before } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import type { Deployment, Pod, Service } from '../../../common/api-types.js';
import { ClusterDaemon } from '../../../cluster/agents/cluster-daemon.js';
import { execInPod } from '../../../cluster/client/remote-command-client.js';
import { openImageService } from '../../../runtime/images/local-image-service.js';
import { imageStoreDir } from '../../../runtime/images/oci-store.js';
import { nodeInitBinary, pauseBinary, projectRoot, scriptsDir } from '../../../runtime/project-root.js';
import { eventually, TestLab } from '../runtime/harness.js';
import { labTopology, NODE1, NODE2, toolsPod } from '../../helpers/lab-topology.js';

const TOPOLOGY = labTopology('agents-two', [{ ...NODE1, pods: [toolsPod('192.168.128.100')] }, NODE2]);

/** Running and Ready. */
export const ready = (p: Pod) =>
  p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Registers in the file a before() that builds the lab and starts the cluster (`started` is then
 * given the lab and the daemon), and an after() that stops and removes everything (printing the
 * daemon's last log lines when the file failed). The one top-level before() of the file: Node 20
 * runs a file's top-level before() hooks at the same time, not in turn.
 */
export function useClusterOnLab(started: (s: { lab: TestLab; daemon: ClusterDaemon }) => void) {
  let lab: TestLab;
  let daemon: ClusterDaemon;
  const logs: string[] = [];

  async function teardown(): Promise<void> {
    try {
      await daemon?.stop();
    } finally {
      await lab.cleanup();
    }
  }

  before(async () => {
    lab = new TestLab(TOPOLOGY);
    try {
      await lab.runtime.up(lab.topo);
      daemon = new ClusterDaemon({
        paths: lab.paths,
        driver: lab.driver,
        images: await openImageService({ dir: imageStoreDir() }),
        pauseBinary: pauseBinary(),
        nodeInitBinary: nodeInitBinary(),
        scriptsDir: scriptsDir(),
        apiserverPort: 0,
        nodeRenewMs: 1000,
        controllerSettings: { nodeLifecycle: { gracePeriodMs: 4000, monitorPeriodMs: 1000 } },
        log: (l) => logs.push(l),
      });
      await daemon.start();
    } catch (err) {
      await teardown();
      throw err;
    }
    started({ lab, daemon });
  });

  after(async () => {
    if (process.exitCode) console.error(logs.slice(-30).join('\n'));
    await teardown();
  });

  const tools = () => lab.pod('tools');
  const pods = async () => (await daemon.client.pods.list({ namespace: 'default', labelSelector: 'app=kubia' })).items;
  const kubiaPod = async (name: string) => (await daemon.client.pods.get(name, 'default')) as Pod;

  let kubiaMade: Promise<Pod[]> | undefined;

  return {
    /** Every line the daemon logged. */
    logs,
    /** The tools pod's namespace. */
    tools,
    /** kubia's pods (label app=kubia). */
    pods,
    /** A pod of the default namespace. */
    kubiaPod,
    /** The kubelet's saved record of pod default/`name` on `node` (its pods.json: sandbox and container pids). */
    kubeletPod: (node: string, name: string) =>
      JSON.parse(readFileSync(join(lab.paths.node(node), 'kubelet', 'pods.json'), 'utf8'))[`default/${name}`],
    /** The app needs a moment to listen after its process starts (no readiness probe in kubia.yaml). */
    answers: (ip: string, name: string) =>
      eventually(
        async () =>
          (await lab.exec(tools(), ['curl', '-s', '--max-time', '2', `http://${ip}:8080`])).stdout.trim() ===
          `You've hit ${name}`
            ? true
            : undefined,
        5000,
      ),
    /**
     * kubia.yaml's Deployment and Service, made by whichever test needs them first (each test that
     * uses kubia awaits this, so any one of them also runs alone): the six pods once all are Ready.
     */
    kubia(): Promise<Pod[]> {
      kubiaMade ??= (async () => {
        const docs = parseAllDocuments(
          readFileSync(join(projectRoot(), 'labs', 'manifests', 'kubia.yaml'), 'utf8'),
        ).map((d) => d.toJSON());
        await daemon.client.deployments.create(docs.find((d) => d.kind === 'Deployment') as Deployment);
        await daemon.client.services.create(docs.find((d) => d.kind === 'Service') as Service);
        return eventually(async () => {
          const l = await pods();
          return l.length === 6 && l.every(ready) ? l : undefined;
        }, 60_000);
      })();
      return kubiaMade;
    },
    /** `curl -s --max-time <maxTime> ...args` in the emulated Internet's namespace. */
    internetCurl: (args: string[], maxTime = 2) =>
      lab.exec(lab.names.internet, ['curl', '-s', '--max-time', String(maxTime), ...args]),
    /** Runs `script` with sh in a pod's container through pods/exec (apiserver → kubelet → container). */
    async shIn(pod: string, script: string): Promise<{ code: number; out: string }> {
      let out = '';
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          out += chunk.toString();
          cb();
        },
      });
      const code = await execInPod(
        {
          server: daemon.apiserver.url,
          ca: readFileSync(daemon.apiserver.caPath),
          token: daemon.apiserver.adminToken,
          namespace: 'default',
          pod,
          command: ['sh', '-c', script],
          tty: false,
        },
        { stdout: sink, stderr: sink },
      );
      return { code, out };
    },
  };
}
