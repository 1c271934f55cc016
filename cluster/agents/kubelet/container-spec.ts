// From a pod's container to CRI's ContainerConfig (kubelet's generateContainerConfig): command
// and args, env, mounts, securityContext merged from pod and container, resources as cgroup
// limits, the log path <container>/<restart>.log; plus the pull policy and lifecycle hooks.
import type { Container, LifecycleHandler, Pod } from '../../../common/api-types.js';
import type { ContainerConfig, Mount, RuntimeService } from '../../../runtime/cri/cri-types.js';
import type { PullPolicy, ResolvedImage } from '../../../runtime/images/image-service.js';
import { quantityBytes } from './pod-volumes.js';

export class HookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookError';
  }
}

/** imagePullPolicy, defaulted as the apiserver does: Always for :latest or no tag, else IfNotPresent. */
export function pullPolicy(c: Container): PullPolicy {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function cpuMilli(q: string | undefined): number | undefined {
  if (!q) return undefined;
  if (q.endsWith('m')) return Number(q.slice(0, -1)) || undefined;
  const n = Number(q);
  return Number.isFinite(n) && n > 0 ? Math.round(n * 1000) : undefined;
}

export function containerConfig(
  pod: Pod,
  c: Container,
  image: ResolvedImage,
  env: { name: string; value: string }[],
  mounts: Mount[],
  restart: number,
): ContainerConfig {
  const psc = pod.spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const memory = quantityBytes(limits.memory);
  const cpuLimit = cpuMilli(limits.cpu);
  const cpuRequest = cpuMilli(requests.cpu ?? limits.cpu);
  return {
    name: c.name,
    image,
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    env,
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    mounts,
    securityContext: {
      ...(runAsUser !== undefined ? { runAsUser } : {}),
      ...(runAsGroup !== undefined ? { runAsGroup } : {}),
      ...(sc.privileged ? { privileged: true } : {}),
      ...(sc.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
      ...(sc.capabilities ? { capabilities: sc.capabilities } : {}),
      ...(sc.allowPrivilegeEscalation !== undefined ? { allowPrivilegeEscalation: sc.allowPrivilegeEscalation } : {}),
    },
    resources: {
      ...(memory ? { memoryLimitBytes: memory } : {}),
      ...(cpuLimit ? { cpuLimitMilli: cpuLimit } : {}),
      ...(cpuRequest ? { cpuRequestMilli: cpuRequest } : {}),
    },
    logPath: `${c.name}/${restart}.log`,
    ...(c.stdin ? { stdin: true } : {}),
    ...(c.stdin && c.stdinOnce ? { stdinOnce: true } : {}),
    ...(c.tty ? { tty: true } : {}),
    labels: {
      'io.kubernetes.container.name': c.name,
      'io.kubernetes.pod.name': pod.metadata.name ?? '',
      'io.kubernetes.pod.namespace': pod.metadata.namespace ?? 'default',
      'io.kubernetes.pod.uid': pod.metadata.uid ?? '',
    },
    annotations: { 'io.kubernetes.container.restartCount': String(restart) },
  };
}

/** A postStart/preStop hook: exec in the container, or an HTTP GET to the pod, or a sleep. */
export async function runHook(
  cri: RuntimeService,
  id: string,
  h: LifecycleHandler,
  podIP: string | undefined,
  timeoutSeconds: number,
): Promise<void> {
  if (h.exec) {
    const r = await cri.execSync(id, h.exec.command, timeoutSeconds);
    if (r.exitCode !== 0)
      throw new HookError(`command '${h.exec.command.join(' ')}' exited with ${r.exitCode}: ${r.stderr || r.stdout}`);
    return;
  }
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, h.sleep!.seconds * 1000));
    return;
  }
  if (h.httpGet) {
    // From inside the container (its network is the pod's), with the image's own wget if any.
    const url = `http://${h.httpGet.host ?? podIP ?? '127.0.0.1'}:${h.httpGet.port}${h.httpGet.path ?? '/'}`;
    const r = await cri.execSync(id, ['wget', '-q', '-O', '/dev/null', url], timeoutSeconds);
    if (r.exitCode !== 0) throw new HookError(`http GET ${url} failed: ${r.stderr}`);
  }
}
