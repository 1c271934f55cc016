// A node as a container: its init (native/node-init) in the node's network namespace with own
// mount/PID/UTS/IPC/cgroup namespaces and a cgroup parent sized by the node's allocatable
// (native-scripts/node-container.sh). Everything a node's kubelet runs goes in through
// `nsenter -t <init> -m -p`, so pod PID namespaces are children of the node's, orphans are reaped
// (and their exit codes recorded) by the node's init, and a node terminal sees only its own.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostDriver, ProcessRef } from '../host/host-driver.js';

export interface NodeContainerConfig {
  prefix: string;
  node: string;
  /** The node's network namespace (kw-node5). */
  netns: string;
  initBinary: string;
  /** The node's runtime state (bundles, OCI state, exit records, logs). */
  stateDir: string;
  /** The node's allocatable: the cgroup parent's limits (0 = none). */
  memoryBytes: number;
  cpuMilli: number;
  pids: number;
  /** The node-side CLI (dist/cli/node-tools-main.js): `crictl` and `docker` on the node's PATH. */
  toolsMain?: string;
}

export interface NodeContainerInfo extends ProcessRef {
  /** The node's cgroup parent, absolute in the host's hierarchy (/kw-kubewire/node5). */
  cgroup: string;
}

export class NodeContainer {
  private info: NodeContainerInfo | undefined;

  constructor(
    private readonly driver: HostDriver,
    readonly cfg: NodeContainerConfig,
  ) {}

  get exitDir(): string {
    return join(this.cfg.stateDir, 'exits');
  }

  /** The init's pid as the host sees it (undefined before ensure). */
  get pid(): number | undefined {
    return this.info?.pid;
  }

  get cgroup(): string {
    if (!this.info) throw new Error(`node container ${this.cfg.node} is not running`);
    return this.info.cgroup;
  }

  /** Starts the node container unless its init still runs; returns it. */
  async ensure(): Promise<NodeContainerInfo> {
    if (this.info && (await this.driver.alive([this.info]))[0]) return this.info;
    await mkdir(this.exitDir, { recursive: true, mode: 0o700 });
    const bin = join(this.cfg.stateDir, 'bin');
    await mkdir(bin, { recursive: true, mode: 0o755 });
    if (this.cfg.toolsMain) {
      for (const tool of ['crictl', 'docker']) {
        // Values are single-quoted: paths come from validated lab paths, never user text.
        await writeFile(
          join(bin, tool),
          `#!/bin/sh\nexec '${process.execPath}' '${this.cfg.toolsMain}' '${this.cfg.stateDir}' ${tool} "$@"\n`,
        );
        await chmod(join(bin, tool), 0o755);
      }
    }
    const { prefix, node, netns, initBinary, memoryBytes, cpuMilli, pids } = this.cfg;
    const r = await this.driver.script('node-container.sh', [
      prefix,
      node,
      netns,
      initBinary,
      this.exitDir,
      String(memoryBytes),
      String(cpuMilli),
      String(pids),
      bin,
    ]);
    this.info = { pid: r.json.pid as number, startTime: r.json.startTime as number, cgroup: r.json.cgroup as string };
    return this.info;
  }

  /** argv that runs `argv` inside the node's mount and PID namespaces (and its network's). */
  enter(argv: readonly string[]): string[] {
    if (!this.info) throw new Error(`node container ${this.cfg.node} is not running`);
    return ['nsenter', '-t', String(this.info.pid), '-m', '-p', '-n', '-u', '--', ...argv];
  }
}
