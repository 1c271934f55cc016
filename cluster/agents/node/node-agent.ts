// The kubelet's node half: registers the Node (capacity/allocatable, InternalIP = the underlay
// address, spec.podCIDR from flannel's subnet lease, conditions) and keeps it alive with a Lease
// in kube-node-lease renewed every 10 s, plus a status report every minute, as kubelet does.
import { cpus, totalmem } from 'node:os';
import type { Lease, Node, NodeCondition } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/api-errors.js';
import type { Clock } from '../../client/clock.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { Disposer } from '../../client/rest-client.js';
import { rfc3339, microTime } from '../../../common/time.js';

export interface NodeAgentConfig {
  name: string;
  address: string;
  podCIDR: string;
  /** Lease renewal period; leaseDurationSeconds is 4× it (kubelet: 10 s and 40 s). */
  renewIntervalMs?: number;
  statusIntervalMs?: number;
  kubeletVersion?: string;
  /** capacity/allocatable as the node's runtime measures them (its cgroup parent). */
  resources?: () => Promise<{ capacity: Record<string, string>; allocatable: Record<string, string> }>;
  /** status.images: what the node's image store holds. */
  images?: () => Promise<{ names: string[]; sizeBytes: number }[]>;
  /** The kubelet's own health: '' when healthy, else the reason (Ready=False). */
  health?: () => Promise<string>;
}

export class NodeAgent {
  private timers: (() => void)[] = [];
  private stopped = false;
  private readyAt = 0;
  private unhealthySince: number | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly cfg: NodeAgentConfig,
    private readonly log: (line: string) => void,
  ) {}

  /** The Node object this agent registers. */
  desired(): Node {
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.cfg.name,
        labels: {
          'kubernetes.io/hostname': this.cfg.name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        },
        annotations: {
          'node.alpha.kubernetes.io/ttl': '0',
          'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        },
      },
      spec: { podCIDR: this.cfg.podCIDR, podCIDRs: [this.cfg.podCIDR] },
      status: this.status(),
    };
  }

  /** The status with what the runtime measures (resources, images, health). */
  async measuredStatus(): Promise<NonNullable<Node['status']>> {
    const base = this.status();
    const [res, images, problem] = await Promise.all([
      this.cfg.resources?.().catch(() => undefined),
      this.cfg.images?.().catch(() => undefined),
      this.cfg.health?.().catch((e: unknown) => describeError(e)),
    ]);
    if (res) Object.assign(base, res);
    if (images) base.images = images;
    if (problem) {
      const now = this.clock.now();
      if (this.unhealthySince === undefined) this.unhealthySince = now;
      base.conditions = base.conditions?.map((c) =>
        c.type === 'Ready'
          ? {
              ...c,
              status: 'False',
              reason: 'KubeletNotReady',
              message: problem,
              lastTransitionTime: rfc3339(this.unhealthySince!),
            }
          : c,
      );
    } else if (this.unhealthySince !== undefined) {
      this.unhealthySince = undefined;
      this.readyAt = this.clock.now();
      base.conditions = this.status().conditions;
    }
    return base;
  }

  status(): NonNullable<Node['status']> {
    const now = this.clock.now();
    if (!this.readyAt) this.readyAt = now;
    const cond = (
      type: string,
      status: 'True' | 'False',
      reason: string,
      message: string,
      since: number,
    ): NodeCondition => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: rfc3339(now),
      lastTransitionTime: rfc3339(since),
    });
    const resources = {
      cpu: String(cpus().length),
      memory: `${Math.floor(totalmem() / 1024)}Ki`,
      pods: '110',
      'ephemeral-storage': '10Gi',
    };
    return {
      capacity: resources,
      allocatable: resources,
      conditions: [
        cond(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
          this.readyAt,
        ),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', this.readyAt),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', this.readyAt),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', this.readyAt),
      ],
      addresses: [
        { type: 'InternalIP', address: this.cfg.address },
        { type: 'Hostname', address: this.cfg.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      images: [],
      nodeInfo: {
        kubeletVersion: this.cfg.kubeletVersion ?? 'v1.32.0-kubewire',
        kubeProxyVersion: this.cfg.kubeletVersion ?? 'v1.32.0-kubewire',
        operatingSystem: 'linux',
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
        containerRuntimeVersion: 'crun://1.8',
        osImage: 'kubewire lab node',
        kernelVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    };
  }

  /** Registers (or re-registers) the Node, then heartbeats until disposed. */
  async start(): Promise<Disposer> {
    await this.register();
    await this.renewLease();
    this.loop(this.cfg.renewIntervalMs ?? 10_000, () => this.renewLease());
    this.loop(this.cfg.statusIntervalMs ?? 60_000, () => this.postStatus());
    return () => {
      this.stopped = true;
      for (const t of this.timers) t();
    };
  }

  async register(): Promise<void> {
    const want = { ...this.desired(), status: await this.measuredStatus() };
    try {
      await this.client.nodes.create(want);
      this.log(`node ${this.cfg.name}: registered`);
      return;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const cur = await this.client.nodes.get(this.cfg.name);
    await this.client.nodes.update({
      ...cur,
      metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, ...want.metadata.labels } },
      spec: { ...cur.spec, ...want.spec },
    });
    await this.postStatus();
  }

  async postStatus(): Promise<void> {
    await this.client.nodes.patch(this.cfg.name, { status: await this.measuredStatus() }, 'merge', {
      subresource: 'status',
    });
  }

  private async renewLease(): Promise<void> {
    const periodMs = this.cfg.renewIntervalMs ?? 10_000;
    const spec = {
      holderIdentity: this.cfg.name,
      leaseDurationSeconds: Math.round((periodMs * 4) / 1000),
      renewTime: microTime(this.clock.now()),
    };
    try {
      const cur = await this.client.leases.get(this.cfg.name, 'kube-node-lease');
      await this.client.leases.update({ ...cur, spec: { ...cur.spec, ...spec } });
    } catch (err) {
      if (isConflict(err)) return; // the next renewal wins
      if (!isNotFound(err)) throw err;
      const node = await this.client.nodes.get(this.cfg.name);
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: this.cfg.name,
          namespace: 'kube-node-lease',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.cfg.name, uid: node.metadata.uid! }],
        },
        spec,
      };
      await this.client.leases.create(lease, 'kube-node-lease');
    }
  }

  private loop(ms: number, fn: () => Promise<void>): void {
    const run = () => {
      if (this.stopped) return;
      fn()
        .catch((e) => this.log(`node ${this.cfg.name}: ${describeError(e)}`))
        .finally(() => {
          if (!this.stopped) this.timers.push(this.clock.setTimer(run, ms));
        });
    };
    this.timers.push(this.clock.setTimer(run, ms));
  }
}
