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

export interface HostDriver {
  readonly kind: 'netns' | 'ssh';
  /** Runs native-scripts/<script> with validated arguments; rejects with HelperError on failure. */
  script(script: string, args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<ScriptResult>;
  /** Runs argv inside network namespace `netns` (like `ip netns exec`), never through a shell. */
  exec(netns: string, argv: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
}
