// Composition of one node's kubelet server: its serving certificate (signed by the cluster CA for
// the node's address and name), delegated authn/authz, the pod directory over the kubelet's
// workers, the nsenter stream runtime, resource figures and ephemeral containers.
import { ensureLeafCert } from '../../apiserver/leaf-certs.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { RestClient } from '../../client/rest-client.js';
import { describeError } from '../../../common/errors.js';
import { DelegatedAuth } from './delegated-auth.js';
import { EphemeralContainers } from './ephemeral-containers.js';
import { KubeletPodDirectory, type KubeletPods } from './kubelet-pod-directory.js';
import { KubeletServer } from './kubelet-server.js';
import { NodeStats } from './node-stats.js';
import { NsenterStreamRuntime, type StreamRuntime } from './stream-runtime.js';

export interface KubeletServingOptions {
  node: { name: string; address: string };
  caDir: string;
  certDir: string;
  socketPath: string;
  api: RestClient;
  client: KubeClient;
  kubelet: KubeletPods;
  podLogDir(netns: string): string;
  alive(pid: number, startTime: number): boolean;
  runtime?: StreamRuntime;
  log(line: string): void;
}

export interface KubeletServing {
  stop(): Promise<void>;
}

export async function startKubeletServer(o: KubeletServingOptions): Promise<KubeletServing> {
  const tls = await ensureLeafCert(o.caDir, { dir: o.certDir, name: 'kubelet', commonName: `system:node:${o.node.name}`, organizations: ['system:nodes'], usage: 'server', sans: [`IP:${o.node.address}`, `DNS:${o.node.name}`] });
  const runtime = o.runtime ?? new NsenterStreamRuntime();
  const ephemeral = new EphemeralContainers(o.kubelet, runtime, o.client, o.podLogDir, o.log);
  const pods = new KubeletPodDirectory(o.kubelet, o.podLogDir, o.alive, ephemeral);
  const server = new KubeletServer({
    nodeName: o.node.name,
    socketPath: o.socketPath,
    tls,
    auth: new DelegatedAuth(o.api, o.node.name),
    pods,
    runtime,
    stats: new NodeStats(o.node.name, () => pods.statsTargets()),
    log: o.log,
  });
  const stop = await server.start();
  let syncing = false;
  const timer = setInterval(() => {
    if (syncing) return;
    syncing = true;
    void ephemeral.sync().catch((e) => o.log(`kubelet ${o.node.name}: ephemeral containers: ${describeError(e)}`)).finally(() => (syncing = false));
  }, 1000);
  return {
    stop: async () => {
      clearInterval(timer);
      await stop();
    },
  };
}
