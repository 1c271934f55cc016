// The composition root of a running lab's cluster (`kubewire cluster`, started by `up`): the
// apiserver on the lab's store (127.0.0.1 only), the scheduler and the controller-manager (each
// campaigning for its Lease: in this process, or, when the topology asks for
// `controlPlane.replicas`, as that many processes of each, control-plane-replicas.ts), the add-ons
// (cluster-addons.ts) and per node its agents (node-agents.ts) — node registration, kubelet,
// flanneld, kube-proxy — each acting on its own node's namespace and talking only to the apiserver
// with its node's identity (system:node:<name>). One process keeps the machine's two cores for the pods.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeError } from '../../common/errors.js';
import { readStartTime } from '../../runtime/host/netns-driver.js';
import { LabCgroup } from '../../runtime/lab/lab-cgroup.js';
import { cliMain, netnsAddon } from '../../runtime/project-root.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { isNotFound } from '../client/api-errors.js';
import { ControllerManager } from '../controllers/controller-manager.js';
import { SchedulerServer } from '../scheduler/scheduler-server.js';
import type { NodeSpec, Topology } from '../../common/topology/types.js';
import { kubeletStopped, watchKubeletSwitches } from '../../runtime/lab/kubelet-switch.js';
import { LabNames } from '../../runtime/lab/lab-names.js';
import type { LabPaths } from '../../runtime/lab/lab-paths.js';
import { loadState, saveState, type LabState, type PodRecord } from '../../runtime/lab/lab-state.js';
import { ApiServer, DEFAULT_CONFIG } from '../apiserver/api-server.js';
import type { KubeletConnector } from '../apiserver/http/kubelet-proxy.js';
import { ensureLeafCert } from '../apiserver/leaf-certs.js';
import { openBackend } from '../apiserver/open-backend.js';
import type { Backend } from '../store/backend.js';
import { EtcdBackend } from '../store/etcd-backend.js';
import { clientUrl, ETCD_CLIENT_PORT, etcdStore } from '../../runtime/lab/etcd-members.js';
import { SystemClock, type Clock } from '../client/clock.js';
import { KubeClient } from '../client/kube-client.js';
import type { Disposer } from '../client/rest-client.js';
import type { ControllerSettings } from '../controllers/registry.js';
import { ApiserverRelay, publishKubernetesEndpoints } from './apiserver-relay.js';
import type { CloudLoadBalancer } from './cloud/cloud-load-balancer.js';
import { startCloudLoadBalancer, startClusterDns, startIngressController } from './cluster-addons.js';
import {
  CONTROL_PLANE_STATUS_FILE,
  ControlPlaneReplicas,
  type ControlPlaneComponent,
} from './control-plane-replicas.js';
import { clusterDnsConfig, type ClusterDnsConfig } from './dns/cluster-dns-config.js';
import { labDialer, type NodePort } from './kubelet-server/node-port.js';
import { nodePortOf, startNodeAgents, type NodeAgents, type NodeHost } from './node-agents.js';
import { publishKubeProxyConfig } from './proxy/kube-proxy-configmap.js';
import { createTopologyObjects } from './topology-objects.js';

/** Nodes started at once: enough to overlap their helpers' waits, few enough for 2 cores. */
const NODE_START_CONCURRENCY = 4;

export interface ClusterDaemonOptions extends NodeHost {
  /** 127.0.0.1:<port> (6443 by default; 0 picks a free one: tests). */
  apiserverPort: number;
  /** When apiserverPort is taken, listen on a free port instead of failing. */
  anyPortIfBusy?: boolean;
  clock?: Clock;
  /** Controller knobs (tests shorten the node monitor grace period). */
  controllerSettings?: ControllerSettings;
  /** How to run `kubewire` for control-plane replicas (default: this node, dist/cli/main.js). */
  kubewireCommand?: string[];
}

export class ClusterDaemon {
  readonly clock: Clock;
  apiserver!: ApiServer;
  client!: KubeClient;
  readonly agents = new Map<string, NodeAgents>();
  cloudLB: CloudLoadBalancer | undefined;
  /** The scheduler and controller-manager processes (topology `controlPlane.replicas` > 0). */
  controlPlane: ControlPlaneReplicas | undefined;
  private state!: LabState;
  private caPem!: Buffer;
  private readonly stops: (Disposer | (() => Promise<void>))[] = [];
  private topo!: Topology;
  private names!: LabNames;
  private stateWrites: Promise<void> = Promise.resolve();

  constructor(private readonly o: ClusterDaemonOptions) {
    this.clock = o.clock ?? new SystemClock();
  }

