// The composition root of a running lab's cluster (`kubewire cluster`, started by `up`): the
// apiserver on the lab's store (127.0.0.1 only), the scheduler and the controller-manager (each
// campaigning for its Lease: in this process, or, when the topology asks for
// `controlPlane.replicas`, as that many processes of each, control-plane-replicas.ts), and per node its agents — node registration, kubelet, flanneld,
// kube-proxy — each acting on its own node's namespace and talking only to the apiserver with its
// node's identity (system:node:<name>). One process keeps the machine's two cores for the pods.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment, KubeObject, Pod, Service } from '../../common/api-types.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlreadyExists, isNotFound } from '../client/api-errors.js';
import type { ResourceClient } from '../client/resource-client.js';
import { ApiserverRelay, publishKubernetesEndpoints } from './apiserver-relay.js';
import { IngressController } from './ingress/ingress-controller.js';
import { createTopologyObjects } from './topology-objects.js';
import { publishKubeProxyConfig } from './proxy/kube-proxy-configmap.js';
import { CloudLoadBalancer } from './cloud/cloud-load-balancer.js';
import { DnsRecordsWriter } from './dns/dns-records.js';
import { describeError } from '../../common/errors.js';
import type { NodeSpec, Topology } from '../../common/topology/types.js';
import type { HostDriver } from '../../runtime/host/host-driver.js';
import { LabNames } from '../../runtime/lab/lab-names.js';
import type { LabPaths } from '../../runtime/lab/lab-paths.js';
import { loadState, podKey, saveState, type LabState, type PodRecord } from '../../runtime/lab/lab-state.js';
import { vtepMacFor } from '../../runtime/network/flannel-config.js';
import { VXLAN_DEV } from '../../runtime/network/node-network.js';
import type { ImageService } from '../../runtime/images/image-service.js';
import { nodeRuntime, type NodeRuntime } from './node/node-runtime.js';
import { systemPodSpec } from './system-pod.js';
import { ApiServer, DEFAULT_CONFIG } from '../apiserver/api-server.js';
import { openBackend } from '../apiserver/open-backend.js';
import type { Backend } from '../store/backend.js';
import { EtcdBackend } from '../store/etcd-backend.js';
import { clientUrl, ETCD_CLIENT_PORT, etcdStore } from '../../runtime/lab/etcd-members.js';
import { SystemClock, type Clock } from '../client/clock.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { KubeClient } from '../client/kube-client.js';
import type { Disposer } from '../client/rest-client.js';
import { ControllerManager } from '../controllers/controller-manager.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { LabCgroup } from '../../runtime/lab/lab-cgroup.js';
import { readStartTime } from '../../runtime/host/netns-driver.js';
import { cliMain, netnsAddon } from '../../runtime/project-root.js';
import { ControlPlaneReplicas, type ControlPlaneComponent } from './control-plane-replicas.js';
import type { ControllerSettings } from '../controllers/registry.js';
import { HostDriverConntrackCleaner } from '../proxy/conntrack-cleanup.js';
import { HostDriverIptablesRestorer } from '../proxy/netns-iptables-restorer.js';
import { makeProxyBackend } from '../proxy/make-proxy-backend.js';
import { HostDriverNftApplier } from '../proxy/nftables/nft-applier.js';
import { SchedulerServer } from '../scheduler/scheduler-server.js';
import { Flanneld } from './flannel/flanneld.js';
import { Kubelet, MIRROR_ANNOTATION } from './kubelet/kubelet.js';
import { KubeletRecords } from './kubelet/kubelet-records.js';
import { NodeAgent } from './node/node-agent.js';
import { startKubeletServer, type KubeletServing } from './kubelet-server/kubelet-serving.js';
import { kubeletListenFd, labDialer, type NodePort } from './kubelet-server/node-port.js';
import { ensureLeafCert } from '../apiserver/leaf-certs.js';
import { kubeletStopped, watchKubeletSwitches } from '../../runtime/lab/kubelet-switch.js';
import type { KubeletConnector } from '../apiserver/http/kubelet-proxy.js';
import { KubeProxyAgent } from './proxy/kube-proxy-agent.js';
import { clusterDnsIP, clusterDnsResolvConf, type ClusterDnsConfig } from './dns/cluster-dns-config.js';

