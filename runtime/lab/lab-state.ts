// What a lab created, recorded in state.json so `down`/`reset` remove exactly that (and `status`
// can show it). Written atomically after every phase of `up`.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Topology } from '../../common/topology/types.js';
import type { ProcessRef } from '../host/host-driver.js';

export interface ProcessRecord extends ProcessRef {
  netns: string;
  argv: string[];
  log: string;
}

export interface PodRecord {
  namespace: string;
  name: string;
  node: string;
  netns: string;
  containerId: string;
  ip?: string;
  mac?: string;
  /** The node-side veth the CNI bridge plugin made. */
  hostVeth?: string;
  /** The pause container's process as the host sees it. */
  sandbox?: ProcessRecord;
  /** Each app container's main process as the host sees it, by container name. */
  containers: Record<string, ProcessRecord>;
  /** CRI ids: the sandbox and each container (by name) in the node's runtime. */
  sandboxId?: string;
  containerIds?: Record<string, string>;
}

export interface LabState {
  version: 1;
  lab: string;
  prefix: string;
  topologyFile: string;
  topology: Topology;
  /** Every namespace the lab made or is about to make. */
  namespaces: string[];
  /** VtepMAC per node (flannel.1's MAC), as flannel records it on the Node. */
  vtepMACs: Record<string, string>;
  pods: Record<string, PodRecord>;
  /** Infrastructure processes (the Internet's HTTP/DNS server). */
  processes: Record<string, ProcessRecord>;
  phase: 'building' | 'up' | 'down';
  updatedAt: string;
}

export async function loadState(path: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LabState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function saveState(path: string, state: LabState): Promise<void> {
  state.updatedAt = new Date().toISOString();
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, path);
}

export const podKey = (namespace: string, name: string) => `${namespace}/${name}`;
