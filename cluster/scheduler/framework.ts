// The scheduling framework's extension points as kube-scheduler defines them, cut down to what
// kubewire's plugins use: PreFilter (once per pod), Filter (per node), PreScore and Score (per
// feasible node) with an optional NormalizeScore to 0–100.
import type { Node, Pod, Namespace, PersistentVolume, PersistentVolumeClaim } from '../../common/api-types.js';
import type { NodeInfo, PodInfo } from './node-info.js';

/** Like framework.Code: why a node was turned down, and whether preemption could change it. */
export type Code = 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Rejection {
  code: Code;
  /** The message kube-scheduler gives, e.g. `Insufficient cpu`; a node may get several. */
  reasons: string[];
}

export const reject = (code: Code, ...reasons: string[]): Rejection => ({ code, reasons });

export const MAX_NODE_SCORE = 100;

/** What plugins may read about the cluster besides nodes: objects the scheduler's informers hold. */
export interface ClusterLister {
  nodeInfos(): NodeInfo[];
  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined;
  pv(name: string): PersistentVolume | undefined;
  namespace(name: string): Namespace | undefined;
}

/** Per-pod scratch space shared by a plugin's PreFilter, Filter, PreScore and Score. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

export interface FilterPlugin {
  readonly name: string;
  /** Runs once per pod; a rejection here turns down every node with it. Return 'skip' when Filter has nothing to check. */
  preFilter?(state: CycleState, pod: PodInfo, cluster: ClusterLister): Rejection | 'skip' | undefined;
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Rejection | undefined;
}

export interface ScorePlugin {
  readonly name: string;
  /** Runs once per pod over the feasible nodes; 'skip' leaves every node at 0 for this plugin. */
  preScore?(state: CycleState, pod: PodInfo, nodes: NodeInfo[], cluster: ClusterLister): 'skip' | undefined;
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Scales raw scores (in place) to 0–100. */
  normalize?(state: CycleState, pod: PodInfo, scores: number[]): void;
}

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

/** framework's DefaultNormalizeScore: scale to 0..100 by the maximum, optionally reversed. */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    if (reverse) s = MAX_NODE_SCORE - s;
    scores[i] = s;
  }
}

export type { Node, Pod };
