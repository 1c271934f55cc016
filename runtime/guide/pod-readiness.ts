// Waits until a lab is what its step 1 counts on: since the kubelets own the pods (runtime/cri),
// `up` returns before they exist. A pod counts as running when its sandbox's network namespace
// exists, its pause and every app container's process live, and each declared containerPort
// listens inside the pod; a Service counts as served when every node's kube-proxy has written its
// rules with all its expected endpoints (a curl in step 1 must not race kube-proxy's first sync).
import { existsSync, readFileSync } from 'node:fs';
import { KubewireError } from '../../common/errors.js';
import type { Topology } from '../../common/topology/types.js';
import { loadState, podKey, type LabState, type PodRecord } from '../lab/lab-state.js';
import { expectedPods, expectedServices, type ExpectedPod, type ExpectedService } from './lab-expectations.js';

export { declaredPorts } from './lab-expectations.js';

export const POD_READY_TIMEOUT_MS = 120_000;

/** Where the wait reads the cluster: the lab's state, each kubelet's records, each node's rules. */
export interface LabProbe {
  statePath: string;
  /** The kubelet's records of a node (nodes/<node>/kubelet/pods.json). */
  kubeletPods(node: string): string;
  /** kube-proxy's rules in a node's namespace: `iptables-save -t nat` or `nft list table ip kube-proxy`. */
  proxyRules(node: string, mode: 'iptables' | 'nftables'): Promise<string>;
  /** The cluster's log: its last lines about a pod still waiting go into the timeout's message. */
  clusterLog?: string;
}

/** Why the pod is not running yet, or undefined when it is. */
export function podNotReady(
  state: LabState | undefined,
  namespace: string,
  name: string,
  containers: number,
  ports: number[],
): string | undefined {
  return recordNotReady(state?.pods[podKey(namespace, name)], podKey(namespace, name), containers, ports);
}

export function recordNotReady(
  pod: PodRecord | undefined,
  key: string,
  containers: number,
  ports: number[],
): string | undefined {
  if (!pod?.sandbox) return `${key}: no sandbox yet`;
  if (!existsSync(`/var/run/netns/${pod.netns}`)) return `${key}: network namespace ${pod.netns} missing`;
  if (!alive(pod.sandbox.pid)) return `${key}: sandbox process ${pod.sandbox.pid} gone`;
  const running = Object.values(pod.containers).filter((c) => alive(c.pid)).length;
  if (running < containers) return `${key}: ${running} of ${containers} containers running`;
  const listening = listeningPorts(pod.sandbox.pid);
  const missing = ports.filter((p) => !listening.has(p));
  if (missing.length) return `${key}: port ${missing.join(', ')} not listening yet`;
  return undefined;
}

/** Why a node's rules do not serve the Service with all its endpoints yet, or undefined. */
export function serviceNotServed(
  rules: string,
  svc: ExpectedService,
  mode: 'iptables' | 'nftables',
): string | undefined {
  const what = `${svc.namespace}/${svc.name}`;
  if (mode === 'nftables') {
    if (!rules.includes(svc.clusterIP)) return `${what}: no rule for ${svc.clusterIP} yet`;
    const chains = new Set(
      [...rules.matchAll(/chain (endpoint-[A-Z0-9]+-([^/\s]+)\/([^/\s]+)\/[^\s]*)/g)]
        .filter((m) => m[2] === svc.namespace && m[3] === svc.name)
        .map((m) => m[1]),
    );
    return chains.size >= svc.endpoints
      ? undefined
      : `${what}: ${chains.size} of ${svc.endpoints} endpoints in the rules`;
  }
  const lines = rules.split('\n');
  for (const p of svc.ports) {
    const entry = lines.find(
      (l) =>
        l.startsWith('-A KUBE-SERVICES ') &&
        l.includes(` -d ${svc.clusterIP}/32 `) &&
        l.includes(` --dport ${p.port} `) &&
        l.includes(` -p ${p.protocol} `) &&
        / -j KUBE-SVC-/.test(l),
    );
    if (!entry) return `${what}: no KUBE-SERVICES rule for ${svc.clusterIP}:${p.port} yet`;
    const chain = / -j (KUBE-SVC-\S+)/.exec(entry)![1]!;
    const seps = lines.filter((l) => l.startsWith(`-A ${chain} `) && / -j KUBE-SEP-/.test(l)).length;
    if (seps < svc.endpoints) return `${what}: ${chain} lists ${seps} of ${svc.endpoints} endpoints`;
  }
  return undefined;
}

/** What is still missing (empty when the lab is ready). */
export async function labNotReady(topology: Topology, probe: LabProbe): Promise<string[]> {
  const pods = expectedPods(topology);
  const state = await loadState(probe.statePath).catch(() => undefined);
  const kubelets = new Map<string, Record<string, { record?: PodRecord }>>();
  const kubeletRecord = (p: ExpectedPod): PodRecord | undefined => {
    if (!kubelets.has(p.node)) kubelets.set(p.node, readJson(probe.kubeletPods(p.node)) ?? {});
    return kubelets.get(p.node)![podKey(p.namespace, p.name)]?.record;
  };
  const waiting = pods
    .map((p) =>
      recordNotReady(
        p.source === 'static' ? state?.pods[podKey(p.namespace, p.name)] : kubeletRecord(p),
        podKey(p.namespace, p.name),
        p.containers,
        p.ports,
      ),
    )
    .filter((w): w is string => !!w);
  // Rules are read only once every pod runs: before, endpoints are missing anyway.
  if (waiting.length) return waiting;
  const services = expectedServices(topology, pods);
  if (!services.length) return [];
  const mode = topology.kubeProxy?.mode ?? 'iptables';
  const perNode = await Promise.all(
    topology.nodes.map(async (n) => {
      const rules = await probe.proxyRules(n.name, mode).catch(() => '');
      return services
        .map((s) => serviceNotServed(rules, s, mode))
        .filter((w): w is string => !!w)
        .map((w) => `${n.name}: ${w}`);
    }),
  );
  return perNode.flat();
}

export async function waitForPods(
  topology: Topology,
  probe: LabProbe,
  timeoutMs = POD_READY_TIMEOUT_MS,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const waiting = await labNotReady(topology, probe);
    if (!waiting.length) return;
    if (Date.now() > until) {
      throw new KubewireError(
        `the lab's pods and Services were not ready within ${Math.round(timeoutMs / 1000)} s (${waiting.join('; ')})${logAbout(probe.clusterLog, waiting)}; see \`kubewire status\` and the lab's logs/cluster.log`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The cluster log's last lines naming a waiting pod (the kubelet's sync errors, its events). */
function logAbout(log: string | undefined, waiting: string[]): string {
  if (!log) return '';
  const keys = [...new Set(waiting.map((w) => /^(?:\w+: )?([a-z0-9-]+\/[a-z0-9-]+):/.exec(w)?.[1]).filter(Boolean))];
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return '';
  }
  const lines = text.split('\n').filter((l) => keys.some((k) => l.includes(k!)));
  return lines.length ? `; cluster log: ${lines.slice(-5).join(' | ')}` : '';
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** TCP ports in LISTEN inside the network namespace of pid (its /proc net view is the pod's). */
function listeningPorts(pid: number): Set<number> {
  const ports = new Set<number>();
  for (const f of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${f}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
