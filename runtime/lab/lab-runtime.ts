// Builds a topology on real kernel objects (`up`), stops it keeping its state (`down`) and removes
// everything it made (`reset`). `up` is check-then-act all the way down, so running it again, or
// after a kill -9 in the middle of a previous run, converges to the same lab.
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EtcdMemberSpec, Topology } from '../../common/topology/types.js';
import { mapLimit, PhaseTimer, type PhaseEvent } from '../concurrency.js';
import type { HostDriver } from '../host/host-driver.js';
import { attachNode, deployNodeNetwork, writeNodeFiles } from '../network/node-network.js';
import { deployGateway, deployUnderlaySwitch, attachToUnderlay, nodeNetLength } from '../network/cloud.js';
import { vtepMacFor } from '../network/flannel-config.js';
import { takeHostSnapshot } from './host-snapshot.js';
import { ConvergingDriver } from './converging-driver.js';
import { readLabKernelState } from '../kernel/lab-kernel-state.js';
import { LabCgroup, trackingHierarchy, type CgroupHierarchy } from './lab-cgroup.js';
import { unmountLab } from './lab-mounts.js';
import { LabOwners } from './lab-owners.js';
import { LabNames } from './lab-names.js';
import { ensureLabRegistry } from './lab-registry-process.js';
import type { LabPaths } from './lab-paths.js';
import { loadState, podKey, saveState, type LabState, type ProcessRecord } from './lab-state.js';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { ensureEtcdMembers, etcdStore } from './etcd-members.js';

const etcdMembers = (topo: Topology): EtcdMemberSpec[] => etcdStore(topo)?.members ?? [];

export interface LabRuntimeOptions {
  /** The compiled internet-server.js. */
  internetServer: string;
  /** How many nodes/pods are brought up at once. */
  concurrency?: number;
  /** Where lab marks live (default: the host's tracking hierarchy, runtime/lab/lab-cgroup.ts). */
  cgroupHierarchy?: CgroupHierarchy;
  owners?: LabOwners;
}

export interface UpReport {
  phases: { name: string; ms: number }[];
  /** Helper calls answered from the kernel's state (nothing to change), by script. */
  converged: Record<string, number>;
  totalMs: number;
  state: LabState;
}

export interface ResetReport {
  namespaces: string[];
  /** Processes found by the lab's mark (its cgroup) and killed. */
  processes: number[];
  mounts: string[];
  cgroups: string[];
}

/** netns-down.sh gets at most this many namespaces per call, each call this long. */
const RESET_CHUNK = 2000;
const RESET_SCRIPT_TIMEOUT_MS = 300_000;

export class LabRuntime {
  private saving: Promise<void> = Promise.resolve();
  private readonly hierarchy: CgroupHierarchy;
  private readonly owners: LabOwners;

  constructor(
    private readonly driver: HostDriver,
    private readonly paths: LabPaths,
    private readonly opts: LabRuntimeOptions,
  ) {
    this.hierarchy = opts.cgroupHierarchy ?? trackingHierarchy();
    this.owners = opts.owners ?? new LabOwners();
  }

