// The emulated cloud's L4 load balancer (what a cloud NLB does for `type: LoadBalancer`): for every
// Service the service controller gave an external address, the gateway namespace holds that
// address on its Internet side and DNATs each port to the Service's NodePort on a Ready node, one
// node picked at random per connection (statistic 1/n, 1/(n-1), … as kube-proxy does).
import type { Node, Service } from '../../../common/api-types.js';
import { describeError } from '../../../common/errors.js';
import { isIpv4 } from '../../../common/net/ipv4.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';
import type { Clock } from '../../client/clock.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import type { Disposer } from '../../client/rest-client.js';

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

export class CloudLoadBalancer {
  private cancel: (() => void) | undefined;
  private programmed = new Set<string>();
  private lastRules = '';
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly factory: SharedInformerFactory,
    private readonly clock: Clock,
    private readonly driver: HostDriver,
    /** The gateway namespace and its Internet-side device. */
    private readonly gateway: { netns: string; device: string },
    private readonly log: (line: string) => void,
  ) {}

  start(): Disposer {
    const h = { onAdd: () => this.schedule(), onUpdate: () => this.schedule(), onDelete: () => this.schedule() };
    const stops = [this.factory.services().addEventHandler(h), this.factory.nodes().addEventHandler(h)];
    this.factory.start();
    return () => {
      this.cancel?.();
      stops.forEach((s) => s());
    };
  }

  /** Resolves when the last scheduled programming is done (tests). */
  settled(): Promise<void> {
    return this.running;
  }

  private schedule(): void {
    if (this.cancel) return;
    this.cancel = this.clock.setTimer(() => {
      this.cancel = undefined;
      this.running = this.running
        .then(() => this.program())
        .catch((e) => this.log(`cloud load balancer: ${describeError(e)}`));
    }, 200);
  }

  private async program(): Promise<void> {
    const plan = planLoadBalancers(this.factory.services().store.list(), this.factory.nodes().store.list());
    const { netns, device } = this.gateway;
    for (const ip of plan.addresses) {
      if (this.programmed.has(ip)) continue;
      const r = await this.driver.exec(netns, ['ip', 'addr', 'replace', `${ip}/32`, 'dev', device]);
      if (r.exitCode !== 0) throw new Error(`address ${ip} on ${netns}/${device}: ${r.stderr.trim()}`);
      this.programmed.add(ip);
      this.log(`cloud load balancer: ${ip} on ${device}`);
    }
    const text = plan.rules.join('\n');
    if (text !== this.lastRules) {
      await this.driver.script('iptables-apply.sh', [netns, 'nat', CLOUD_LB_CHAIN, 'PREROUTING'], {
        input: text + '\n',
      });
      this.lastRules = text;
    }
    for (const ip of [...this.programmed]) {
      if (plan.addresses.includes(ip)) continue;
      await this.driver.exec(netns, ['ip', 'addr', 'del', `${ip}/32`, 'dev', device]);
      this.programmed.delete(ip);
    }
  }
}
