// Composition of one node's kubelet server: delegated authn/authz, the pod directory over the kubelet's
// workers, the nsenter stream runtime, resource figures and ephemeral containers.
import type { Pod } from '../../../common/api-types.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { RestClient } from '../../client/rest-client.js';
import { describeError } from '../../../common/errors.js';
import { DelegatedAuth } from './delegated-auth.js';
import { EphemeralContainers } from './ephemeral-containers.js';
import { KubeletPodDirectory, type KubeletPods } from './kubelet-pod-directory.js';
import { KubeletServer } from './kubelet-server.js';
import { NodeStats } from './node-stats.js';
import type { RuntimeService } from '../../../runtime/cri/cri-types.js';
import { CrunRuntimeService } from '../../../runtime/cri/crun-runtime-service.js';
import { NsenterStreamRuntime, type StreamRuntime } from './stream-runtime.js';

export interface KubeletServingOptions {
  node: { name: string; address: string };
  /** The serving certificate (signed by the cluster CA for the node's address and name) and the CA. */
  tls: { cert: Buffer; key: Buffer; ca: Buffer };
  /** The listening socket: made inside the node's namespace on <address>:10250 (its fd). */
  listen: () => number;
  api: RestClient;
  client: KubeClient;
  kubelet: KubeletPods;
  /** A pod's CRI log folder. */
  podLogDir(pod: Pod): string;
  alive(pid: number, startTime: number): boolean;
  runtime?: StreamRuntime;
  /** The node's CRI runtime: exec into its containers goes through its Exec (TTY, resize). */
  cri?: RuntimeService;
  log(line: string): void;
}

export interface KubeletServing {
  stop(): Promise<void>;
}

export async function startKubeletServer(o: KubeletServingOptions): Promise<KubeletServing> {
  const runtime = o.runtime ?? new NsenterStreamRuntime();
  const ephemeral = new EphemeralContainers(
    o.kubelet,
    runtime,
    o.client,
    o.podLogDir,
    o.log,
    o.cri instanceof CrunRuntimeService ? o.cri : undefined,
    o.kubelet.images,
  );
  const pods = new KubeletPodDirectory(o.kubelet, o.podLogDir, o.alive, ephemeral);
  const server = new KubeletServer({
    nodeName: o.node.name,
    listen: o.listen,
    tls: o.tls,
    auth: new DelegatedAuth(o.api, o.node.name),
    pods,
    runtime,
    ...(o.cri ? { cri: o.cri } : {}),
    stats: new NodeStats(o.node.name, () => pods.statsTargets()),
    log: o.log,
  });
  const stop = await server.start();
  let syncing = false;
  const timer = setInterval(() => {
    if (syncing) return;
    syncing = true;
    void ephemeral
      .sync()
      .catch((e) => o.log(`kubelet ${o.node.name}: ephemeral containers: ${describeError(e)}`))
      .finally(() => (syncing = false));
  }, 1000);
  return {
    stop: async () => {
      clearInterval(timer);
      await stop();
    },
  };
}