  /**
   * The apiserver's store: the topology's etcd cluster (each member dialled from inside its own
   * namespace, runtime/lab/etcd-members.ts started it) or the SQLite revision log in the lab's folder.
   */
  private openStore(): Backend {
    const store = etcdStore(this.topo);
    if (!store) return openBackend(join(this.o.paths.dir, 'store.db'));
    this.o.log(`apiserver store: etcd ${store.members.map((m) => `${m.name}=${clientUrl(m)}`).join(', ')}`);
    return new EtcdBackend({
      endpoints: store.members.map((m) => ({
        host: m.address,
        port: ETCD_CLIENT_PORT,
        netns: join('/run/netns', this.names.etcd(m.name)),
      })),
      netnsAddon: netnsAddon(),
      // The first calls wait for a cluster that `up` found healthy; a failover takes an election.
      retryForMs: 60_000,
      // A call a follower forwarded to a leader that just died waits for etcd's own timeout (5 s +
      // two election timeouts); 2 s ends it sooner and the gateway tries the next member (a
      // create or update that was applied after all is recognised, etcd-ops.ts).
      requestTimeoutMs: 2000,
      log: this.o.log,
    });
  }

  get dns(): ClusterDnsConfig {
    return clusterDnsConfig(this.topo);
  }

  async start(): Promise<void> {
    const state = await loadState(this.o.paths.state);
    if (!state) throw new Error(`lab ${this.o.paths.lab} has no state (${this.o.paths.state}): run up first`);
    this.topo = state.topology;
    this.names = new LabNames(state.prefix);
    const backend = this.openStore();
    this.stops.push(() => backend.close());
    // The apiserver reaches kubelets only through the nodes' port 10250 (its client certificate is
    // issued once the CA exists, right after start).
    const connector: KubeletConnector = {
      dial: labDialer(() => this.relayNodes()),
      tls: { ca: Buffer.alloc(0), cert: Buffer.alloc(0), key: Buffer.alloc(0) },
    };
    const make = (port: number) =>
      new ApiServer({
        backend,
        config: {
          ...DEFAULT_CONFIG,
          stateDir: join(this.o.paths.dir, 'apiserver'),
          listen: [{ host: '127.0.0.1', port }],
          serviceCidr: this.topo.serviceNetwork,
        },
        kubelet: connector,
        log: this.o.log,
      });
    this.apiserver = make(this.o.apiserverPort);
    try {
      this.stops.push(await this.apiserver.start());
    } catch (err) {
      // Another lab (or test) holds the port: any free one; cluster.json and the kubeconfig say which.
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !this.o.anyPortIfBusy) throw err;
      this.o.log(`127.0.0.1:${this.o.apiserverPort} is in use; the apiserver takes a free port`);
      this.apiserver = make(0);
      this.stops.push(await this.apiserver.start());
    }
    const ca = readFileSync(this.apiserver.caPath);
    const stateDir = join(this.o.paths.dir, 'apiserver');
    const client = await ensureLeafCert(stateDir, {
      dir: stateDir,
      name: 'apiserver-kubelet-client',
      commonName: 'kube-apiserver-kubelet-client',
      organizations: ['system:masters'],
      usage: 'client',
    });
    connector.tls = { ca: client.ca, cert: client.cert, key: client.key };
    this.client = new KubeClient({
      server: this.apiserver.url,
      ca,
      token: this.apiserver.adminToken,
      userAgent: 'kube-controller-manager',
    });
    const relay = new ApiserverRelay(
      this.o.driver,
      join(this.o.paths.dir, 'apiserver.sock'),
      this.apiserver.addresses[0]!.port,
      this.o.log,
    );
    await relay.start(
      this.topo.nodes.map((n) => ({ netns: this.names.node(n.name), address: n.address })),
      (ns) => join(this.o.paths.logs, `${ns}-apiserver-relay.log`),
    );
    this.stops.push(() => relay.stop());
    await publishKubernetesEndpoints(
      this.client,
      this.topo.nodes.map((n) => n.address),
    );
    const controlPlane = await startControlPlane({
      ...this.o,
      apiserver: this.apiserver,
      client: this.client,
      clock: this.clock,
      prefix: state.prefix,
      replicas: this.topo.controlPlane?.replicas ?? 0,
    });
    this.controlPlane = controlPlane.replicas;
    this.stops.push(() => controlPlane.stop());
    const addons = { ...this.o, client: this.client, clock: this.clock };
    this.stops.push(await startClusterDns(addons, this.dns));
    const lb = startCloudLoadBalancer(addons, this.names.gateway);
    this.cloudLB = lb.cloudLB;
    this.stops.push(lb.stop);
    this.stops.push(await startIngressController(addons));
    await publishKubeProxyConfig(
      this.client,
      this.topo.podNetwork,
      this.topo.kubeProxy ?? { mode: 'iptables', rules: 'current' },
    );
    const created = await createTopologyObjects(this.client, this.topo.objects ?? []);
    if (created.length) this.o.log(`created from the topology: ${created.join(', ')}`);
    this.state = state;
    this.caPem = ca;
    // Ready means the agents are up, not that every pod runs: the nodes start a few at a time (their
    // start is mostly waiting on helpers), and their kubelets start pods only once all agents are
    // up, so 200 pods' containers do not starve the node starts of the lab's CPU.
    const startPods: (() => void)[] = [];
    const nodes = this.topo.nodes.filter((n) => !kubeletStopped(this.o.paths.node(n.name)));
    const queue = [...nodes];
    await Promise.all(
      Array.from({ length: Math.min(NODE_START_CONCURRENCY, queue.length) }, async () => {
        for (let node = queue.shift(); node; node = queue.shift())
          startPods.push(await this.startNode(node, state, ca, true));
      }),
    );
    for (const start of startPods) start();
    this.stops.push(
      watchKubeletSwitches(
        this.topo.nodes.map((n) => n.name),
        (n) => this.o.paths.node(n),
        (n) => this.agents.has(n),
        async (n, stop) => {
          if (stop) this.stopNode(n);
          else await this.resumeNode(n);
        },
        this.o.log,
      ),
    );
  }

  private relayNodes(): NodePort[] {
    return this.topo.nodes.map((n) => nodePortOf(this.names, n));
  }

  /** Starts a stopped node's agents again (`kubewire node start`): the node turns Ready. */
  async resumeNode(name: string): Promise<void> {
    const node = this.topo.nodes.find((n) => n.name === name);
    if (!node || this.agents.has(name)) return;
    await this.startNode(node, this.state, this.caPem);
  }

  async stop(): Promise<void> {
    for (const a of this.agents.values()) a.stop();
    this.agents.clear();
    for (const s of this.stops.splice(0).reverse()) await s();
  }

  /** Stops one node's agents (the node goes NotReady once its lease expires); its pods keep running. */
  stopNode(name: string): void {
    const a = this.agents.get(name);
    if (!a) return;
    a.stop();
    this.agents.delete(name);
  }

  /** Starts the node's agents; with `deferPods`, its kubelet syncs pods only once the returned function runs. */
  private async startNode(node: NodeSpec, state: LabState, ca: Buffer, deferPods = false): Promise<() => void> {
    const { agents, startKubelet } = await startNodeAgents(
      {
        ...this.o,
        clock: this.clock,
        topo: this.topo,
        names: this.names,
        dns: this.dns,
        state,
        nodeClient: (n) =>
          new KubeClient({
            server: this.apiserver.url,
            ca,
            token: this.apiserver.issueNodeToken(n.name),
            userAgent: `kubelet/${n.name}`,
          }),
        kubeletServingCert: (n) =>
          ensureLeafCert(join(this.o.paths.dir, 'apiserver'), {
            dir: join(this.o.paths.node(n.name), 'kubelet', 'pki'),
            name: 'kubelet',
            commonName: `system:node:${n.name}`,
            organizations: ['system:nodes'],
            usage: 'server',
            sans: [`IP:${n.address}`, `DNS:${n.name}`],
          }),
        onStop: (stop) => void this.stops.push(stop),
        saveStaticRecord: (key, rec) => this.saveStaticRecord(key, rec),
        isCurrent: (kubelet) => this.agents.get(node.name)?.kubelet === kubelet,
      },
      node,
    );
    this.agents.set(node.name, agents);
    if (!deferPods) startKubelet();
    return startKubelet;
  }

  /** The topology's pods stay recorded in state.json, where up/down/reset look for them. */
  private saveStaticRecord(key: string, rec: PodRecord | undefined): Promise<void> {
    // One failed write must not poison the chain: every later record would be lost silently.
    this.stateWrites = this.stateWrites
      .catch(() => undefined)
      .then(async () => {
        const s = await loadState(this.o.paths.state);
        if (!s) return;
        if (rec) s.pods[key] = rec;
        else delete s.pods[key];
        await saveState(this.o.paths.state, s);
      });
    return this.stateWrites;
  }
}

