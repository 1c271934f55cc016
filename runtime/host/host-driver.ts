// Where a node lives and how its privileged helpers run. The namespace driver runs them on this
// machine; an SSH driver (later) runs the same scripts on a VM. Callers never build shell strings.

export interface ScriptResult {
  /** The helper's one JSON line on stdout, parsed. */
  json: Record<string, unknown>;
  stderr: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A process kubewire started: the pid and the kernel's start time identify it (pids get reused). */
export interface ProcessRef {
  pid: number;
  startTime: number;
}

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  /** Also enter the UTS and IPC namespaces of this process (a pod's pause), as a container does. */
  joinPid?: number;
  /** Give the command this process's stdin/stdout/stderr (a terminal); stdout/stderr come back empty. */
  inherit?: boolean;
}

export interface HostDriver {
  readonly kind: 'netns' | 'ssh';
  /** Runs native-scripts/<script> with validated arguments; rejects with HelperError on failure. */
  script(script: string, args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<ScriptResult>;
  /** Runs argv inside network namespace `netns` (like `ip netns exec`), never through a shell. */
  exec(netns: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** For each process, whether it still runs (same pid and same start time). */
  alive(procs: readonly ProcessRef[]): Promise<boolean[]>;
  /**
   * Waits until no helper working on namespaces with this prefix runs any more: a killed `up`
   * leaves its running helpers orphaned, and they must finish before a new `up` looks around.
   */
  settle(prefix: string, timeoutMs?: number): Promise<void>;
  /** Writes a file on the host atomically (state-folder files: CNI config, subnet.env). */
  writeFile(path: string, content: string): Promise<void>;
}