  async up(topo: Topology, opts: { onPhase?: (e: PhaseEvent) => void } = {}): Promise<UpReport> {
    const timer = new PhaseTimer(opts.onPhase);
    const names = new LabNames(topo.prefix);
    const limit = this.opts.concurrency ?? 4;
    const previous = await loadState(this.paths.state);
    if (previous && previous.prefix !== topo.prefix) {
      throw new Error(
        `lab ${topo.name} is already built with prefix ${previous.prefix}; run reset first to use ${topo.prefix}`,
      );
    }
    const state = this.initialState(topo, names, previous);
    let driver: HostDriver = this.driver;
    let converging: ConvergingDriver | undefined;
    await timer.run('prepare', async () => {
      // A previous `up` that never finished may have been killed: its orphaned helpers finish first.
      if (previous?.phase === 'building') await this.driver.settle(topo.prefix);
      // The state base holds every lab's store (Secrets) and keys: 0700, also when an older kubewire made it 0755.
      await mkdir(this.paths.base, { recursive: true, mode: 0o700 });
      await chmod(this.paths.base, 0o700);
      if (!existsSync(this.paths.hostSnapshot)) {
        // The reference doctor compares against: the host before this machine's first lab.
        const snap = await takeHostSnapshot(this.driver);
        await writeFile(this.paths.hostSnapshot, JSON.stringify(snap) + '\n', { mode: 0o600 });
      }
      await mkdir(this.paths.logs, { recursive: true });
      await this.save(state);
      // Before any process starts: the mark's owner, so doctor can tell this lab's processes from orphans.
      this.owners.register({ prefix: topo.prefix, lab: topo.name, stateFile: this.paths.state });
      // What already stands, read once in this process (rtnetlink): helpers with nothing to do are
      // not started, so a second `up` of a built lab is close to free.
      if (this.driver.kind === 'netns' && previous) {
        const kernel = await readLabKernelState(this.expectedNamespaces(topo, names));
        if (kernel.size > 0) driver = converging = new ConvergingDriver(this.driver, kernel);
      }
    });

    // Namespaces this `up` created: no run before it can have left a process inside one.
    const created = new Set<string>();
    await timer.run('namespaces', async () => {
      const routers = [...topo.nodes.map((n) => names.node(n.name)), names.gateway];
      const others = [
        names.underlay,
        names.internet,
        names.registry,
        ...topo.nodes.filter((n) => n.bridge?.host).map((n) => names.dockerHost(n.name)),
        ...etcdMembers(topo).map((m) => names.etcd(m.name)),
      ];
      const made = await Promise.all([
        driver.script('netns-up.sh', [topo.prefix, '--forward', ...routers]),
        driver.script('netns-up.sh', [topo.prefix, ...others]),
      ]);
      for (const r of made) for (const ns of (r.json.created as string[] | undefined) ?? []) created.add(ns);
    });

    // Pods need only their node's namespace and CNI config, not its underlay or VXLAN: both
    // branches run side by side (their phase times overlap).
    const network = async () => {
      await timer.run('underlay', async () => {
        await deployUnderlaySwitch(driver, names);
        const len = nodeNetLength(topo);
        await mapLimit([undefined, ...topo.nodes], limit, (n) =>
          n
            ? attachNode(driver, names, topo, n)
            : attachToUnderlay(driver, names, names.gateway, 'gateway', `${topo.gateway.address}/${len}`),
        );
        // The store's members: on the node network only (no default route: they talk to each other
        // and to the apiserver, which dials them from inside their namespaces).
        for (const m of etcdMembers(topo))
          await attachToUnderlay(driver, names, names.etcd(m.name), m.name, `${m.address}/${len}`);
      });
      if (etcdMembers(topo).length)
        await timer.run('etcd', () =>
          ensureEtcdMembers(this.driver, this.paths, names, topo, state, () => this.save(state)),
        );
      await timer.run('nodes+cloud', async () => {
        await Promise.all([
          (async () => {
            await deployGateway(driver, names, topo);
            await this.startInternet(topo, names, state, created.has(names.internet));
          })(),
          mapLimit(topo.nodes, limit, (n) => deployNodeNetwork(driver, names, topo, n)),
        ]);
      });
    };
    // Pods are the kubelets' (the topology's pods are their static pods): `up` only writes each
    // node's CNI config and subnet.env, which the kubelet's CNI calls read.
    const nodeFiles = () =>
      timer.run('node files', () => mapLimit(topo.nodes, limit, (n) => writeNodeFiles(driver, this.paths, topo, n)));
    // The lab's image registry (the nodes' pull mirror) needs only its namespace; its processes
    // are started for real (this.driver), whatever the kernel already shows.
    const registry = () =>
      timer.run('registry', () =>
        ensureLabRegistry(this.driver, this.paths, names, state, { fresh: created.has(names.registry) }),
      );
    await Promise.all([network(), nodeFiles(), registry()]);
    await timer.run('prune', () => this.prune(topo, names, state));
    state.phase = 'up';
    await this.save(state);
    return { phases: timer.phases, converged: converging?.skipped ?? {}, totalMs: timer.totalMs, state };
  }