/** Nodes started at once: enough to overlap their helpers' waits, few enough for 2 cores. */
const NODE_START_CONCURRENCY = 4;

export interface ClusterDaemonOptions {
  paths: LabPaths;
  driver: HostDriver;
  images: ImageService;
  pauseBinary: string;
  /** native/node-init: the init of each node container. */
  nodeInitBinary: string;
  scriptsDir: string;
  /** 127.0.0.1:<port> (6443 by default; 0 picks a free one: tests). */
  apiserverPort: number;
  /** When apiserverPort is taken, listen on a free port instead of failing. */
  anyPortIfBusy?: boolean;
  clock?: Clock;
  /** Controller knobs (tests shorten the node monitor grace period). */
  controllerSettings?: ControllerSettings;
  /** Node lease renewal (10 s by default; tests shorten it). */
  nodeRenewMs?: number;
  /** How to run `kubewire` for control-plane replicas (default: this node, dist/cli/main.js). */
  kubewireCommand?: string[];
  log(line: string): void;
}

export interface NodeAgents {
  node: NodeSpec;
  netns: string;
  kubelet: Kubelet;
  flanneld: Flanneld;
  proxy: KubeProxyAgent;
  runtime: NodeRuntime;
  stop: Disposer;
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
    const replicas = this.topo.controlPlane?.replicas ?? 0;
    if (replicas > 0) await this.startControlPlaneReplicas(replicas, state.prefix);
    else {
      this.startScheduler();
      const cm = new ControllerManager({
        client: this.client,
        clock: this.clock,
        settings: {
          ...this.o.controllerSettings,
          rootCa: ca.toString(),
          signer: { certFile: this.apiserver.caPath, keyFile: join(dirname(this.apiserver.caPath), 'ca.key') },
        },
        onError: (e, c) => this.o.log(`controller-manager: ${c}: ${describeError(e)}`),
        log: this.o.log,
      });
      cm.start();
      this.stops.push(() => cm.stop()); // hands the lease back, so the next daemon leads at once
    }
    await this.startClusterDns();
    this.startCloudLoadBalancer();
    await this.startIngressController();
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

  private relayNode(n: NodeSpec): NodePort {
    return { name: n.name, netns: this.names.node(n.name), address: n.address };
  }

  private relayNodes(): NodePort[] {
    return this.topo.nodes.map((n) => this.relayNode(n));
  }

  /** Starts a stopped node's agents again (`kubewire node start`): the node turns Ready. */
  async resumeNode(name: string): Promise<void> {
    const node = this.topo.nodes.find((n) => n.name === name);
    if (!node || this.agents.has(name)) return;
    await this.startNode(node, this.state, this.caPem);
  }

  /** The Ingress controller: its proxy pod behind a LoadBalancer Service, routes from Ingress objects. */
  private async startIngressController(): Promise<void> {
    const factory = new SharedInformerFactory(this.client, this.clock);
    const file = join(this.o.paths.dir, 'ingress', 'routes.json');
    const ctl = new IngressController(this.client, factory, this.clock, file, (text) =>
      this.o.driver.writeFile(file, text),
    );
    const stop = await ctl.start();
    this.stops.push(() => {
      stop();
      factory.shutdown();
    });
  }

