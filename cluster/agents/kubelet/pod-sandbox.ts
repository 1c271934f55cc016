// A pod's sandbox as the kubelet makes it (kubelet's createPodSandbox, containerd's RunPodSandbox):
// volumes first, then the pod's network namespace wired by CNI, its resolv.conf, then the pause
// container through CRI. A failure leaves nothing half-made, so the worker's retry starts clean.
import type { Pod } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import type { RuntimeService } from '../../../runtime/cri/cri-types.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { PodRecord } from '../../../runtime/lab/lab-state.js';
import type { PodNetwork } from '../../../runtime/pod/pod-network.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { podEtc } from './pod-etc.js';
import type { PodVolumes } from './pod-volumes.js';
import { recordExit, type PodWorker } from './pod-worker.js';

export interface SandboxDeps {
  driver: HostDriver;
  cri: RuntimeService;
  network: PodNetwork;
  volumes: PodVolumes;
  clock: Clock;
  events: EventRecorder;
  node: { name: string; netns: string; cniConf: string; dynamicCniConf?: string };
  podNetns(namespace: string, name: string): string;
  podLogDir(namespace: string, name: string, uid: string): string;
  nameserver: string;
  resolvConf(namespace: string): string | undefined;
  containerId(w: PodWorker): string;
}

/**
 * (Re)builds the pod's sandbox: a dead one is removed with its containers first (they count as
 * killed), then volumes, the network (CNI) and the pause container.
 */
export async function runSandbox(d: SandboxDeps, w: PodWorker, pod: Pod): Promise<void> {
  const old = w.record;
  if (old?.sandboxId) {
    d.events.normal(pod, 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    await d.cri.removePodSandbox(old.sandboxId).catch(() => undefined);
    for (const cs of w.containers.values()) recordExit(cs, { exitCode: 137, reason: 'Error' }, true, d.clock.now());
    old.containers = {};
    old.containerIds = {};
    delete old.sandbox;
    delete old.sandboxId;
    w.initialized = false;
  }
  // Volumes first, as kubelet waits for mounts before it asks for a sandbox.
  try {
    w.volumePaths = await d.volumes.setUp(pod);
  } catch (err) {
    d.events.warning(pod, 'FailedMount', `MountVolume.SetUp failed: ${describeError(err)}`);
    throw err;
  }
  try {
    await createSandbox(d, w, pod, old);
  } catch (err) {
    // As containerd does when RunPodSandbox fails: nothing half-made stays (the pause container,
    // the CNI attachment and its address, the namespace), so the pod worker's retry starts clean.
    d.events.warning(pod, 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${describeError(err)}`);
    await discardSandbox(d, w);
    throw err;
  }
}

async function discardSandbox(d: SandboxDeps, w: PodWorker): Promise<void> {
  const rec = w.record;
  if (!rec) return;
  if (rec.sandboxId) await d.cri.removePodSandbox(rec.sandboxId).catch(() => undefined);
  await d.network.tearDown(rec, d.node.cniConf, d.node.netns, { releaseIp: true }).catch(() => undefined);
  w.record = undefined;
}

async function createSandbox(d: SandboxDeps, w: PodWorker, pod: Pod, old: PodRecord | undefined): Promise<void> {
  const netns = d.podNetns(w.namespace, w.name);
  const ann = pod.metadata.annotations ?? {};
  // Recorded before CNI runs: a failure halfway still names the namespace and container id to undo.
  const rec: PodRecord = old ?? {
    namespace: w.namespace,
    name: w.name,
    node: d.node.name,
    netns,
    containerId: d.containerId(w),
    containers: {},
  };
  w.record = rec;
  await d.network.setUp(
    {
      namespace: w.namespace,
      name: w.name,
      node: d.node.name,
      nodeNetns: d.node.netns,
      netns,
      cniConf: d.node.cniConf,
      ...(d.node.dynamicCniConf ? { dynamicCniConf: d.node.dynamicCniConf } : {}),
      containerId: rec.containerId,
      ...(ann['kubewire.io/ip'] ? { ip: ann['kubewire.io/ip'] } : {}),
      ...(ann['kubewire.io/mac'] ? { mac: ann['kubewire.io/mac'] } : {}),
      nameserver: d.nameserver,
    },
    rec,
  );
  const resolv = d.resolvConf(w.namespace) ?? `nameserver ${d.nameserver}\n`;
  // `ip netns exec` into the pod's namespace (kubewire exec, lab terminals) sees the same resolver.
  await d.driver.writeFile(`/etc/netns/${netns}/resolv.conf`, resolv);
  const hostname = pod.spec.hostname ?? w.name;
  const id = await d.cri.runPodSandbox({
    name: w.name,
    namespace: w.namespace,
    uid: w.uid || pod.metadata.uid || w.key,
    hostname,
    netnsPath: `/run/netns/${netns}`,
    etc: podEtc(pod, hostname, rec.ip, resolv),
    logDirectory: d.podLogDir(w.namespace, w.name, w.uid),
    labels: {
      'io.kubernetes.pod.name': w.name,
      'io.kubernetes.pod.namespace': w.namespace,
      'io.kubernetes.pod.uid': w.uid,
    },
    shareProcessNamespace: !!pod.spec.shareProcessNamespace,
  });
  rec.sandboxId = id;
  rec.containerIds = {};
  rec.containers = {};
  const st = await d.cri.podSandboxStatus(id);
  // A sandbox without a live pause process holds nothing: a failure, not a pod to build on.
  if (!st?.hostPid || st.state !== 'SANDBOX_READY')
    throw new Error(`the pause container of sandbox ${id.slice(0, 12)} is not running`);
  rec.sandbox = { pid: st.hostPid, startTime: st.hostStartTime ?? 0, netns, argv: ['/pause'], log: '' };
}