  /** Stops the lab's processes and removes its namespaces; state (IPs, IPAM files) stays. */
  async down(): Promise<LabState | undefined> {
    const state = await loadState(this.paths.state);
    if (!state) return undefined;
    await this.stopAll(state);
    await this.cgroup(state.prefix).kill(); // what no record names: a step's, a terminal's, a crashed helper's
    // Node containers (and every pod in them), then the pods' namespaces the kubelets made.
    await this.driver.script('node-sweep.sh', [state.prefix]);
    await this.removeNamespaces(state.namespaces);
    await this.driver.script('sweep.sh', [state.prefix]);
    state.phase = 'down';
    await this.save(state);
    return state;
  }

  /**
   * Removes every process, namespace, mount, cgroup and file the lab made: processes by the lab's
   * cgroup (the mark survives any crash of whoever started them), namespaces from state.json and
   * by a sweep of their marks, then the lab's mounts, its cgroup tree and its state folder.
   */
  async reset(prefix: string): Promise<ResetReport> {
    const state = await loadState(this.paths.state).catch(() => undefined);
    const removed = new Set<string>();
    const prefixes = [...new Set([prefix, ...(state ? [state.prefix] : [])])];
    if (state) await this.stopAll(state).catch(() => undefined); // graceful first; the cgroup kill ends the rest
    const killed: number[] = [];
    const cgroups: string[] = [];
    // Every process of the lab's cgroup tree, node containers' inits and pods included (their PID
    // and mount namespaces go with them); node-sweep.sh then clears the node marks.
    for (const p of prefixes) killed.push(...(await this.cgroup(p).kill()));
    for (const p of prefixes) await this.driver.script('node-sweep.sh', [p]);
    if (state) for (const ns of await this.removeNamespaces(state.namespaces)) removed.add(ns);
    for (const p of prefixes) {
      const r = await this.driver.script('sweep.sh', [p], { timeoutMs: RESET_SCRIPT_TIMEOUT_MS });
      for (const ns of r.json.namespaces as string[]) removed.add(ns);
    }
    // After the namespaces: their pins are the sweep's (it finds the processes inside by them).
    const mounts: string[] = [];
    for (const p of prefixes) mounts.push(...(await unmountLab(p, this.paths.dir)));
    for (const p of prefixes) {
      killed.push(...(await this.cgroup(p).kill())); // anything a dying helper started meanwhile
      cgroups.push(...this.cgroup(p).remove());
      this.owners.remove(p);
    }
    await rm(this.paths.dir, { recursive: true, force: true });
    return { namespaces: [...removed], processes: [...new Set(killed)], mounts, cgroups };
  }

  /**
   * netns-down.sh in chunks (each one `ip -batch`), so a reset of thousands of namespaces neither
   * builds a huge argv nor lets one slow chunk's timeout abort the rest: a failed chunk is left to
   * the sweep that follows.
   */
  private async removeNamespaces(namespaces: string[]): Promise<string[]> {
    const removed: string[] = [];
    for (let i = 0; i < namespaces.length; i += RESET_CHUNK) {
      const chunk = namespaces.slice(i, i + RESET_CHUNK);
      const r = await this.driver
        .script('netns-down.sh', chunk, { timeoutMs: RESET_SCRIPT_TIMEOUT_MS })
        .catch(() => undefined);
      if (r) removed.push(...(r.json.removed as string[]));
    }
    return removed;
  }

  private cgroup(prefix: string): LabCgroup {
    return new LabCgroup(this.hierarchy, prefix);
  }

