// What a pod asks of a node, as kube-scheduler computes it: per resource the larger of the sum of
// its containers and its largest init container; CPU in millicores, memory in bytes. Scoring uses
// "non-zero" requests (100m CPU, 200Mi memory for a container that names none) so that pods
// without requests still spread.
import type { Container, Pod, ResourceList } from '../../common/api-types.js';
import { parseQuantity } from '../controllers/util/quantity.js';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Other named resources (nvidia.com/gpu, hugepages-2Mi, …) in their own units. */
  scalar: Record<string, number>;
}

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} };
}

/** Parses a ResourceList (allocatable, requests) into numbers. `where` names it in errors. */
export function parseResourceList(list: ResourceList | undefined, where: string): Resources {
  const r = emptyResources();
  for (const [name, q] of Object.entries(list ?? {})) {
    const v = parseQuantity(q, `${where}.${name}`);
    if (name === 'cpu') r.milliCPU = Math.round(v * 1000);
    else if (name === 'memory') r.memory = v;
    else if (name === 'ephemeral-storage') r.ephemeralStorage = v;
    else if (name !== 'pods') r.scalar[name] = v;
  }
  return r;
}

function containerRequests(c: Container, where: string): Resources {
  // A container with limits but no requests gets requests = limits (API defaulting does this too).
  return parseResourceList({ ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) }, where);
}

function maxInto(a: Resources, b: Resources): void {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = Math.max(a.scalar[k] ?? 0, v);
}

export function addInto(a: Resources, b: Resources, sign = 1): void {
  a.milliCPU += sign * b.milliCPU;
  a.memory += sign * b.memory;
  a.ephemeralStorage += sign * b.ephemeralStorage;
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = (a.scalar[k] ?? 0) + sign * v;
}

export interface PodRequests {
  requests: Resources;
  /** CPU and memory with the non-zero defaults applied per container (for scoring). */
  nonZeroMilliCPU: number;
  nonZeroMemory: number;
}

export function computePodRequests(pod: Pod): PodRequests {
  const where = `pod ${pod.metadata.namespace}/${pod.metadata.name}`;
  const requests = emptyResources();
  let nzCPU = 0;
  let nzMem = 0;
  for (const [i, c] of (pod.spec.containers ?? []).entries()) {
    const r = containerRequests(c, `${where}: spec.containers[${i}].resources`);
    addInto(requests, r);
    nzCPU += r.milliCPU || DEFAULT_MILLI_CPU_REQUEST;
    nzMem += r.memory || DEFAULT_MEMORY_REQUEST;
  }
  for (const [i, c] of (pod.spec.initContainers ?? []).entries()) {
    const r = containerRequests(c, `${where}: spec.initContainers[${i}].resources`);
    maxInto(requests, r);
    nzCPU = Math.max(nzCPU, r.milliCPU || DEFAULT_MILLI_CPU_REQUEST);
    nzMem = Math.max(nzMem, r.memory || DEFAULT_MEMORY_REQUEST);
  }
  return { requests, nonZeroMilliCPU: nzCPU, nonZeroMemory: nzMem };
}
