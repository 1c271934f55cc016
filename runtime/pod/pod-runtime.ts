// Pod sandboxes and containers on a node, the way a container runtime does it: a sandbox is a
// network namespace wired by the CNI plugins plus a pause process holding its own UTS/IPC
// namespaces; a container is a process joined to them. Every call is idempotent (check, then act),
// so `up` after a crash converges; the kubelet creates pods through the same calls.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerSpec } from '../../common/topology/types.js';
import type { HostDriver } from '../host/host-driver.js';
import type { PodRecord, ProcessRecord } from '../lab/lab-state.js';
import type { ImageResolver } from './images.js';
import { writeNetnsEtc } from '../lab/netns-etc.js';

export interface SandboxConfig {
  namespace: string;
  name: string;
  node: string;
  nodeNetns: string;
  netns: string;
  /** CNI config file of the node (network cbr0). */
  cniConf: string;
  /** 64 hex, like containerd's sandbox ids; host-local records it next to the IP. */
  containerId: string;
  ip?: string;
  mac?: string;
  nameserver: string;
  logDir: string;
}

interface CniResult {
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; interface?: number }[];
}

export interface SandboxHints {
  fresh?: boolean;
  nodeVeths?: Set<string>;
}

export class PodRuntime {
  /** Sandboxes started by this runtime into a namespace it had cleared: no strays to look for. */
  private readonly clean = new WeakSet<PodRecord>();

  constructor(
    private readonly driver: HostDriver,
    private readonly images: ImageResolver,
    private readonly pauseBinary: string,
    private readonly prefix: string,
  ) {}

  /**
   * Namespace + /etc/netns files + CNI ADD (unless already wired) + pause (unless alive).
   * `hints` let a caller that prepares many pods at once skip per-pod checks: `fresh` (it just
   * created the namespace itself) and `nodeVeths` (the node's cni0 ports, listed once).
   */
  async runSandbox(cfg: SandboxConfig, previous?: PodRecord, hints: SandboxHints = {}): Promise<PodRecord> {
    const rec: PodRecord = previous ?? {
      namespace: cfg.namespace,
      name: cfg.name,
      node: cfg.node,
      netns: cfg.netns,
      containerId: cfg.containerId,
      containers: {},
    };
    let fresh = hints.fresh;
    if (fresh === undefined) {
      const up = await this.driver.script('netns-up.sh', [this.prefix, cfg.netns]);
      fresh = (up.json.created as string[]).length > 0;
    }
    const ip = cfg.ip ?? rec.ip;
    await Promise.all([
      writeNetnsEtc(this.driver, cfg.netns, cfg.name, cfg.nameserver, ip),
      mkdir(cfg.logDir, { recursive: true }),
    ]);
    if (fresh || !(await this.wired(cfg, rec, ip, hints.nodeVeths))) await this.addNetwork(cfg, rec, ip);
    if (!rec.sandbox || !(await this.driver.alive([rec.sandbox]))[0]) {
      // Whatever still runs here was started by a run that crashed before recording it.
      if (!fresh) await this.driver.script('proc-stop.sh', ['--all-in', cfg.netns]);
      rec.sandbox = await this.start(cfg.netns, join(cfg.logDir, 'pause.log'), ['--sandbox', cfg.name], [this.pauseBinary]);
      rec.containers = {}; // containers joined the old pause's namespaces: they are restarted
      this.clean.add(rec);
    }
    return rec;
  }

  /**
   * Makes the pod's containers run: those recorded and alive are kept; if any must start, strays in
   * the sandbox (started by a crashed run, never recorded) are killed first so none runs twice.
   */
  async ensureContainers(pod: PodRecord, specs: ContainerSpec[], logDir: string): Promise<void> {
    const alive = await Promise.all(specs.map(async (c) => {
      const rec = pod.containers[c.name];
      return rec ? (await this.driver.alive([rec]))[0]! : false;
    }));
    if (alive.every(Boolean)) return;
    // A sandbox this runtime just started (after clearing its namespace) holds nothing else.
    if (!this.clean.has(pod)) {
      const keep = [pod.sandbox?.pid, ...specs.filter((_, i) => alive[i]).map((c) => pod.containers[c.name]!.pid)];
      await this.driver.script('proc-stop.sh', ['--all-in', pod.netns, ...keep.flatMap((p) => (p ? ['--except', String(p)] : []))]);
    }
    this.clean.delete(pod);
    for (const c of specs) await this.startContainer(pod, c, logDir);
  }