  private initialState(topo: Topology, names: LabNames, previous: LabState | undefined): LabState {
    const namespaces = this.expectedNamespaces(topo, names);
    return {
      version: 1,
      lab: topo.name,
      prefix: topo.prefix,
      topologyFile: topo.file,
      topology: topo,
      namespaces: [...new Set([...(previous?.namespaces ?? []), ...namespaces])],
      vtepMACs: Object.fromEntries(topo.nodes.map((n) => [n.name, vtepMacFor(topo, n)])),
      pods: previous?.pods ?? {},
      processes: previous?.processes ?? {},
      phase: 'building',
      updatedAt: '',
    };
  }

  /**
   * What an earlier `up` of this lab made but the topology no longer has (a pod or node taken out
   * of the file): its processes stop, its address is released, its namespace goes.
   */
  private async prune(topo: Topology, names: LabNames, state: LabState): Promise<void> {
    // A pod taken out of the topology is no longer a static pod: its kubelet stops it.
    const wanted = new Set(topo.nodes.flatMap((n) => n.pods.map((p) => podKey(p.namespace, p.name))));
    for (const key of Object.keys(state.pods)) if (!wanted.has(key)) delete state.pods[key];
    const expected = new Set(this.expectedNamespaces(topo, names));
    const stale = state.namespaces.filter((ns) => !expected.has(ns));
    if (stale.length) await this.driver.script('netns-down.sh', stale);
    state.namespaces = state.namespaces.filter((ns) => expected.has(ns));
    const nodeDirs = await readdir(join(this.paths.dir, 'nodes')).catch(() => [] as string[]);
    for (const d of nodeDirs) {
      if (!topo.nodes.some((n) => n.name === d)) await rm(this.paths.node(d), { recursive: true, force: true });
    }
    await this.save(state);
  }

  private expectedNamespaces(topo: Topology, names: LabNames): string[] {
    return [
      names.underlay,
      names.gateway,
      names.internet,
      names.registry,
      ...topo.nodes.map((n) => names.node(n.name)),
      ...topo.nodes.filter((n) => n.bridge?.host).map((n) => names.dockerHost(n.name)),
      ...etcdMembers(topo).map((m) => names.etcd(m.name)),
    ];
  }

  private async startInternet(topo: Topology, names: LabNames, state: LabState, fresh: boolean): Promise<void> {
    // Processes are never "converged": they go through the real driver.
    const existing = state.processes.internet;
    if (existing && (await this.driver.alive([existing]))[0]) return;
    // Strays of a crashed run; a namespace this `up` created has none (the check reads every
    // process's /proc/<pid>/ns/net: ~10 ms of CPU at 600 processes).
    if (!fresh) await this.driver.script('proc-stop.sh', ['--all-in', names.internet]);
    const config = join(this.paths.dir, 'internet.json');
    await this.driver.writeFile(config, JSON.stringify({ dns: topo.internet.dns, hosts: topo.internet.hosts }) + '\n');
    const log = join(this.paths.logs, 'internet.log');
    const argv = [process.execPath, this.opts.internetServer, config];
    const r = await this.driver.script('proc-start.sh', [names.internet, log, '--', ...argv]);
    state.processes.internet = {
      pid: r.json.pid as number,
      startTime: r.json.startTime as number,
      netns: names.internet,
      argv,
      log,
    };
    await this.save(state);
  }

  /** Saves are serialized: pods finish concurrently and each records itself as soon as it runs. */
  private save(state: LabState): Promise<void> {
    this.saving = this.saving.catch(() => undefined).then(() => saveState(this.paths.state, state));
    return this.saving;
  }

  private async stopAll(state: LabState): Promise<void> {
    const procs: ProcessRecord[] = [
      ...Object.values(state.pods).flatMap((p) => Object.values(p.containers)),
      ...Object.values(state.processes),
    ];
    if (procs.length)
      await this.driver.script(
        'proc-stop.sh',
        procs.map((p) => `${p.pid}:${p.startTime}`),
      );
    for (const p of Object.values(state.pods)) {
      p.containers = {};
      delete p.sandbox;
    }
    state.processes = {};
  }
}