interface ControlPlaneContext {
  apiserver: ApiServer;
  /** The admin client. */
  client: KubeClient;
  clock: Clock;
  paths: LabPaths;
  /** The lab's prefix (its cgroup marks the replicas). */
  prefix: string;
  /** Processes of each component; 0 runs both in this process. */
  replicas: number;
  controllerSettings?: ControllerSettings;
  /** How to run `kubewire` for control-plane replicas (default: this node, dist/cli/main.js). */
  kubewireCommand?: string[];
  log(line: string): void;
}

interface StartedControlPlane {
  /** The replica processes' supervisor (none when both run in this process). */
  replicas?: ControlPlaneReplicas;
  stop(): Promise<void>;
}

/** The scheduler and controller manager: in this process, or as `replicas` processes of each. */
async function startControlPlane(c: ControlPlaneContext): Promise<StartedControlPlane> {
  if (c.replicas > 0) return startReplicas(c);
  const scheduler = startScheduler(c);
  const cm = new ControllerManager({
    client: c.client,
    clock: c.clock,
    settings: {
      ...c.controllerSettings,
      rootCa: readFileSync(c.apiserver.caPath).toString(),
      signer: { certFile: c.apiserver.caPath, keyFile: join(dirname(c.apiserver.caPath), 'ca.key') },
    },
    onError: (e, ctx) => c.log(`controller-manager: ${ctx}: ${describeError(e)}`),
    log: c.log,
  });
  cm.start();
  return {
    stop: async () => {
      await cm.stop(); // hands the lease back, so the next daemon leads at once
      await scheduler.stop();
    },
  };
}