  /** The emulated cloud's L4 load balancer in the gateway namespace (Service type LoadBalancer). */
  private startCloudLoadBalancer(): void {
    const factory = new SharedInformerFactory(this.client, this.clock);
    this.cloudLB = new CloudLoadBalancer(
      factory,
      this.clock,
      this.o.driver,
      { netns: this.names.gateway, device: 'eth1' },
      this.o.log,
    );
    const stop = this.cloudLB.start();
    this.stops.push(() => {
      stop();
      factory.shutdown();
    });
  }

  /**
   * Cluster DNS the way a cluster gets it from its add-ons: the kube-dns Service at the service
   * network's tenth address and a Deployment whose pod runs the DNS server; its records come from a
   * file kept current here from Services and EndpointSlices (pods cannot reach 127.0.0.1:6443).
   */
  private async startClusterDns(): Promise<void> {
    const cfg = this.dns;
    const records = join(this.o.paths.dir, 'dns', 'records.json');
    const factory = new SharedInformerFactory(this.client, this.clock);
    const writer = new DnsRecordsWriter(factory, this.clock, cfg, (text) => this.o.driver.writeFile(records, text));
    const stop = writer.start();
    this.stops.push(() => {
      stop();
      factory.shutdown();
    });
    const labels = { 'k8s-app': 'kube-dns' };
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { ...labels, 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        selector: labels,
        clusterIP: clusterDnsIP(cfg),
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      },
    } as Service;
    const server = join(dirname(fileURLToPath(import.meta.url)), 'dns', 'dns-server.js');
    const deploy: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...systemPodSpec('coredns', server, records, [
              { name: 'dns', containerPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
            ]),
          },
        },
      },
    };
    for (const [rc, obj] of [
      [this.client.services, svc],
      [this.client.deployments, deploy],
    ] as const) {
      try {
        await (rc as KubeClientResource).create(obj, 'kube-system');
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
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

  /**
   * The scheduler and controller manager as `replicas` processes each, electing their leaders
   * through their Leases; each gets a kubeconfig of its own user (system:kube-scheduler,
   * system:kube-controller-manager) next to the admin's.
   */
  private async startControlPlaneReplicas(replicas: number, prefix: string): Promise<void> {
    const dir = join(this.o.paths.dir, 'apiserver');
    const caPem = readFileSync(this.apiserver.caPath);
    const kubeconfig = (component: ControlPlaneComponent): string => {
      const path = join(dir, `${component}.kubeconfig`);
      const user = `system:${component}`;
      // kube binds these users to roles of their own (system:kube-scheduler, ...); kubewire's RBAC
      // bootstrap has no such roles yet, so they are members of system:masters.
      const token = this.apiserver.issueToken({ name: user, uid: user, groups: ['system:masters'] });
      writeKubeconfig(path, { server: this.apiserver.url, caPem, user, token });
      return path;
    };
    const cs = this.o.controllerSettings ?? {};
    const cmArgs = [
      '--kubeconfig',
      kubeconfig('kube-controller-manager'),
      '--root-ca-file',
      this.apiserver.caPath,
      '--cluster-signing-cert-file',
      this.apiserver.caPath,
      '--cluster-signing-key-file',
      join(dirname(this.apiserver.caPath), 'ca.key'),
      ...(cs.loadBalancerPool ?? []).flatMap((p) => ['--lb-pool', p]),
      ...(cs.nodeLifecycle?.gracePeriodMs !== undefined
        ? ['--node-monitor-grace-period', String(cs.nodeLifecycle.gracePeriodMs)]
        : []),
      ...(cs.nodeLifecycle?.monitorPeriodMs !== undefined
        ? ['--node-monitor-period', String(cs.nodeLifecycle.monitorPeriodMs)]
        : []),
    ];
    const cgroup = LabCgroup.of(prefix);
    const cp = new ControlPlaneReplicas({
      command: this.o.kubewireCommand ?? [process.execPath, cliMain()],
      replicas,
      args: { 'kube-scheduler': ['--kubeconfig', kubeconfig('kube-scheduler')], 'kube-controller-manager': cmArgs },
      logDir: this.o.paths.logs,
      statusFile: join(this.o.paths.dir, CONTROL_PLANE_STATUS_FILE),
      lease: (name) =>
        this.client.leases.get(name, 'kube-system').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e))),
      mark: (pid) => cgroup.join('cluster', pid),
      startTime: readStartTime,
      clock: this.clock,
      log: this.o.log,
    });
    this.controlPlane = cp;
    await cp.start();
    this.stops.push(() => cp.stop());
  }

  private startScheduler(): void {
    // The one scheduler path (tests and bench run the same SchedulerServer): it campaigns for the
    // kube-system/kube-scheduler Lease and schedules, over its own informers, only while it leads.
    const scheduler = new SchedulerServer({
      client: this.client,
      clock: this.clock,
      identity: `kubewire-scheduler_${process.pid}`,
      leaderElection: {},
      onError: (e, c) => this.o.log(`scheduler: ${c}: ${describeError(e)}`),
    });
    scheduler.start();
    this.stops.push(() => scheduler.stop());
  }

  /** Starts the node's agents; with `deferPods`, its kubelet syncs pods only once the returned function runs. */
  private async startNode(node: NodeSpec, state: LabState, ca: Buffer, deferPods = false): Promise<() => void> {
    const netns = this.names.node(node.name);
    const client = new KubeClient({
      server: this.apiserver.url,
      ca,
      token: this.apiserver.issueNodeToken(node.name),
      userAgent: `kubelet/${node.name}`,
    });
    const log = (line: string) => this.o.log(line);
    // The node container first: its init, namespaces and cgroup parent; pods run inside it.
    const rt = nodeRuntime({
      driver: this.o.driver,
      paths: this.o.paths,
      prefix: state.prefix,
      node: node.name,
      netns,
      nodeCount: this.topo.nodes.length,
      nodeInitBinary: this.o.nodeInitBinary,
      pauseBinary: this.o.pauseBinary,
      scriptsDir: this.o.scriptsDir,
    });
    await rt.container.ensure();
    // When the daemon stops, its pods run on: their log FIFOs are let go, or this process could not exit.
    this.stops.push(() => rt.cri.detachLogs());
    const agent = new NodeAgent(
      client,
      this.clock,
      {
        name: node.name,
        address: node.address,
        podCIDR: node.subnet,
        ...(this.o.nodeRenewMs ? { renewIntervalMs: this.o.nodeRenewMs } : {}),
        resources: () => rt.resources(),
        images: () => rt.imageList(this.o.images),
        health: () => rt.health(),
      },
      log,
    );
    const stops: Disposer[] = [await agent.start()];
    const flanneld = new Flanneld(
      client,
      this.clock,
      this.o.driver,
      {
        node: node.name,
        netns,
        publicIP: node.address,
        subnet: node.subnet,
        vni: this.topo.flannel.vni,
        vtepMAC: vtepMacFor(this.topo, node),
        mode: this.topo.flannel.mode,
        device: VXLAN_DEV,
      },
      log,
    );
    stops.push(await flanneld.start());
    const dns = this.dns;
    const kubelet = new Kubelet({
      client,
      clock: this.clock,
      driver: this.o.driver,
      cri: rt.cri,
      prefix: state.prefix,
      images: this.o.images,
      node: {
        name: node.name,
        address: node.address,
        netns,
        cniConf: this.o.paths.cniConf(node.name),
        dynamicCniConf: this.o.paths.cniDynamicConf(node.name),
      },
      lab: state.lab,
      podNetns: (ns, name) => this.names.pod(ns, name),
      podLogDir: (ns, name, uid) => join(this.o.paths.node(node.name), 'pods', podLogFolder(ns, name, uid)),
      podVolumeDir: (uid) => join(this.o.paths.node(node.name), 'runtime', 'volumes', uid),
      mountTmpfs: (dir, size) => rt.mountTmpfs(dir, size),
      unmount: (dir) => rt.unmount(dir),
      pvDir: join(this.o.paths.dir, 'pv'),
      nameserver: this.topo.internet.dns,
      resolvConf: (ns) => clusterDnsResolvConf(dns, ns),
      records: new KubeletRecords(this.o.paths.kubeletPods(node.name)),
      staticPods: node.pods.map((p) => ({
        pod: p.manifest as unknown as Pod,
        record: state.pods[podKey(p.namespace, p.name)],
      })),
      saveStaticRecord: (key, rec) => this.saveStaticRecord(key, rec),
      manifestDir: join(this.o.paths.node(node.name), 'manifests'),
      log,
    });
    let stopKubelet: Disposer | undefined;
    const startKubelet = (): void => {
      if (!stopKubelet && this.agents.get(node.name)?.kubelet === kubelet) stopKubelet = kubelet.start();
    };
    stops.push(() => stopKubelet?.());
    const rn = this.relayNode(node);
    const serving: KubeletServing = await startKubeletServer({
      node: { name: node.name, address: node.address },
      // What a kubelet gets through a CSR; here the cluster process, which holds the CA, signs it.
      tls: await ensureLeafCert(join(this.o.paths.dir, 'apiserver'), {
        dir: join(this.o.paths.node(node.name), 'kubelet', 'pki'),
        name: 'kubelet',
        commonName: `system:node:${node.name}`,
        organizations: ['system:nodes'],
        usage: 'server',
        sans: [`IP:${node.address}`, `DNS:${node.name}`],
      }),
      listen: () => kubeletListenFd(rn),
      api: client.rest,
      client,
      kubelet,
      podLogDir: (pod) =>
        join(
          this.o.paths.node(node.name),
          'pods',
          podLogFolder(
            pod.metadata.namespace ?? 'default',
            pod.metadata.name ?? '',
            pod.metadata.annotations?.[MIRROR_ANNOTATION] ?? pod.metadata.uid ?? '',
          ),
        ),
      alive: (pid, startTime) => processAlive(pid, startTime),
      cri: rt.cri,
      log,
    });
    stops.push(() => void serving.stop());
    const proxier = makeProxyBackend(this.topo.kubeProxy, {
      netns,
      restorer: new HostDriverIptablesRestorer(this.o.driver),
      nft: new HostDriverNftApplier(this.o.driver),
      // A pod whose DNS server went away must not keep talking to it through a stale UDP flow.
      conntrack: new HostDriverConntrackCleaner(this.o.driver),
      clock: { now: () => performance.now() },
      config: { nodeName: node.name, nodeIP: node.address, clusterCIDR: this.topo.podNetwork },
    });
    const proxy = new KubeProxyAgent(client, this.clock, proxier, { log: (l) => log(`${node.name}: ${l}`) });
    stops.push(proxy.start());
    this.agents.set(node.name, {
      node,
      netns,
      kubelet,
      flanneld,
      proxy,
      runtime: rt,
      stop: () => stops.reverse().forEach((s) => s()),
    });
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

type KubeClientResource = ResourceClient<KubeObject>;

/** What the control-plane replicas' supervisor saw, in the lab's folder (control-plane-replicas.ts). */
export const CONTROL_PLANE_STATUS_FILE = 'control-plane.json';

/** CRI's pod log folder name (/var/log/pods/<namespace>_<name>_<uid> on a real node). */
export function podLogFolder(namespace: string, name: string, uid: string): string {
  return `${namespace}_${name}_${uid}`;
}

export function clusterDnsConfig(topo: Topology): ClusterDnsConfig {
  return { serviceNetwork: topo.serviceNetwork, domain: 'cluster.local', upstream: topo.internet.dns };
}

/** Same pid and kernel start time (field 22 of /proc/<pid>/stat): the same process. */
function processAlive(pid: number, startTime: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) === startTime;
  } catch {
    return false;
  }
}
