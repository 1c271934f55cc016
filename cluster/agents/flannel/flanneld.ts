// flanneld with the kube subnet manager, vxlan backend: its lease is the Node's podCIDR; it
// publishes its VTEP on its own Node (annotations flannel.alpha.coreos.com/backend-type,
// backend-data {"VNI":1,"VtepMAC":…}, public-ip) and, for every other node with such annotations,
// programs a route, a permanent neighbour entry and an FDB entry on flannel.1 (static mode). In miss
// mode nothing is pre-programmed: the MissResponder answers the kernel's L2/L3 misses instead.
// Each other node's lease is a key of the work queue every agent here uses: a Node change queues
// its name, the sync makes that peer's entries match the Node (added, changed, removed), and a
// failed sync is retried with backoff.
import type { Node } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import { formatIpv4, isIpv4Cidr, parseCidr } from '../../../common/net/ipv4.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { Clock } from '../../client/clock.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { Disposer } from '../../client/rest-client.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import { ExponentialFailureRateLimiter } from '../../client/workqueue/rate-limiter.js';
import { MissResponder } from './miss-responder.js';

export const ANN_BACKEND_TYPE = 'flannel.alpha.coreos.com/backend-type';
export const ANN_BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';
export const ANN_PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip';
export const ANN_SUBNET_MANAGER = 'flannel.alpha.coreos.com/kube-subnet-manager';

export interface FlanneldConfig {
  node: string;
  netns: string;
  publicIP: string;
  subnet: string;
  vni: number;
  vtepMAC: string;
  mode: 'static' | 'miss';
  device?: string;
}

export interface VtepPeer {
  node: string;
  subnet: string;
  /** flannel.1's address on the peer: the subnet's .0. */
  vtep: string;
  mac: string;
  publicIP: string;
}

/** A peer from a Node's flannel annotations, or undefined if it has not published them yet. */
export function peerOf(n: Node): VtepPeer | undefined {
  const a = n.metadata.annotations ?? {};
  const cidr = n.spec?.podCIDR;
  if (a[ANN_BACKEND_TYPE] !== 'vxlan' || !cidr || !a[ANN_PUBLIC_IP] || !a[ANN_BACKEND_DATA]) return undefined;
  if (!isIpv4Cidr(cidr)) return undefined;
  let data: { VtepMAC?: string };
  try {
    data = JSON.parse(a[ANN_BACKEND_DATA]) as { VtepMAC?: string };
  } catch {
    return undefined;
  }
  if (!data.VtepMAC || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(data.VtepMAC)) return undefined;
  return {
    node: n.metadata.name!,
    subnet: cidr,
    vtep: formatIpv4(parseCidr(cidr, false).network),
    mac: data.VtepMAC.toLowerCase(),
    publicIP: a[ANN_PUBLIC_IP],
  };
}

/** A failed peer sync is retried after 200 ms, doubling up to 30 s, until it succeeds. */
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 30_000;

const samePeer = (a: VtepPeer, b: VtepPeer) =>
  a.subnet === b.subnet && a.vtep === b.vtep && a.mac === b.mac && a.publicIP === b.publicIP;

export class Flanneld {
  private readonly factory: SharedInformerFactory;
  private readonly worker: QueueWorker;
  private readonly programmed = new Map<string, VtepPeer>();
  readonly peers = new Map<string, VtepPeer>();
  readonly missResponder: MissResponder;

  constructor(
    private readonly client: KubeClient,
    clock: Clock,
    private readonly driver: HostDriver,
    private readonly cfg: FlanneldConfig,
    private readonly log: (line: string) => void,
    /** The informers to watch Nodes with (default: flanneld's own). */
    factory?: SharedInformerFactory,
  ) {
    this.factory =
      factory ??
      new SharedInformerFactory(client, clock, {
        onError: (e, c) => log(`flanneld ${cfg.node}: informer ${c}: ${describeError(e)}`),
      });
    this.worker = new QueueWorker(`flanneld ${cfg.node}`, clock, (name) => this.sync(name), {
      workers: 1,
      maxRetries: Infinity,
      rateLimiter: new ExponentialFailureRateLimiter(RETRY_BASE_MS, RETRY_MAX_MS),
      onError: (e, context) => log(`${context}: ${describeError(e)}`),
    });
    this.missResponder = new MissResponder(
      driver,
      cfg.netns,
      cfg.device ?? 'flannel.1',
      () => this.peers.values(),
      log,
    );
  }

