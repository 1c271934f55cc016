// One node's container runtime, composed: the node container (init, namespaces, cgroup parent
// sized by the node's allocatable), crun/runc inside it and the CRI service on top, plus what the
// node's status reports from them — capacity/allocatable read back from the node's cgroup,
// the images present, and the runtime's health.
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { ImageService } from '../../../runtime/images/image-service.js';
import type { LabPaths } from '../../../runtime/lab/lab-paths.js';
import { Cgroups } from '../../../runtime/cri/cgroups.js';
import { CrunRuntimeService } from '../../../runtime/cri/crun-runtime-service.js';
import { NodeContainer } from '../../../runtime/cri/node-container.js';
import { OciRuntime, pickOciRuntime } from '../../../runtime/cri/oci-runtime.js';
import { nodeToolsMain } from '../../../runtime/project-root.js';

/** What the node keeps for the system and the kubelet (kube-reserved + system-reserved). */
export const RESERVED = { cpuMilli: 100, memoryBytes: 128 * 1024 * 1024 };
export const MAX_PODS = 110;

export interface NodeRuntimeOptions {
  driver: HostDriver;
  paths: LabPaths;
  prefix: string;
  node: string;
  netns: string;
  nodeCount: number;
  nodeInitBinary: string;
  pauseBinary: string;
  scriptsDir: string;
}

export interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
}

export interface NodeRuntime {
  container: NodeContainer;
  cri: CrunRuntimeService;
  oci: OciRuntime;
  resources(): Promise<NodeResources>;
  imageList(images: ImageService): Promise<{ names: string[]; sizeBytes: number }[]>;
  /** Empty when healthy, else what is wrong (the node's Ready condition says it). */
  health(): Promise<string>;
  mountTmpfs(dir: string, sizeBytes?: number): Promise<void>;
  unmount(dir: string): Promise<void>;
}

/**
 * A node's capacity: every core of the machine (nodes share them, as VMs on one host would) and
 * an equal share of its memory; allocatable is that minus the reservation, and is what the node
 * container's cgroup is limited to.
 */
export function nodeCapacity(nodeCount: number): { cpuMilli: number; memoryBytes: number } {
  return {
    cpuMilli: cpus().length * 1000,
    memoryBytes: Math.floor(totalmem() / Math.max(1, nodeCount) / 1048576) * 1048576,
  };
}

export function nodeRuntime(o: NodeRuntimeOptions): NodeRuntime {
  const cap = nodeCapacity(o.nodeCount);
  const state = join(o.paths.node(o.node), 'runtime');
  const container = new NodeContainer(o.driver, {
    prefix: o.prefix,
    node: o.node,
    netns: o.netns,
    initBinary: o.nodeInitBinary,
    stateDir: state,
    memoryBytes: cap.memoryBytes - RESERVED.memoryBytes,
    cpuMilli: cap.cpuMilli - RESERVED.cpuMilli,
    pids: 32768,
    toolsMain: nodeToolsMain(),
  });
  const cgroups = new Cgroups();
  const oci = new OciRuntime(pickOciRuntime(), join(state, 'oci'), container, o.scriptsDir);
  const cri = new CrunRuntimeService({
    driver: o.driver,
    node: container,
    oci,
    cgroups,
    stateDir: join(state, 'cri'),
    pauseBinary: o.pauseBinary,
  });
  const inNode = async (argv: string[]) => {
    await container.ensure();
    const full = container.enter(argv);
    const r = await execa(full[0]!, full.slice(1), { reject: false, timeout: 10_000 });
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} in node ${o.node}: ${r.stderr}`);
  };
  return {
    container,
    cri,
    oci,
    async resources() {
      await container.ensure();
      const mem = (await cgroups.memoryLimit(container.cgroup)) ?? cap.memoryBytes - RESERVED.memoryBytes;
      const cpu = (await cgroups.cpuLimitMilli(container.cgroup)) ?? cap.cpuMilli - RESERVED.cpuMilli;
      const ki = (b: number) => `${Math.floor(b / 1024)}Ki`;
      return {
        capacity: {
          cpu: String(cap.cpuMilli / 1000),
          memory: ki(cap.memoryBytes),
          pods: String(MAX_PODS),
          'ephemeral-storage': '10Gi',
        },
        allocatable: { cpu: `${cpu}m`, memory: ki(mem), pods: String(MAX_PODS), 'ephemeral-storage': '10Gi' },
      };
    },
    async imageList(images) {
      return (await images.list()).map((i) => ({
        names: [...i.refs, ...(i.refs[0] ? [`${i.refs[0].replace(/:[^:/]+$/, '')}@${i.digest}`] : [])],
        sizeBytes: i.size,
      }));
    },
    async health() {
      if (!container.pid) return 'node container not started';
      const alive = (
        await o.driver.alive([{ pid: container.pid, startTime: (await container.ensure()).startTime }])
      )[0];
      return alive ? '' : 'node container init is not running';
    },
    mountTmpfs: (dir, size) =>
      inNode(['mount', '-t', 'tmpfs', '-o', `mode=1777${size ? `,size=${size}` : ''}`, 'tmpfs', dir]),
    unmount: (dir) => inNode(['umount', '-l', dir]),
  };
}
