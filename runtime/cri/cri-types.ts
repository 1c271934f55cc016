// The CRI's shapes (k8s.io/cri-api runtime/v1), reduced to what the lab's kubelet uses and kept
// under CRI's names, so a reader of the kubelet finds RunPodSandbox, CreateContainer, ExecSync.
import type { Readable, Writable } from 'node:stream';
import type { ResolvedImage } from '../images/image-service.js';

export interface PodSandboxConfig {
  name: string;
  namespace: string;
  uid: string;
  /** The pod's hostname (its name, or spec.hostname). */
  hostname: string;
  /** The network namespace the CNI plugins wired (/run/netns/<ns>). */
  netnsPath: string;
  /** /etc/hosts, /etc/resolv.conf and /etc/hostname as the kubelet writes them. */
  etc: { hosts: string; resolvConf: string; hostname: string };
  /** Where the kubelet keeps this pod's container logs (CRI's log_directory). */
  logDirectory: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** spec.shareProcessNamespace: app containers join the pause container's PID namespace. */
  shareProcessNamespace?: boolean;
  /** The pause image; without it the runtime's own pause binary is the sandbox's root. */
  image?: ResolvedImage;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  allowPrivilegeEscalation?: boolean;
}

export interface LinuxResources {
  /** Bytes; 0 or absent: no limit. */
  memoryLimitBytes?: number;
  /** CPU limit in millicores → CFS quota over a 100 ms period. */
  cpuLimitMilli?: number;
  /** CPU request in millicores → cpu.shares (1024 per core). */
  cpuRequestMilli?: number;
}

export interface ContainerConfig {
  name: string;
  image: ResolvedImage;
  /** Pod spec `command` (replaces the image's Entrypoint) and `args` (replace its Cmd). */
  command?: string[];
  args?: string[];
  /** Already resolved (valueFrom, service variables) by the kubelet; override the image's Env. */
  env: { name: string; value: string }[];
  workingDir?: string;
  mounts: Mount[];
  securityContext?: SecurityContext;
  resources?: LinuxResources;
  /** Relative to the sandbox's logDirectory (<container>/<restart>.log), as CRI's log_path. */
  logPath: string;
  stdin?: boolean;
  /** With stdin: the first attach that sends input closes it when it ends (containerd: not with tty). */
  stdinOnce?: boolean;
  /** The process gets a terminal the runtime holds (its output is the log's stdout; attach reaches it). */
  tty?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandboxStatus {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  state: SandboxState;
  createdAt: number;
  netnsPath: string;
  /** pid of the pause process as the node sees it (docker inspect's .State.Pid on the node). */
  pid?: number;
  /** The same process as the host sees it, and its start time (pid reuse check). */
  hostPid?: number;
  hostStartTime?: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  podSandboxId: string;
  name: string;
  /** The image reference and its id (config digest). */
  image: string;
  imageId: string;
  state: ContainerState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** OOMKilled, Completed, Error (as the kubelet reports them). */
  reason?: string;
  message?: string;
  pid?: number;
  hostPid?: number;
  hostStartTime?: number;
  /** Absolute path of the CRI log file. */
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ExecSyncResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  tty?: boolean;
  stdin?: boolean;
  cols?: number;
  rows?: number;
}

/** A process in a container (Exec) or the container's own stdio (Attach), as streams. */
export interface StreamSession {
  stdin: Writable | undefined;
  stdout: Readable;
  /** Absent with a TTY: the terminal merges both. */
  stderr: Readable | undefined;
  resize(cols: number, rows: number): void;
  /** Resolves with the exit code once the process ended (or the attach was closed). */
  wait(): Promise<number>;
  close(): void;
}

/** CRI's RuntimeService, with the Exec/Attach hooks returning streams instead of a URL. */
export interface RuntimeService {
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined>;
  listPodSandbox(filter?: { labels?: Record<string, string> }): Promise<PodSandboxStatus[]>;
  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  listContainers(filter?: { podSandboxId?: string; labels?: Record<string, string> }): Promise<ContainerStatus[]>;
  execSync(id: string, cmd: string[], timeoutSeconds?: number): Promise<ExecSyncResult>;
  exec(id: string, cmd: string[], opts?: ExecOptions): Promise<StreamSession>;
  attach(id: string, opts?: { stdin?: boolean }): Promise<StreamSession>;
}

export class RuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeError';
  }
}

export class NotFoundError extends RuntimeError {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}