  get device(): string {
    return this.cfg.device ?? 'flannel.1';
  }

  /** Publishes this node's VTEP, then keeps the other nodes' entries current. */
  async start(): Promise<Disposer> {
    await this.client.nodes.patch(
      this.cfg.node,
      {
        metadata: {
          annotations: {
            [ANN_BACKEND_TYPE]: 'vxlan',
            [ANN_BACKEND_DATA]: JSON.stringify({ VNI: this.cfg.vni, VtepMAC: this.cfg.vtepMAC }),
            [ANN_PUBLIC_IP]: this.cfg.publicIP,
            [ANN_SUBNET_MANAGER]: 'true',
          },
        },
      },
      'merge',
    );
    const enqueue = (n: Node) => {
      if (n.metadata.name !== this.cfg.node) this.worker.enqueue(n);
    };
    const stop = this.factory.nodes().addEventHandler({
      onAdd: enqueue,
      onUpdate: (_o, n) => enqueue(n),
      onDelete: enqueue,
    });
    this.factory.start();
    const stopWorker = this.worker.run();
    const stopMiss = this.cfg.mode === 'miss' ? await this.missResponder.start() : () => {};
    return () => {
      stopMiss();
      stopWorker();
      stop();
      this.factory.shutdown();
    };
  }

  /** Resolves when every change seen so far is programmed or waiting out a retry (tests). */
  settled(): Promise<void> {
    return this.worker.whenIdle();
  }

  /** Makes one peer's route (static mode: and neighbour and FDB entry) match its Node. */
  private async sync(name: string): Promise<void> {
    const n = this.factory.nodes().store.get(name);
    const p = n ? peerOf(n) : undefined;
    if (p) this.peers.set(name, p);
    else this.peers.delete(name);
    const before = this.programmed.get(name);
    if (p && before && samePeer(before, p)) return;
    if (before) {
      await this.remove(before);
      this.programmed.delete(name);
      if (!p) this.log(`flanneld ${this.cfg.node}: removed subnet ${before.subnet} of ${name}`);
    }
    if (!p) return;
    if (this.cfg.mode === 'static')
      await this.driver.script('vxlan-peers.sh', [this.cfg.netns, this.device, p.subnet, p.vtep, p.mac, p.publicIP]);
    else {
      // neigh/FDB: on miss
      const r = await this.driver.exec(this.cfg.netns, [
        'ip',
        'route',
        'replace',
        p.subnet,
        'via',
        p.vtep,
        'dev',
        this.device,
        'onlink',
      ]);
      if (r.exitCode !== 0) throw new Error(`route ${p.subnet} via ${p.vtep} in ${this.cfg.netns}: ${r.stderr.trim()}`);
    }
    this.programmed.set(name, p);
    this.log(`flanneld ${this.cfg.node}: subnet ${p.subnet} via ${p.vtep} (${p.mac}) at ${p.publicIP}`);
  }

  /** Route, neighbour and FDB entry of a peer; an entry already gone counts as removed. */
  private async remove(p: VtepPeer): Promise<void> {
    const ns = this.cfg.netns;
    await Promise.all([
      this.driver.exec(ns, ['ip', 'route', 'del', p.subnet, 'dev', this.device]),
      this.driver.exec(ns, ['ip', 'neigh', 'del', p.vtep, 'dev', this.device]),
      this.driver.exec(ns, ['bridge', 'fdb', 'del', p.mac, 'dev', this.device]),
    ]);
  }
}
