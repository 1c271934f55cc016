// Shared by the runtime's integration tests: a throwaway lab with its own prefix (kw-t<6 hex>-) and
// state folder, so tests can run side by side and each removes exactly what it made.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseTopology } from '../../../common/topology/parse-topology.js';
import type { Topology } from '../../../common/topology/types.js';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { LabNames } from '../../../runtime/lab/lab-names.js';
import { LabPaths } from '../../../runtime/lab/lab-paths.js';
import { LabRuntime } from '../../../runtime/lab/lab-runtime.js';
import { imagesDir, nodeInitBinary, pauseBinary, projectRoot, scriptsDir } from '../../../runtime/project-root.js';
import { ClusterDaemon } from '../../../cluster/agents/cluster-daemon.js';
import { openImageService } from '../../../runtime/images/local-image-service.js';
import { imageStoreDir } from '../../../runtime/images/oci-store.js';
import { loadState, podKey } from '../../../runtime/lab/lab-state.js';
import { parseProgressLine } from '../../../common/learner-contract.js';
import { eventually } from '../../helpers/eventually.js';

export class TestLab {
  readonly prefix = `kw-t${randomBytes(3).toString('hex')}-`;
  readonly stateBase = mkdtempSync(join(tmpdir(), 'kubewire-test-'));
  readonly driver = new NetnsDriver(scriptsDir());
  readonly names = new LabNames(this.prefix);
  readonly topo: Topology;
  readonly paths: LabPaths;
  readonly runtime: LabRuntime;

  constructor(yaml: string, file = 'test.yaml') {
    this.topo = parseTopology(yaml, file, { prefix: this.prefix });
    this.paths = new LabPaths(this.stateBase, this.topo.name);
    this.runtime = new LabRuntime(this.driver, this.paths, {
      internetServer: join(imagesDir(), 'internet-server.js'),
    });
  }

  /** Runs argv in a lab namespace (a pod's: also its pause's UTS/IPC, as `kubewire exec` does). */
  async exec(netns: string, argv: string[], joinPid?: number) {
    return this.driver.exec(netns, argv, { timeoutMs: 20_000, ...(joinPid ? { joinPid } : {}) });
  }

  pod(name: string, namespace = 'default'): string {
    return this.names.pod(namespace, name);
  }

  /** The kubewire CLI with this lab's prefix and state folder. */
  cli(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}) {
    return execa(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), ...args], {
      env: {
        ...opts.env,
        KUBEWIRE_STATE_DIR: this.stateBase,
        KUBEWIRE_PREFIX: this.prefix,
        KUBEWIRE_APISERVER_PORT: '0',
      },
      reject: false,
      timeout: opts.timeoutMs ?? 60_000,
    });
  }

  /** `up` through the runtime API in a child process (killable; no cluster daemon). */
  upChild(file: string) {
    return execa(
      process.execPath,
      [join(projectRoot(), 'dist', 'test', 'integration', 'runtime', 'up-child.js'), file, this.prefix, this.stateBase],
      {
        reject: false,
        timeout: 300_000,
      },
    );
  }

  /** `kubewire up FILE` through the CLI (it then starts the cluster process), reporting its phases. */
  upCli(file: string) {
    return execa(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), 'up', file], {
      env: {
        KUBEWIRE_STATE_DIR: this.stateBase,
        KUBEWIRE_PREFIX: this.prefix,
        KUBEWIRE_APISERVER_PORT: '0',
        KUBEWIRE_PROGRESS: '1',
      },
      reject: false,
      timeout: 600_000,
    });
  }

  daemon: ClusterDaemon | undefined;

  /**
   * `up`, then the cluster (apiserver, kubelets …) in this process, until every topology pod runs:
   * pods are the kubelets' (static pods), no longer `up`'s.
   */
  async upWithPods(timeoutMs = 600_000): Promise<void> {
    await this.runtime.up(this.topo);
    this.daemon = new ClusterDaemon({
      paths: this.paths,
      driver: this.driver,
      images: await openImageService({ dir: imageStoreDir() }),
      pauseBinary: pauseBinary(),
      nodeInitBinary: nodeInitBinary(),
      scriptsDir: scriptsDir(),
      apiserverPort: 0,
      log: () => undefined,
    });
    await this.daemon.start();
    const want = this.topo.nodes.flatMap((n) =>
      n.pods.map((p) => ({ key: podKey(p.namespace, p.name), n: p.containers.length })),
    );
    await eventually(async () => {
      const s = await loadState(this.paths.state);
      return want.every((w) => s?.pods[w.key]?.sandbox && Object.keys(s.pods[w.key]!.containers).length === w.n)
        ? true
        : undefined;
    }, timeoutMs);
  }

  /**
   * Always safe to call: reset by state and by sweep of this lab's prefix, then the temp folder.
   * A big lab needs more than the CLI's default minute to reset under load.
   */
  async cleanup(resetTimeoutMs = 60_000): Promise<void> {
    try {
      await this.daemon?.stop().catch(() => undefined);
      // The CLI reset also stops a cluster daemon a CLI `up` may have started (its kubelet would
      // otherwise keep making pods while the sweep runs); the API reset then sweeps again.
      await this.cli(['reset', '--lab', this.topo.name], { timeoutMs: resetTimeoutMs });
      await this.runtime.reset(this.prefix);
    } finally {
      rmSync(this.stateBase, { recursive: true, force: true });
    }
  }
}

