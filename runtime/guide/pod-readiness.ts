// Waits until a lab's pods run: since the kubelets own the pods (runtime/cri), `up` returns before
// they exist, and a lab's step 1 must not race them. A pod counts as running when its sandbox's
// network namespace exists, its pause and every app container's process live, and each declared
// containerPort listens inside the pod (the Ready the guided labs need: a Service reaches it).
import { existsSync, readFileSync } from 'node:fs';
import { KubewireError } from '../../common/errors.js';
import type { Topology } from '../../common/topology/types.js';
import { loadState, podKey, type LabState } from '../lab/lab-state.js';

export const POD_READY_TIMEOUT_MS = 120_000;

/** Why the pod is not running yet, or undefined when it is. */
export function podNotReady(
  state: LabState | undefined,
  namespace: string,
  name: string,
  containers: number,
  ports: number[],
): string | undefined {
  const key = podKey(namespace, name);
  const pod = state?.pods[key];
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

/** containerPort of every container of the Pod object as written. */
export function declaredPorts(manifest: Record<string, unknown>): number[] {
  const spec = manifest['spec'] as
    { containers?: { ports?: { containerPort?: unknown; protocol?: unknown }[] }[] } | undefined;
  const out: number[] = [];
  for (const c of spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (typeof p.containerPort === 'number' && (p.protocol === undefined || p.protocol === 'TCP'))
        out.push(p.containerPort);
    }
  }
  return out;
}

export async function waitForPods(
  topology: Topology,
  statePath: string,
  timeoutMs = POD_READY_TIMEOUT_MS,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  const pods = topology.nodes.flatMap((n) => n.pods);
  for (;;) {
    const state = await loadState(statePath).catch(() => undefined);
    const waiting = pods
      .map((p) => podNotReady(state, p.namespace, p.name, p.containers.length, declaredPorts(p.manifest)))
      .filter((w): w is string => !!w);
    if (!waiting.length) return;
    if (Date.now() > until) {
      throw new KubewireError(
        `the lab's pods did not start within ${Math.round(timeoutMs / 1000)} s (${waiting.join('; ')}); see \`kubewire status\` and the kubelet logs`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
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
