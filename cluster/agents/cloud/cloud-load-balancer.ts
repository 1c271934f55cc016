// The emulated cloud's L4 load balancer (what a cloud NLB does for `type: LoadBalancer`): for every
// Service the service controller gave an external address, the gateway namespace holds that
// address on its Internet side and DNATs each port to the Service's NodePort on a Ready node, one
// node picked at random per connection (statistic 1/n, 1/(n-1), … as kube-proxy does).
// Like the cloud provider's service controller it works per Service: a Service change queues its
// key, a change to the set of Ready nodes queues every load-balanced Service, and a failed sync is
// retried with backoff (the work queue every controller and agent here uses).
import type { Node, Service } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import { isIpv4 } from '../../../common/net/ipv4.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { Clock } from '../../client/clock.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import type { Disposer } from '../../client/rest-client.js';
import { QueueWorker } from '../../client/workqueue/queue-worker.js';
import { ExponentialFailureRateLimiter } from '../../client/workqueue/rate-limiter.js';

export const CLOUD_LB_CHAIN = 'KW-CLOUD-LB';

export interface LoadBalancerPlan {
  addresses: string[];
  rules: string[];
}

const nodeReady = (n: Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const internalIP = (n: Node) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;

/** The gateway's addresses and DNAT rules for the given Services and Nodes. Pure. */
export function planLoadBalancers(services: Service[], nodes: Node[]): LoadBalancerPlan {
  const targets = nodes
    .filter(nodeReady)
    .map(internalIP)
    .filter((ip): ip is string => !!ip)
    .sort();
  const addresses = new Set<string>();
  const rules: string[] = [];
  const sorted = [...services].sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );
  for (const s of sorted) {
    if (s.spec?.type !== 'LoadBalancer') continue;
    for (const ing of s.status?.loadBalancer?.ingress ?? []) {
      if (!ing.ip || !isIpv4(ing.ip)) continue;
      addresses.add(ing.ip);
      for (const p of s.spec.ports ?? []) {
        if (!p.nodePort || !targets.length) continue;
        const proto = (p.protocol ?? 'TCP').toLowerCase();
        if (proto !== 'tcp' && proto !== 'udp') continue;
        targets.forEach((t, i) => {
          const left = targets.length - i;
          const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
          rules.push(
            `-A ${CLOUD_LB_CHAIN} -d ${ing.ip}/32 -p ${proto} -m ${proto} --dport ${p.port}${pick} -j DNAT --to-destination ${t}:${p.nodePort}`,
          );
        });
      }
    }
  }
  return { addresses: [...addresses].sort(), rules };
}

/** A failed sync is retried after 200 ms, doubling up to 30 s, until it succeeds. */
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 30_000;

/** What a node contributes to load balancing: its address while Ready (a heartbeat changes neither). */
const nodeTarget = (n: Node) => (nodeReady(n) ? (internalIP(n) ?? '') : '');

export class CloudLoadBalancer {
  private readonly worker: QueueWorker;
  /** Each load-balanced Service's share of the gateway, by Service key. */
  private readonly balancers = new Map<string, LoadBalancerPlan>();
  private readonly programmed = new Set<string>();
  private lastRules = '';

  constructor(
    private readonly factory: SharedInformerFactory,
    clock: Clock,
    private readonly driver: HostDriver,
    /** The gateway namespace and its Internet-side device. */
    private readonly gateway: { netns: string; device: string },
    private readonly log: (line: string) => void,
  ) {
    this.worker = new QueueWorker('cloud load balancer', clock, (key) => this.sync(key), {
      // One worker: every Service's rules are written to the gateway's one chain.
      workers: 1,
      maxRetries: Infinity,
      rateLimiter: new ExponentialFailureRateLimiter(RETRY_BASE_MS, RETRY_MAX_MS),
      onError: (e, context) => log(`${context}: ${describeError(e)}`),
    });
  }

  start(): Disposer {
    const enqueue = (s: Service) => this.worker.enqueue(s);
    const nodesChanged = () => this.enqueueAll();
    const stops = [
      this.factory.services().addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue }),
      this.factory.nodes().addEventHandler({
        onAdd: nodesChanged,
        onUpdate: (o, n) => {
          if (nodeTarget(o) !== nodeTarget(n)) nodesChanged();
        },
        onDelete: nodesChanged,
      }),
    ];
    this.factory.start();
    const stopWorker = this.worker.run();
    return () => {
      stopWorker();
      stops.forEach((s) => s());
    };
  }

  /** Resolves when every change seen so far is programmed or waiting out a retry (tests). */
  settled(): Promise<void> {
    return this.worker.whenIdle();
  }

  /** Every Service that is or was load-balanced: their DNAT targets are the Ready nodes. */
  private enqueueAll(): void {
    for (const s of this.factory.services().store.list()) if (s.spec?.type === 'LoadBalancer') this.worker.enqueue(s);
    for (const key of this.balancers.keys()) this.worker.enqueueKey(key);
  }

  /** Brings one Service's balancer in line with the caches, then the gateway with every balancer. */
  private async sync(key: string): Promise<void> {
    const svc = this.factory.services().store.get(key);
    const plan = svc ? planLoadBalancers([svc], this.factory.nodes().store.list()) : undefined;
    if (plan?.addresses.length) this.balancers.set(key, plan);
    else this.balancers.delete(key);
    await this.program();
  }

  private async program(): Promise<void> {
    const keys = [...this.balancers.keys()].sort((a, b) => a.localeCompare(b));
    const plans = keys.map((k) => this.balancers.get(k)!);
    const addresses = new Set(plans.flatMap((p) => p.addresses));
    const { netns, device } = this.gateway;
    for (const ip of [...addresses].sort()) {
      if (this.programmed.has(ip)) continue;
      const r = await this.driver.exec(netns, ['ip', 'addr', 'replace', `${ip}/32`, 'dev', device]);
      if (r.exitCode !== 0) throw new Error(`address ${ip} on ${netns}/${device}: ${r.stderr.trim()}`);
      this.programmed.add(ip);
      this.log(`cloud load balancer: ${ip} on ${device}`);
    }
    const text = plans.flatMap((p) => p.rules).join('\n');
    if (text !== this.lastRules) {
      await this.driver.script('iptables-apply.sh', [netns, 'nat', CLOUD_LB_CHAIN, 'PREROUTING'], {
        input: text + '\n',
      });
      this.lastRules = text;
    }
    for (const ip of [...this.programmed]) {
      if (addresses.has(ip)) continue;
      await this.driver.exec(netns, ['ip', 'addr', 'del', `${ip}/32`, 'dev', device]);
      this.programmed.delete(ip);
    }
  }
}