function startScheduler(c: ControlPlaneContext): SchedulerServer {
  // The one scheduler path (tests and bench run the same SchedulerServer): it campaigns for the
  // kube-system/kube-scheduler Lease and schedules, over its own informers, only while it leads.
  const scheduler = new SchedulerServer({
    client: c.client,
    clock: c.clock,
    identity: `kubewire-scheduler_${process.pid}`,
    leaderElection: {},
    onError: (e, ctx) => c.log(`scheduler: ${ctx}: ${describeError(e)}`),
  });
  scheduler.start();
  return scheduler;
}

/**
 * The scheduler and controller manager as `replicas` processes each, electing their leaders
 * through their Leases; each gets a kubeconfig of its own user (system:kube-scheduler,
 * system:kube-controller-manager) next to the admin's.
 */
async function startReplicas(c: ControlPlaneContext): Promise<StartedControlPlane> {
  const dir = join(c.paths.dir, 'apiserver');
  const caPem = readFileSync(c.apiserver.caPath);
  const kubeconfig = (component: ControlPlaneComponent): string => {
    const path = join(dir, `${component}.kubeconfig`);
    const user = `system:${component}`;
    // kube binds these users to roles of their own (system:kube-scheduler, ...); kubewire's RBAC
    // bootstrap has no such roles yet, so they are members of system:masters.
    const token = c.apiserver.issueToken({ name: user, uid: user, groups: ['system:masters'] });
    writeKubeconfig(path, { server: c.apiserver.url, caPem, user, token });
    return path;
  };
  const cs = c.controllerSettings ?? {};
  const cmArgs = [
    '--kubeconfig',
    kubeconfig('kube-controller-manager'),
    '--root-ca-file',
    c.apiserver.caPath,
    '--cluster-signing-cert-file',
    c.apiserver.caPath,
    '--cluster-signing-key-file',
    join(dirname(c.apiserver.caPath), 'ca.key'),
    ...(cs.loadBalancerPool ?? []).flatMap((p) => ['--lb-pool', p]),
    ...(cs.nodeLifecycle?.gracePeriodMs !== undefined
      ? ['--node-monitor-grace-period', String(cs.nodeLifecycle.gracePeriodMs)]
      : []),
    ...(cs.nodeLifecycle?.monitorPeriodMs !== undefined
      ? ['--node-monitor-period', String(cs.nodeLifecycle.monitorPeriodMs)]
      : []),
  ];
  const cgroup = LabCgroup.of(c.prefix);
  const cp = new ControlPlaneReplicas({
    command: c.kubewireCommand ?? [process.execPath, cliMain()],
    replicas: c.replicas,
    args: { 'kube-scheduler': ['--kubeconfig', kubeconfig('kube-scheduler')], 'kube-controller-manager': cmArgs },
    logDir: c.paths.logs,
    statusFile: join(c.paths.dir, CONTROL_PLANE_STATUS_FILE),
    lease: (name) =>
      c.client.leases.get(name, 'kube-system').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e))),
    mark: (pid) => cgroup.join('cluster', pid),
    startTime: readStartTime,
    clock: c.clock,
    log: c.log,
  });
  await cp.start();
  return { replicas: cp, stop: () => cp.stop() };
}