/**
 * Kills `child` (an `up` that reports its phases on stderr) with SIGKILL as soon as it reports that
 * `phase` started (or, with `event` 'done', ended), and returns the phase events it had reported.
 * Fails if `up` ended on its own before that (a kill that came too late proves nothing).
 */
export async function killAtPhase(
  child: ReturnType<typeof execa>,
  phase: string,
  event: 'start' | 'done' = 'start',
): Promise<{ events: string[]; stdout: string }> {
  const events: string[] = [];
  let buf = '';
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const e = parseProgressLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (!e) continue;
      events.push(`${e.name} ${e.event}`);
      if (e.name === phase && e.event === event) child.kill('SIGKILL');
    }
  });
  const r = await child;
  if (r.signal !== 'SIGKILL')
    throw new Error(
      `up ended (exit ${r.exitCode}) before phase ${phase} ${event} was reported (phases: ${events.join(', ')}): ${r.stderr}`,
    );
  return { events, stdout: String(r.stdout) };
}

/** Lab namespaces present now with this prefix. */
export function namespacesWithPrefix(prefix: string): string[] {
  try {
    return readdirSync('/var/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

export { eventually };

export const CLOUD = `
nodeNetwork: 10.231.209.0/24
podNetwork: 192.168.128.0/18
serviceNetwork: 192.168.192.0/18
gateway: { address: 10.231.209.1, uplink: 198.51.100.1/24 }
internet:
  router: 198.51.100.2/24
  dns: 198.51.100.53
  hosts:
    - { name: google.com, address: 203.0.113.10 }
    - { name: example.com, address: 203.0.113.20 }
`;

export const TWO_NODES = `name: two
${CLOUD}
nodes:
  - name: node1
    address: 10.231.209.113
    subnet: 192.168.128.0/24
    pods:
      - metadata: { name: kubia-a, annotations: { kubewire.io/ip: 192.168.128.10 } }
        spec: { containers: [{ name: kubia, image: kubia }] }
  - name: node5
    address: 10.231.209.117
    subnet: 192.168.132.0/24
    bridge: { name: docker0, address: 172.17.0.1/16, host: 172.17.0.2 }
    pods:
      - metadata: { name: kubia-b, annotations: { kubewire.io/ip: 192.168.132.73, kubewire.io/mac: "3e:43:3e:1f:48:a1" } }
        spec: { containers: [{ name: kubia, image: kubia }] }
      - metadata: { name: tools, annotations: { kubewire.io/ip: 192.168.132.150 } }
        spec: { containers: [{ name: netshoot, image: netshoot }] }
`;