  /** Starts a container in the sandbox, unless the recorded one still runs. */
  async startContainer(pod: PodRecord, c: ContainerSpec, logDir: string): Promise<ProcessRecord> {
    const existing = pod.containers[c.name];
    if (existing && (await this.driver.alive([existing]))[0]) return existing;
    if (!pod.sandbox) throw new Error(`pod ${pod.namespace}/${pod.name} has no sandbox`);
    const env = (c.env ?? []).flatMap((e) => ['--env', `${e.name}=${e.value}`]);
    const rec = await this.start(pod.netns, join(logDir, `${c.name}.log`), ['--join', String(pod.sandbox.pid), ...env], this.images.argv(c));
    pod.containers[c.name] = rec;
    return rec;
  }

  async stopProcesses(procs: ProcessRecord[]): Promise<void> {
    if (procs.length === 0) return;
    await this.driver.script('proc-stop.sh', procs.map((p) => `${p.pid}:${p.startTime}`));
  }

  /** Stops containers, then pause. The sandbox's namespace and IP stay. */
  async stopSandbox(pod: PodRecord): Promise<void> {
    await this.stopProcesses(Object.values(pod.containers));
    await this.stopProcesses(pod.sandbox ? [pod.sandbox] : []);
    pod.containers = {};
    delete pod.sandbox;
  }

  /** Stops everything, then removes the namespace; with releaseIp the IPAM reservation too (CNI DEL). */
  async removeSandbox(pod: PodRecord, cniConf: string, nodeNetns: string, opts: { releaseIp: boolean }): Promise<void> {
    await this.stopSandbox(pod);
    if (opts.releaseIp) {
      await this.driver.script('cni.sh', ['DEL', nodeNetns, pod.netns, pod.containerId, 'eth0', 'bridge', cniConf]);
    }
    await this.driver.script('netns-down.sh', [pod.netns]);
  }

  private async wired(cfg: SandboxConfig, rec: PodRecord, ip: string | undefined, nodeVeths?: Set<string>): Promise<boolean> {
    // The node-side veth recorded from a completed ADD, still a port of cni0: the pod is wired.
    if (nodeVeths) return !!rec.hostVeth && nodeVeths.has(rec.hostVeth) && (!ip || rec.ip === ip);
    const r = await this.driver.exec(cfg.netns, ['ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0']);
    if (r.exitCode !== 0) return false;
    const addrs = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[]).flatMap((l) => l.addr_info ?? []);
    return addrs.length > 0 && (!ip || addrs.some((a) => a.local === ip));
  }

  private async addNetwork(cfg: SandboxConfig, rec: PodRecord, ip: string | undefined): Promise<void> {
    const cniArgs = ['IgnoreUnknown=1', ...(ip ? [`IP=${ip}`] : []), ...(cfg.mac ? [`MAC=${cfg.mac}`] : [])].join(';');
    const r = await this.driver.script('cni.sh', ['ADD', cfg.nodeNetns, cfg.netns, cfg.containerId, 'eth0', 'bridge', cfg.cniConf, cniArgs]);
    const result = r.json as CniResult;
    const ifaces = result.interfaces ?? [];
    const podIf = ifaces.find((i) => i.sandbox && i.name === 'eth0');
    const hostIf = ifaces.find((i) => !i.sandbox && i.name !== 'cni0');
    const addr = result.ips?.[0]?.address;
    if (addr) rec.ip = addr.split('/')[0];
    if (podIf?.mac) rec.mac = podIf.mac;
    if (hostIf) rec.hostVeth = hostIf.name;
  }

  private async start(netns: string, log: string, mode: string[], argv: string[]): Promise<ProcessRecord> {
    const r = await this.driver.script('proc-start.sh', [netns, log, ...mode, '--', ...argv]);
    return { pid: r.json.pid as number, startTime: r.json.startTime as number, netns, argv, log };
  }
}
